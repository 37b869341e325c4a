//! The framework-neutral half of the web face: the settings, the answers
//! and the request handling every framework's endpoints share.
//!
//! - [`Settings`]: what the endpoints and the guard do, one value for every
//!   stack, checked when built ([`EndpointsError`]): replay cache, limits,
//!   [`TrustedProxies`], failure URL, [`ConsumeMode`], [`ConfirmPage`],
//!   body limit, extra paths for link sessions, [`Messages`], paths and
//!   [`Responses`].
//! - [`Answer`] and [`Responses`]: every answer, replaceable alike on every
//!   stack; [`CreateRefusal`]: why the create endpoint issued no link.
//! - [`client_ip`]: the client address from the peer address and the
//!   forwarding header's values.
//! - [`AppError`]: the app's own failure (a database, a session store).
//!
//! `authlink::http` (feature `http`) is the tower adapter; `authlink::actix` (feature `actix`)
//! the actix-web one. Each reads its framework's request into a neutral
//! view, runs the create, consume and guard steps written once here, and
//! turns the [`Answer`] into its framework's response, so that the checks,
//! their order, the answers, the log events and the metrics cannot differ
//! between them.

mod answer;
mod app_error;
pub(crate) mod bearer;
mod client_ip;
mod confirm;
mod consume;
mod create;
// Mounted by the adapters (`http`, `actix`).
#[cfg_attr(not(any(feature = "http", feature = "actix")), allow(dead_code))]
pub(crate) mod email;
pub(crate) mod flow;
mod forwarded;
#[cfg(any(feature = "tower-sessions", feature = "actix"))]
mod keys;
mod messages;
// Unused until an adapter (`http`, `actix`) is built on it.
#[cfg_attr(not(any(feature = "http", feature = "actix")), allow(dead_code))]
pub(crate) mod pipeline;
pub(crate) mod routes;
pub use routes::next_page;
#[cfg(any(feature = "tower-sessions", feature = "actix"))]
pub(crate) mod session;
mod settings;
mod user;

pub use answer::{Answer, DefaultResponses, Responses, SendToLogin};
pub use app_error::AppError;
pub use client_ip::{
    Cidr, CidrError, ForwardedHeader, MAX_FORWARDED_HOPS, TrustedProxies, client_ip,
};
pub use confirm::ConfirmPage;
pub use consume::ConsumeMode;
pub use create::CreateRefusal;
pub use email::EmailSettings;
#[cfg(any(feature = "tower-sessions", feature = "actix"))]
pub(crate) use keys::{USER_KEY, VIA_LINK_KEY};
pub use messages::Messages;
#[cfg(any(feature = "tower-sessions", feature = "actix"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tower-sessions", feature = "actix"))))]
pub use session::{AppSession, CurrentUser, PasswordUser};
pub use settings::{EndpointsError, Settings};
pub use user::LinkUser;

//! The web face on the `http` 1.x types: the create and consume endpoints
//! and the session guard as tower services, for hyper directly or any
//! tower-based framework, configured once through [`Endpoints`].
//!
//! - [`LinkApp`]: the app's side, only who the API caller is (and,
//!   optionally, the user's stamp).
//! - [`LinkSessions`]: the session side, ready-made on tower-sessions
//!   ([`TowerSessions`], feature `tower-sessions`) and axum-login
//!   ([`AxumLogin`], feature `axum-login`).
//! - [`Endpoints`]: one builder for trusted proxies, the failure URL, the
//!   mode and the replay cache, giving [`CreateService`], [`ConsumeService`]
//!   and [`GuardLayer`], or with the `axum` feature a whole router
//!   ([`Endpoints::router`]). An axum handler may also issue a link itself
//!   ([`Endpoints::issue`]) and consume one ([`ConsumeService::consume`]).
//! - [`Responses`] and [`Messages`]: every answer and
//!   every sentence, replaceable.
//! - [`client_ip`]: the client address, from the connection's peer
//!   ([`PeerAddr`] in the request extensions) or trusted proxies' headers.
//!
//! The decisions behind them (which failure, the confirmation page, the
//! create body's rules, client-address resolution) live in
//! [`crate::web`], shared with other frameworks.
//!
//! # Cookies: `Secure` and `SameSite=Lax`
//!
//! [`TowerSessions`] and [`AxumLogin`] own the session layer, so they set
//! the cookie's attributes once: `Secure` unless the app turns it off by
//! name (`insecure_cookie()`, for plain HTTP on loopback during
//! development), never inferred from `Host` or the URI, and `SameSite=Lax`.
//! `Lax` is required: a link opened from an e-mail or a chat is a navigation
//! from another site, and the redirect after it must carry the new
//! session's cookie; `Strict` (tower-sessions' default) would drop it, and
//! the user would land logged out.
//!
//! # Direct or prefetch-safe
//!
//! [`ConsumeMode::Direct`] (the default)
//! consumes on `GET`: right for a link an app opens in its own webview
//! moments after asking for it. [`ConsumeMode::PrefetchSafe`]
//! answers `GET` with a confirmation page and consumes only on a
//! same-origin `POST`: right for links in e-mail or chat, whose scanners
//! fetch every link first. [`ConfirmPage::ButtonOnly`]
//! leaves out the page's self-submitting script, for scanners that run
//! script. A cross-site `POST` is refused as
//! [`FailureReason::CrossSite`]
//! (login CSRF); what a `GET` cannot check is in [`crate::web`].
//!
//! # Mistakes that cannot happen
//!
//! The consume endpoint and the guard put the session layer around
//! themselves when the request has no session, so a forgotten session layer
//! is not a 500 per request; the guard lets the endpoints' paths through, so
//! mounting them inside it does not lock link sessions out of their next
//! link; [`Endpoints::router`] mounts everything in the right order; and
//! [`Endpoints::failure_url`] refuses a URL that would be an open redirect,
//! at start-up.

use std::future::Future;
use std::pin::Pin;

mod app;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "axum-login")]
mod axum_login;
mod consume;
mod create;
mod endpoints;
mod guard;
mod peer;
mod response;
mod sessions;
#[cfg(feature = "tower-sessions")]
mod tower_sessions;

pub use crate::web::{
    Cidr, CidrError, ConfirmPage, ConsumeMode, CreateRefusal, DEFAULT_BODY_LIMIT, FailureReason,
    ForwardedHeader, MAX_FORWARDED_HOPS, Messages, TrustedProxies, UnknownReason,
};
pub use app::{AppError, LinkApp, RETRY_AFTER_SECONDS, bearer_token};
#[cfg(feature = "axum-login")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum-login")))]
pub use axum_login::AxumLogin;
pub use consume::ConsumeService;
pub use create::CreateService;
pub use endpoints::{DEFAULT_CREATE_PATH, DEFAULT_FAILURE_URL, Endpoints, EndpointsError};
pub use guard::{Guard, GuardBody, GuardLayer};
pub use peer::{PeerAddr, client_ip};
pub use response::{
    DefaultResponses, NOT_WHITELISTED_MESSAGE, ResponseBody, Responses, html, json, see_other, text,
};
pub use sessions::{LinkSessions, SessionService};
#[cfg(feature = "tower-sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower-sessions")))]
pub use tower_sessions::{SessionUser, TowerSessions, USER_KEY, VIA_LINK_KEY};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

//! The framework-neutral half of the web face: decisions every framework's
//! endpoints share, over plain text rather than any framework's types.
//!
//! - [`client_ip`]: the client address from the peer address and the
//!   forwarding header's values, with [`TrustedProxies`].
//! - [`consume_step`]: what the consume endpoint does with a request
//!   (consume, confirm, refuse a cross-site `POST`…).
//! - [`ConfirmPage`]: the prefetch-safe confirmation page and its CSP.
//! - [`target_from_body`] and [`CreateRefusal`]: the create endpoint's body
//!   rules and its refusals' statuses and bodies.
//! - [`AppError`]: the app's own failure (a database, a session store).
//! - [`EndpointsError`]: a configuration the endpoints refuse at start-up,
//!   on every framework, which hold their settings the same way.
//! - [`FailureReason`](crate::FailureReason) and [`Messages`]: why a link failed, and every
//!   sentence users see, replaceable.
//!
//! [`crate::http`] is the tower adapter over these; `crate::actix` (feature
//! `actix`) the actix-web one. Both also run the same issue and consume
//! steps and the same guard rule, crate-internal here, so that the order of
//! the checks, the log events and the metrics cannot differ between them.

mod answer;
mod app_error;
mod client_ip;
mod confirm;
mod consume;
mod create;
pub(crate) mod flow;
mod forwarded;
mod keys;
mod messages;
pub(crate) mod pipeline;
pub(crate) mod routes;
mod settings;

pub use answer::{Answer, DefaultResponses, Responses};
pub use app_error::AppError;
pub use client_ip::{
    Cidr, CidrError, ForwardedHeader, MAX_FORWARDED_HOPS, TrustedProxies, client_ip,
};
pub use confirm::ConfirmPage;
pub use consume::{CONSUME_ALLOW, ConsumeMode, ConsumeRequest, ConsumeStep, consume_step};
pub use create::{
    CreateRefusal, DEFAULT_BODY_LIMIT, RETRY_AFTER_SECONDS, created_body, declared_too_large,
    is_json, target_from_body,
};
pub use keys::{USER_KEY, VIA_LINK_KEY};
pub use messages::Messages;
pub use settings::{DEFAULT_CREATE_PATH, DEFAULT_FAILURE_URL, EndpointsError, Settings};

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
//! - [`FailureReason`] and [`Messages`]: why a link failed, and every
//!   sentence users see, replaceable.
//!
//! [`crate::http`] is the tower adapter over these.

mod client_ip;
mod confirm;
mod consume;
mod create;
mod messages;

pub use crate::error::{FailureReason, UnknownReason};
pub use client_ip::{
    Cidr, CidrError, ForwardedHeader, MAX_FORWARDED_HOPS, TrustedProxies, client_ip,
};
pub use confirm::ConfirmPage;
pub use consume::{CONSUME_ALLOW, ConsumeMode, ConsumeRequest, ConsumeStep, consume_step};
pub use create::{
    CreateRefusal, DEFAULT_BODY_LIMIT, created_body, declared_too_large, is_json, target_from_body,
};
pub use messages::Messages;

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;
mod authlink;
mod binding;
mod claims;
mod clock;
mod codec;
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
pub mod config;
mod error;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod issue;
mod key;
mod keyring;
pub mod limit;
pub mod mail;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
mod policy;
pub mod replay;
mod stamp;
mod target;
mod user;
mod verify;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web;
mod whitelist;

pub use crate::authlink::{Authlink, no_stamp};
pub use crate::binding::IpBinding;
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::codec::MAX_TOKEN_LEN;
pub use crate::error::{
    ConfigError, FailureReason, IssueError, TargetError, UnknownReason, VerifyError,
    VerifyErrorKind,
};
pub use crate::issue::Link;
pub use crate::key::{KeyError, KeyId, SecretKey};
pub use crate::keyring::KeyRing;
pub use crate::policy::{Policy, UrlTemplate};
pub use crate::target::{Origin, Target, validate_target};
pub use crate::user::UserId;
pub use crate::verify::{Authenticated, ConsumedLink, VerifiedLink};
pub use crate::whitelist::Whitelist;

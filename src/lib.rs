#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authlink;
mod binding;
mod claims;
pub mod clock;
mod codec;
mod ct;
mod error;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod issue;
mod key;
mod keyring;
mod policy;
pub mod replay;
mod stamp;
mod target;
mod verify;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod web;
mod whitelist;

pub use crate::authlink::Authlink;
pub use crate::binding::IpBinding;
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::codec::MAX_TOKEN_LEN;
pub use crate::error::{ConfigError, IssueError, KeyError, VerifyError, VerifyErrorKind};
pub use crate::issue::Link;
pub use crate::key::{KeyId, MAX_KEY_LEN, MIN_KEY_LEN, SecretKey};
pub use crate::keyring::KeyRing;
pub use crate::policy::{
    DEFAULT_LEEWAY, DEFAULT_TTL, DEFAULT_URL_TEMPLATE, MAX_LEEWAY, MAX_TTL, Policy,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use crate::replay::RedisReplayCache;
pub use crate::replay::{MemoryReplayCache, ReplayCache};
pub use crate::target::{MAX_TARGET_LEN, Target, TargetError, validate_target};
pub use crate::verify::{Authenticated, VerifiedLink};
pub use crate::whitelist::Whitelist;

//! The core through its public API: the token format and its golden
//! vectors, keys and rotation, client binding, targets, expiry, settings,
//! per-user limits, metrics, and the type rules (compile-fail).
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fixtures/mod.rs"]
mod fixtures;

mod autotraits;
mod binding;
#[cfg(feature = "http")]
mod client_ip;
mod compile_fail;
mod django;
mod expiry;
mod keys;
#[cfg(feature = "limit")]
mod limit_memory;
mod mail;
mod mail_vectors;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "config")]
mod settings;
mod tamper;
mod targets;
mod token_len;
mod tokens;
mod vectors;

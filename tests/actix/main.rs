//! The actix-web adapter in-process: the scenarios shared with tower, and
//! the actix example on a real server.
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/actix_support.rs"]
mod actix_support;
#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/http_support.rs"]
mod http_support;
#[path = "../support/log_capture.rs"]
mod log_capture;
#[cfg(feature = "redis")]
#[path = "../support/redis_server.rs"]
mod redis_server;
#[path = "../support/scenarios.rs"]
mod scenarios;

mod actix_example;
#[cfg(feature = "actix-identity")]
mod actix_identity_example;
mod adapter;
#[cfg(feature = "actix-identity")]
mod identity;
mod in_process;
mod sessions;

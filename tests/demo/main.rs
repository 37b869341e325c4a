//! The demo over real sockets: its HTTP contract, rate limits, two nodes
//! on one Redis, and a real browser; and the SMTP mailer against a real
//! SMTP server.
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/browser_support.rs"]
mod browser_support;
#[path = "../support/demo_support.rs"]
mod demo_support;
#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/http_support.rs"]
mod http_support;
#[cfg(feature = "redis")]
#[path = "../support/redis_server.rs"]
mod redis_server;

mod browser;
mod contract;
mod limits;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "smtp")]
mod smtp;

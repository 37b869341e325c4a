//! The tower adapter in-process: the scenarios shared with actix, the
//! guard, tower-sessions and axum-login, tracing and metrics, and the axum
//! examples.
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/http_support.rs"]
mod http_support;
#[path = "../support/log_capture.rs"]
mod log_capture;
#[path = "../support/scenarios.rs"]
mod scenarios;

mod axum_example;
#[cfg(feature = "axum-login")]
mod axum_login;
mod endpoints;
mod guard;
#[cfg(feature = "metrics")]
mod metrics;
mod session_store;
mod tracing;
mod web;

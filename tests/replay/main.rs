//! Single use: the in-memory cache, the conformance suite every backend
//! passes, and Redis (one server, ACL users, TLS, Cluster, replicas and
//! Sentinel, the shared rate limiter), each test starting its own servers
//! on loopback.
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fixtures/mod.rs"]
mod fixtures;
#[cfg(feature = "redis")]
#[path = "../support/redis_cluster.rs"]
mod redis_cluster_support;
#[cfg(feature = "redis")]
#[path = "../support/redis_server.rs"]
mod redis_server;

#[cfg(feature = "test-util")]
mod conformance;
#[cfg(all(feature = "limit", feature = "redis"))]
mod limit_redis;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_auth;
#[cfg(feature = "redis")]
mod redis_cluster;
#[cfg(feature = "redis")]
mod redis_replication;
#[cfg(feature = "redis-tls")]
mod redis_tls;

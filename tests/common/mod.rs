//! Shared fixtures: a fixed key, a stopped clock, a policy that allows the
//! pages django-authlink's tests use.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code, unreachable_pub)]

pub mod redis_cluster;
pub mod redis_server;
pub mod reference;

use std::net::IpAddr;

use authlink::{Authlink, IpBinding, KeyId, KeyRing, ManualClock, Policy, SecretKey, Whitelist};
use time::OffsetDateTime;

pub const PURPOSE: &str = "tests webview login";

/// 2026-11-01T00:00:00Z.
pub const T0: i64 = 1_793_491_200;

pub fn key(byte: u8) -> SecretKey {
    SecretKey::try_from([byte; 32].as_slice()).unwrap()
}

pub fn policy() -> Policy {
    let mut policy = Policy::default();
    policy.whitelist =
        Whitelist::new(["^/account$", "^/account/settings$", "^/page/[0-9]+$"]).unwrap();
    policy
}

pub fn clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::from_unix_timestamp(T0).unwrap())
}

pub fn engine_with(policy: Policy, clock: &ManualClock) -> Authlink {
    Authlink::new(KeyRing::new(KeyId::new(1), key(7)), PURPOSE, policy)
        .unwrap()
        .with_clock(clock.clone())
}

pub fn engine(clock: &ManualClock) -> Authlink {
    engine_with(policy(), clock)
}

pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

pub fn binding_off() -> Policy {
    let mut policy = policy();
    policy.ip_binding = IpBinding::Off;
    policy
}

pub trait ClockExt {
    fn now_at(&self) -> OffsetDateTime;
}

impl ClockExt for ManualClock {
    fn now_at(&self) -> OffsetDateTime {
        authlink::Clock::now(self)
    }
}

/// Issues a link for `user` to `/account` from `client` and verifies it, as
/// the node that opens it would: ready to consume.
pub fn verified(authlink: &Authlink, user: u64, client: &str) -> authlink::VerifiedLink<u64> {
    let link = authlink.issue(&user, "/account", ip(client)).unwrap();
    authlink
        .verify::<u64>(&link.key, ip(client))
        .unwrap()
        .check_stamp(None)
        .unwrap()
}

/// Consumes a fresh link through `cache`.
pub fn consume_fresh<C: authlink::replay::ReplayCache>(
    authlink: &Authlink,
    cache: &C,
) -> Result<authlink::ConsumedLink<u64>, authlink::VerifyError> {
    pollster::block_on(authlink.consume(verified(authlink, 1, "192.0.2.1"), cache))
}

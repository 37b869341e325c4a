//! django-authlink's own behaviours, at the core level.

use crate::fixtures;

use authlink::replay::MemoryReplayCache;
use authlink::{IssueError, Policy, VerifyErrorKind, Whitelist};
use fixtures::{ClockExt as _, clock, engine, engine_with, ip};
use time::Duration;

const CLIENT: &str = "198.51.100.7";

#[test]
fn valid_link_logs_in_the_user_and_leads_to_the_target() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    assert!(link.url.starts_with("/authlink/"));
    assert_eq!(link.url, format!("/authlink/{}", link.key));
    assert_eq!(link.expires_at, clock.now_at() + Duration::seconds(60));

    let verified = authlink
        .verify::<u64>(&link.key, ip(CLIENT))
        .unwrap()
        .check_stamp(None)
        .unwrap();
    assert_eq!(*verified.user(), 42);
    assert_eq!(verified.target(), "/account");
    assert_eq!(verified.expires_at(), link.expires_at);
}

#[test]
fn link_is_expired_at_exactly_issue_time_plus_ttl() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    clock.advance(std::time::Duration::from_secs(60));
    let err = authlink.verify::<u64>(&link.key, ip(CLIENT)).unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::Expired);
    assert_eq!(err.to_string(), "link has expired");
}

#[test]
fn link_is_valid_one_second_before_expiry() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    clock.advance(std::time::Duration::from_secs(59));
    assert!(authlink.verify::<u64>(&link.key, ip(CLIENT)).is_ok());
    clock.advance(std::time::Duration::from_nanos(999_999_999));
    assert!(authlink.verify::<u64>(&link.key, ip(CLIENT)).is_ok());
    clock.advance(std::time::Duration::from_nanos(1));
    assert_eq!(
        authlink
            .verify::<u64>(&link.key, ip(CLIENT))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::Expired
    );
}

#[test]
fn ip_mismatch_is_refused() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    let err = authlink
        .verify::<u64>(&link.key, ip("198.51.100.8"))
        .unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::ClientMismatch);
    assert_eq!(err.reason().code(), "client_mismatch");
}

#[test]
fn a_link_works_once_with_a_replay_cache() {
    let clock = clock();
    let authlink = engine(&clock);
    let cache = MemoryReplayCache::new();
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    let consume = || {
        let verified = authlink
            .verify::<u64>(&link.key, ip(CLIENT))?
            .check_stamp(None)?;
        pollster::block_on(authlink.consume(verified, &cache))
    };
    assert_eq!(*consume().unwrap().user(), 42);
    let err = consume().unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    assert_eq!(err.to_string(), "link has already been used");
}

#[test]
fn a_wrong_ip_does_not_burn_the_link() {
    let clock = clock();
    let authlink = engine(&clock);
    let cache = MemoryReplayCache::new();
    let link = authlink.issue(&42u64, "/account", ip(CLIENT)).unwrap();
    assert!(authlink.verify::<u64>(&link.key, ip("10.0.0.1")).is_err());
    assert!(cache.is_empty());
    let verified = authlink
        .verify::<u64>(&link.key, ip(CLIENT))
        .unwrap()
        .check_stamp(None)
        .unwrap();
    assert!(pollster::block_on(authlink.consume(verified, &cache)).is_ok());
}

#[test]
fn url_not_whitelisted_is_refused() {
    let clock = clock();
    let authlink = engine(&clock);
    for target in ["/admin", "/account/delete", "/accounts", "/page/x"] {
        assert_eq!(
            authlink.issue(&42u64, target, ip(CLIENT)).unwrap_err(),
            IssueError::TargetNotAllowed,
            "{target}"
        );
    }
    assert!(authlink.issue(&42u64, "/page/12", ip(CLIENT)).is_ok());
}

#[test]
fn empty_whitelist_denies_every_link() {
    let clock = clock();
    let authlink = engine_with(Policy::default(), &clock);
    for target in ["/", "/account", "/anything"] {
        assert_eq!(
            authlink.issue(&42u64, target, ip(CLIENT)).unwrap_err(),
            IssueError::TargetNotAllowed
        );
    }
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(Vec::<String>::new()).unwrap();
    let authlink = engine_with(policy, &clock);
    assert!(authlink.issue(&42u64, "/account", ip(CLIENT)).is_err());
}

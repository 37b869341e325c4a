//! The in-memory rate limiter on a fake clock: one key refused past its
//! rate while others pass, the wait it reports, refill, the swept state,
//! and the per-user consume limit keeping one user's share of the replay
//! cache bounded while other users log in.

use crate::fixtures;

use fixtures::ClockExt as _;

use std::num::NonZeroU32;
use std::time::Duration;

use authlink::limit::{CreateLimits, LimitKey, MemoryRateLimiter, NoLimit, Quota, RateLimiter};
use authlink::replay::MemoryReplayCache;
use authlink::{FailureReason, VerifyErrorKind, no_stamp};
use governor::clock::FakeRelativeClock;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn limiter(quota: Quota) -> (MemoryRateLimiter<FakeRelativeClock>, FakeRelativeClock) {
    let clock = FakeRelativeClock::default();
    (MemoryRateLimiter::with_clock(quota, clock.clone()), clock)
}

fn check(limiter: &impl RateLimiter, key: &LimitKey) -> Result<(), authlink::limit::Limited> {
    pollster::block_on(limiter.check(key))
}

#[test]
fn a_key_past_its_burst_is_refused_with_the_wait_while_another_passes() {
    // 6 a minute (one every 10 s), burst 3.
    let (limiter, clock) = limiter(Quota::per_minute(nz(6)).with_burst(nz(3)));
    let alice = LimitKey::user("alice");
    let bob = LimitKey::user("bob");
    for _ in 0..3 {
        check(&limiter, &alice).unwrap();
    }
    let refused = check(&limiter, &alice).unwrap_err();
    assert_eq!(refused.retry_after(), Duration::from_secs(10));
    assert_eq!(refused.retry_after_secs(), 10);

    for _ in 0..3 {
        check(&limiter, &bob).unwrap();
    }

    clock.advance(Duration::from_secs(4));
    assert_eq!(
        check(&limiter, &alice).unwrap_err().retry_after(),
        Duration::from_secs(6)
    );
    clock.advance(Duration::from_secs(6));
    check(&limiter, &alice).unwrap();
    assert!(
        check(&limiter, &alice).is_err(),
        "one more per interval only"
    );
}

#[test]
fn client_keys_group_an_ipv6_slash_64() {
    let (limiter, _clock) = limiter(Quota::per_hour(nz(1)));
    check(&limiter, &LimitKey::client(fixtures::ip("2001:db8::1"))).unwrap();
    // Another address of the same /64 is the same caller.
    assert!(check(&limiter, &LimitKey::client(fixtures::ip("2001:db8::2"))).is_err());
    check(&limiter, &LimitKey::client(fixtures::ip("2001:db8:0:1::1"))).unwrap();
}

#[test]
fn create_limits_refuse_the_user_and_then_the_network() {
    let (per_user, _c1) = limiter(Quota::per_hour(nz(2)));
    let (per_client, _c2) = limiter(Quota::per_hour(nz(3)));
    let limits = CreateLimits::new(per_user, per_client);
    let net = fixtures::ip("198.51.100.4");
    let check = |user: u64| pollster::block_on(limits.check(&user, net));
    check(1).unwrap();
    check(1).unwrap();
    assert!(check(1).is_err(), "user 1 is past its own rate");
    // User 1's refusal did not spend the network's allowance: one left.
    check(2).unwrap();
    let refused = check(3).unwrap_err();
    assert_eq!(
        refused.retry_after_secs(),
        1200,
        "3 an hour: one every 20 min"
    );
    pollster::block_on(CreateLimits::off().check(&3u64, net)).unwrap();
}

#[test]
fn a_full_limiter_sweeps_idle_keys_but_keeps_limited_ones() {
    // One a minute, burst 1: a key that acted is limited for a minute.
    let (limiter, clock) = limiter(Quota::per_minute(nz(1)));
    let limiter = limiter.with_capacity(10);
    for user in 1..=10u64 {
        check(&limiter, &LimitKey::user(&user)).unwrap();
    }
    clock.advance(Duration::from_secs(100));
    let abuser = LimitKey::user(&0u64);
    check(&limiter, &abuser).unwrap();
    assert_eq!(limiter.len(), 11);

    // Over capacity: the next check sweeps. The ten users are back to
    // fresh; the abuser, who acted 30 s ago, is still limited and stays.
    clock.advance(Duration::from_secs(30));
    let refused = check(&limiter, &abuser).unwrap_err();
    assert_eq!(refused.retry_after(), Duration::from_secs(30));
    assert_eq!(limiter.len(), 1, "only the limited key remains");
    check(&limiter, &LimitKey::user(&11u64)).unwrap();
    assert!(check(&limiter, &LimitKey::user(&11u64)).is_err());

    // A stream of new keys, one every 7 s: a key's state is fresh two
    // intervals (120 s) after it acted, and a full limiter sweeps once an
    // interval (60 s), so at most (120 + 60) / 7 + 1 = 26 keys are held,
    // however many were ever seen.
    let mut most = 0;
    for user in 100..10_100u64 {
        clock.advance(Duration::from_secs(7));
        check(&limiter, &LimitKey::user(&user)).unwrap();
        most = most.max(limiter.len());
    }
    assert!(most <= 26, "{most} keys held");
    assert!(most > 10, "the capacity is a sweep trigger, not a hard cap");
}

/// The attack of issue 12: one user creating and consuming links in a loop
/// fills the replay cache, after which every user's link is refused as
/// unavailable. With the per-user consume limit the abuser is refused as
/// rate limited, holds at most burst + rate × (ttl + leeway) entries, and
/// another user's link still logs in.
#[test]
fn one_user_cannot_fill_the_replay_cache_through_the_consume_limit() {
    let clock = fixtures::clock();
    let engine = fixtures::engine(&clock);
    let cache = MemoryReplayCache::with_capacity(100);
    let governor_clock = FakeRelativeClock::default();
    // 20 a minute, burst 20: at most 20 + 20 × 65 / 60 ≈ 41 live entries.
    let limiter =
        MemoryRateLimiter::with_clock(authlink::limit::DEFAULT_USER_QUOTA, governor_clock.clone());
    let ip = fixtures::ip("192.0.2.1");
    let consume = |user: u64| {
        let link = engine.issue(&user, "/account", ip).unwrap();
        let result = pollster::block_on(engine.verify_and_consume_limited::<u64, _, _, _, _, _>(
            &link.key, ip, no_stamp, &cache, &limiter,
        ));
        (link, result)
    };

    let (mut logged_in, mut limited) = (0, 0);
    // Two minutes of the abuser trying 10 times a second.
    for _ in 0..1_200 {
        match consume(666).1 {
            Ok(_) => logged_in += 1,
            Err(err) => {
                assert_eq!(err.kind(), VerifyErrorKind::RateLimited, "{err}");
                assert_eq!(err.reason(), FailureReason::RateLimited);
                assert!(err.retry_after().unwrap() <= Duration::from_secs(3));
                limited += 1;
            }
        }
        cache.purge_expired(clock.now_at());
        assert!(cache.len() <= 42, "abuser holds {} entries", cache.len());
        clock.advance(Duration::from_millis(100));
        governor_clock.advance(Duration::from_millis(100));
    }
    // The burst of 20 at once, then one every 3 s from t = 3 s to 117 s.
    assert_eq!(logged_in, 20 + 39);
    assert_eq!(limited, 1_200 - logged_in);

    // Another user is not affected.
    let (_, other) = consume(7);
    assert_eq!(*other.unwrap().user(), 7);

    // A refused link is not used up: it works once the rate allows.
    let (link, refused) = std::iter::repeat_with(|| consume(666))
        .take(2)
        .find(|(_, result)| result.is_err())
        .unwrap();
    assert_eq!(refused.unwrap_err().kind(), VerifyErrorKind::RateLimited);
    governor_clock.advance(Duration::from_secs(3));
    let retried = pollster::block_on(engine.verify_and_consume_limited::<u64, _, _, _, _, _>(
        &link.key, ip, no_stamp, &cache, &limiter,
    ));
    assert_eq!(*retried.unwrap().user(), 666);
}

/// The same loop without a limit: the abuser fills the cache, and another
/// user's link is refused as unavailable. This is what the limit prevents.
#[test]
fn without_the_limit_one_user_fills_the_replay_cache() {
    let clock = fixtures::clock();
    let engine = fixtures::engine(&clock);
    let cache = MemoryReplayCache::with_capacity(100);
    let ip = fixtures::ip("192.0.2.1");
    let consume = |user: u64| {
        let link = engine.issue(&user, "/account", ip).unwrap();
        pollster::block_on(engine.verify_and_consume_limited::<u64, _, _, _, _, _>(
            &link.key, ip, no_stamp, &cache, &NoLimit,
        ))
    };
    for _ in 0..100 {
        consume(666).unwrap();
        clock.advance(Duration::from_millis(100));
    }
    let err = consume(7).unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable);
}

#[test]
fn an_invalid_link_spends_no_allowance() {
    let clock = fixtures::clock();
    let engine = fixtures::engine(&clock);
    let cache = MemoryReplayCache::new();
    let (limiter, _clock) = limiter(Quota::per_hour(nz(1)));
    let ip = fixtures::ip("192.0.2.1");
    let link = engine.issue(&5u64, "/account", ip).unwrap();
    for _ in 0..3 {
        let err = pollster::block_on(engine.verify_and_consume_limited::<u64, _, _, _, _, _>(
            &link.key,
            fixtures::ip("192.0.2.99"),
            no_stamp,
            &cache,
            &limiter,
        ))
        .unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::ClientMismatch);
    }
    let ok = pollster::block_on(engine.verify_and_consume_limited::<u64, _, _, _, _, _>(
        &link.key, ip, no_stamp, &cache, &limiter,
    ));
    assert!(ok.is_ok());
}

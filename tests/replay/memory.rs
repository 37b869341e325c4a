//! The in-memory replay cache: exactly one winner, bounded memory, fail closed.

use crate::fixtures;

use std::sync::{Arc, Barrier};

use authlink::Authlink;
use authlink::VerifyErrorKind;
use authlink::replay::MemoryReplayCache;
use authlink::replay::{Freshness, ReplayError};
use fixtures::{ClockExt as _, clock, engine, ip, verified};
use time::Duration;

/// Consumes a fresh link through `cache`.
fn consume_fresh(
    authlink: &Authlink,
    cache: &MemoryReplayCache,
) -> Result<authlink::ConsumedLink<u64>, authlink::VerifyError> {
    pollster::block_on(authlink.consume(verified(authlink, 1, "192.0.2.1"), cache))
}

#[test]
fn thirty_two_threads_consuming_one_key_give_exactly_one_success() {
    let clock = clock();
    let authlink = Arc::new(engine(&clock));
    let cache = Arc::new(MemoryReplayCache::new());
    let link = authlink.issue(&42u64, "/account", ip("192.0.2.1")).unwrap();
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let (authlink, cache, barrier, key) = (
                authlink.clone(),
                cache.clone(),
                barrier.clone(),
                link.key.clone(),
            );
            std::thread::spawn(move || {
                let verified = authlink
                    .verify::<u64>(&key, ip("192.0.2.1"))
                    .unwrap()
                    .check_stamp(None)
                    .unwrap();
                barrier.wait();
                pollster::block_on(authlink.consume(verified, &*cache))
                    .map(|l| *l.user())
                    .map_err(|e| e.kind())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Err(VerifyErrorKind::AlreadyUsed))
            .count(),
        31
    );
    assert_eq!(cache.len(), 1);
}

#[test]
fn entries_are_evicted_after_expiry_so_memory_stays_bounded() {
    let clock = clock();
    let authlink = engine(&clock);
    let cache = MemoryReplayCache::new();
    for _ in 0..5_000 {
        consume_fresh(&authlink, &cache).unwrap();
    }
    assert_eq!(cache.len(), 5_000);
    // Kept for ttl + leeway: still there one second before.
    clock.advance(std::time::Duration::from_secs(64));
    cache.purge_expired(clock.now_at());
    assert_eq!(cache.len(), 5_000);
    clock.advance(std::time::Duration::from_secs(1));
    cache.purge_expired(clock.now_at());
    assert_eq!(cache.len(), 0);
    assert!(cache.is_empty());
}

#[test]
fn inserts_evict_expired_entries_of_their_shard_on_the_way() {
    let clock = clock();
    let authlink = engine(&clock);
    let cache = MemoryReplayCache::new();
    let consume_one = || consume_fresh(&authlink, &cache).unwrap();
    for _ in 0..2_000 {
        consume_one();
    }
    clock.advance(std::time::Duration::from_secs(60 * 2));
    for _ in 0..2_000 {
        consume_one();
    }
    // Without purge_expired: each insert swept its shard, so at most the new
    // entries and the old ones of shards no new entry touched remain.
    assert!(cache.len() < 2_300, "{}", cache.len());
}

#[test]
fn a_full_cache_refuses_rather_than_forgets() {
    let clock = clock();
    let authlink = engine(&clock);
    let cache = MemoryReplayCache::with_capacity(3);
    let consume = || consume_fresh(&authlink, &cache);
    for _ in 0..3 {
        consume().unwrap();
    }
    let err = consume().unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable);
    assert_eq!(err.replay_error(), Some(&ReplayError::Full));
    assert_eq!(err.to_string(), "replay cache is unavailable");
    assert_eq!(cache.len(), 3);
    // Once those links have expired there is room again.
    clock.advance(std::time::Duration::from_secs(66));
    assert!(consume().is_ok());
    // An insert evicts its own shard only; expired entries elsewhere stay
    // counted until swept, so sweep before counting.
    cache.purge_expired(clock.now_at());
    assert_eq!(cache.len(), 1);
}

#[test]
fn the_same_link_id_under_another_key_id_is_another_entry() {
    let clock = clock();
    let cache = MemoryReplayCache::new();
    let authlink = engine(&clock);
    let key = verified(&authlink, 1, "192.0.2.1").replay_key();
    let until = clock.now_at() + Duration::minutes(1);
    assert_eq!(
        cache.mark_used_now(key, until, clock.now_at()),
        Ok(Freshness::Fresh)
    );
    assert_eq!(
        cache.mark_used_now(key, until, clock.now_at()),
        Ok(Freshness::Used)
    );
    assert_eq!(key.to_string().len(), 20);
    assert!(key.to_string().starts_with("0001"));
}

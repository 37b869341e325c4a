//! The Redis replay cache with replicas, against real `redis-server`
//! processes on loopback ports: durable mode (`WAIT` after every `SET`)
//! succeeds with a live replica and fails closed without one; a failover
//! after SIGKILL loses no marker that durable mode reported; and through
//! Redis Sentinel the cache follows a failover to the new primary.

use crate::fixtures;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use authlink::replay::ReplayError;
use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
use authlink::{VerifyError, VerifyErrorKind};
use tokio::task::block_in_place;

use crate::redis_cluster_support::{PrimaryReplica, SentinelSetup};
use crate::redis_server::RedisServer;

const CLIENT: &str = "192.0.2.7";
const WAIT: Duration = Duration::from_millis(300);

fn exists(server: &RedisServer, key: &str) -> bool {
    server.query(&format!("EXISTS {key}")).as_deref() == Some(":1\r\n")
}

#[track_caller]
fn assert_unreplicated(err: &VerifyError, acknowledged: usize, required: usize) {
    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable, "{err}");
    assert_eq!(
        err.replay_error(),
        Some(&ReplayError::Unreplicated {
            acknowledged,
            required
        }),
        "{err}"
    );
}

/// With the replica up, every consume waits for it and succeeds, and the
/// marker is on the replica when the consume returns. Asking for more
/// replicas than exist, or with the replica killed, the consume fails
/// closed; the marker it wrote on the primary still makes the link used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_mode_waits_for_the_replica_and_fails_closed_without_it() {
    let mut servers = block_in_place(PrimaryReplica::start);
    let cache = RedisReplayCache::builder()
        .durable(1, WAIT)
        .connect(&servers.primary.url())
        .await
        .unwrap();
    assert!(format!("{cache:?}").contains("replicas: 1"), "{cache:?}");
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);

    for user in 0..20 {
        let link = fixtures::verified(&engine, user, CLIENT);
        let key = cache.redis_key(link.replay_key());
        engine.consume(link.clone(), &cache).await.unwrap();
        assert!(
            block_in_place(|| exists(&servers.replica, &key)),
            "a durable consume returned before the replica had {key}"
        );
        let err = engine.consume(link, &cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }

    let greedy = RedisReplayCache::builder()
        .durable(2, WAIT)
        .connect(&servers.primary.url())
        .await
        .unwrap();
    let link = fixtures::verified(&engine, 100, CLIENT);
    let err = engine.consume(link.clone(), &greedy).await.unwrap_err();
    assert_unreplicated(&err, 1, 2);

    block_in_place(|| servers.replica.kill());
    let link = fixtures::verified(&engine, 200, CLIENT);
    let err = engine.consume(link.clone(), &cache).await.unwrap_err();
    assert_unreplicated(&err, 0, 1);
    // Refused, yet recorded on the primary: the link stays unusable, which
    // errs on the safe side.
    let err = engine.consume(link, &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
}

/// Durable consumes run while the primary is SIGKILLed; the replica is
/// promoted and a new cache points at it. Every link that was reported
/// fresh is used on the new primary: nobody logs in twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_after_kill_keeps_every_durable_marker() {
    const WORKERS: u64 = 4;
    const MAX_PER_WORKER: u64 = 10_000;
    let mut servers = block_in_place(PrimaryReplica::start);
    let cache = Arc::new(
        RedisReplayCache::builder()
            .durable(1, WAIT)
            .connect(&servers.primary.url())
            .await
            .unwrap(),
    );
    let clock = fixtures::clock();
    let engine = Arc::new(fixtures::engine_with(fixtures::binding_off(), &clock));
    let stop = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (cache, engine, stop) =
                (Arc::clone(&cache), Arc::clone(&engine), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for i in 0..MAX_PER_WORKER {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let link = fixtures::verified(&engine, worker * MAX_PER_WORKER + i, CLIENT);
                    let result = engine.consume(link.clone(), &*cache).await;
                    seen.push((link, result.map(|link| *link.user())));
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(400)).await;
    block_in_place(|| servers.primary.kill());
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.store(true, Ordering::Release);

    let mut fresh = Vec::new();
    let mut refused = 0;
    for worker in workers {
        for (link, result) in worker.await.unwrap() {
            match result {
                Ok(_) => fresh.push(link),
                Err(err) => {
                    assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable, "{err}");
                    refused += 1;
                }
            }
        }
    }
    assert!(!fresh.is_empty(), "no consume succeeded before the kill");
    assert!(refused > 0, "no consume ran after the kill");

    let promoted = block_in_place(|| servers.replica.query("REPLICAOF NO ONE"));
    assert_eq!(promoted.as_deref(), Some("+OK\r\n"));
    let promoted = RedisReplayCache::connect(&servers.replica.url())
        .await
        .unwrap();
    for link in fresh {
        let err = engine.consume(link, &promoted).await.unwrap_err();
        assert_eq!(
            err.kind(),
            VerifyErrorKind::AlreadyUsed,
            "a link reported fresh before the failover works again after it"
        );
    }
}

/// Through the Sentinel: the cache finds the primary by service name.
/// After the Sentinel promotes the replica, the same cache finds the new
/// primary by itself (the old primary answers READONLY), and links used
/// before stay used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_finds_the_primary_and_follows_a_failover() {
    let setup = block_in_place(SentinelSetup::start);
    let cache = RedisReplayCache::builder()
        // Room for the Sentinel lookup and a new connection on a busy machine.
        .timeout(Duration::from_secs(2))
        .durable(1, WAIT)
        .connect_sentinel([setup.sentinel.url()], SentinelSetup::SERVICE)
        .await
        .unwrap();
    assert!(format!("{cache:?}").contains("sentinel"), "{cache:?}");
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let before: Vec<_> = (0..10)
        .map(|user| fixtures::verified(&engine, user, CLIENT))
        .collect();
    for link in &before {
        engine.consume(link.clone(), &cache).await.unwrap();
        assert!(block_in_place(|| exists(
            &setup.servers.primary,
            &cache.redis_key(link.replay_key())
        )));
    }

    block_in_place(|| setup.fail_over());

    let after = fixtures::verified(&engine, 100, CLIENT);
    let key = cache.redis_key(after.replay_key());
    // The old primary answers READONLY, and the cache asks the Sentinel
    // again. While the Sentinel is still settling the failover it may name
    // no valid primary: those consumes fail closed, and the cache must be
    // back within a bounded number of attempts, without a restart.
    let mut result = engine.consume(after.clone(), &cache).await;
    for _ in 0..50 {
        match &result {
            Err(err) if err.kind() == VerifyErrorKind::ReplayCacheUnavailable => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                result = engine.consume(after.clone(), &cache).await;
            }
            _ => break,
        }
    }
    assert_eq!(result.map(|link| *link.user()).unwrap(), 100);
    assert!(
        block_in_place(|| exists(&setup.servers.replica, &key)),
        "the marker is not on the promoted replica"
    );
    for link in before {
        let err = engine.consume(link, &cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }
}

#[tokio::test]
async fn bad_durable_and_sentinel_settings_are_typed_errors() {
    let err = RedisReplayCache::builder()
        .durable(0, WAIT)
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::NoReplicas);
    let err = RedisReplayCache::builder()
        .durable(1, Duration::ZERO)
        .connect("redis://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::ZeroTimeout);
    let none: [&str; 0] = [];
    let err = RedisReplayCache::builder()
        .connect_sentinel(none, "mymaster")
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::NoNodes);
    let err = RedisReplayCache::builder()
        .connect_sentinel(["not a url"], "mymaster")
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::InvalidUrl);
}

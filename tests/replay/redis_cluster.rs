//! The Redis replay cache against a real three-primary Redis Cluster on
//! loopback ports: exact single use through two independent cluster
//! clients, markers spread over the primaries, and the typed errors of a
//! bad node list.

use crate::fixtures;

use std::time::Duration;

use authlink::VerifyErrorKind;
use authlink::replay::ReplayError;
use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
use tokio::task::block_in_place;

use crate::redis_cluster_support::RedisCluster;

const CLIENT: &str = "192.0.2.7";

/// Two app nodes, each with its own cluster connection (seeded from
/// different nodes), and 1,000 tasks that each verify the same token and
/// consume it: one login, 999 "already used".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_consumes_through_two_cluster_clients_have_one_winner() {
    let cluster = block_in_place(RedisCluster::start);
    let urls = cluster.urls();
    // The test is about exactness, not speed: a thousand commands queued
    // on a busy two-core machine may take longer than the default timeout.
    let builder = RedisReplayCache::builder().timeout(Duration::from_secs(10));
    let node_a = builder.clone().connect_cluster(&urls).await.unwrap();
    let node_b = builder.connect_cluster(urls.iter().rev()).await.unwrap();
    assert!(format!("{node_a:?}").contains("cluster"), "{node_a:?}");
    crate::redis::one_winner_among_a_thousand([node_a, node_b]).await;
}

/// Many links: each marker lands on the primary that owns its slot (a
/// single key, so no hash tag is needed), every primary gets some, and
/// each link works once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_spread_over_every_primary_and_each_link_works_once() {
    let cluster = block_in_place(RedisCluster::start);
    let cache = RedisReplayCache::builder()
        .prefix("spread:")
        .connect_cluster(cluster.urls())
        .await
        .unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let links: Vec<_> = (0..60)
        .map(|user| fixtures::verified(&engine, user, CLIENT))
        .collect();
    for link in &links {
        engine.consume(link.clone(), &cache).await.unwrap();
    }
    for link in &links {
        let err = engine.consume(link.clone(), &cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }
    let mut total = 0;
    for node in cluster.nodes() {
        let reply = block_in_place(|| node.query("DBSIZE")).unwrap();
        let keys: usize = reply.trim().trim_start_matches(':').parse().unwrap();
        assert!(keys > 0, "primary on port {} holds no marker", node.port());
        total += keys;
    }
    assert_eq!(total, links.len(), "one marker per link across the cluster");
}

/// Durable mode on a cluster: `WAIT` travels in the same pipeline as the
/// `SET`, so it reaches the primary that took the marker and counts its
/// replicas. These primaries have none, so every consume fails closed
/// with the typed error, and the marker still makes the link used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_mode_on_a_cluster_without_replicas_fails_closed() {
    let cluster = block_in_place(RedisCluster::start);
    let cache = RedisReplayCache::builder()
        .durable(1, Duration::from_millis(100))
        .connect_cluster(cluster.urls())
        .await
        .unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    for user in 0..6 {
        let link = fixtures::verified(&engine, user, CLIENT);
        let err = engine.consume(link.clone(), &cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::ReplayCacheUnavailable);
        assert_eq!(
            err.replay_error(),
            Some(&ReplayError::Unreplicated {
                acknowledged: 0,
                required: 1
            }),
            "{err}"
        );
        let err = engine.consume(link, &cache).await.unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);
    }
}

#[tokio::test]
async fn bad_cluster_settings_are_typed_errors() {
    let none: [&str; 0] = [];
    let err = RedisReplayCache::builder()
        .connect_cluster(none)
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::NoNodes);
    let err = RedisReplayCache::builder()
        .connect_cluster(["redis://127.0.0.1:1/", "not a url"])
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::InvalidUrl);
    let err = RedisReplayCache::builder()
        .connect_cluster(["redis://:a@127.0.0.1:1/", "redis://:b@127.0.0.1:2/"])
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::MixedCredentials);
    assert!(!format!("{err} {err:?}").contains(":a@"));
}

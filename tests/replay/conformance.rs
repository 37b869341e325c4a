//! The replay-cache conformance suite (`authlink::replay::conformance`, the
//! `test-util` feature), run once per backend: the in-memory cache always,
//! Redis and Redis Cluster with the `redis` feature.

mod memory {
    use std::sync::Arc;
    use std::time::Duration;

    use authlink::ManualClock;
    use authlink::replay::{Freshness, MemoryReplayCache, ReplayCache as _, ReplayError};
    use time::OffsetDateTime;

    use authlink::replay::conformance::{Backend, replay_keys};
    use authlink::replay_conformance;

    /// Small enough to fill in a test, large enough for the concurrency test.
    const CAPACITY: usize = 64;
    /// How long the entries that fill the cache stay live.
    const FILL_FOR: Duration = Duration::from_secs(10);

    struct Memory {
        cache: Arc<MemoryReplayCache>,
        clock: ManualClock,
    }

    impl Backend for Memory {
        type Cache = MemoryReplayCache;

        async fn start() -> Self {
            Self {
                cache: Arc::new(MemoryReplayCache::with_capacity(CAPACITY)),
                clock: crate::fixtures::clock(),
            }
        }

        fn cache(&self) -> Arc<MemoryReplayCache> {
            Arc::clone(&self.cache)
        }

        fn now(&self) -> OffsetDateTime {
            authlink::Clock::now(&self.clock)
        }

        async fn advance(&self, by: Duration) {
            self.clock.advance(by);
        }

        fn engine(&self, policy: authlink::Policy) -> authlink::Authlink {
            authlink::replay::conformance::fixture_engine(policy, self.clock.clone())
        }

        async fn sweep(&self) {
            self.cache.purge_expired(self.now());
        }

        /// Fills the cache with live entries until it says it is full.
        async fn refuse(&mut self) {
            let now = self.now();
            for key in replay_keys(CAPACITY + 1) {
                match self.cache.mark_used(key, now + FILL_FOR, now).await {
                    Ok(Freshness::Fresh) => {}
                    Err(ReplayError::Full) => return,
                    other => panic!("filling the cache answered {other:?}"),
                }
            }
            panic!(
                "a cache of capacity {CAPACITY} took {} entries",
                CAPACITY + 1
            );
        }

        /// The filling entries expire.
        async fn recover(&mut self) {
            self.advance(FILL_FOR * 2).await;
        }
    }

    replay_conformance!(Memory);
}

#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;
    use std::time::Duration;

    use authlink::replay::redis::RedisReplayCache;
    use time::OffsetDateTime;

    use crate::redis_server::RedisServer;
    use authlink::replay::conformance::Backend;
    use authlink::replay_conformance;

    /// A real server that keeps its data across a kill (append-only file,
    /// fsync on every write), so "down" is a kill and recovery a restart.
    struct Redis {
        server: RedisServer,
        cache: Arc<RedisReplayCache>,
    }

    impl Backend for Redis {
        type Cache = RedisReplayCache;

        async fn start() -> Self {
            let server = tokio::task::block_in_place(RedisServer::start_persistent);
            let cache = RedisReplayCache::builder()
                .prefix("conformance:used:")
                .connect(&server.url())
                .await
                .unwrap();
            Self {
                server,
                cache: Arc::new(cache),
            }
        }

        fn cache(&self) -> Arc<RedisReplayCache> {
            Arc::clone(&self.cache)
        }

        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::now_utc()
        }

        async fn advance(&self, by: Duration) {
            tokio::time::sleep(by).await;
        }

        fn engine(&self, policy: authlink::Policy) -> authlink::Authlink {
            authlink::replay::conformance::fixture_engine(policy, authlink::SystemClock)
        }

        /// Redis expires keys by itself.
        async fn sweep(&self) {}

        async fn refuse(&mut self) {
            tokio::task::block_in_place(|| self.server.kill());
        }

        async fn recover(&mut self) {
            tokio::task::block_in_place(|| self.server.restart());
        }
    }

    replay_conformance!(Redis);
}

#[cfg(feature = "redis")]
mod redis_cluster {
    use std::sync::Arc;
    use std::time::Duration;

    use authlink::replay::redis::RedisReplayCache;
    use time::OffsetDateTime;

    use crate::redis_cluster_support::RedisCluster;
    use authlink::replay::conformance::Backend;
    use authlink::replay_conformance;

    /// A three-primary cluster whose nodes keep their data and node files
    /// across a kill, so "down" is killing every node and recovery their
    /// restart.
    struct Cluster {
        cluster: RedisCluster,
        cache: Arc<RedisReplayCache>,
    }

    impl Backend for Cluster {
        type Cache = RedisReplayCache;

        async fn start() -> Self {
            let cluster = tokio::task::block_in_place(RedisCluster::start);
            let cache = RedisReplayCache::builder()
                .prefix("conformance:used:")
                .connect_cluster(cluster.urls())
                .await
                .unwrap();
            Self {
                cluster,
                cache: Arc::new(cache),
            }
        }

        fn cache(&self) -> Arc<RedisReplayCache> {
            Arc::clone(&self.cache)
        }

        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::now_utc()
        }

        async fn advance(&self, by: Duration) {
            tokio::time::sleep(by).await;
        }

        fn engine(&self, policy: authlink::Policy) -> authlink::Authlink {
            authlink::replay::conformance::fixture_engine(policy, authlink::SystemClock)
        }

        /// Redis expires keys by itself.
        async fn sweep(&self) {}

        async fn refuse(&mut self) {
            tokio::task::block_in_place(|| self.cluster.kill());
        }

        async fn recover(&mut self) {
            tokio::task::block_in_place(|| self.cluster.restart());
        }
    }

    replay_conformance!(Cluster);
}

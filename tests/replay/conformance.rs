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

/// Real Redis deployments whose nodes keep their data across a kill
/// (append-only file, fsync on every write), so "down" is killing every
/// node and recovery their restart: one backend, whatever the deployment.
#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;
    use std::time::Duration;

    use authlink::replay::conformance::Backend;
    use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
    use authlink::replay_conformance;
    use time::OffsetDateTime;

    use crate::redis_cluster_support::RedisCluster;
    use crate::redis_server::RedisServer;

    /// What the backend needs of a deployment.
    trait Deployment: Send + Sync + Sized + 'static {
        fn start() -> Self;
        fn connect(&self)
        -> impl Future<Output = Result<RedisReplayCache, RedisCacheError>> + Send;
        fn kill(&mut self);
        fn restart(&mut self);
    }

    impl Deployment for RedisServer {
        fn start() -> Self {
            RedisServer::start_persistent()
        }
        fn connect(
            &self,
        ) -> impl Future<Output = Result<RedisReplayCache, RedisCacheError>> + Send {
            let url = self.url();
            async move {
                RedisReplayCache::builder()
                    .prefix("conformance:used:")
                    .connect(&url)
                    .await
            }
        }
        fn kill(&mut self) {
            RedisServer::kill(self);
        }
        fn restart(&mut self) {
            RedisServer::restart(self);
        }
    }

    impl Deployment for RedisCluster {
        fn start() -> Self {
            RedisCluster::start()
        }
        fn connect(
            &self,
        ) -> impl Future<Output = Result<RedisReplayCache, RedisCacheError>> + Send {
            let urls = self.urls();
            async move {
                RedisReplayCache::builder()
                    .prefix("conformance:used:")
                    .connect_cluster(urls)
                    .await
            }
        }
        fn kill(&mut self) {
            RedisCluster::kill(self);
        }
        fn restart(&mut self) {
            RedisCluster::restart(self);
        }
    }

    struct Redis<D> {
        deployment: D,
        cache: Arc<RedisReplayCache>,
    }

    impl<D: Deployment> Backend for Redis<D> {
        type Cache = RedisReplayCache;

        async fn start() -> Self {
            let deployment = tokio::task::block_in_place(D::start);
            let cache = deployment.connect().await.unwrap();
            Self {
                deployment,
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
            tokio::task::block_in_place(|| self.deployment.kill());
        }

        async fn recover(&mut self) {
            tokio::task::block_in_place(|| self.deployment.restart());
        }
    }

    mod server {
        use super::{Redis, RedisServer, replay_conformance};
        replay_conformance!(Redis<RedisServer>);
    }

    mod cluster {
        use super::{Redis, RedisCluster, replay_conformance};
        replay_conformance!(Redis<RedisCluster>);
    }
}

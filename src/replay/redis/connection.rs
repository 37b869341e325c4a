//! One way to run a pipeline on Redis, whatever the deployment: a single
//! server, a Redis Cluster, or the primary that Redis Sentinel names. The
//! cache's command, timeout, retry and error mapping are written once, over
//! this.

use std::sync::{Arc, Mutex, PoisonError};

use ::redis::aio::{ConnectionManager, MultiplexedConnection};
use ::redis::cluster_async::ClusterConnection;
use ::redis::sentinel::SentinelClient;
use ::redis::{AsyncConnectionConfig, Pipeline, RedisError, RedisResult, ServerErrorKind, Value};

/// A connection to "the Redis that holds the marker", cheap to clone.
#[derive(Clone)]
pub(super) enum Connection {
    /// One server; the manager reconnects by itself.
    Single(ConnectionManager),
    /// A Redis Cluster; the connection routes each command to the primary
    /// of its key's slot and follows the cluster's redirections.
    Cluster(ClusterConnection),
    /// The primary that the Sentinels name, asked again after a failure.
    Sentinel(SentinelPrimary),
}

impl Connection {
    /// Runs `pipe` as one request on one connection, and once more after a
    /// failure that a new connection may cure. The retry is safe for
    /// `SET NX`: if the first attempt reached Redis, the retry finds the
    /// marker and reads "used".
    pub(super) async fn query(&mut self, pipe: &Pipeline) -> RedisResult<Vec<Value>> {
        match self.run(pipe).await {
            Err(err) if self.worth_a_retry(&err) => {
                self.forget();
                self.run(pipe).await
            }
            reply => reply,
        }
    }

    async fn run(&mut self, pipe: &Pipeline) -> RedisResult<Vec<Value>> {
        match self {
            Self::Single(manager) => pipe.query_async(manager).await,
            Self::Cluster(cluster) => pipe.query_async(cluster).await,
            Self::Sentinel(primary) => {
                let mut conn = primary.connection().await?;
                pipe.query_async(&mut conn).await
            }
        }
    }

    fn worth_a_retry(&self, err: &RedisError) -> bool {
        let connection_lost =
            err.is_io_error() || err.is_connection_dropped() || err.is_connection_refusal();
        match self {
            Self::Single(_) | Self::Cluster(_) => connection_lost,
            // A demoted primary answers READONLY: the Sentinels know the new one.
            Self::Sentinel(_) => {
                connection_lost
                    || matches!(
                        err.kind(),
                        ::redis::ErrorKind::Server(ServerErrorKind::ReadOnly)
                    )
            }
        }
    }

    /// Drops what a retry must not reuse. The manager and the cluster
    /// connection replace a dead connection on their own.
    fn forget(&self) {
        if let Self::Sentinel(primary) = self {
            primary.forget();
        }
    }
}

/// The connection to the primary that the Sentinels name, kept until a
/// command on it fails, then looked up again.
#[derive(Clone)]
pub(super) struct SentinelPrimary {
    sentinel: Arc<tokio::sync::Mutex<SentinelClient>>,
    current: Arc<Mutex<Option<MultiplexedConnection>>>,
    config: AsyncConnectionConfig,
}

impl SentinelPrimary {
    pub(super) fn new(sentinel: SentinelClient, config: AsyncConnectionConfig) -> Self {
        Self {
            sentinel: Arc::new(tokio::sync::Mutex::new(sentinel)),
            current: Arc::new(Mutex::new(None)),
            config,
        }
    }

    /// The current primary connection, or a new one to the primary the
    /// Sentinels name now. One lookup at a time: concurrent commands share
    /// its result.
    pub(super) async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let mut sentinel = self.sentinel.lock().await;
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let conn = sentinel
            .get_async_connection_with_config(&self.config)
            .await?;
        *self.slot() = Some(conn.clone());
        Ok(conn)
    }

    fn current(&self) -> Option<MultiplexedConnection> {
        self.slot().clone()
    }

    fn forget(&self) {
        *self.slot() = None;
    }

    /// The slot holds no invariant a panic could break, so a poisoned lock
    /// is used as is.
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

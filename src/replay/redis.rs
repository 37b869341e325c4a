//! The Redis replay cache: one store shared by every node, so a link works
//! once across the whole fleet.
//!
//! # The command
//!
//! Marking a link used is one atomic command:
//!
//! ```text
//! SET <prefix><replay key> 1 NX PX <milliseconds until retain_until>
//! ```
//!
//! Redis runs commands one at a time, so of any number of concurrent
//! consumers, on any number of nodes, exactly one gets `OK` (fresh) and every
//! other gets nil (used). The key is the prefix (default
//! [`DEFAULT_PREFIX`], `authlink:used:`) followed by the
//! [`ReplayKey`] in hex: the key id and the link's random id, no user data.
//! The time to live is the time until the link expires plus the policy's
//! leeway, rounded up to the millisecond, so Redis forgets the marker only
//! once the link could no longer verify anyway; memory is bounded by the
//! number of live links.
//!
//! # Fail closed
//!
//! Every command runs under a timeout (default [`DEFAULT_TIMEOUT`], 250 ms),
//! covering the wait for a connection as well as the answer. Redis down,
//! unreachable, slower than the timeout, or answering an error: the consume
//! fails with [`ReplayError::Timeout`] or [`ReplayError::Backend`], which
//! [`Authlink::consume`](crate::Authlink::consume) reports as
//! [`VerifyErrorKind::ReplayCacheUnavailable`](crate::VerifyErrorKind::ReplayCacheUnavailable).
//! Nobody is logged in; the user may retry or ask for a new link.
//!
//! A command that timed out may still reach Redis later (a frozen server
//! that wakes up runs what it was sent), so such a link may turn out used
//! although nobody was logged in with it. That errs on the safe side.
//!
//! A command that fails because the connection is gone is sent once more,
//! within the same timeout, on the connection the manager starts in its
//! place. `SET NX` makes that retry safe: if the first attempt did reach
//! Redis, the retry finds the marker and the link reads as used.
//!
//! The connection reconnects by itself: when the connection drops, the next
//! command starts one connection attempt (bounded by the connect timeout,
//! default [`DEFAULT_CONNECT_TIMEOUT`]) that the commands after it share.
//! While Redis stays down each command fails fast, and once it is back
//! consumes succeed again without a restart of the app.
//!
//! # What Redis must be configured for
//!
//! - **No eviction.** Set `maxmemory-policy noeviction`: under any evicting
//!   policy a full Redis silently drops used-markers of live links, and
//!   those links work again. With `noeviction` a full Redis answers writes
//!   with an error, and consumes fail closed instead.
//! - **Persistence.** A Redis restarted without its data forgets every
//!   marker, so each still-live link (at most one TTL's worth) could be used
//!   once more. With `appendonly yes` and `appendfsync always`, a marker is
//!   on disk before Redis answers `OK`; `appendfsync everysec` may lose the
//!   last second.
//! - **Replication and failover.** Replication is asynchronous: a primary
//!   can answer `OK` and fail before a replica has the marker, and the
//!   promoted replica then lets the link be used once more. Single use is
//!   exact while one primary lives; across a failover it is exact only for
//!   markers that had reached the new primary. `WAIT` narrows this gap but
//!   does not close it.
//! - **One primary.** The cache speaks to a single Redis node; Redis
//!   Cluster is not supported.
//!
//! # Example
//!
//! ```no_run
//! # async fn run(authlink: authlink::Authlink, token: &str, ip: std::net::IpAddr)
//! # -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use authlink::replay::redis::RedisReplayCache;
//!
//! let cache = RedisReplayCache::builder()
//!     .prefix("myapp:authlink:used:")
//!     .timeout(Duration::from_millis(200))
//!     .connect("redis://127.0.0.1:6379/")
//!     .await?;
//!
//! let link = authlink.verify::<u64>(token, ip)?.check_stamp(None)?;
//! let link = authlink.consume(link, &cache).await?;
//! # let _ = link;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError, Value};
use thiserror::Error;
use time::OffsetDateTime;

use super::{Freshness, ReplayCache, ReplayError, ReplayKey};

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "authlink:used:";

/// The default time a command may take, connection wait included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// The default time one connection attempt may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

const NANOS_PER_MILLI: i128 = 1_000_000;

/// A [`RedisReplayCache`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RedisCacheError {
    /// The URL is not one the Redis client understands. The URL itself is
    /// not repeated: it may hold a password.
    #[error("redis url is invalid (expected redis://[[user]:password@]host[:port][/db])")]
    InvalidUrl,
    /// A timeout of zero, which would refuse every link.
    #[error("redis timeouts must be greater than zero")]
    ZeroTimeout,
    /// Redis could not be reached in time, or refused the connection.
    #[error("redis is unavailable: {0}")]
    Unavailable(ReplayError),
}

/// A replay cache in Redis, shared by every node that points at the same
/// Redis. See the [module docs](crate::replay::redis) for the command, the failure
/// behaviour and the Redis settings it needs.
///
/// Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisReplayCache {
    manager: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RedisReplayCache {
    /// Connects to the Redis at `url` with the default prefix and timeouts.
    ///
    /// # Errors
    /// [`RedisCacheError::InvalidUrl`], or [`RedisCacheError::Unavailable`]
    /// when Redis does not answer within the connect timeout.
    pub async fn connect(url: &str) -> Result<Self, RedisCacheError> {
        Self::builder().connect(url).await
    }

    /// Wraps a connection manager the app already has, with the default
    /// prefix and timeout. Build the manager with
    /// [`RedisReplayCacheBuilder::manager_config`] to fail and recover as
    /// described in the module docs.
    #[must_use]
    pub fn from_manager(manager: ConnectionManager) -> Self {
        Self {
            manager,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A builder, to set the prefix and timeouts.
    #[must_use]
    pub fn builder() -> RedisReplayCacheBuilder {
        RedisReplayCacheBuilder::default()
    }

    /// The prefix of every key this cache writes.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The most a command may take before it fails with
    /// [`ReplayError::Timeout`].
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The Redis key that marks `key` as used: the prefix, then the replay
    /// key in hex.
    #[must_use]
    pub fn redis_key(&self, key: ReplayKey) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl ReplayCache for RedisReplayCache {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        let mut cmd = ::redis::cmd("SET");
        cmd.arg(self.redis_key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(retain_until, now));
        let mut conn = self.manager.clone();
        let timeout = self.timeout;
        async move {
            let attempt = async {
                match cmd.query_async::<Value>(&mut conn).await {
                    // A dead connection is replaced only when a command
                    // fails on it: retry once, within the same timeout, so
                    // the first consume after Redis returns already works.
                    Err(err) if is_connection_error(&err) => cmd.query_async(&mut conn).await,
                    reply => reply,
                }
            };
            let reply = tokio::time::timeout(timeout, attempt).await;
            match reply {
                Err(_elapsed) => Err(ReplayError::Timeout(timeout)),
                Ok(Err(err)) => Err(backend(&err)),
                Ok(Ok(Value::Okay)) => Ok(Freshness::Fresh),
                Ok(Ok(Value::SimpleString(status))) if status == "OK" => Ok(Freshness::Fresh),
                Ok(Ok(Value::Nil)) => Ok(Freshness::Used),
                Ok(Ok(_)) => Err(ReplayError::Backend(
                    "unexpected reply to SET NX".to_owned(),
                )),
            }
        }
    }
}

/// Shows the settings only: the connection's own `Debug` includes the
/// connection info, which may hold a password.
impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`RedisReplayCache`]; from [`RedisReplayCache::builder`].
#[derive(Debug, Clone)]
pub struct RedisReplayCacheBuilder {
    prefix: String,
    timeout: Duration,
    connect_timeout: Duration,
}

impl Default for RedisReplayCacheBuilder {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl RedisReplayCacheBuilder {
    /// The prefix of every key (default [`DEFAULT_PREFIX`]). Give each app
    /// sharing one Redis its own.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The most one command may take, waiting for a connection included
    /// (default [`DEFAULT_TIMEOUT`]). Past it the consume fails closed.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most one connection attempt may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]), at start-up and on every reconnect.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The connection manager settings this cache relies on: one connection
    /// attempt per reconnect, no retry loop (so a command never waits on a
    /// backoff schedule while Redis is down, and the first command after
    /// Redis is back reconnects), each attempt bounded by the connect
    /// timeout, and no response timeout of its own (the cache's timeout
    /// governs).
    #[must_use]
    pub fn manager_config(&self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None)
    }

    /// Connects to the Redis at `url` (`redis://[[user]:password@]host[:port][/db]`),
    /// waiting at most the connect timeout.
    ///
    /// # Errors
    /// [`RedisCacheError::InvalidUrl`], [`RedisCacheError::ZeroTimeout`], or
    /// [`RedisCacheError::Unavailable`] when Redis cannot be reached.
    pub async fn connect(self, url: &str) -> Result<RedisReplayCache, RedisCacheError> {
        self.check()?;
        let client = Client::open(url).map_err(|_| RedisCacheError::InvalidUrl)?;
        let connecting = ConnectionManager::new_with_config(client, self.manager_config());
        let manager = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(manager)) => manager,
            Ok(Err(err)) => return Err(RedisCacheError::Unavailable(backend(&err))),
            Err(_elapsed) => {
                return Err(RedisCacheError::Unavailable(ReplayError::Timeout(
                    self.connect_timeout,
                )));
            }
        };
        Ok(self.finish(manager))
    }

    /// Wraps a connection manager the app already has.
    ///
    /// # Errors
    /// [`RedisCacheError::ZeroTimeout`].
    pub fn build(self, manager: ConnectionManager) -> Result<RedisReplayCache, RedisCacheError> {
        self.check()?;
        Ok(self.finish(manager))
    }

    fn check(&self) -> Result<(), RedisCacheError> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(RedisCacheError::ZeroTimeout);
        }
        Ok(())
    }

    fn finish(self, manager: ConnectionManager) -> RedisReplayCache {
        RedisReplayCache {
            manager,
            prefix: self.prefix,
            timeout: self.timeout,
        }
    }
}

/// Milliseconds from `now` until `retain_until`, rounded up so the marker
/// outlives the link, and at least 1 (Redis refuses a zero expiry). An
/// absurdly distant time is passed on as is: Redis refuses it, and the
/// consume fails closed rather than keep the marker for less than asked.
fn ttl_millis(retain_until: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let nanos = (retain_until - now).whole_nanoseconds();
    let millis = (nanos + NANOS_PER_MILLI - 1).div_euclid(NANOS_PER_MILLI);
    i64::try_from(millis.max(1)).unwrap_or(i64::MAX)
}

/// Errors after which the connection manager starts a new connection.
fn is_connection_error(err: &RedisError) -> bool {
    err.is_io_error() || err.is_connection_dropped() || err.is_connection_refusal()
}

/// The client's and server's messages name the failure (refused, reset,
/// OOM, READONLY, ...) and never echo the key or the URL's password.
fn backend(err: &RedisError) -> ReplayError {
    ReplayError::Backend(err.to_string())
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    #[test]
    fn ttl_is_rounded_up_and_at_least_one_millisecond() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(ttl_millis(now + Duration::seconds(61), now), 61_000);
        assert_eq!(ttl_millis(now + Duration::nanoseconds(1), now), 1);
        assert_eq!(ttl_millis(now + Duration::microseconds(1_500), now), 2);
        assert_eq!(ttl_millis(now, now), 1);
        assert_eq!(ttl_millis(now - Duration::seconds(5), now), 1);
    }
}

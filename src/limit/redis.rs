//! The fleet-wide limiter: the same GCRA as the in-memory one, kept in
//! Redis, so a caller's rate is counted across every node.
//!
//! # The script
//!
//! Each check is one Lua script, which Redis runs atomically:
//!
//! ```text
//! tat      = max(GET <key> or now, now)        -- theoretical arrival time
//! new_tat  = tat + interval
//! allow_at = new_tat - burst * interval
//! if now < allow_at: return allow_at - now     -- refused: the wait
//! SET <key> new_tat PX ceil((new_tat - now) / 1000); return 0
//! ```
//!
//! Times are microseconds from the app's clock, so nodes must keep their
//! clocks in sync (as they must for links anyway); a node ahead by some
//! amount lets its callers act that much early, no more. A key expires when
//! its state is back to fresh, so Redis holds only the keys that acted
//! within one burst's refill time.
//!
//! The key is the prefix (default [`DEFAULT_PREFIX`]) and a keyed hash of
//! the [`LimitKey`]: 32 hex characters of HMAC-SHA256 under a key derived
//! from the app's secret. Neither a user id nor a client address is written
//! to Redis, and the hash cannot be reversed by trying every IPv4 address
//! without the secret.
//!
//! # When Redis cannot answer: fail closed, but on the abuser
//!
//! Failing closed on a limiter outage would lock every user out; failing
//! open would lift the limit from the abuser exactly when nodes are under
//! stress. Instead, while Redis is down, slow past the timeout (default
//! [`DEFAULT_TIMEOUT`]) or answering errors, each check falls back to an
//! in-process [`MemoryRateLimiter`] with the same quota. Every caller keeps
//! a limit (per node instead of per fleet: at most the quota times the
//! number of nodes), and nobody is refused for the outage itself.
//! [`fallbacks`](RedisRateLimiter::fallbacks) counts these checks, for
//! monitoring.
//!
//! # Example
//!
//! ```no_run
//! # async fn start(secret: authlink::SecretKey) -> Result<(), Box<dyn std::error::Error>> {
//! use authlink::limit::redis::RedisRateLimiter;
//! use authlink::limit::{DEFAULT_USER_QUOTA, LimitKey, RateLimiter};
//!
//! let limiter = RedisRateLimiter::builder(DEFAULT_USER_QUOTA, &secret)
//!     .prefix("myapp:authlink:limit:create:")
//!     .connect("redis://127.0.0.1:6379/")
//!     .await?;
//! limiter.check(&LimitKey::user(&42u64)).await?;
//! # Ok(())
//! # }
//! ```

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ::redis::Client;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use hkdf::Hkdf;
use hmac::{KeyInit as _, Mac as _};
use sha2::Sha256;
use thiserror::Error;
use zeroize::Zeroizing;

use super::{LimitKey, Limited, MemoryRateLimiter, Quota, RateLimiter};
use crate::clock::{Clock, SystemClock};
use crate::codec::HmacSha256;
use crate::key::SecretKey;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "authlink:limit:";

/// The default time a check may take in Redis before it falls back.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);

/// The default time one connection attempt may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

const GCRA: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return allow_at - now
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return 0
";

/// A [`RedisRateLimiter`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RedisLimiterError {
    /// The URL is not one the Redis client understands (not repeated: it
    /// may hold a password).
    #[error("redis url is invalid (expected redis://[[user]:password@]host[:port][/db])")]
    InvalidUrl,
    /// A timeout of zero.
    #[error("redis timeouts must be greater than zero")]
    ZeroTimeout,
    /// Redis could not be reached in time at start-up.
    #[error("redis is unavailable: {0}")]
    Unavailable(String),
}

/// A rate limiter in Redis, shared by every node that uses the same Redis,
/// prefix, quota and secret. See the [module docs](self). Cloning is cheap
/// and shares the connection and the fallback.
#[derive(Clone)]
pub struct RedisRateLimiter {
    manager: ConnectionManager,
    hash: HmacSha256,
    prefix: String,
    quota: Quota,
    timeout: Duration,
    clock: Arc<dyn Clock>,
    fallback: Arc<MemoryRateLimiter>,
    fallbacks: Arc<AtomicU64>,
}

impl RedisRateLimiter {
    /// A builder for a limiter applying `quota`, hashing keys under a key
    /// derived from `secret` (the app's `AUTHLINK_SECRET`; every node must
    /// pass the same).
    #[must_use]
    pub fn builder(quota: Quota, secret: &SecretKey) -> RedisRateLimiterBuilder {
        let hkdf = Hkdf::<Sha256>::new(Some(crate::keyring::KDF_SALT), secret.expose());
        let mut okm = Zeroizing::new([0u8; 64]);
        // 64 bytes is far below HKDF-SHA256's 8,160-byte limit.
        let _ = hkdf.expand(b"limit\0", okm.as_mut_slice());
        let key: &hmac::digest::Key<HmacSha256> = (&*okm).into();
        RedisRateLimiterBuilder {
            quota,
            hash: HmacSha256::new(key),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            clock: Arc::new(SystemClock),
        }
    }

    /// The Redis key of `key`: the prefix and a keyed hash, in hex.
    #[must_use]
    pub fn redis_key(&self, key: &LimitKey) -> String {
        let mut mac = self.hash.clone();
        mac.update(key.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(self.prefix.len() + 32);
        out.push_str(&self.prefix);
        for byte in &digest[..16] {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// How many checks fell back to the in-process limit because Redis did
    /// not answer, since start-up.
    #[must_use]
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    async fn check_in_redis(&self, key: &LimitKey) -> Result<Result<(), Limited>, ()> {
        let now = micros(self.clock.now());
        let interval = u64::try_from(self.quota.interval().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // EVAL with the body each time: Redis caches the compiled script by
        // its hash, and the body is a few hundred bytes.
        let mut cmd = ::redis::cmd("EVAL");
        cmd.arg(GCRA)
            .arg(1)
            .arg(self.redis_key(key))
            .arg(now)
            .arg(interval)
            .arg(self.quota.burst().get());
        let mut conn = self.manager.clone();
        let reply = tokio::time::timeout(self.timeout, cmd.query_async::<i64>(&mut conn));
        match reply.await {
            Ok(Ok(0_i64)) => Ok(Ok(())),
            Ok(Ok(wait)) if wait > 0 => Ok(Err(Limited::new(Duration::from_micros(
                wait.unsigned_abs(),
            )))),
            Ok(_) | Err(_) => Err(()),
        }
    }
}

impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &LimitKey) -> Result<(), Limited> {
        match self.check_in_redis(key).await {
            Ok(answer) => answer,
            Err(()) => {
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                self.fallback.check_now(key)
            }
        }
    }
}

fn micros(now: time::OffsetDateTime) -> i64 {
    i64::try_from(now.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// Shows the settings only: never the hash key or the connection, whose
/// own `Debug` may show a password.
impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("prefix", &self.prefix)
            .field("quota", &self.quota)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`RedisRateLimiter`]; from [`RedisRateLimiter::builder`].
pub struct RedisRateLimiterBuilder {
    quota: Quota,
    hash: HmacSha256,
    prefix: String,
    timeout: Duration,
    connect_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl RedisRateLimiterBuilder {
    /// The prefix of every key (default [`DEFAULT_PREFIX`]). Give create and
    /// consume limits, and each app sharing a Redis, their own.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The most a check may take in Redis before it falls back (default
    /// [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most one connection attempt may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Replaces the system clock, for tests and simulations.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Connects to the Redis at `url`.
    ///
    /// # Errors
    /// [`RedisLimiterError::InvalidUrl`], [`RedisLimiterError::ZeroTimeout`],
    /// or [`RedisLimiterError::Unavailable`] when Redis does not answer
    /// within the connect timeout.
    pub async fn connect(self, url: &str) -> Result<RedisRateLimiter, RedisLimiterError> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(RedisLimiterError::ZeroTimeout);
        }
        let client = Client::open(url).map_err(|_| RedisLimiterError::InvalidUrl)?;
        // Failures surface at once (the check falls back); the manager
        // reconnects on the next command.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None);
        let manager = tokio::time::timeout(
            self.connect_timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| RedisLimiterError::Unavailable("connect timed out".to_owned()))?
        .map_err(|_| RedisLimiterError::Unavailable("could not connect".to_owned()))?;
        Ok(RedisRateLimiter {
            manager,
            hash: self.hash,
            fallback: Arc::new(MemoryRateLimiter::new(self.quota)),
            prefix: self.prefix,
            quota: self.quota,
            timeout: self.timeout,
            clock: self.clock,
            fallbacks: Arc::new(AtomicU64::new(0)),
        })
    }
}

impl fmt::Debug for RedisRateLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiterBuilder")
            .field("prefix", &self.prefix)
            .field("quota", &self.quota)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

//! The Redis replay cache: one store shared by every node, so a link works
//! once across the whole fleet. It speaks to one Redis server, a Redis
//! Cluster, or the primary that Redis Sentinel names, with or without
//! passwords and TLS, and can wait for replicas before it says "fresh".
//! This page is the operations guide for all of it.
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
//! The time to live runs from the `now` the caller passes (the engine reads
//! its clock right before marking) to the link's expiry plus the policy's
//! leeway, rounded up to the millisecond, so Redis forgets the marker only
//! once the link could no longer verify anyway; memory is bounded by the
//! number of live links: about 170 bytes each.
//!
//! # Settings
//!
//! | setting | default | notes |
//! | --- | --- | --- |
//! | [`prefix`](RedisReplayCacheBuilder::prefix) | [`DEFAULT_PREFIX`], `authlink:used:` | give each app that shares a Redis its own |
//! | [`timeout`](RedisReplayCacheBuilder::timeout) | [`DEFAULT_TIMEOUT`], 250 ms | the most one consume may take, waiting for a connection included |
//! | [`connect_timeout`](RedisReplayCacheBuilder::connect_timeout) | [`DEFAULT_CONNECT_TIMEOUT`], 1 s | the most one connection attempt may take, at start-up and on reconnect |
//! | [`durable`](RedisReplayCacheBuilder::durable) | off | `WAIT` for replicas after every `SET`; see durable mode |
//!
//! # Deployments
//!
//! | Deployment | Connect with | Follows a failover |
//! | --- | --- | --- |
//! | One server (fixed primary) | [`RedisReplayCacheBuilder::connect`] | no: the URL names one node |
//! | Redis Cluster | [`RedisReplayCacheBuilder::connect_cluster`] | yes, as the cluster promotes replicas |
//! | Redis Sentinel | [`RedisReplayCacheBuilder::connect_sentinel`] | yes, by asking the Sentinels again |
//!
//! All three run the same command under the same timeout, retry and error
//! mapping.
//!
//! - **One server.** `redis://host:port/db`. The connection reconnects to
//!   that address by itself. Behind a failover mechanism of your own, point
//!   the URL at a name or address that moves with the primary.
//! - **Cluster.** Give any number of nodes' URLs (they must share one
//!   username and password); the others are found from them. Each marker is
//!   a single key, sent to the primary that owns its slot, so markers spread
//!   over all primaries, no command spans two slots (no `CROSSSLOT`), and no
//!   hash tag is needed. Do not put a hash tag (`{...}`) in the prefix: it
//!   would send every marker to one slot, and so one primary. The cluster
//!   connection follows `MOVED`/`ASK` redirections and refreshes its slot
//!   map by itself, within the command's timeout.
//! - **Sentinel.** Give the Sentinels' URLs (with their own credentials, if
//!   any) and the service name; set the primary's credentials with
//!   [`RedisReplayCacheBuilder::sentinel_primary_auth`]. The cache asks the
//!   Sentinels for the primary, keeps one connection to it, and asks again
//!   as soon as a command on it fails because the connection is lost or the
//!   node answers `READONLY` (a demoted primary); that command is retried
//!   once on the new primary, within its timeout. While the Sentinels are
//!   still electing a new primary, consumes fail closed.
//!
//! # Authentication and TLS
//!
//! Credentials go in the URL: `redis://:password@host:6379/` for the
//! default user, `redis://user:password@host:6379/` for an ACL user. The
//! cache needs only `SET` (and `WAIT` in durable mode) on its own prefix, so
//! a dedicated user can be that narrow:
//!
//! ```text
//! ACL SETUSER authlink on >password resetkeys ~authlink:used:* resetchannels -@all +set +wait +ping
//! ```
//!
//! A wrong password fails the connect with
//! [`RedisCacheError::Unavailable`]; passwords never appear in an error
//! message or a `Debug` output of the cache or its builder.
//!
//! With the `redis-tls` feature, `rediss://` URLs connect over TLS
//! (rustls, so no system OpenSSL), verifying the server's certificate and
//! name against the system's root certificates, or against a private CA
//! given with [`RedisReplayCacheBuilder::tls_root_certificate`]. For
//! Sentinel, `rediss://` Sentinel URLs mean TLS to the primary as well.
//! The feature selects rustls's `ring` provider; an app whose other
//! dependencies enable a second rustls provider must install one as the
//! process default (`CryptoProvider::install_default`) before connecting.
//!
//! # Fail closed
//!
//! Every command runs under a timeout (default [`DEFAULT_TIMEOUT`], 250 ms),
//! covering the wait for a connection as well as the answer. Redis down,
//! unreachable, slower than the timeout, or answering an error: the consume
//! fails with [`ReplayError::Timeout`] or [`ReplayError::Backend`], which
//! [`Authlink::consume`](crate::Authlink::consume) reports as
//! [`VerifyErrorKind::ReplayCacheUnavailable`](crate::VerifyErrorKind::ReplayCacheUnavailable).
//! Nobody is logged in; the user may retry or ask for a new link. The
//! `http` feature's consume endpoint then answers `503 Service Unavailable`
//! with a `Retry-After` header and no session cookie, never a redirect to
//! the target (`tests/demo/redis.rs`).
//!
//! A command that timed out may still reach Redis later (a frozen server
//! that wakes up runs what it was sent), so such a link may turn out used
//! although nobody was logged in with it. That errs on the safe side.
//!
//! A command that fails because the connection is gone is sent once more,
//! within the same timeout, on the connection that replaces it. `SET NX`
//! makes that retry safe: if the first attempt did reach Redis, the retry
//! finds the marker and the link reads as used.
//!
//! The connection reconnects by itself: when the connection drops, the next
//! command starts one connection attempt (bounded by the connect timeout,
//! default [`DEFAULT_CONNECT_TIMEOUT`]) that the commands after it share.
//! While Redis stays down each command fails fast, and once it is back
//! consumes succeed again without a restart of the app.
//!
//! # Durable mode
//!
//! Redis replication is asynchronous. **Without durable mode**, a primary
//! answers `OK` and may die before any replica has the marker; the replica
//! promoted in its place does not know the link was used, and the link
//! works once more. Single use is exact while one primary lives; across a
//! failover, the links consumed in the last moments before it may each be
//! used once more.
//!
//! [`RedisReplayCacheBuilder::durable`]`(replicas, wait_timeout)` closes
//! most of that gap: the `SET` is followed, in the same request on the same
//! connection, by `WAIT replicas wait_timeout`, and the link counts as fresh
//! only if at least `replicas` replicas acknowledged the marker. Fewer in
//! time (a replica down, lagging, or fewer replicas than asked for): the
//! consume fails closed with [`ReplayError::Unreplicated`]. The marker may
//! still exist on the primary, and reach the replicas later, so that link
//! may read as used from then on; this errs on the safe side. The wait comes
//! on top of the command timeout.
//!
//! A failover then keeps every marker that was reported fresh, provided the
//! promoted replica is one that acknowledged it: ask for as many replicas
//! as the primary has (Sentinel and Cluster promote the most up-to-date
//! replica they can reach, which with fewer acknowledgements asked for is
//! usually, but not provably, one that had the marker). `WAIT` does not make
//! Redis a consensus store; it bounds what a failover can lose to markers
//! not yet reported fresh. Durability against a restart of the same node is
//! persistence, below.
//!
//! # What Redis must be configured for
//!
//! - **No eviction.** Set `maxmemory-policy noeviction`: under any evicting
//!   policy a full Redis silently drops used-markers of live links, and
//!   those links work again. With `noeviction` a full Redis answers writes
//!   with an error, and consumes fail closed instead. On a cluster, on
//!   every primary.
//! - **Persistence.** A Redis restarted without its data forgets every
//!   marker, so each still-live link (at most one TTL's worth) could be used
//!   once more. With `appendonly yes` and `appendfsync always`, a marker is
//!   on disk before Redis answers `OK`; `appendfsync everysec` may lose the
//!   last second. Replicas should persist too, since they become primaries.
//! - **Replication and failover.** See durable mode above: without it, a
//!   failover may lose the last markers.
//!
//! ```text
//! maxmemory-policy noeviction   # never drop a marker of a live link to make room
//! appendonly yes                # keep markers across a restart
//! appendfsync always            # on disk before Redis answers OK ("everysec" may lose 1 s)
//! ```
//!
//! Size `maxmemory` for the links consumed within one TTL plus leeway, at
//! about 170 bytes each.
//!
//! # What single use guarantees
//!
//! - With one Redis primary that stays up: exactly once, across all nodes.
//! - Redis restarted: with the append-only file and `appendfsync always`,
//!   every marker Redis acknowledged survives. Without persistence the
//!   markers are lost, and each link consumed within the last TTL could be
//!   used once more before it expires.
//! - Replication and failover: without durable mode a failover may let the
//!   last links consumed before it be used once more; with it, a link is
//!   reported fresh only once replicas hold its marker. The short TTL and the
//!   client-address binding bound what such a second use can do.
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
//! // One server:
//! let cache = RedisReplayCache::builder()
//!     .prefix("myapp:authlink:used:")
//!     .timeout(Duration::from_millis(200))
//!     .connect("redis://authlink:secret@127.0.0.1:6379/")
//!     .await?;
//!
//! // Or a cluster, waiting for one replica of each marker's primary:
//! let cache = RedisReplayCache::builder()
//!     .durable(1, Duration::from_millis(100))
//!     .connect_cluster(["redis://redis-a:6379/", "redis://redis-b:6379/"])
//!     .await?;
//!
//! // Or the primary that the Sentinels name for "mymaster":
//! let cache = RedisReplayCache::builder()
//!     .sentinel_primary_auth(Some("authlink"), "secret")
//!     .connect_sentinel(["redis://sentinel-a:26379/"], "mymaster")
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
use ::redis::cluster::ClusterClientBuilder;
use ::redis::sentinel::{SentinelClientBuilder, SentinelServerType};
use ::redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, Pipeline,
    RedisError, TlsMode, Value,
};
use thiserror::Error;
use time::OffsetDateTime;

use self::connection::{Connection, SentinelPrimary};
use super::{Freshness, ReplayCache, ReplayError, ReplayKey};

mod connection;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "authlink:used:";

/// The default time a command may take, connection wait included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// The default time one connection attempt may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Retries the cluster connection makes on its own (redirections after a
/// slot moved, a node that went away), all within the cache's timeout.
const CLUSTER_RETRIES: u32 = 3;

const NANOS_PER_MILLI: i128 = 1_000_000;

/// A [`RedisReplayCache`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RedisCacheError {
    /// The URL is not one the Redis client understands. The URL itself is
    /// not repeated: it may hold a password.
    #[error(
        "redis url is invalid (expected redis[s]://[[user]:password@]host[:port][/db]; \
         rediss:// needs the `redis-tls` feature)"
    )]
    InvalidUrl,
    /// A cluster or Sentinel connection was asked for without any node.
    #[error("no redis nodes given")]
    NoNodes,
    /// Cluster nodes given with different credentials, which one cluster
    /// connection cannot use.
    #[error("redis cluster nodes must share one username and password")]
    MixedCredentials,
    /// A timeout of zero, which would refuse every link.
    #[error("redis timeouts must be greater than zero")]
    ZeroTimeout,
    /// Durable mode asked for zero replicas, which would wait for nothing.
    #[error("durable mode needs at least one replica")]
    NoReplicas,
    /// The TLS root certificate is not PEM the TLS stack can read.
    #[error("redis tls root certificate is invalid")]
    InvalidCertificate,
    /// Redis could not be reached in time, or refused the connection.
    #[error("redis is unavailable: {0}")]
    Unavailable(ReplayError),
}

/// A replay cache in Redis, shared by every node that points at the same
/// Redis: one server, a Redis Cluster, or the primary behind Redis
/// Sentinel. See the [module docs](crate::replay::redis) for the command,
/// the failure behaviour and the Redis settings it needs.
///
/// Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisReplayCache {
    connection: Connection,
    prefix: String,
    timeout: Duration,
    durable: Option<Durability>,
}

/// Durable mode: `WAIT replicas wait` after every `SET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Durability {
    replicas: usize,
    wait: Duration,
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
        RedisReplayCacheBuilder::default().finish(Connection::Single(manager))
    }

    /// A builder, to set the prefix, timeouts, TLS and durable mode, and to
    /// connect to one server, a cluster or through Sentinel.
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
    /// [`ReplayError::Timeout`]; in durable mode the wait for replicas
    /// comes on top.
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

    /// `SET <key> 1 NX PX <ttl>`, followed in durable mode by
    /// `WAIT <replicas> <ms>` in the same request on the same connection,
    /// so the replica count is about this marker's write.
    fn pipeline(&self, key: ReplayKey, ttl_millis: i64) -> Pipeline {
        let mut pipe = ::redis::pipe();
        pipe.cmd("SET")
            .arg(self.redis_key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis);
        if let Some(durable) = self.durable {
            pipe.cmd("WAIT")
                .arg(durable.replicas)
                .arg(millis_at_least_one(durable.wait));
        }
        pipe
    }
}

impl ReplayCache for RedisReplayCache {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        let pipe = self.pipeline(key, ttl_millis(retain_until, now));
        let mut connection = self.connection.clone();
        let durable = self.durable;
        let timeout = self.timeout + durable.map_or(Duration::ZERO, |durable| durable.wait);
        // Boxed: the three connection kinds' futures nest so deep that a web
        // service awaiting this one exceeded the compiler's layout depth
        // limit. One allocation is nothing next to the round trip to Redis.
        Box::pin(async move {
            let reply = tokio::time::timeout(timeout, connection.query(&pipe)).await;
            match reply {
                Err(_elapsed) => Err(ReplayError::Timeout(timeout)),
                Ok(Err(err)) => Err(backend(&err)),
                Ok(Ok(replies)) => read_replies(&replies, durable),
            }
        })
    }

    /// `DEL` of the marker.
    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        let mut pipe = ::redis::pipe();
        pipe.cmd("DEL").arg(self.redis_key(key));
        let mut connection = self.connection.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, connection.query(&pipe)).await {
                Err(_elapsed) => Err(ReplayError::Timeout(timeout)),
                Ok(Err(err)) => Err(backend(&err)),
                Ok(Ok(_)) => Ok(()),
            }
        })
    }
}

/// The answer to `SET NX` (and `WAIT`, in durable mode).
fn read_replies(replies: &[Value], durable: Option<Durability>) -> Result<Freshness, ReplayError> {
    let freshness = match replies.first() {
        Some(Value::Okay) => Freshness::Fresh,
        Some(Value::SimpleString(status)) if status == "OK" => Freshness::Fresh,
        Some(Value::Nil) => Freshness::Used,
        _ => {
            return Err(ReplayError::Backend(
                "unexpected reply to SET NX".to_owned(),
            ));
        }
    };
    let Some(durable) = durable else {
        return Ok(freshness);
    };
    // A used link is refused whatever the replicas hold.
    if freshness == Freshness::Used {
        return Ok(freshness);
    }
    match replies.get(1) {
        Some(&Value::Int(acknowledged)) => {
            let acknowledged = usize::try_from(acknowledged).unwrap_or(0);
            if acknowledged >= durable.replicas {
                Ok(Freshness::Fresh)
            } else {
                Err(ReplayError::Unreplicated {
                    acknowledged,
                    required: durable.replicas,
                })
            }
        }
        _ => Err(ReplayError::Backend("unexpected reply to WAIT".to_owned())),
    }
}

/// Shows the settings only: the connection's own `Debug` includes the
/// connection info, which may hold a password.
impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let topology = match self.connection {
            Connection::Single(_) => "single",
            Connection::Cluster(_) => "cluster",
            Connection::Sentinel(_) => "sentinel",
        };
        f.debug_struct("RedisReplayCache")
            .field("topology", &topology)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`RedisReplayCache`]; from [`RedisReplayCache::builder`].
#[derive(Clone)]
pub struct RedisReplayCacheBuilder {
    prefix: String,
    timeout: Duration,
    connect_timeout: Duration,
    durable: Option<Durability>,
    primary_username: Option<String>,
    primary_password: Option<String>,
    #[cfg(feature = "redis-tls")]
    root_certificate: Option<Vec<u8>>,
}

impl Default for RedisReplayCacheBuilder {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            durable: None,
            primary_username: None,
            primary_password: None,
            #[cfg(feature = "redis-tls")]
            root_certificate: None,
        }
    }
}

/// Leaves out the Sentinel primary's credentials.
impl fmt::Debug for RedisReplayCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCacheBuilder")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("durable", &self.durable)
            .finish_non_exhaustive()
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

    /// Durable mode: a link counts as fresh only once at least `replicas`
    /// replicas acknowledged its marker, waiting at most `wait_timeout`
    /// (`WAIT replicas wait_timeout` right after the `SET`, on the same
    /// connection). Fewer in time: the consume fails closed with
    /// [`ReplayError::Unreplicated`]. The wait comes on top of the command
    /// timeout. See the [module docs](crate::replay::redis#durable-mode).
    #[must_use]
    pub fn durable(mut self, replicas: usize, wait_timeout: Duration) -> Self {
        self.durable = Some(Durability {
            replicas,
            wait: wait_timeout,
        });
        self
    }

    /// The username (for a Redis ACL user) and password of the primary that
    /// [`connect_sentinel`](Self::connect_sentinel) finds. The Sentinels'
    /// own credentials go in their URLs. Not used by the other connects,
    /// whose URLs carry the credentials.
    #[must_use]
    pub fn sentinel_primary_auth(
        mut self,
        username: Option<impl Into<String>>,
        password: impl Into<String>,
    ) -> Self {
        self.primary_username = username.map(Into::into);
        self.primary_password = Some(password.into());
        self
    }

    /// Trusts this CA certificate (PEM) for `rediss://` connections instead
    /// of the system's roots, for a Redis with a private CA.
    #[cfg(feature = "redis-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-tls")))]
    #[must_use]
    pub fn tls_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificate = Some(pem.into());
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

    /// Connects to the Redis at `url`
    /// (`redis[s]://[[user]:password@]host[:port][/db]`), waiting at most
    /// the connect timeout.
    ///
    /// # Errors
    /// [`RedisCacheError::InvalidUrl`], [`RedisCacheError::ZeroTimeout`],
    /// [`RedisCacheError::NoReplicas`], [`RedisCacheError::InvalidCertificate`],
    /// or [`RedisCacheError::Unavailable`] when Redis cannot be reached.
    pub async fn connect(self, url: &str) -> Result<RedisReplayCache, RedisCacheError> {
        self.check()?;
        let client = self.client(parse(url)?)?;
        let connecting = ConnectionManager::new_with_config(client, self.manager_config());
        let manager = self.within_connect_timeout(connecting).await?;
        Ok(self.finish(Connection::Single(manager)))
    }

    /// Connects to a Redis Cluster through any of its `nodes` (URLs as for
    /// [`connect`](Self::connect), sharing one username and password); the
    /// cluster's other nodes are found from them.
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and [`RedisCacheError::NoNodes`] or
    /// [`RedisCacheError::MixedCredentials`].
    pub async fn connect_cluster<I, S>(self, nodes: I) -> Result<RedisReplayCache, RedisCacheError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.check()?;
        let nodes = parse_all(nodes)?;
        let Some(first) = nodes.first() else {
            return Err(RedisCacheError::NoNodes);
        };
        let auth = |node: &ConnectionInfo| {
            let settings = node.redis_settings();
            (
                settings.username().map(str::to_owned),
                settings.password().map(str::to_owned),
            )
        };
        let first_auth = auth(first);
        if nodes.iter().any(|node| auth(node) != first_auth) {
            return Err(RedisCacheError::MixedCredentials);
        }
        let builder = ClusterClientBuilder::new(nodes)
            .connection_timeout(self.connect_timeout)
            .retries(CLUSTER_RETRIES);
        #[cfg(feature = "redis-tls")]
        let builder = match self.certificates() {
            Some(certificates) => builder.certs(certificates),
            None => builder,
        };
        let client = builder.build().map_err(|_| RedisCacheError::InvalidUrl)?;
        let cluster = self
            .within_connect_timeout(client.get_async_connection())
            .await?;
        Ok(self.finish(Connection::Cluster(cluster)))
    }

    /// Connects to the primary of `service_name` that the Sentinels at
    /// `sentinels` (URLs, credentials for the Sentinels themselves
    /// included) name, and asks them again whenever that primary fails or
    /// turns read-only. The primary's credentials are set with
    /// [`sentinel_primary_auth`](Self::sentinel_primary_auth); it is
    /// reached over TLS when the Sentinel URLs are `rediss://`.
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and [`RedisCacheError::NoNodes`].
    pub async fn connect_sentinel<I, S>(
        self,
        sentinels: I,
        service_name: &str,
    ) -> Result<RedisReplayCache, RedisCacheError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.check()?;
        let sentinels = parse_all(sentinels)?;
        let Some(first) = sentinels.first() else {
            return Err(RedisCacheError::NoNodes);
        };
        let sentinel_settings = first.redis_settings().clone();
        let tls = matches!(first.addr(), ConnectionAddr::TcpTls { .. });
        let addrs = sentinels.iter().map(|node| node.addr().clone());
        let mut builder =
            SentinelClientBuilder::new(addrs, service_name, SentinelServerType::Master)
                .map_err(|_| RedisCacheError::InvalidUrl)?;
        if let Some(username) = sentinel_settings.username() {
            builder = builder.set_client_to_sentinel_username(username);
        }
        if let Some(password) = sentinel_settings.password() {
            builder = builder.set_client_to_sentinel_password(password);
        }
        if let Some(username) = &self.primary_username {
            builder = builder.set_client_to_redis_username(username);
        }
        if let Some(password) = &self.primary_password {
            builder = builder.set_client_to_redis_password(password);
        }
        if tls {
            builder = builder.set_client_to_redis_tls_mode(TlsMode::Secure);
            #[cfg(feature = "redis-tls")]
            if let Some(certificates) = self.certificates() {
                builder = builder
                    .set_client_to_sentinel_certificates(certificates.clone())
                    .set_client_to_redis_certificates(certificates);
            }
        }
        let sentinel = builder.build().map_err(|_| RedisCacheError::InvalidUrl)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None);
        let primary = SentinelPrimary::new(sentinel, config);
        self.within_connect_timeout(primary.connection()).await?;
        Ok(self.finish(Connection::Sentinel(primary)))
    }

    /// Wraps a connection manager the app already has.
    ///
    /// # Errors
    /// [`RedisCacheError::ZeroTimeout`] or [`RedisCacheError::NoReplicas`].
    pub fn build(self, manager: ConnectionManager) -> Result<RedisReplayCache, RedisCacheError> {
        self.check()?;
        Ok(self.finish(Connection::Single(manager)))
    }

    fn check(&self) -> Result<(), RedisCacheError> {
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(RedisCacheError::ZeroTimeout);
        }
        #[cfg(feature = "redis-tls")]
        if let Some(pem) = &self.root_certificate {
            check_certificate(pem)?;
        }
        match self.durable {
            Some(durable) if durable.replicas == 0 => Err(RedisCacheError::NoReplicas),
            // `WAIT n 0` would block for ever.
            Some(durable) if durable.wait.is_zero() => Err(RedisCacheError::ZeroTimeout),
            _ => Ok(()),
        }
    }

    fn client(&self, info: ConnectionInfo) -> Result<Client, RedisCacheError> {
        #[cfg(feature = "redis-tls")]
        if let Some(certificates) = self.certificates() {
            return Client::build_with_tls(info, certificates)
                .map_err(|_| RedisCacheError::InvalidCertificate);
        }
        Client::open(info).map_err(|_| RedisCacheError::InvalidUrl)
    }

    #[cfg(feature = "redis-tls")]
    fn certificates(&self) -> Option<::redis::TlsCertificates> {
        self.root_certificate
            .clone()
            .map(|root_cert| ::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            })
    }

    async fn within_connect_timeout<T>(
        &self,
        connecting: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisCacheError> {
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(err)) => Err(RedisCacheError::Unavailable(backend(&err))),
            Err(_elapsed) => Err(RedisCacheError::Unavailable(ReplayError::Timeout(
                self.connect_timeout,
            ))),
        }
    }

    fn finish(self, connection: Connection) -> RedisReplayCache {
        RedisReplayCache {
            connection,
            prefix: self.prefix,
            timeout: self.timeout,
            durable: self.durable,
        }
    }
}

/// At least one certificate, and nothing that fails to decode: the TLS
/// stack would otherwise skip what it cannot read and trust nothing.
#[cfg(feature = "redis-tls")]
fn check_certificate(pem: &[u8]) -> Result<(), RedisCacheError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;

    let mut found = false;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        certificate.map_err(|_| RedisCacheError::InvalidCertificate)?;
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(RedisCacheError::InvalidCertificate)
    }
}

/// A URL the client understands; without the `redis-tls` feature that
/// excludes `rediss://`.
fn parse(url: &str) -> Result<ConnectionInfo, RedisCacheError> {
    url.into_connection_info()
        .map_err(|_| RedisCacheError::InvalidUrl)
}

fn parse_all<I, S>(urls: I) -> Result<Vec<ConnectionInfo>, RedisCacheError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    urls.into_iter().map(|url| parse(url.as_ref())).collect()
}

/// Whole milliseconds, rounded up, at least 1 (`WAIT n 0` waits for ever).
fn millis_at_least_one(duration: Duration) -> u64 {
    let millis = duration.as_nanos().div_ceil(1_000_000).max(1);
    u64::try_from(millis).unwrap_or(u64::MAX)
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

/// The client's and server's messages name the failure (refused, reset,
/// OOM, READONLY, NOPERM, ...) and never echo the key or the URL's
/// password. A command's error inside the pipeline is reported as Redis
/// sent it, `CODE detail`, not as the client's pipeline summary.
fn backend(err: &RedisError) -> ReplayError {
    let first = err
        .clone()
        .into_server_errors()
        .and_then(|errors| errors.first().map(|(_, error)| error.clone()));
    match first {
        Some(error) => ReplayError::Backend(match error.details() {
            Some(details) => format!("{} {details}", error.code()),
            None => error.code().to_owned(),
        }),
        None => ReplayError::Backend(err.to_string()),
    }
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

    #[test]
    fn durable_replies_count_replicas_only_for_a_fresh_marker() {
        let durable = Some(Durability {
            replicas: 2,
            wait: std::time::Duration::from_millis(10),
        });
        let fresh = |acks| read_replies(&[Value::Okay, Value::Int(acks)], durable);
        assert_eq!(fresh(2), Ok(Freshness::Fresh));
        assert_eq!(fresh(3), Ok(Freshness::Fresh));
        assert_eq!(
            fresh(1),
            Err(ReplayError::Unreplicated {
                acknowledged: 1,
                required: 2
            })
        );
        assert_eq!(
            read_replies(&[Value::Nil, Value::Int(0)], durable),
            Ok(Freshness::Used)
        );
        assert!(matches!(
            read_replies(&[Value::Okay], durable),
            Err(ReplayError::Backend(_))
        ));
        assert_eq!(read_replies(&[Value::Okay], None), Ok(Freshness::Fresh));
        assert_eq!(read_replies(&[Value::Nil], None), Ok(Freshness::Used));
        assert!(matches!(
            read_replies(&[Value::Int(1)], None),
            Err(ReplayError::Backend(_))
        ));
    }

    #[test]
    fn wait_milliseconds_round_up_and_are_never_zero() {
        use std::time::Duration;
        assert_eq!(millis_at_least_one(Duration::from_nanos(1)), 1);
        assert_eq!(millis_at_least_one(Duration::from_micros(1_500)), 2);
        assert_eq!(millis_at_least_one(Duration::from_millis(300)), 300);
    }
}

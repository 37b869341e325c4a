//! Rate limits: fail closed, but on the abuser.
//!
//! A [`RateLimiter`] answers one question: may the caller named by a
//! [`LimitKey`] act now, or must it wait ([`Limited`], with the time until
//! it may try again)? Keys name an API user ([`LimitKey::user`]) or a client
//! network ([`LimitKey::client`]), so one caller that goes past its rate is
//! refused while every other caller goes on.
//!
//! Backends: [`NoLimit`] (the named opt-out), `MemoryRateLimiter` (feature
//! `limit`, one process, on the `governor` crate) and
//! `redis::RedisRateLimiter` (features `limit` and `redis`, shared by a
//! fleet). [`BoxRateLimiter`] holds whichever an app chooses at start-up.
//! Every backend applies the same [`Quota`], a GCRA: a burst of
//! [`Quota::burst`] at once, then one more every [`Quota::interval`].
//!
//! # Where the limits apply
//!
//! - **Create** ([`CreateLimits`]): per API user and per client network,
//!   before a link is issued. A refusal is `429 Too Many Requests` with
//!   `Retry-After: `[`Limited::retry_after_secs`].
//! - **Consume**
//!   ([`Authlink::verify_and_consume_limited`](crate::Authlink::verify_and_consume_limited)):
//!   per link user, after the link verified and before the stamp lookup and
//!   the replay cache. A refusal is
//!   [`VerifyErrorKind::RateLimited`](crate::VerifyErrorKind::RateLimited),
//!   shown as [`FailureReason::RateLimited`](crate::FailureReason::RateLimited)
//!   (code `rate_limited`); the link is not used up.
//!
//! # The defaults, and the attack they stop
//!
//! Each consumed link holds a replay-cache entry until its expiry plus the
//! leeway: at most ttl + leeway = 65 s with the default policy. Without a
//! limit, one API user that creates and consumes links in a loop fills the
//! in-memory cache's 1,000,000 entries in seconds, and from then on every
//! other user's link is refused as `unavailable`.
//!
//! With a per-user consume quota of N a minute and a burst of B, one user
//! inserts at most B + N × 65 / 60 entries in any 65 s, so at most that many
//! of the user's entries are live at once: the cache's capacity is shared
//! out per user. With [`DEFAULT_USER_QUOTA`] (20 a minute, burst 20) that is
//! about 41 entries, so filling the default cache takes more than 24,000
//! accounts acting together. The same quota on create bounds the links one
//! user can hold, and so the entries they can make, also for links consumed
//! on other nodes. [`DEFAULT_CLIENT_QUOTA`] (60 a minute) limits creates from
//! one network across all its accounts, and is higher because users behind
//! one NAT share an address.
//!
//! | limit | default | stops |
//! |---|---|---|
//! | create, per API user | [`DEFAULT_USER_QUOTA`]: 20/min, burst 20 | one account minting links to fill the replay cache |
//! | create, per client network | [`DEFAULT_CLIENT_QUOTA`]: 60/min, burst 60 | many accounts from one network doing the same |
//! | consume, per link user | [`DEFAULT_USER_QUOTA`] | one user's entries taking more than their share of the replay cache |
//!
//! Use separate limiters (in Redis, separate prefixes) for create and
//! consume, so one does not spend the other's allowance.
//!
//! # Example
//!
//! ```
//! use std::net::IpAddr;
//!
//! use authlink::limit::{CreateLimits, LimitKey, NoLimit, RateLimiter};
//!
//! let client: IpAddr = "203.0.113.9".parse()?;
//! // An app that turned limits off; a real one passes MemoryRateLimiter or
//! // RedisRateLimiter instances.
//! let limits = CreateLimits::new(NoLimit, NoLimit);
//! pollster::block_on(limits.check(&42u64, client))?;
//! pollster::block_on(NoLimit.check(&LimitKey::client(client)))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::{Future, ready};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::user::UserId;

#[cfg(feature = "limit")]
mod memory;
#[cfg(all(feature = "limit", feature = "redis"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "limit", feature = "redis"))))]
pub mod redis;

#[cfg(feature = "limit")]
#[cfg_attr(docsrs, doc(cfg(feature = "limit")))]
pub use memory::{DEFAULT_CAPACITY, MemoryRateLimiter};

/// 20 a minute, with a burst of 20: per API user on create, per link user
/// on consume. See the [module docs](self) for the attack it stops.
pub const DEFAULT_USER_QUOTA: Quota = Quota::per_minute(nonzero(20));

/// 60 a minute, with a burst of 60: per client network on create.
pub const DEFAULT_CLIENT_QUOTA: Quota = Quota::per_minute(nonzero(60));

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// How often a key may act: `count` times per `period`, in a burst of up to
/// `burst` at once (by default `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    count: NonZeroU32,
    period: Duration,
    burst: NonZeroU32,
}

impl Quota {
    /// `count` a second.
    #[must_use]
    pub const fn per_second(count: NonZeroU32) -> Self {
        Self::per(count, Duration::from_secs(1))
    }

    /// `count` a minute.
    #[must_use]
    pub const fn per_minute(count: NonZeroU32) -> Self {
        Self::per(count, Duration::from_secs(60))
    }

    /// `count` an hour.
    #[must_use]
    pub const fn per_hour(count: NonZeroU32) -> Self {
        Self::per(count, Duration::from_secs(3600))
    }

    pub(crate) const fn per(count: NonZeroU32, period: Duration) -> Self {
        Self {
            count,
            period,
            burst: count,
        }
    }

    /// The same rate, with a burst of `burst`.
    #[must_use]
    pub const fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = burst;
        self
    }

    /// How many may act at once, after a quiet period.
    #[must_use]
    pub const fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The time after which one more may act: the period divided by the
    /// count, at least one nanosecond.
    #[must_use]
    pub fn interval(&self) -> Duration {
        (self.period / self.count.get()).max(Duration::from_nanos(1))
    }
}

/// The caller a limit applies to. Holds an encoding of the user id or the
/// client network, never shown: `Debug` names only which kind of key it is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LimitKey(Box<[u8]>);

const SCOPE_USER: u8 = 1;
const SCOPE_CLIENT: u8 = 2;
const SCOPE_ADDRESS: u8 = 3;
const SCOPE_SIGN_IN: u8 = 4;

impl LimitKey {
    /// The key of an API user, or of a link's user: the id's
    /// [kind](UserId::KIND) and its serialized bytes, so ids of different
    /// kinds never share a key.
    ///
    /// An id whose `Serialize` fails (issuing a link for it fails too)
    /// gets the key of its kind alone, shared by every such id.
    #[must_use]
    pub fn user<U: UserId + ?Sized>(user: &U) -> Self {
        let kind = U::KIND.as_bytes();
        let id = postcard::to_allocvec(user).unwrap_or_default();
        let mut bytes = Vec::with_capacity(1 + 8 + kind.len() + id.len());
        bytes.push(SCOPE_USER);
        // Length-prefixed, so no (kind, id) pair can spell another.
        bytes.extend_from_slice(&(kind.len() as u64).to_be_bytes());
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(&id);
        Self(bytes.into())
    }

    /// The key of an email address, from its keyed hash
    /// ([`MailSignIn::address_key`](crate::mail::MailSignIn::address_key)).
    pub(crate) fn address(hash: [u8; 8]) -> Self {
        let mut bytes = Vec::with_capacity(1 + hash.len());
        bytes.push(SCOPE_ADDRESS);
        bytes.extend_from_slice(&hash);
        Self(bytes.into())
    }

    /// The key of one pending email sign-in, by its replay key.
    #[cfg(feature = "web")]
    pub(crate) fn sign_in(key: crate::replay::ReplayKey) -> Self {
        let mut bytes = vec![SCOPE_SIGN_IN];
        bytes.extend_from_slice(&key.key_id().get().to_be_bytes());
        bytes.extend_from_slice(&key.link_id());
        Self(bytes.into())
    }

    /// The key of a client network: an IPv4 address as it is (IPv4-mapped
    /// IPv6 counts as IPv4), an IPv6 address by its /64, since one
    /// subscriber commonly holds a whole /64 and could otherwise take a new
    /// key for every request.
    #[must_use]
    pub fn client(ip: IpAddr) -> Self {
        let mut bytes = vec![SCOPE_CLIENT];
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                bytes.push(4);
                bytes.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                bytes.push(6);
                bytes.extend_from_slice(&v6.octets()[..8]);
            }
        }
        Self(bytes.into())
    }

    /// The encoded key, for backends that store it (hash it before it
    /// leaves the process: it holds the user id or the client network).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn scope(&self) -> &'static str {
        match self.0.first() {
            Some(&SCOPE_USER) => "user",
            Some(&SCOPE_CLIENT) => "client",
            Some(&SCOPE_ADDRESS) => "address",
            Some(&SCOPE_SIGN_IN) => "sign_in",
            _ => "other",
        }
    }
}

/// Names the kind of key only: the bytes hold a user id or an address.
impl fmt::Debug for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LimitKey({})", self.scope())
    }
}

/// A caller went past its rate: it may try again after
/// [`retry_after`](Self::retry_after).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("rate limit reached; retry in {} s", self.retry_after_secs())]
pub struct Limited {
    retry_after: Duration,
}

impl Limited {
    /// A refusal that lasts `retry_after`.
    #[must_use]
    pub const fn new(retry_after: Duration) -> Self {
        Self { retry_after }
    }

    /// How long until the caller may act again.
    #[must_use]
    pub const fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// [`retry_after`](Self::retry_after) in whole seconds, rounded up and at
    /// least 1: the value of a `Retry-After` header.
    #[must_use]
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        let secs = if self.retry_after.subsec_nanos() > 0 {
            secs.saturating_add(1)
        } else {
            secs
        };
        secs.max(1)
    }
}

/// Decides whether the caller named by a key may act now.
///
/// A backend counts every call that it allows; a refused call counts
/// nothing. It answers `Ok` or [`Limited`] only: a backend that cannot
/// reach its store decides for itself (the Redis limiter falls back to a
/// per-process limit), so a limiter outage never locks every user out.
pub trait RateLimiter: Send + Sync {
    /// Counts one action by `key`, or refuses it.
    ///
    /// # Errors
    /// [`Limited`] when `key` is past its rate.
    fn check(&self, key: &LimitKey) -> impl Future<Output = Result<(), Limited>> + Send;
}

/// Limits nothing: the named opt-out (`AUTHLINK_LINKS_PER_MINUTE=0`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLimit;

impl RateLimiter for NoLimit {
    fn check(&self, _key: &LimitKey) -> impl Future<Output = Result<(), Limited>> + Send {
        ready(Ok(()))
    }
}

/// Any [`RateLimiter`] behind one type, so an app picks memory, Redis or
/// [`NoLimit`] at start-up. Cloning shares the limiter.
///
/// ```
/// use authlink::limit::{BoxRateLimiter, NoLimit};
///
/// let limiter = BoxRateLimiter::new(NoLimit);
/// # let _ = limiter;
/// ```
#[derive(Clone)]
pub struct BoxRateLimiter(Arc<dyn DynRateLimiter>);

impl BoxRateLimiter {
    /// Boxes `limiter`.
    pub fn new(limiter: impl RateLimiter + 'static) -> Self {
        Self(Arc::new(limiter))
    }
}

impl fmt::Debug for BoxRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxRateLimiter")
    }
}

impl RateLimiter for BoxRateLimiter {
    async fn check(&self, key: &LimitKey) -> Result<(), Limited> {
        self.0.check_boxed(key).await
    }
}

type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Limited>> + Send + 'a>>;

/// [`RateLimiter`] with a boxed future, so it can be a trait object.
trait DynRateLimiter: Send + Sync {
    fn check_boxed<'a>(&'a self, key: &'a LimitKey) -> CheckFuture<'a>;
}

impl<L: RateLimiter> DynRateLimiter for L {
    fn check_boxed<'a>(&'a self, key: &'a LimitKey) -> CheckFuture<'a> {
        Box::pin(self.check(key))
    }
}

/// The limits of the create endpoint: one limiter per API user, one per
/// client network. Cloning shares both.
#[derive(Clone, Debug)]
pub struct CreateLimits {
    user: BoxRateLimiter,
    client: BoxRateLimiter,
}

impl CreateLimits {
    /// Limits per API user with `user`, per client network with `client`.
    pub fn new(user: impl RateLimiter + 'static, client: impl RateLimiter + 'static) -> Self {
        Self {
            user: BoxRateLimiter::new(user),
            client: BoxRateLimiter::new(client),
        }
    }

    /// No limits.
    #[must_use]
    pub fn off() -> Self {
        Self::new(NoLimit, NoLimit)
    }

    /// Counts one link created by `user` from `client_ip`, or refuses it.
    /// The user is checked first, so a user past its rate does not spend
    /// its network's allowance.
    ///
    /// # Errors
    /// [`Limited`] when the user or the network is past its rate; answer
    /// `429 Too Many Requests` with `Retry-After`.
    pub async fn check<U: UserId + ?Sized>(
        &self,
        user: &U,
        client_ip: IpAddr,
    ) -> Result<(), Limited> {
        self.user.check(&LimitKey::user(user)).await?;
        self.client.check(&LimitKey::client(client_ip)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_kinds_users_and_networks_apart() {
        assert_ne!(LimitKey::user(&7u64), LimitKey::user(&7u32));
        assert_ne!(LimitKey::user(&7u64), LimitKey::user(&8u64));
        assert_eq!(LimitKey::user("alice"), LimitKey::user(&"alice".to_owned()));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            LimitKey::client(ip("2001:db8::1")),
            LimitKey::client(ip("2001:db8::ffff:1"))
        );
        assert_ne!(
            LimitKey::client(ip("2001:db8::1")),
            LimitKey::client(ip("2001:db8:0:1::1"))
        );
        assert_eq!(
            LimitKey::client(ip("::ffff:192.0.2.1")),
            LimitKey::client(ip("192.0.2.1"))
        );
        assert_ne!(
            LimitKey::client(ip("192.0.2.1")),
            LimitKey::client(ip("192.0.2.2"))
        );
    }

    #[test]
    fn debug_shows_no_id_or_address() {
        let user = format!("{:?}", LimitKey::user("alice"));
        let client = format!("{:?}", LimitKey::client("192.0.2.1".parse().unwrap()));
        assert_eq!(
            (user.as_str(), client.as_str()),
            ("LimitKey(user)", "LimitKey(client)")
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let secs = |d| Limited::new(d).retry_after_secs();
        assert_eq!(secs(Duration::ZERO), 1);
        assert_eq!(secs(Duration::from_millis(1)), 1);
        assert_eq!(secs(Duration::from_secs(3)), 3);
        assert_eq!(secs(Duration::from_millis(3001)), 4);
    }

    #[test]
    fn quota_interval_is_the_period_over_the_count() {
        assert_eq!(DEFAULT_USER_QUOTA.interval(), Duration::from_secs(3));
        assert_eq!(DEFAULT_USER_QUOTA.burst().get(), 20);
        let quota = Quota::per_second(nonzero(u32::MAX)).with_burst(nonzero(2));
        assert_eq!(quota.interval(), Duration::from_nanos(1));
        assert_eq!(quota.burst().get(), 2);
    }
}

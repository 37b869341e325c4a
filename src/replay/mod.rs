//! Single use: the one piece of shared state. A [`ReplayCache`] remembers
//! which links were consumed, until they could no longer verify anyway.
//!
//! A backend implements one atomic operation, "record this link id unless it
//! is recorded, and keep it until this time", so that of any number of
//! concurrent consumers of one link exactly one is told [`Freshness::Fresh`];
//! and its undo, "forget this link id", for the one consumer whose login
//! then failed, so that a failed login burns no link.
//!
//! [`MemoryReplayCache`] serves one process; `redis::RedisReplayCache`
//! (feature `redis`) serves every node that shares one Redis;
//! [`ReusableLinks`] records nothing, the named opt-out of single use. To
//! choose among them at start-up, wrap the one chosen in a
//! [`BoxReplayCache`]. A new backend proves itself by passing the
//! conformance suite in `replay::conformance` (feature `test-util`).
//!
//! # A custom backend
//!
//! ```
//! use std::collections::HashMap;
//! use std::future::Future;
//! use std::sync::Mutex;
//!
//! use authlink::replay::{Freshness, ReplayCache, ReplayError, ReplayKey};
//! use time::OffsetDateTime;
//!
//! /// Never forgets (so never bounded): a sketch, not for production.
//! #[derive(Default)]
//! struct Forever(Mutex<HashMap<ReplayKey, OffsetDateTime>>);
//!
//! impl ReplayCache for Forever {
//!     fn mark_used(
//!         &self,
//!         key: ReplayKey,
//!         retain_until: OffsetDateTime,
//!         _now: OffsetDateTime,
//!     ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
//!         let result = match self.0.lock() {
//!             Ok(mut used) => match used.insert(key, retain_until) {
//!                 None => Ok(Freshness::Fresh),
//!                 Some(_) => Ok(Freshness::Used),
//!             },
//!             Err(_) => Err(ReplayError::Backend("lock poisoned".into())),
//!         };
//!         std::future::ready(result)
//!     }
//!
//!     fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
//!         let result = match self.0.lock() {
//!             Ok(mut used) => {
//!                 used.remove(&key);
//!                 Ok(())
//!             }
//!             Err(_) => Err(ReplayError::Backend("lock poisoned".into())),
//!         };
//!         std::future::ready(result)
//!     }
//! }
//! ```

use std::fmt;
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::Arc;

use thiserror::Error;
use time::OffsetDateTime;

use crate::claims::LINK_ID_LEN;
use crate::key::KeyId;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod conformance;
mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

pub use memory::MemoryReplayCache;

/// Identifies one issued link: its key id and random link id, both taken from
/// the authenticated token (never from the raw string). Carries no user data.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplayKey {
    key_id: KeyId,
    link_id: [u8; LINK_ID_LEN],
}

impl ReplayKey {
    pub(crate) fn new(key_id: KeyId, link_id: [u8; LINK_ID_LEN]) -> Self {
        Self { key_id, link_id }
    }

    /// The id of the key the link was signed with.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The link's random id.
    #[must_use]
    pub fn link_id(&self) -> [u8; LINK_ID_LEN] {
        self.link_id
    }

    /// Which of `shards` holds this key: a middle byte of the random link
    /// id, so neither end of the memory cache's hash (its last eight bytes)
    /// is the same across a shard.
    pub(crate) fn shard(&self, shards: usize) -> usize {
        usize::from(self.link_id[LINK_ID_LEN / 2]) % shards
    }
}

/// Lowercase hex, key id then link id: `0001a3f0…`, fit for a storage key.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.key_id.get())?;
        self.link_id.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({self})")
    }
}

/// What a replay cache says of a link it was asked to mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Not seen before; now recorded. The caller may proceed.
    Fresh,
    /// Recorded already: the link was used.
    Used,
}

/// A replay cache could not answer. Verification fails closed on any of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// Full of entries for links that are still valid; none can be dropped.
    #[error("replay cache is full of unexpired entries")]
    Full,
    /// The backend did not answer in time.
    #[error("replay cache did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The backend answered with an error or could not be reached.
    #[error("replay cache backend failed: {0}")]
    Backend(String),
    /// The link was recorded, but fewer replicas than required acknowledged
    /// the record in time (a replicated backend's durable mode). The record
    /// may still exist, so the link may read as used later.
    #[error("replay cache record reached {acknowledged} of {required} required replicas in time")]
    Unreplicated {
        /// Replicas that acknowledged the record.
        acknowledged: usize,
        /// Replicas the backend was configured to wait for.
        required: usize,
    },
}

/// Remembers consumed links until they expire.
///
/// The returned future must be `Send`, so the trait suits async backends; the
/// in-memory cache returns a future that is already complete, so the core
/// needs no runtime.
pub trait ReplayCache: Send + Sync {
    /// Atomically records `key` as used, keeping it at least until
    /// `retain_until`, unless it is recorded already. `now` is the verifier's
    /// clock, for backends that evict by time.
    ///
    /// # Errors
    /// A [`ReplayError`] when the cache cannot tell; the link is then refused.
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send;

    /// Forgets `key`, so the link may be consumed again. Called only by the
    /// consumer that was told [`Freshness::Fresh`] for it, when the login
    /// the link was for could not be completed (a session store that
    /// failed): a failed login burns no link. Forgetting a key that is not
    /// recorded does nothing.
    ///
    /// # Errors
    /// A [`ReplayError`] when the cache cannot forget; the link then stays
    /// used.
    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send;
}

impl<C: ReplayCache + ?Sized> ReplayCache for &C {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        (**self).mark_used(key, retain_until, now)
    }

    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        (**self).release(key)
    }
}

impl<C: ReplayCache + ?Sized> ReplayCache for Arc<C> {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        (**self).mark_used(key, retain_until, now)
    }

    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        (**self).release(key)
    }
}

/// A replay cache that records nothing, so a link works any number of times
/// until it expires: the named opt-out of single use.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReusableLinks;

impl ReplayCache for ReusableLinks {
    fn mark_used(
        &self,
        _key: ReplayKey,
        _retain_until: OffsetDateTime,
        _now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        ready(Ok(Freshness::Fresh))
    }

    fn release(&self, _key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        ready(Ok(()))
    }
}

/// Any replay cache behind one type, chosen at run time: memory for one
/// process, Redis for a fleet, or none.
///
/// ```
/// use authlink::replay::{BoxReplayCache, MemoryReplayCache, ReusableLinks};
///
/// let single_use = std::env::var_os("REUSABLE_LINKS").is_none();
/// let cache = if single_use {
///     BoxReplayCache::new(MemoryReplayCache::new())
/// } else {
///     BoxReplayCache::new(ReusableLinks)
/// };
/// # let _ = cache;
/// ```
#[derive(Clone)]
pub struct BoxReplayCache(Arc<dyn DynReplayCache>);

impl BoxReplayCache {
    /// Boxes `cache`.
    pub fn new(cache: impl ReplayCache + 'static) -> Self {
        Self(Arc::new(cache))
    }
}

impl fmt::Debug for BoxReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxReplayCache")
    }
}

impl ReplayCache for BoxReplayCache {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        self.0.mark_used_boxed(key, retain_until, now)
    }

    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        self.0.release_boxed(key)
    }
}

type MarkFuture<'a> = Pin<Box<dyn Future<Output = Result<Freshness, ReplayError>> + Send + 'a>>;
type ReleaseFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ReplayError>> + Send + 'a>>;

/// [`ReplayCache`] with a boxed future, so it can be a trait object.
trait DynReplayCache: Send + Sync {
    fn mark_used_boxed(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> MarkFuture<'_>;

    fn release_boxed(&self, key: ReplayKey) -> ReleaseFuture<'_>;
}

impl<C: ReplayCache> DynReplayCache for C {
    fn mark_used_boxed(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> MarkFuture<'_> {
        Box::pin(self.mark_used(key, retain_until, now))
    }

    fn release_boxed(&self, key: ReplayKey) -> ReleaseFuture<'_> {
        Box::pin(self.release(key))
    }
}

//! The in-memory replay cache: one process only.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::future::{Future, Ready, ready};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use super::{Freshness, ReplayCache, ReplayError, ReplayKey};

/// Independent locks, so concurrent consumers of different links rarely wait
/// for each other.
const SHARDS: usize = 16;

/// The default capacity: one million live links.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// A replay cache in this process's memory, for one-node apps and tests.
///
/// It is exact under concurrency within the process, but each process has
/// its own: behind a load balancer, use a shared backend (the `redis`
/// feature) or a link may be used once per node.
///
/// Memory is bounded by the number of live links: an entry is dropped once
/// its link has expired (checked on every insert, in its shard), and the
/// cache holds at most `capacity` entries. When it is full of entries for
/// links that are still valid it refuses with [`ReplayError::Full`] rather
/// than forget one (fail closed). Each entry costs about 40 to 70 bytes (a
/// 10-byte key in a hash set at up to 7/8 load, plus a 24-byte heap entry
/// for its expiry, in growable buffers), so the default capacity of one
/// million needs at most about 70 MB.
#[derive(Debug)]
pub struct MemoryReplayCache {
    shards: Box<[Mutex<Shard>]>,
    len: AtomicUsize,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Shard {
    used: HashSet<ReplayKey>,
    /// Retain-until times (unix seconds, rounded up), soonest first.
    expiries: BinaryHeap<Reverse<(i64, ReplayKey)>>,
}

impl Shard {
    /// Drops entries whose time has passed; returns how many.
    fn evict(&mut self, now: i64) -> usize {
        let mut evicted = 0;
        while let Some(Reverse((until, key))) = self.expiries.peek().copied() {
            if until > now {
                break;
            }
            self.expiries.pop();
            self.used.remove(&key);
            evicted += 1;
        }
        evicted
    }
}

impl MemoryReplayCache {
    /// A cache of [`DEFAULT_CAPACITY`] entries.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A cache that holds at most `capacity` live entries.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    /// How many entries are held (expired ones included until evicted).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most entries the cache holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drops every entry whose link has expired by `now`. Inserts do this
    /// for their own shard; call it to shrink an idle cache.
    pub fn purge_expired(&self, now: OffsetDateTime) {
        let now = now.unix_timestamp();
        for shard in &self.shards {
            let evicted = lock(shard).evict(now);
            self.len.fetch_sub(evicted, Ordering::AcqRel);
        }
    }

    /// The synchronous form of [`ReplayCache::mark_used`].
    ///
    /// # Errors
    /// [`ReplayError::Full`] when `capacity` entries are live.
    pub fn mark_used_now(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Freshness, ReplayError> {
        let now_s = now.unix_timestamp();
        // Rounded up, so an entry is never dropped before its link expires.
        let until = retain_until.unix_timestamp() + i64::from(retain_until.nanosecond() > 0);
        let shard = &self.shards[key.shard(SHARDS)];
        let mut guard = lock(shard);
        self.evict(&mut guard, now_s);
        if guard.used.contains(&key) {
            return Ok(Freshness::Used);
        }
        if !self.reserve() {
            // Other shards may hold expired entries: sweep them and retry once.
            drop(guard);
            self.purge_expired(now);
            guard = lock(shard);
            if guard.used.contains(&key) {
                return Ok(Freshness::Used);
            }
            if !self.reserve() {
                return Err(ReplayError::Full);
            }
        }
        guard.used.insert(key);
        guard.expiries.push(Reverse((until, key)));
        Ok(Freshness::Fresh)
    }

    fn evict(&self, shard: &mut Shard, now: i64) {
        let evicted = shard.evict(now);
        if evicted > 0 {
            self.len.fetch_sub(evicted, Ordering::AcqRel);
        }
    }

    /// Takes one slot of capacity, if one is free.
    fn reserve(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |len| {
                (len < self.capacity).then_some(len + 1)
            })
            .is_ok()
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn mark_used(
        &self,
        key: ReplayKey,
        retain_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        let ready: Ready<_> = ready(self.mark_used_now(key, retain_until, now));
        ready
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a half-made entry behind
    // (insert and push both complete or abort), so the data stays usable.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

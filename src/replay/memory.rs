//! The in-memory replay cache: one process only.

use std::collections::{HashSet, VecDeque};
use std::future::{Future, Ready, ready};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use super::{Freshness, ReplayCache, ReplayError, ReplayKey};

/// Independent locks, so concurrent consumers of different links rarely wait
/// for each other.
const SHARDS: usize = 16;

/// The default capacity: one million live links.
const DEFAULT_CAPACITY: usize = 1_000_000;

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
/// than forget one (fail closed). Each entry costs about 25 to 45 bytes (a
/// 10-byte key in a hash set at 7/16 to 7/8 load, and 10 bytes in the list
/// of keys expiring in the same second, in growable buffers): one million
/// live entries take 25 to 45 MB (`cargo bench --bench replay` measures
/// them), so the default capacity needs well under 64 MB.
#[derive(Debug)]
pub struct MemoryReplayCache {
    shards: Box<[Mutex<Shard>]>,
    len: AtomicUsize,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Shard {
    used: HashSet<ReplayKey, BuildHasherDefault<LinkIdHasher>>,
    /// The keys by retain-until time (unix seconds, rounded up), soonest
    /// first: entries are evicted a second's worth at a time, in order.
    expiries: VecDeque<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    until: i64,
    keys: Vec<ReplayKey>,
}

/// Hashes a [`ReplayKey`] to its last eight bytes: the random link id.
///
/// Link ids are 64 bits from the issuing server's random generator, read
/// from a token only once its tag checked out, so no client can choose ids
/// that collide; the standard hasher's resistance to chosen keys buys
/// nothing here and was a third of what consuming adds to verify
/// (BENCHMARKS.md). The shard is taken from a middle byte of the id
/// ([`ReplayKey::shard`]), so the bits the table indexes by stay random.
#[derive(Debug, Default, Clone, Copy)]
struct LinkIdHasher(u64);

impl Hasher for LinkIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

impl Shard {
    /// Drops entries whose time has passed; returns how many.
    fn evict(&mut self, now: i64) -> usize {
        let mut evicted = 0;
        while self
            .expiries
            .front()
            .is_some_and(|bucket| bucket.until <= now)
        {
            let Some(bucket) = self.expiries.pop_front() else {
                break;
            };
            for key in &bucket.keys {
                self.used.remove(key);
            }
            evicted += bucket.keys.len();
        }
        evicted
    }

    /// Takes `key` out of its bucket. A released key was marked a moment
    /// ago, so its bucket is nearly always the newest: search from there.
    fn unschedule(&mut self, key: ReplayKey) {
        for bucket in self.expiries.iter_mut().rev() {
            if let Some(at) = bucket.keys.iter().position(|held| *held == key) {
                bucket.keys.swap_remove(at);
                return;
            }
        }
    }

    fn schedule(&mut self, until: i64, key: ReplayKey) {
        // Links under one policy arrive in order of expiry, so the newest
        // bucket is nearly always the one; a link of another policy (or a
        // clock set back) is placed by binary search.
        let at = match self.expiries.back() {
            Some(last) if last.until <= until => {
                self.expiries.len() - usize::from(last.until == until)
            }
            _ => self.expiries.partition_point(|bucket| bucket.until < until),
        };
        match self.expiries.get_mut(at) {
            Some(bucket) if bucket.until == until => bucket.keys.push(key),
            _ => self.expiries.insert(
                at,
                Bucket {
                    until,
                    keys: vec![key],
                },
            ),
        }
    }
}

impl MemoryReplayCache {
    /// A cache of one million entries.
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
        // An entry present now is used, whatever its time: only eviction,
        // above and under the same lock, ends an entry. Capacity is reserved
        // before the insert; a replayed link holds its slot only until the
        // next line, which at the very edge of capacity can make a
        // concurrent insert refuse: that fails closed.
        if self.reserve() {
            if !guard.used.insert(key) {
                self.len.fetch_sub(1, Ordering::AcqRel);
                return Ok(Freshness::Used);
            }
        } else {
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
            guard.used.insert(key);
        }
        guard.schedule(until, key);
        Ok(Freshness::Fresh)
    }

    /// The synchronous form of [`ReplayCache::release`].
    pub fn release_now(&self, key: ReplayKey) {
        let mut guard = lock(&self.shards[key.shard(SHARDS)]);
        if guard.used.remove(&key) {
            guard.unschedule(key);
            self.len.fetch_sub(1, Ordering::AcqRel);
        }
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

    fn release(&self, key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        self.release_now(key);
        ready(Ok(()))
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a half-made entry behind
    // (insert and push both complete or abort), so the data stays usable.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyId;

    fn key(n: u64) -> ReplayKey {
        ReplayKey::new(KeyId::new(1), n.to_le_bytes())
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[test]
    fn a_release_frees_its_slot_once() {
        let cache = MemoryReplayCache::with_capacity(1);
        let until = at(100);
        assert_eq!(
            cache.mark_used_now(key(1), until, at(0)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(
            cache.mark_used_now(key(2), until, at(0)),
            Err(ReplayError::Full)
        );
        cache.release_now(key(1));
        cache.release_now(key(1));
        assert!(cache.is_empty());
        assert_eq!(
            cache.mark_used_now(key(2), until, at(0)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(
            cache.mark_used_now(key(1), until, at(0)),
            Err(ReplayError::Full)
        );
        // Eviction counts the entry it drops, not the released one.
        cache.purge_expired(at(100));
        assert!(cache.is_empty());
        assert_eq!(
            cache.mark_used_now(key(1), at(200), at(100)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn second_mark_is_used_until_the_entry_expires() {
        let cache = MemoryReplayCache::with_capacity(10);
        assert_eq!(
            cache.mark_used_now(key(1), at(100), at(0)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(
            cache.mark_used_now(key(1), at(100), at(99)),
            Ok(Freshness::Used)
        );
        assert_eq!(
            cache.mark_used_now(key(2), at(100), at(99)),
            Ok(Freshness::Fresh)
        );
        // At the retain-until second the entry goes, and the key is new again.
        assert_eq!(
            cache.mark_used_now(key(1), at(100), at(100)),
            Ok(Freshness::Fresh)
        );
    }

    #[test]
    fn entries_leave_in_expiry_order_whatever_order_they_came_in() {
        let cache = MemoryReplayCache::with_capacity(1000);
        // Every key lands in shard 0, so one shard sees all the orders.
        let keys: Vec<ReplayKey> = (0..12).map(|n| key(n * SHARDS as u64)).collect();
        let untils = [50, 10, 30, 30, 20, 60, 10, 40, 50, 20, 60, 40];
        for (key, until) in keys.iter().zip(untils) {
            assert_eq!(
                cache.mark_used_now(*key, at(until), at(0)),
                Ok(Freshness::Fresh)
            );
        }
        for now in 0..=60 {
            cache.purge_expired(at(now));
            let live = untils.iter().filter(|until| **until > now).count();
            assert_eq!(cache.len(), live, "at {now}");
            for (key, until) in keys.iter().zip(untils).filter(|(_, until)| *until > now) {
                assert_eq!(
                    cache.mark_used_now(*key, at(until), at(now)),
                    Ok(Freshness::Used)
                );
            }
        }
        assert!(cache.is_empty());
    }

    #[test]
    fn full_of_live_entries_refuses_and_frees_expired_ones_first() {
        let cache = MemoryReplayCache::with_capacity(3);
        for n in 0..3 {
            assert_eq!(
                cache.mark_used_now(key(n), at(10 + n as i64), at(0)),
                Ok(Freshness::Fresh)
            );
        }
        assert_eq!(
            cache.mark_used_now(key(9), at(20), at(0)),
            Err(ReplayError::Full)
        );
        // Known keys are still answered when full.
        assert_eq!(
            cache.mark_used_now(key(0), at(10), at(0)),
            Ok(Freshness::Used)
        );
        // Once one has expired (in whatever shard), there is room again.
        assert_eq!(
            cache.mark_used_now(key(9), at(20), at(10)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn retain_until_rounds_up_to_the_next_second() {
        let cache = MemoryReplayCache::with_capacity(10);
        let until = at(10) + time::Duration::milliseconds(1);
        assert_eq!(
            cache.mark_used_now(key(1), until, at(0)),
            Ok(Freshness::Fresh)
        );
        assert_eq!(
            cache.mark_used_now(key(1), until, at(10)),
            Ok(Freshness::Used)
        );
        assert_eq!(
            cache.mark_used_now(key(1), until, at(11)),
            Ok(Freshness::Fresh)
        );
    }
}

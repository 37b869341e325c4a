//! The in-process limiter: a keyed GCRA from `governor`, with its state
//! swept so that callers who stopped acting cost nothing.

use std::fmt;
use std::future::{Future, ready};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock as GovernorClock, DefaultClock, Reference as _};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;

use super::{LimitKey, Limited, Quota, RateLimiter};

/// The default number of keys a [`MemoryRateLimiter`] holds before it
/// sweeps: about 10 MB of state.
pub const DEFAULT_CAPACITY: usize = 100_000;

type Keyed<C> = governor::RateLimiter<
    LimitKey,
    DashMapStateStore<LimitKey>,
    C,
    NoOpMiddleware<<C as GovernorClock>::Instant>,
>;

/// A rate limiter for one process, keyed by [`LimitKey`], on `governor`'s
/// keyed GCRA. Behind several nodes, each node limits on its own (a caller
/// gets up to the quota per node); use `redis::RedisRateLimiter` for one
/// limit across the fleet.
///
/// # Bounded memory
///
/// `governor`'s keyed state grows with every distinct key. Each key holds
/// one small state, and a caller holds one key (an IPv6 caller's whole /64
/// is one [`LimitKey::client`]). Once the limiter holds more than its
/// capacity (default [`DEFAULT_CAPACITY`]) keys, the next check sweeps out
/// every key whose state is back to fresh, as if it had never acted
/// (`governor`'s `retain_recent`), at most once per quota interval, so a
/// full limiter does not sweep on every call. A key that is still limited
/// is never swept, so sweeping never resets an abuser. What stays is the
/// keys that acted within about one burst's refill time: bounded by the
/// request rate, not by how many keys were ever seen. Apps can also call
/// [`sweep`](Self::sweep) from a timer.
///
/// ```
/// use std::num::NonZeroU32;
///
/// use authlink::limit::{LimitKey, MemoryRateLimiter, Quota, RateLimiter};
///
/// let limiter = MemoryRateLimiter::new(Quota::per_minute(NonZeroU32::MIN));
/// let alice = LimitKey::user("alice");
/// assert!(pollster::block_on(limiter.check(&alice)).is_ok());
/// let refused = pollster::block_on(limiter.check(&alice)).unwrap_err();
/// assert!(refused.retry_after_secs() <= 60);
/// // Another user is not affected.
/// assert!(pollster::block_on(limiter.check(&LimitKey::user("bob"))).is_ok());
/// ```
pub struct MemoryRateLimiter<C: GovernorClock = DefaultClock> {
    limiter: Keyed<C>,
    clock: C,
    start: C::Instant,
    capacity: usize,
    sweep_every: Duration,
    /// Nanoseconds after `start` before which no sweep runs.
    next_sweep: AtomicU64,
}

impl MemoryRateLimiter {
    /// A limiter applying `quota` to each key, on the monotonic clock.
    #[must_use]
    pub fn new(quota: Quota) -> Self {
        Self::with_clock(quota, DefaultClock::default())
    }
}

impl<C: GovernorClock + Clone> MemoryRateLimiter<C> {
    /// A limiter on `clock` (`governor::clock::FakeRelativeClock` in tests).
    #[must_use]
    pub fn with_clock(quota: Quota, clock: C) -> Self {
        let interval = quota.interval();
        // `interval` is at least 1 ns, so `with_period` always answers.
        let per = governor::Quota::with_period(interval)
            .unwrap_or_else(|| governor::Quota::per_second(quota.burst()))
            .allow_burst(quota.burst());
        let start = clock.now();
        Self {
            limiter: governor::RateLimiter::dashmap_with_clock(per, clock.clone()),
            clock,
            start,
            capacity: DEFAULT_CAPACITY,
            sweep_every: interval,
            next_sweep: AtomicU64::new(0),
        }
    }

    /// Sweeps once more than `capacity` keys are held (default
    /// [`DEFAULT_CAPACITY`]).
    #[must_use]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// How many keys are held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }

    /// Drops every key whose state is back to fresh. Keys still limited stay.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Counts one action by `key`, synchronously; [`RateLimiter::check`]
    /// wraps this in a ready future.
    ///
    /// # Errors
    /// [`Limited`] when `key` is past its rate.
    pub fn check_now(&self, key: &LimitKey) -> Result<(), Limited> {
        if self.limiter.len() > self.capacity {
            self.sweep_if_due();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| Limited::new(not_until.wait_time_from(self.clock.now())))
    }

    fn sweep_if_due(&self) {
        let now = nanos(self.clock.now().duration_since(self.start).into());
        let due = self.next_sweep.load(Ordering::Relaxed);
        let next = now.saturating_add(nanos(self.sweep_every));
        // One caller wins each due sweep; the others go on without waiting.
        if now >= due
            && self
                .next_sweep
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.sweep();
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl<C: GovernorClock + Clone + Send + Sync> RateLimiter for MemoryRateLimiter<C> {
    fn check(&self, key: &LimitKey) -> impl Future<Output = Result<(), Limited>> + Send {
        ready(self.check_now(key))
    }
}

impl<C: GovernorClock> fmt::Debug for MemoryRateLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRateLimiter")
            .field("keys", &self.limiter.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

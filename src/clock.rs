//! Where "now" comes from. Injected so tests and simulations control time
//! exactly.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> OffsetDateTime;

    /// The current time in nanoseconds since the Unix epoch, negative before
    /// it; must agree with [`Clock::now`].
    ///
    /// Verification reads the clock through this. The default converts
    /// [`Clock::now`]; a source that has the count at hand can skip the
    /// calendar arithmetic, as [`SystemClock`] does.
    fn unix_nanos(&self) -> i128 {
        self.now().unix_timestamp_nanos()
    }
}

/// The system's wall clock (the default).
///
/// On Linux and Android it reads `CLOCK_REALTIME_COARSE`: the wall clock as of
/// the kernel's last timer tick (1 to 10 ms ago), which the vDSO returns
/// without reading a hardware counter, at a fifth of the cost of
/// `CLOCK_REALTIME` on a virtual machine. Links carry whole seconds and
/// expiry allows seconds of leeway, so a tick is far below what can be
/// observed. Elsewhere it reads [`SystemTime`](std::time::SystemTime).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        // In range for any clock between the years -9999 and 9999.
        OffsetDateTime::from_unix_timestamp_nanos(self.unix_nanos())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn unix_nanos(&self) -> i128 {
        use rustix::time::{ClockId, clock_gettime};
        let now = clock_gettime(ClockId::RealtimeCoarse);
        i128::from(now.tv_sec) * 1_000_000_000 + i128::from(now.tv_nsec)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn unix_nanos(&self) -> i128 {
        // Saturating: no real clock is 10^20 years from 1970.
        match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
            Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
        }
    }
}

impl<F> Clock for F
where
    F: Fn() -> OffsetDateTime + Send + Sync + 'static,
{
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// Whole Unix seconds in `nanos`, rounded down (saturating).
pub(crate) fn unix_seconds(nanos: i128) -> i64 {
    const NANOS_PER_SECOND: u64 = 1_000_000_000;
    // The 64-bit path spares a 128-bit division for any clock from 1970 to 2554.
    match u64::try_from(nanos) {
        Ok(nanos) => i64::try_from(nanos / NANOS_PER_SECOND).unwrap_or(i64::MAX),
        Err(_) => {
            let seconds = nanos.div_euclid(i128::from(NANOS_PER_SECOND));
            i64::try_from(seconds).unwrap_or(if seconds < 0 { i64::MIN } else { i64::MAX })
        }
    }
}

/// A clock that moves only when told to; clones share one time.
///
/// ```
/// use authlink::{Clock, ManualClock};
/// use time::{Duration, OffsetDateTime};
///
/// let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
/// let handle = clock.clone();
/// handle.advance(Duration::seconds(60));
/// assert_eq!(clock.now().unix_timestamp(), 60);
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock stopped at `at`.
    #[must_use]
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Sets the time.
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the time by `by` (which may be negative).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_round_down_on_both_sides_of_the_epoch() {
        let second = 1_000_000_000;
        assert_eq!(unix_seconds(0), 0);
        assert_eq!(unix_seconds(second - 1), 0);
        assert_eq!(unix_seconds(5 * second + 7), 5);
        assert_eq!(unix_seconds(-1), -1);
        assert_eq!(unix_seconds(-second), -1);
        assert_eq!(unix_seconds(-second - 1), -2);
        assert_eq!(unix_seconds(i128::from(u64::MAX) + 1), 18_446_744_073);
        assert_eq!(unix_seconds(i128::MAX), i64::MAX);
        assert_eq!(unix_seconds(i128::MIN), i64::MIN);
    }

    #[test]
    fn system_clock_counts_agree_with_its_dates() {
        let before = SystemClock.now().unix_timestamp_nanos();
        let nanos = SystemClock.unix_nanos();
        let after = SystemClock.now().unix_timestamp_nanos();
        assert!(before <= nanos && nanos <= after);
    }

    #[test]
    fn system_clock_is_within_a_tick_of_the_fine_clock() {
        let fine = |at: std::time::SystemTime| OffsetDateTime::from(at).unix_timestamp_nanos();
        let before = fine(std::time::SystemTime::now());
        let ours = SystemClock.unix_nanos();
        let after = fine(std::time::SystemTime::now());
        // A coarse clock may lag by one kernel tick (at most 10 ms at 100 Hz).
        let tick = 10_000_000;
        assert!(
            before - tick <= ours && ours <= after,
            "{before} {ours} {after}"
        );
    }
}

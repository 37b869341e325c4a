//! The conformance suite every [`ReplayCache`] backend must pass (feature
//! `test-util`): the in-memory cache, Redis and Redis Cluster run it, and a
//! third-party backend runs it the same way.
//!
//! Implement [`Backend`] for a harness around the cache, then expand
//! [`replay_conformance!`](crate::replay_conformance) in a test file; the
//! generated tests run on tokio (`tokio` with the `macros` and
//! `rt-multi-thread` features as a dev-dependency).
//!
//! ```text
//! struct MyBackend { /* the cache, a clock */ }
//! impl authlink::replay::conformance::Backend for MyBackend { /* … */ }
//! authlink::replay_conformance!(MyBackend);
//! ```

// A test suite: a failed expectation is a panic, by design.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Freshness, ReplayCache, ReplayError, ReplayKey};
use crate::{
    Authlink, Clock, ConsumedLink, IpBinding, KeyId, KeyRing, ManualClock, Policy, SecretKey,
    VerifyErrorKind, Whitelist, no_stamp,
};

/// Bounds every wait for a recovering backend.
const RECOVERY_ATTEMPTS: usize = 200;
const RECOVERY_PAUSE: Duration = Duration::from_millis(25);

/// A replay cache under test, with the levers the suite needs.
#[allow(async_fn_in_trait)] // the suite awaits these on one task
pub trait Backend: Sized {
    /// The cache under test.
    type Cache: ReplayCache + 'static;

    /// A fresh, empty backend.
    async fn start() -> Self;

    /// The cache, shared with the tasks the suite spawns.
    fn cache(&self) -> Arc<Self::Cache>;

    /// "Now" as the backend judges expiry: a manual clock for the memory
    /// cache, the wall clock for a server that expires keys by itself.
    fn now(&self) -> OffsetDateTime;

    /// Lets `by` pass on that clock.
    async fn advance(&self, by: Duration);

    /// An engine under `policy` whose clock is [`Backend::now`]'s.
    fn engine(&self, policy: Policy) -> Authlink;

    /// Drops what has expired by [`Backend::now`], as the backend would on
    /// its own sooner or later.
    async fn sweep(&self);

    /// Brings the backend into the state where it must refuse to record a
    /// new link: full of live entries, or down.
    async fn refuse(&mut self);

    /// Ends [`Backend::refuse`]'s state.
    async fn recover(&mut self);
}

/// `n` distinct replay keys, taken from real issued and verified links.
///
/// # Panics
/// Never for `n` below 2^32; the links it makes are always valid.
#[must_use]
pub fn replay_keys(n: usize) -> Vec<ReplayKey> {
    let engine = fixture_engine(
        fixture_policy(),
        ManualClock::new(OffsetDateTime::UNIX_EPOCH + FIXTURE_TIME),
    );
    let ip = client_ip();
    (0..n)
        .map(|user| {
            let link = engine.issue(&(user as u64), "/account", ip).unwrap();
            let verified = engine
                .verify::<u64>(&link.key, ip)
                .unwrap()
                .check_stamp(None)
                .unwrap();
            verified.replay_key()
        })
        .collect()
}

/// 2026-11-01T00:00:00Z, after the epoch.
const FIXTURE_TIME: Duration = Duration::from_secs(1_793_491_200);

fn client_ip() -> IpAddr {
    IpAddr::from([192, 0, 2, 1])
}

/// Links to `/account`, unbound, as the suite's engines issue them.
#[must_use]
pub fn fixture_policy() -> Policy {
    Policy {
        whitelist: Whitelist::new(["^/account$"]).unwrap(),
        ip_binding: IpBinding::Off,
        ..Policy::default()
    }
}

/// An engine under `policy` on `clock`, with a fixed key: what
/// [`Backend::engine`] returns for most backends.
#[must_use]
pub fn fixture_engine(policy: Policy, clock: impl Clock) -> Authlink {
    let key = SecretKey::try_from([7u8; 32].as_slice()).unwrap();
    Authlink::new(
        KeyRing::new(KeyId::new(1), key),
        "replay conformance",
        policy,
    )
    .unwrap()
    .with_clock(clock)
}

async fn mark<B: Backend>(
    backend: &B,
    key: ReplayKey,
    keep: Duration,
) -> Result<Freshness, ReplayError> {
    let now = backend.now();
    backend.cache().mark_used(key, now + keep, now).await
}

const LONG: Duration = Duration::from_secs(3600);

/// The first mark of a link is fresh, every later one used.
pub async fn fresh_then_used<B: Backend>() {
    let backend = B::start().await;
    let [key] = replay_keys(1).try_into().unwrap();
    assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Fresh));
    for _ in 0..3 {
        assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Used));
    }
}

/// A released link is fresh again, once, and releasing one link leaves
/// the others used; releasing what was never marked does nothing.
pub async fn a_released_link_is_fresh_again<B: Backend>() {
    let backend = B::start().await;
    let [key, other, never] = replay_keys(3).try_into().unwrap();
    assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Fresh));
    assert_eq!(mark(&backend, other, LONG).await, Ok(Freshness::Fresh));
    backend.cache().release(key).await.unwrap();
    backend.cache().release(never).await.unwrap();
    assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Fresh));
    assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Used));
    assert_eq!(mark(&backend, other, LONG).await, Ok(Freshness::Used));
    // A link marked again after its release is kept as long as it asked.
    backend.advance(Duration::from_secs(1)).await;
    backend.sweep().await;
    assert_eq!(mark(&backend, key, LONG).await, Ok(Freshness::Used));
}

/// Marks of different links do not affect each other.
pub async fn distinct_links_are_independent<B: Backend>() {
    let backend = B::start().await;
    let keys = replay_keys(3);
    assert_eq!(mark(&backend, keys[0], LONG).await, Ok(Freshness::Fresh));
    assert_eq!(mark(&backend, keys[1], LONG).await, Ok(Freshness::Fresh));
    assert_eq!(mark(&backend, keys[0], LONG).await, Ok(Freshness::Used));
    assert_eq!(mark(&backend, keys[1], LONG).await, Ok(Freshness::Used));
    assert_eq!(mark(&backend, keys[2], LONG).await, Ok(Freshness::Fresh));
}

/// Kept while the link lives, gone once `retain_until` has passed: the
/// same link id is then fresh again (it could no longer verify anyway).
pub async fn entries_expire_after_retain_until<B: Backend>() {
    let backend = B::start().await;
    let [short, long] = replay_keys(2).try_into().unwrap();
    assert_eq!(
        mark(&backend, short, Duration::from_secs(1)).await,
        Ok(Freshness::Fresh)
    );
    assert_eq!(mark(&backend, long, LONG).await, Ok(Freshness::Fresh));
    assert_eq!(
        mark(&backend, short, Duration::from_secs(1)).await,
        Ok(Freshness::Used)
    );

    backend.advance(Duration::from_millis(1_500)).await;

    assert_eq!(
        mark(&backend, short, Duration::from_secs(1)).await,
        Ok(Freshness::Fresh)
    );
    assert_eq!(mark(&backend, long, LONG).await, Ok(Freshness::Used));
}

/// Many tasks at once: one key -> exactly one fresh; many keys, each hit by
/// several tasks -> exactly one fresh per key.
pub async fn concurrent_marks_have_exactly_one_winner<B: Backend>() {
    const TASKS: usize = 200;
    const KEYS: usize = 50;
    let backend = B::start().await;
    let [hot] = replay_keys(1).try_into().unwrap();
    let spread = replay_keys(KEYS);

    let now = backend.now();
    let until = now + LONG;
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let cache = backend.cache();
        let other = spread[i % KEYS];
        tasks.push(tokio::spawn(async move {
            let hot = cache.mark_used(hot, until, now).await;
            let other = cache.mark_used(other, until, now).await;
            (hot, other)
        }));
    }
    let mut hot_fresh = 0;
    let mut fresh_per_key = vec![0usize; KEYS];
    for (i, task) in tasks.into_iter().enumerate() {
        let (hot, other) = task.await.unwrap();
        match hot.unwrap() {
            Freshness::Fresh => hot_fresh += 1,
            Freshness::Used => {}
        }
        if other.unwrap() == Freshness::Fresh {
            fresh_per_key[i % KEYS] += 1;
        }
    }
    assert_eq!(
        hot_fresh, 1,
        "exactly one of {TASKS} concurrent marks of one key is fresh"
    );
    assert_eq!(
        fresh_per_key,
        vec![1; KEYS],
        "exactly one fresh mark per key"
    );
}

/// Full of live entries, or down: a new link is refused (never fresh), a
/// used one is never fresh, and a refusal records nothing. Once the
/// backend recovers, new links are accepted and links used before stay used.
pub async fn refuses_when_unavailable_and_recovers<B: Backend>() {
    let mut backend = B::start().await;
    let keys = replay_keys(6);
    let (before, during, after) = (keys[0], &keys[1..5], keys[5]);
    assert_eq!(mark(&backend, before, LONG).await, Ok(Freshness::Fresh));

    backend.refuse().await;
    for &key in during {
        let result = mark(&backend, key, LONG).await;
        assert!(
            result.is_err(),
            "a refusing backend answered {result:?} for a new link"
        );
    }
    let result = mark(&backend, before, LONG).await;
    assert_ne!(
        result,
        Ok(Freshness::Fresh),
        "a used link turned fresh while refusing"
    );

    backend.recover().await;
    assert_eq!(mark_when_back(&backend, after).await, Freshness::Fresh);
    assert_eq!(mark(&backend, after, LONG).await, Ok(Freshness::Used));
    assert_eq!(mark(&backend, before, LONG).await, Ok(Freshness::Used));
    for &key in during {
        assert_eq!(
            mark(&backend, key, LONG).await,
            Ok(Freshness::Fresh),
            "a refused mark was recorded"
        );
    }
}

/// The first answer that is not an error, within a bounded number of tries:
/// a server that was down may refuse the first command after it is back.
async fn mark_when_back<B: Backend>(backend: &B, key: ReplayKey) -> Freshness {
    let mut last = None;
    for _ in 0..RECOVERY_ATTEMPTS {
        match mark(backend, key, LONG).await {
            Ok(freshness) => return freshness,
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(RECOVERY_PAUSE).await;
    }
    panic!("backend did not recover after {RECOVERY_ATTEMPTS} attempts; last error: {last:?}");
}

/// A replay verified just before expiry whose stamp lookup stalls past
/// expiry and leeway, until the first use's entry is gone: consume reads the
/// clock again and refuses it, so the link never logs in twice.
pub async fn a_replay_stalled_past_expiry_is_refused<B: Backend>() {
    let backend = B::start().await;
    let mut policy = fixture_policy();
    policy.ttl = Duration::from_secs(2);
    policy.leeway = Duration::ZERO;
    let engine = backend.engine(policy);
    let ip = client_ip();
    let link = engine.issue(&1u64, "/account", ip).unwrap();
    let cache = backend.cache();
    let first: ConsumedLink<u64> = engine
        .verify_and_consume(&link.key, ip, no_stamp, &*cache)
        .await
        .unwrap();
    assert_eq!(*first.user(), 1);

    let stall = async |_: &u64| {
        let gone = (link.expires_at - backend.now()).unsigned_abs() + Duration::from_millis(200);
        backend.advance(gone).await;
        backend.sweep().await;
        Ok::<_, std::convert::Infallible>(None::<Vec<u8>>)
    };
    let replay: Result<ConsumedLink<u64>, _> = engine
        .verify_and_consume(&link.key, ip, stall, &*cache)
        .await;
    assert_eq!(
        replay.map(|link| *link.user()).map_err(|err| err.kind()),
        Err(VerifyErrorKind::Expired)
    );
}

/// Expands to one `#[tokio::test]` per conformance check, run against the
/// [`Backend`](crate::replay::conformance::Backend) type given.
#[macro_export]
macro_rules! replay_conformance {
    ($backend:ty) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn fresh_then_used() {
            $crate::replay::conformance::fresh_then_used::<$backend>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_released_link_is_fresh_again() {
            $crate::replay::conformance::a_released_link_is_fresh_again::<$backend>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn distinct_links_are_independent() {
            $crate::replay::conformance::distinct_links_are_independent::<$backend>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn entries_expire_after_retain_until() {
            $crate::replay::conformance::entries_expire_after_retain_until::<$backend>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_marks_have_exactly_one_winner() {
            $crate::replay::conformance::concurrent_marks_have_exactly_one_winner::<$backend>()
                .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_replay_stalled_past_expiry_is_refused() {
            $crate::replay::conformance::a_replay_stalled_past_expiry_is_refused::<$backend>()
                .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn refuses_when_unavailable_and_recovers() {
            $crate::replay::conformance::refuses_when_unavailable_and_recovers::<$backend>().await;
        }
    };
}

//! Issue then verify, for arbitrary claims, clocks and policies: a link
//! always verifies with the claims it was issued with, as the kind of user
//! id it was issued for and no other, until exactly its expiry; from another
//! address exactly when the binding says so; never under a policy that no
//! longer allows its target; once, and not once expired by the time it is
//! consumed.
#![no_main]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

use std::time::Duration as StdDuration;

use authlink::replay::MemoryReplayCache;
use authlink::{Authlink, Clock as _, IpBinding, ManualClock, VerifyErrorKind, Whitelist};
use authlink_fuzz::{PURPOSE, SECRET, bound_network, clock_at, engine_with, policy};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use time::Duration;

#[derive(Arbitrary, Debug)]
enum User {
    Id(u64),
    Name(String),
}

#[derive(Arbitrary, Debug)]
enum Binding {
    Exact,
    Prefix { v4: u8, v6: u8 },
    Off,
}

#[derive(Arbitrary, Debug)]
struct Input {
    user: User,
    target: String,
    ip: IpAddr,
    other_ip: IpAddr,
    stamp: Option<Vec<u8>>,
    issued_at: u32,
    nanos: u32,
    elapsed_ms: u32,
    ttl_s: u32,
    leeway_s: u8,
    binding: Binding,
}

/// Times to live around the edges: the least, a minute, a day (the most).
const TTLS: [u64; 8] = [1, 2, 59, 60, 61, 3_600, 86_399, 86_400];

/// An engine, and its twin under the same key and clock whose whitelist
/// allows nothing: what verify says once the policy no longer allows a
/// link's target.
type Engine = Arc<(ManualClock, Authlink, Authlink)>;
type Engines = HashMap<(String, StdDuration, StdDuration), Engine>;

/// Engines by policy, built once each: building one compiles the whitelist,
/// which costs more than the rest of a run.
fn engine(binding: IpBinding, ttl: StdDuration, leeway: StdDuration) -> Engine {
    static ENGINES: LazyLock<Mutex<Engines>> = LazyLock::new(Default::default);
    let mut engines = ENGINES.lock().unwrap_or_else(|e| e.into_inner());
    if engines.len() > 4096 {
        engines.clear();
    }
    let entry = engines
        .entry((format!("{binding:?}"), ttl, leeway))
        .or_insert_with(|| {
            let mut policy = policy(binding);
            policy.ttl = ttl;
            policy.leeway = leeway;
            let clock = clock_at(0);
            let mut closed = policy.clone();
            closed.whitelist = Whitelist::deny_all();
            let engine = engine_with(SECRET, PURPOSE, policy, &clock);
            let closed = engine_with(SECRET, PURPOSE, closed, &clock);
            Arc::new((clock, engine, closed))
        });
    Arc::clone(entry)
}

fuzz_target!(|input: Input| {
    let binding = match input.binding {
        Binding::Exact => IpBinding::Exact,
        Binding::Prefix { v4, v6 } => IpBinding::Prefix {
            v4: v4 % 33,
            v6: v6 % 129,
        },
        Binding::Off => IpBinding::Off,
    };
    let ttl = StdDuration::from_secs(TTLS[input.ttl_s as usize % TTLS.len()]);
    let leeway = StdDuration::from_secs(u64::from(input.leeway_s % 31));
    let (clock, engine, closed) = &*engine(binding, ttl, leeway);
    let (ttl, leeway) = (
        Duration::try_from(ttl).unwrap_or_else(|e| panic!("{e}")),
        Duration::try_from(leeway).unwrap_or_else(|e| panic!("{e}")),
    );
    clock.set(
        time::OffsetDateTime::from_unix_timestamp(i64::from(input.issued_at))
            .unwrap_or_else(|e| panic!("{e}"))
            + Duration::nanoseconds(i64::from(input.nanos % 1_000_000_000)),
    );

    // The target as drawn when the policy accepts it, else a safe one made
    // from its letters and digits.
    let target = match engine.policy().check_target(&input.target) {
        Ok(_) => input.target.clone(),
        Err(_) => {
            let safe: String = input
                .target
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(100)
                .collect();
            format!("/{safe}")
        }
    };
    let user_len = match &input.user {
        User::Id(_) => 10,
        User::Name(name) => name.len() + 10,
    };
    let issued = match (&input.user, &input.stamp) {
        (User::Id(id), None) => engine.issue(id, &target, input.ip),
        (User::Id(id), Some(stamp)) => engine.issue_with_stamp(id, &target, input.ip, stamp),
        // As `str`, whose kind is `String`'s: it verifies as a `String`.
        (User::Name(name), None) => engine.issue(name.as_str(), &target, input.ip),
        (User::Name(name), Some(stamp)) => {
            engine.issue_with_stamp(name.as_str(), &target, input.ip, stamp)
        }
    };
    let link = match issued {
        Ok(link) => link,
        // Only a claim set too large for the maximum token length may fail.
        Err(authlink::IssueError::TooLong) if user_len + target.len() > 600 => return,
        Err(err) => panic!("issue failed: {err}"),
    };
    assert_eq!(
        link.expires_at.unix_timestamp(),
        i64::from(input.issued_at) + ttl.whole_seconds()
    );
    assert_eq!(link.url, format!("/authlink/{}", link.key));

    // Any time before expiry, from the same address: the same claims back.
    let ttl_ms = u32::try_from(ttl.whole_milliseconds()).unwrap_or(u32::MAX);
    clock.set(link.expires_at - ttl + Duration::milliseconds(i64::from(input.elapsed_ms % ttl_ms)));
    let check = |ip: IpAddr| -> Result<(), VerifyErrorKind> {
        let stamp = input.stamp.as_deref();
        let (target_back, times) = match &input.user {
            User::Id(id) => {
                let verified = engine.verify::<u64>(&link.key, ip).map_err(|e| e.kind())?;
                let verified = verified.check_stamp(stamp).map_err(|e| e.kind())?;
                assert_eq!(verified.user(), id);
                (
                    verified.target().to_owned(),
                    (verified.issued_at(), verified.expires_at()),
                )
            }
            User::Name(name) => {
                let verified = engine
                    .verify::<String>(&link.key, ip)
                    .map_err(|e| e.kind())?;
                let verified = verified.check_stamp(stamp).map_err(|e| e.kind())?;
                assert_eq!(verified.user(), name);
                (
                    verified.target().to_owned(),
                    (verified.issued_at(), verified.expires_at()),
                )
            }
        };
        assert_eq!(target_back, target);
        assert_eq!(times, (link.expires_at - ttl, link.expires_at));
        Ok(())
    };
    assert_eq!(check(input.ip), Ok(()));

    // Another address: refused exactly when the binding tells them apart.
    let same = bound_network(binding, input.ip) == bound_network(binding, input.other_ip);
    let expected = if same {
        Ok(())
    } else {
        Err(VerifyErrorKind::ClientMismatch)
    };
    assert_eq!(check(input.other_ip), expected);

    // A different stamp revokes it.
    if let User::Id(id) = &input.user {
        let other_stamp: &[u8] = match &input.stamp {
            Some(stamp) if stamp.as_slice() == b"x" => b"y",
            _ => b"x",
        };
        let revoked = engine
            .verify::<u64>(&link.key, input.ip)
            .and_then(|l| l.check_stamp(Some(other_stamp)));
        assert_eq!(
            revoked.map(|l| *l.user()).map_err(|e| e.kind()),
            Err(VerifyErrorKind::Revoked),
            "user {id}"
        );
    }

    // Tagged for one kind of user id, it never verifies as another; and
    // never once the policy stops allowing its target.
    let kind_of = |result: Result<(), authlink::VerifyError>| result.err().map(|e| e.kind());
    let (as_other_kind, when_closed) = match &input.user {
        User::Id(_) => (
            kind_of(engine.verify::<String>(&link.key, input.ip).map(drop)),
            kind_of(closed.verify::<u64>(&link.key, input.ip).map(drop)),
        ),
        User::Name(_) => (
            kind_of(engine.verify::<u64>(&link.key, input.ip).map(drop)),
            kind_of(closed.verify::<String>(&link.key, input.ip).map(drop)),
        ),
    };
    assert_eq!(as_other_kind, Some(VerifyErrorKind::BadSignature));
    assert_eq!(when_closed, Some(VerifyErrorKind::TargetNotAllowed));

    if let User::Id(id) = &input.user {
        let verified = || {
            engine
                .verify::<u64>(&link.key, input.ip)
                .and_then(|l| l.check_stamp(input.stamp.as_deref()))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let now = clock.now();
        let cache = MemoryReplayCache::with_capacity(4);
        let (early, late) = (verified(), verified());
        // Expired by the time it is consumed: refused, and not used up.
        clock.set(link.expires_at);
        let expired = pollster_ready(engine.consume(early, &cache));
        assert_eq!(kind_of(expired.map(drop)), Some(VerifyErrorKind::Expired));
        assert!(cache.is_empty(), "an expired link was marked used");
        // Consumed just before expiry, with the claims it was issued with.
        clock.set(link.expires_at - Duration::nanoseconds(1));
        let consumed =
            pollster_ready(engine.consume(late, &cache)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((consumed.user(), consumed.target()), (id, target.as_str()));
        assert_eq!(
            (consumed.issued_at(), consumed.expires_at()),
            (link.expires_at - ttl, link.expires_at)
        );
        // Once only.
        clock.set(now);
        let again = pollster_ready(engine.consume(verified(), &cache));
        assert_eq!(kind_of(again.map(drop)), Some(VerifyErrorKind::AlreadyUsed));

        // The one-call pipeline: a failed stamp lookup refuses the link
        // without using it up; then once only.
        let cache = MemoryReplayCache::with_capacity(4);
        let down = pollster_ready(engine.verify_and_consume::<u64, _, _, Vec<u8>, _>(
            &link.key,
            input.ip,
            async |_: &u64| Err(std::io::Error::other("stamp store down")),
            &cache,
        ));
        assert_eq!(
            kind_of(down.map(drop)),
            Some(VerifyErrorKind::StampUnavailable)
        );
        for expected in [None, Some(VerifyErrorKind::AlreadyUsed)] {
            let stamp = input.stamp.clone();
            let opened = pollster_ready(engine.verify_and_consume::<u64, _, _, _, std::io::Error>(
                &link.key,
                input.ip,
                async |_: &u64| Ok(stamp),
                &cache,
            ));
            assert_eq!(kind_of(opened.map(drop)), expected);
        }
    }

    // Exactly at expiry, and before the issue time beyond the leeway: no.
    clock.set(link.expires_at);
    assert_eq!(check(input.ip), Err(VerifyErrorKind::Expired));
    clock.set(link.expires_at - ttl - leeway - Duration::nanoseconds(1));
    assert_eq!(check(input.ip), Err(VerifyErrorKind::IssuedInFuture));
});

/// Polls a future the in-memory cache completes at once.
fn pollster_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the in-memory cache's future was not ready"),
    }
}

//! Issue then verify, for arbitrary claims, clocks and policies: a link
//! always verifies with the claims it was issued with, until exactly its
//! expiry; from another address exactly when the binding says so; once.
#![no_main]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

use authlink::replay::MemoryReplayCache;
use authlink::{Authlink, IpBinding, ManualClock, VerifyErrorKind};
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
const TTLS: [i64; 8] = [1, 2, 59, 60, 61, 3_600, 86_399, 86_400];

type Engine = Arc<(ManualClock, Authlink)>;
type Engines = HashMap<(String, Duration, Duration), Engine>;

/// Engines by policy, built once each: building one compiles the whitelist,
/// which costs more than the rest of a run.
fn engine(binding: IpBinding, ttl: Duration, leeway: Duration) -> Engine {
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
            let engine = engine_with(SECRET, PURPOSE, policy, &clock);
            Arc::new((clock, engine))
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
    let ttl = Duration::seconds(TTLS[input.ttl_s as usize % TTLS.len()]);
    let leeway = Duration::seconds(i64::from(input.leeway_s % 31));
    let (clock, engine) = &*engine(binding, ttl, leeway);
    clock.set(
        time::OffsetDateTime::from_unix_timestamp(i64::from(input.issued_at))
            .unwrap_or_else(|e| panic!("{e}"))
            + Duration::nanoseconds(i64::from(input.nanos % 1_000_000_000)),
    );

    // The target as drawn when the policy accepts it, else a safe one made
    // from its letters and digits.
    let target = match engine.check_target(&input.target) {
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
        (User::Name(name), None) => engine.issue(name, &target, input.ip),
        (User::Name(name), Some(stamp)) => engine.issue_with_stamp(name, &target, input.ip, stamp),
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

    // Once only.
    if let User::Id(_) = &input.user {
        let cache = MemoryReplayCache::with_capacity(4);
        for expected in [Ok(()), Err(VerifyErrorKind::AlreadyUsed)] {
            let consumed = engine
                .verify::<u64>(&link.key, input.ip)
                .and_then(|l| l.check_stamp(input.stamp.as_deref()))
                .and_then(|l| pollster_ready(engine.consume(l, &cache)));
            assert_eq!(consumed.map(|_| ()).map_err(|e| e.kind()), expected);
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

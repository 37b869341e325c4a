//! Consume throughput and latency through [`RedisReplayCache`], for
//! `benches/redis.sh`. Starts no server: it takes the URL of a running Redis.
//!
//! ```text
//! bench_redis URL MODE [SECONDS] [TASKS] [MAX_RATE]
//! ```
//!
//! MODE is `consume` (links verified before the clock starts; each operation
//! is [`Authlink::consume`] alone, one `SET NX PX` round trip) or `verify`
//! (each operation verifies the token, then consumes it). TASKS tasks (64)
//! run operations back to back for SECONDS seconds (10), each on a distinct
//! link issued up front: MAX_RATE (200000) × SECONDS links, an upper bound on
//! operations per second. Every operation must succeed: a link refused, a
//! Redis error, or a run out of links fails the run (exit 1).
//!
//! Prints one line:
//!
//! ```text
//! RESULT mode=consume ops=N seconds=S ops_per_s=R p50_us=A p99_us=B
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use authlink::replay::redis::RedisReplayCache;
use authlink::{Authlink, KeyId, KeyRing, SecretKey, VerifiedLink};

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::typical::{self, TARGET};
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const USAGE: &str = "usage: bench_redis URL consume|verify [SECONDS] [TASKS] [MAX_RATE]";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `consume` alone, on links verified beforehand.
    Consume,
    /// `verify`, then `consume`.
    Verify,
}

struct Settings {
    url: String,
    mode: Mode,
    run_for: Duration,
    tasks: usize,
    links: usize,
}

/// The links, in the form the mode starts from.
enum Links {
    Verified(Vec<VerifiedLink<u64>>),
    Tokens(Vec<String>),
}

impl Links {
    fn len(&self) -> usize {
        match self {
            Self::Verified(links) => links.len(),
            Self::Tokens(tokens) => tokens.len(),
        }
    }
}

/// What one task did.
#[derive(Default)]
struct Tally {
    /// Nanoseconds of each successful operation.
    latencies: Vec<u64>,
    failures: usize,
    first_failure: Option<String>,
    ran_out: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` runs every bench target; this one only serves
    // benches/redis.sh.
    if args.is_empty() || args[0] == "--bench" {
        println!("bench_redis: driven by benches/redis.sh; nothing to do");
        return ExitCode::SUCCESS;
    }
    let settings = match parse(&args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("bench_redis: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench_redis: {message}");
            ExitCode::from(1)
        }
    }
}

fn parse(args: &[String]) -> Result<Settings, String> {
    let number = |index: usize, default: u64| -> Result<u64, String> {
        match args.get(index) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("not a positive number: {text}")),
        }
    };
    let url = args.first().ok_or("no Redis URL")?.clone();
    let mode = match args.get(1).map(String::as_str) {
        Some("consume") => Mode::Consume,
        Some("verify") => Mode::Verify,
        _ => return Err("MODE must be consume or verify".to_owned()),
    };
    if args.len() > 5 {
        return Err("too many arguments".to_owned());
    }
    let seconds = number(2, 10)?;
    let tasks = number(3, 64)?;
    let max_rate = number(4, 200_000)?;
    Ok(Settings {
        url,
        mode,
        run_for: Duration::from_secs(seconds),
        tasks: usize::try_from(tasks).map_err(|err| err.to_string())?,
        links: usize::try_from(max_rate.saturating_mul(seconds)).map_err(|err| err.to_string())?,
    })
}

fn run(settings: &Settings) -> Result<(), String> {
    let authlink = Arc::new(
        Authlink::new(
            KeyRing::new(KeyId::new(1), SecretKey::generate()),
            "authlink redis bench",
            typical::load_policy(),
        )
        .map_err(|err| err.to_string())?,
    );
    let links = Arc::new(make_links(&authlink, settings)?);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(async {
        let cache = RedisReplayCache::connect(&settings.url)
            .await
            .map_err(|err| err.to_string())?;
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let deadline = start + settings.run_for;
        let tasks: Vec<_> = (0..settings.tasks)
            .map(|_| {
                let (authlink, links, cache, next) = (
                    Arc::clone(&authlink),
                    Arc::clone(&links),
                    cache.clone(),
                    Arc::clone(&next),
                );
                tokio::spawn(async move { work(&authlink, &links, &cache, &next, deadline).await })
            })
            .collect();
        let mut tally = Tally::default();
        for task in tasks {
            let done = task.await.map_err(|err| format!("a task failed: {err}"))?;
            tally.latencies.extend(done.latencies);
            tally.failures += done.failures;
            tally.ran_out |= done.ran_out;
            tally.first_failure = tally.first_failure.or(done.first_failure);
        }
        let elapsed = start.elapsed();
        report(settings, tally, elapsed)
    })
}

fn make_links(authlink: &Authlink, settings: &Settings) -> Result<Links, String> {
    let tokens = (0..settings.links as u64).map(|user| {
        authlink
            .issue(&user, TARGET, CLIENT)
            .map(|link| link.key)
            .map_err(|err| err.to_string())
    });
    match settings.mode {
        Mode::Verify => tokens.collect::<Result<_, _>>().map(Links::Tokens),
        Mode::Consume => tokens
            .map(|token| {
                let token = token?;
                authlink
                    .verify::<u64>(&token, CLIENT)
                    .and_then(|authenticated| authenticated.check_stamp(None))
                    .map_err(|err| err.to_string())
            })
            .collect::<Result<_, _>>()
            .map(Links::Verified),
    }
}

/// Operations back to back until `deadline`, each on the next unused link.
async fn work(
    authlink: &Authlink,
    links: &Links,
    cache: &RedisReplayCache,
    next: &AtomicUsize,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    loop {
        let started = Instant::now();
        if started >= deadline {
            return tally;
        }
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= links.len() {
            tally.ran_out = true;
            return tally;
        }
        let outcome = match links {
            Links::Verified(links) => authlink.consume(links[index].clone(), cache).await,
            Links::Tokens(tokens) => match authlink
                .verify::<u64>(&tokens[index], CLIENT)
                .and_then(|authenticated| authenticated.check_stamp(None))
            {
                Ok(link) => authlink.consume(link, cache).await,
                Err(err) => Err(err),
            },
        };
        match outcome {
            Ok(_) => tally
                .latencies
                .push(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)),
            Err(err) => {
                tally.failures += 1;
                tally.first_failure.get_or_insert_with(|| err.to_string());
            }
        }
    }
}

fn report(settings: &Settings, mut tally: Tally, elapsed: Duration) -> Result<(), String> {
    if tally.ran_out {
        return Err(format!(
            "ran out of links ({} for {:?}): raise MAX_RATE",
            settings.links, settings.run_for
        ));
    }
    if tally.failures > 0 {
        return Err(format!(
            "{} operations failed, the first with: {}",
            tally.failures,
            tally.first_failure.unwrap_or_default()
        ));
    }
    if tally.latencies.is_empty() {
        return Err("no operation completed".to_owned());
    }
    tally.latencies.sort_unstable();
    let percentile = |p: usize| {
        let index = (tally.latencies.len() * p).div_ceil(100).saturating_sub(1);
        tally.latencies[index] as f64 / 1e3
    };
    let ops = tally.latencies.len();
    let seconds = elapsed.as_secs_f64();
    println!(
        "RESULT mode={} ops={ops} seconds={seconds:.3} ops_per_s={:.1} p50_us={:.1} p99_us={:.1}",
        match settings.mode {
            Mode::Consume => "consume",
            Mode::Verify => "verify",
        },
        ops as f64 / seconds,
        percentile(50),
        percentile(99),
    );
    Ok(())
}

//! The in-memory replay cache under load: throughput of threads consuming
//! distinct links (1, 2 and 32 threads), and the resident memory of one
//! million live entries. Prints a table; run with
//! `cargo bench --bench replay`.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::typical;

use std::fs;
use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use authlink::IpBinding;
use authlink::replay::MemoryReplayCache;
use authlink::replay::ReplayKey;
use time::OffsetDateTime;
use typical::CLIENT;

/// Links consumed per measured run, split evenly between the threads.
const LINKS: usize = 192_000;
/// Runs per thread count; the median is reported.
const RUNS: usize = 7;
const THREADS: [usize; 3] = [1, 2, 32];
/// Live entries for the memory figure.
const ENTRIES: usize = 1_000_000;

fn main() {
    // First, while the heap is still small and quiet.
    memory();
    scaling();
}

/// Resident memory of `ENTRIES` live entries, from the kernel's count.
fn memory() {
    let now = OffsetDateTime::now_utc();
    let keys = replay_keys(ENTRIES);
    let before = resident_bytes();
    let cache = MemoryReplayCache::new();
    for (i, key) in keys.iter().enumerate() {
        // Spread over the 65 s a link and its leeway live, as in a steady
        // stream of links: one expiry bucket per second.
        let retain_until = now + time::Duration::seconds(5 + (i * 65 / ENTRIES) as i64);
        let fresh = cache.mark_used_now(*key, retain_until, now);
        assert_eq!(fresh, Ok(authlink::replay::Freshness::Fresh));
    }
    let after = resident_bytes();
    assert_eq!(cache.len(), ENTRIES);
    let grown = after.saturating_sub(before);
    println!(
        "memory: {ENTRIES} live entries: {:.1} MB resident, {:.1} bytes per entry",
        grown as f64 / 1e6,
        grown as f64 / ENTRIES as f64
    );
    black_box(&cache);
}

/// Verify + consume (and the cache alone) by 1, 2 and 32 threads.
fn scaling() {
    let engine = typical::engine(IpBinding::Exact);
    let tokens: Vec<String> = (0..LINKS).map(|_| typical::token(&engine)).collect();
    let keys = replay_keys(LINKS);
    println!(
        "threads | verify+consume ops/s | cache only ops/s  (median of {RUNS} runs, {LINKS} links each)"
    );
    for threads in THREADS {
        let full = median(|| {
            let cache = MemoryReplayCache::new();
            run(threads, &tokens, |token| {
                let link = engine
                    .verify::<u64>(token, CLIENT)
                    .and_then(|link| link.check_stamp(None));
                let link = link.and_then(|link| typical::ready(engine.consume(link, &cache)));
                assert!(link.is_ok(), "a fresh link failed: {link:?}");
            })
        });
        let cache_only = median(|| {
            let cache = MemoryReplayCache::new();
            let now = OffsetDateTime::now_utc();
            let until = now + time::Duration::seconds(65);
            run(threads, &keys, |key| {
                let fresh = cache.mark_used_now(*key, until, now);
                assert_eq!(fresh, Ok(authlink::replay::Freshness::Fresh));
            })
        });
        println!(
            "{threads:>7} | {:>20.0} | {:>16.0}",
            LINKS as f64 / full.as_secs_f64(),
            LINKS as f64 / cache_only.as_secs_f64()
        );
    }
}

/// Splits `items` between `threads` threads, starts them together and
/// times until the last one is done.
fn run<T: Sync>(threads: usize, items: &[T], work: impl Fn(&T) + Sync) -> Duration {
    let start = Barrier::new(threads + 1);
    let per_thread = items.len().div_ceil(threads);
    thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| {
                let (start, work) = (&start, &work);
                scope.spawn(move || {
                    start.wait();
                    chunk.iter().for_each(work);
                })
            })
            .collect();
        // Timed from before the release: with more threads than cores the
        // workers may run before this thread is scheduled again.
        let began = Instant::now();
        start.wait();
        for worker in workers {
            if worker.join().is_err() {
                panic!("a worker panicked");
            }
        }
        began.elapsed()
    })
}

fn median(mut measure: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| measure()).collect();
    times.sort();
    times[RUNS / 2]
}

/// Distinct replay keys, taken as an app gets them: from verified links.
fn replay_keys(count: usize) -> Vec<ReplayKey> {
    let engine = typical::engine(IpBinding::Off);
    (0..count)
        .map(|_| {
            let token = typical::token(&engine);
            match engine
                .verify::<u64>(&token, CLIENT)
                .and_then(|link| link.check_stamp(None))
            {
                Ok(link) => link.replay_key(),
                Err(err) => panic!("a fresh link failed: {err}"),
            }
        })
        .collect()
}

/// This process's resident set, from /proc/self/status.
fn resident_bytes() -> usize {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_else(|err| panic!("{err}"));
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no VmRSS in /proc/self/status"));
    kib * 1024
}

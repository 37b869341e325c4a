//! The metrics a web layer records through `authlink::metrics`, read back
//! from `metrics-util`'s debugging recorder: exact names, and labels that
//! are exactly the reason codes, never a user, key or address.

use crate::fixtures;

use std::collections::BTreeMap;

use authlink::limit::{LimitKey, Limited, RateLimiter};
use authlink::metrics::{self as m, ConsumeObserver, CreateObserver, CreateOutcome};
use authlink::replay::{MemoryReplayCache, ReplayCache, ReplayError};
use authlink::{Authlink, ConsumedLink, VerifyError, no_stamp};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

/// Refuses every user: stands in for one past their rate.
struct Closed;

impl RateLimiter for Closed {
    async fn check(&self, _: &LimitKey) -> Result<(), Limited> {
        Err(Limited::new(std::time::Duration::from_secs(3)))
    }
}

/// A replay cache that cannot answer.
struct Down;

impl ReplayCache for Down {
    async fn mark_used(
        &self,
        _: authlink::replay::ReplayKey,
        _: time::OffsetDateTime,
        _: time::OffsetDateTime,
    ) -> Result<authlink::replay::Freshness, ReplayError> {
        Err(ReplayError::Backend("down".into()))
    }

    async fn release(&self, _: authlink::replay::ReplayKey) -> Result<(), ReplayError> {
        Err(ReplayError::Backend("down".into()))
    }
}

const CLIENT: &str = "192.0.2.1";

fn consume(
    engine: &Authlink,
    key: &str,
    client: &str,
    cache: &(impl ReplayCache + ?Sized),
    limiter: &impl RateLimiter,
) -> Result<ConsumedLink<u64>, VerifyError> {
    let observer = ConsumeObserver::start();
    let result = pollster::block_on(engine.verify_and_consume_limited(
        key,
        fixtures::ip(client),
        no_stamp,
        cache,
        limiter,
    ));
    observer.finish(&result);
    result
}

/// Every series as `name{label=value,…}` → value (histograms: sample count).
fn series(recorder: &DebuggingRecorder) -> BTreeMap<String, u64> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _unit, _description, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.key().name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(n) => n,
                DebugValue::Histogram(samples) => samples.len() as u64,
                DebugValue::Gauge(_) => panic!("no gauges expected"),
            };
            (name, value)
        })
        .collect()
}

#[test]
fn consume_outcomes_are_counted_by_reason_code() {
    let recorder = DebuggingRecorder::new();
    metrics::with_local_recorder(&recorder, || {
        m::describe();
        let clock = fixtures::clock();
        let engine = fixtures::engine(&clock);
        let cache = MemoryReplayCache::new();
        let open = authlink::limit::NoLimit;
        let link = |user: u64| {
            engine
                .issue(&user, "/account", fixtures::ip(CLIENT))
                .unwrap()
        };

        let first = link(42424242);
        consume(&engine, &first.key, CLIENT, &cache, &open).unwrap();
        consume(&engine, &first.key, CLIENT, &cache, &open).unwrap_err(); // used
        consume(&engine, &link(1).key, "192.0.2.99", &cache, &open).unwrap_err(); // client_mismatch
        consume(&engine, "garbage", CLIENT, &cache, &open).unwrap_err(); // invalid
        consume(&engine, &link(2).key, CLIENT, &cache, &Closed).unwrap_err(); // rate_limited
        consume(&engine, &link(3).key, CLIENT, &Down, &open).unwrap_err(); // unavailable
        let late = link(4);
        clock.advance(std::time::Duration::from_secs(61));
        consume(&engine, &late.key, CLIENT, &cache, &open).unwrap_err(); // expired

        let create = CreateObserver::start();
        create.finish(CreateOutcome::Issued);
        CreateObserver::start().finish(CreateOutcome::RateLimited);
        CreateObserver::start().finish(CreateOutcome::Refused);
    });

    let expected: BTreeMap<String, u64> = [
        ("authlink_links_issued_total{}", 1),
        ("authlink_create_limited_total{}", 1),
        ("authlink_logins_total{}", 1),
        ("authlink_links_refused_total{reason=used}", 1),
        ("authlink_links_refused_total{reason=client_mismatch}", 1),
        ("authlink_links_refused_total{reason=invalid}", 1),
        ("authlink_links_refused_total{reason=rate_limited}", 1),
        ("authlink_links_refused_total{reason=unavailable}", 1),
        ("authlink_links_refused_total{reason=expired}", 1),
        ("authlink_replay_cache_unavailable_total{}", 1),
        ("authlink_consume_seconds{outcome=logged_in}", 1),
        ("authlink_consume_seconds{outcome=refused}", 6),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let got = series(&recorder);
    assert_eq!(got, expected);
    // Nothing user-specific anywhere in a series name or label.
    for name in got.keys() {
        assert!(
            !name.contains("42424242") && !name.contains("192.0.2"),
            "{name}"
        );
    }
}

#[test]
fn describe_gives_every_metric_a_unit() {
    let recorder = DebuggingRecorder::new();
    metrics::with_local_recorder(&recorder, || {
        m::describe();
        m::refused(authlink::FailureReason::Revoked);
        metrics::counter!(m::LINKS_ISSUED).increment(0);
        metrics::histogram!(m::CONSUME_SECONDS).record(0.5);
    });
    let units: BTreeMap<String, Option<metrics::Unit>> = recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, unit, _, _)| (key.key().name().to_owned(), unit))
        .collect();
    assert_eq!(units[m::LINKS_REFUSED], Some(metrics::Unit::Count));
    assert_eq!(units[m::LINKS_ISSUED], Some(metrics::Unit::Count));
    assert_eq!(units[m::CONSUME_SECONDS], Some(metrics::Unit::Seconds));
}

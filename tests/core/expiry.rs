//! Time: the future leeway, and extreme issue times that must error, not panic.

use crate::fixtures;

use authlink::{IssueError, ManualClock, Policy, VerifyErrorKind};
use fixtures::reference::{self, Claims};
use fixtures::{PURPOSE, T0, binding_off, clock, engine, engine_with, ip};

use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};

fn signed_at(issued_at: u64) -> String {
    let claims = Claims {
        link_id: [3; 8],
        issued_at,
        user: 1u64,
        target: "/account",
        client: None,
        stamp: None,
    };
    reference::sign(
        &[7; 32],
        PURPOSE,
        1,
        1,
        "u64",
        &reference::claims_bytes(&claims),
    )
}

fn verify_at(issued_at: u64, now: OffsetDateTime) -> Result<(), VerifyErrorKind> {
    let clock = ManualClock::new(now);
    let authlink = engine_with(binding_off(), &clock);
    authlink
        .verify::<u64>(&signed_at(issued_at), ip("192.0.2.1"))
        .map(|_| ())
        .map_err(|e| e.kind())
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

#[test]
fn future_issue_times_within_the_leeway_pass_beyond_fail() {
    let t0 = T0 as u64;
    assert_eq!(verify_at(t0 + 5, at(T0)), Ok(()));
    assert_eq!(
        verify_at(t0 + 6, at(T0)),
        Err(VerifyErrorKind::IssuedInFuture)
    );
    assert_eq!(
        verify_at(t0 + 60, at(T0)),
        Err(VerifyErrorKind::IssuedInFuture)
    );
}

#[test]
fn extreme_issue_times_give_errors_not_panics() {
    assert_eq!(verify_at(0, at(T0)), Err(VerifyErrorKind::Expired));
    assert_eq!(verify_at(0, at(30)), Ok(()));
    assert_eq!(verify_at(0, at(60)), Err(VerifyErrorKind::Expired));
    for issued in [
        u64::MAX,
        u64::MAX - 59,
        u64::MAX - 60,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
    ] {
        assert_eq!(
            verify_at(issued, at(T0)),
            Err(VerifyErrorKind::IssuedInFuture),
            "{issued}"
        );
        assert_eq!(
            verify_at(
                issued,
                OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT)
            ),
            Err(VerifyErrorKind::IssuedInFuture)
        );
    }
    // Near the end of the calendar the expiry (issue time + ttl) is past what
    // a date can hold: still a clean answer.
    let last = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT);
    let last_secs = last.unix_timestamp() as u64;
    let end = ManualClock::new(
        last + Duration::hours(23) + Duration::minutes(59) + Duration::seconds(30),
    );
    let authlink = engine_with(binding_off(), &end);
    assert!(
        authlink
            .verify::<u64>(&signed_at(last_secs + 86_370), ip("192.0.2.1"))
            .is_err()
    );
}

#[test]
fn clocks_out_of_range_refuse_to_issue() {
    let before_epoch = ManualClock::new(at(-1));
    let authlink = engine(&before_epoch);
    assert_eq!(
        authlink
            .issue(&1u64, "/account", ip("192.0.2.1"))
            .unwrap_err(),
        IssueError::ClockOutOfRange
    );

    let last = ManualClock::new(OffsetDateTime::new_utc(
        time::Date::MAX,
        time::Time::from_hms(23, 59, 30).unwrap(),
    ));
    let authlink = engine(&last);
    assert_eq!(
        authlink
            .issue(&1u64, "/account", ip("192.0.2.1"))
            .unwrap_err(),
        IssueError::ClockOutOfRange
    );

    let epoch = ManualClock::new(at(0));
    let authlink = engine(&epoch);
    let link = authlink.issue(&1u64, "/account", ip("192.0.2.1")).unwrap();
    assert_eq!(link.expires_at, at(60));
    assert!(authlink.verify::<u64>(&link.key, ip("192.0.2.1")).is_ok());
}

#[test]
fn a_forged_and_expired_token_reports_the_bad_signature() {
    let clock = clock();
    let authlink = engine(&clock);
    let link = authlink.issue(&1u64, "/account", ip("192.0.2.1")).unwrap();
    clock.advance(std::time::Duration::from_secs(3600));
    let mut bytes = reference::decode(&link.key);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let forged = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    assert_eq!(
        authlink
            .verify::<u64>(&forged, ip("192.0.2.1"))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::BadSignature
    );
    assert_eq!(
        authlink
            .verify::<u64>(&link.key, ip("192.0.2.1"))
            .unwrap_err()
            .kind(),
        VerifyErrorKind::Expired
    );
}

#[test]
fn policy_ranges_are_enforced() {
    type Change = fn(&mut Policy);
    let cases: [(Change, authlink::ConfigError); 4] = [
        (
            |p| p.ttl = StdDuration::ZERO,
            authlink::ConfigError::TtlOutOfRange,
        ),
        (
            |p| p.ttl = StdDuration::from_secs(2 * 86_400),
            authlink::ConfigError::TtlOutOfRange,
        ),
        (
            |p| p.ttl = StdDuration::from_millis(999),
            authlink::ConfigError::TtlOutOfRange,
        ),
        (
            |p| p.leeway = StdDuration::from_secs(31),
            authlink::ConfigError::LeewayOutOfRange,
        ),
    ];
    for (change, expected) in cases {
        let mut policy = Policy::default();
        change(&mut policy);
        assert_eq!(
            authlink::Authlink::new(fixtures::key(1).into(), "p", policy).unwrap_err(),
            expected
        );
    }
    assert_eq!(
        authlink::Authlink::new(fixtures::key(1).into(), "", Policy::default()).unwrap_err(),
        authlink::ConfigError::EmptyPurpose
    );
    let defaults = Policy::default();
    assert_eq!(
        (defaults.ttl, defaults.leeway),
        (StdDuration::from_secs(60), StdDuration::from_secs(5))
    );
    assert!(defaults.whitelist.is_empty());
    for template in ["/authlink/", "/{key}/{key}"] {
        assert_eq!(
            template.parse::<authlink::UrlTemplate>(),
            Err(authlink::ConfigError::UrlTemplate),
            "{template}"
        );
    }
}

#[test]
fn absolute_url_templates_build_absolute_links() {
    let mut policy = fixtures::policy();
    policy.url_template = "https://app.example/authlink/{key}?via=app"
        .parse()
        .unwrap();
    let clock = clock();
    let authlink = engine_with(policy, &clock);
    let link = authlink.issue(&1u64, "/account", ip("192.0.2.1")).unwrap();
    assert_eq!(
        link.url,
        format!("https://app.example/authlink/{}?via=app", link.key)
    );
}

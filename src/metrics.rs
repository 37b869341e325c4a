//! Counters, a latency histogram and tracing spans for the create and
//! consume endpoints, for any web layer to call.
//!
//! Metrics go through the [`metrics`] facade, so whichever
//! exporter the app installs (Prometheus, StatsD, OpenTelemetry …) receives
//! them; with no recorder installed they cost next to nothing. Spans go
//! through [`tracing`], for OpenTelemetry users among others.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | [`LINKS_ISSUED`] `authlink_links_issued_total` | counter | |
//! | [`CREATE_LIMITED`] `authlink_create_limited_total` | counter | |
//! | [`LOGINS`] `authlink_logins_total` | counter | |
//! | [`LINKS_REFUSED`] `authlink_links_refused_total` | counter | `reason`: a [`FailureReason::code`] |
//! | [`REPLAY_CACHE_UNAVAILABLE`] `authlink_replay_cache_unavailable_total` | counter | |
//! | [`MAILS_FAILED`] `authlink_mails_failed_total` | counter | |
//! | [`CONSUME_SECONDS`] `authlink_consume_seconds` | histogram | `outcome`: `logged_in` or `refused` |
//!
//! `authlink_logins_total` counts a login once it is in the session. On
//! actix-web the session is stored after the response is made; when that
//! store fails, `ActixSessions` gives the link back and counts it under
//! `authlink_links_refused_total{reason="unavailable"}` as well.
//!
//! Label values come from fixed sets only: never a key, a secret, a user id
//! or a client address, so neither an attacker nor the user count can grow
//! the number of series.
//!
//! # Example
//!
//! ```
//! # async fn consume(authlink: &authlink::Authlink, key: &str, ip: std::net::IpAddr)
//! # -> Result<(), authlink::VerifyError> {
//! use authlink::limit::NoLimit;
//! use authlink::metrics::ConsumeObserver;
//! use authlink::replay::MemoryReplayCache;
//! use tracing::Instrument as _;
//!
//! # let cache = MemoryReplayCache::new();
//! let observer = ConsumeObserver::start();
//! let result = authlink
//!     .verify_and_consume_limited::<u64, _, _, _, _, _>(key, ip, authlink::no_stamp, &cache, &NoLimit)
//!     .instrument(observer.span().clone())
//!     .await;
//! observer.finish(&result); // logged in, or refused by reason; and the latency
//! # result.map(drop)
//! # }
//! # let mut policy = authlink::Policy::default();
//! # policy.whitelist = authlink::Whitelist::new(["/account"]).unwrap();
//! # let keys = authlink::KeyRing::from(authlink::SecretKey::generate());
//! # let authlink = authlink::Authlink::new(keys, "docs", policy).unwrap();
//! # let ip = "192.0.2.7".parse().unwrap();
//! # let link = authlink.issue(&42u64, "/account", ip).unwrap();
//! # pollster::block_on(consume(&authlink, &link.key, ip)).unwrap();
//! ```

use std::time::{Duration, Instant};

use ::metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use tracing::Span;
use tracing::field::Empty;

use crate::error::{FailureReason, VerifyError, VerifyErrorKind};

/// Links issued by the create endpoint.
pub const LINKS_ISSUED: &str = "authlink_links_issued_total";
/// Create requests refused by a rate limit (`429`).
pub const CREATE_LIMITED: &str = "authlink_create_limited_total";
/// Links that logged their user in.
pub const LOGINS: &str = "authlink_logins_total";
/// Links refused, labelled `reason` with the [`FailureReason::code`].
pub const LINKS_REFUSED: &str = "authlink_links_refused_total";
/// Consumes refused because the replay cache could not answer.
pub const REPLAY_CACHE_UNAVAILABLE: &str = "authlink_replay_cache_unavailable_total";
/// Sign-in mails the mailer could not send.
pub const MAILS_FAILED: &str = "authlink_mails_failed_total";
/// Time to verify and consume a link, labelled `outcome`.
pub const CONSUME_SECONDS: &str = "authlink_consume_seconds";

/// Registers a description and unit for every metric, for exporters that
/// show them. Call once, after installing the recorder.
pub fn describe() {
    describe_counter!(LINKS_ISSUED, Unit::Count, "Links issued.");
    describe_counter!(
        CREATE_LIMITED,
        Unit::Count,
        "Link requests refused by a rate limit."
    );
    describe_counter!(LOGINS, Unit::Count, "Links that logged their user in.");
    describe_counter!(LINKS_REFUSED, Unit::Count, "Links refused, by reason.");
    describe_counter!(
        MAILS_FAILED,
        Unit::Count,
        "Sign-in mails the mailer could not send."
    );
    describe_counter!(
        REPLAY_CACHE_UNAVAILABLE,
        Unit::Count,
        "Consumes refused because the replay cache did not answer."
    );
    describe_histogram!(
        CONSUME_SECONDS,
        Unit::Seconds,
        "Time to verify and consume a link."
    );
}

/// Counts a consume's result: a login, or a refusal by reason (and the
/// replay cache's unavailability), and its latency.
pub fn record_consume<T>(result: &Result<T, VerifyError>, elapsed: Duration) {
    let outcome = match result {
        Ok(_) => {
            counter!(LOGINS).increment(1);
            "logged_in"
        }
        Err(err) => {
            refused(err.reason());
            if err.kind() == VerifyErrorKind::ReplayCacheUnavailable {
                counter!(REPLAY_CACHE_UNAVAILABLE).increment(1);
            }
            "refused"
        }
    };
    histogram!(CONSUME_SECONDS, "outcome" => outcome).record(elapsed.as_secs_f64());
}

/// Counts one sign-in mail the mailer could not send.
pub fn mail_failed() {
    counter!(MAILS_FAILED).increment(1);
}

/// Counts one link refused for `reason`, for a web layer that refuses a
/// link before calling the core (a client address it cannot tell).
pub fn refused(reason: FailureReason) {
    counter!(LINKS_REFUSED, "reason" => reason.code()).increment(1);
}

/// One consume: its span (`authlink.consume`) and its start time. Finish it
/// with the result to count it.
#[derive(Debug)]
#[must_use = "finish the observer with the consume's result to count it"]
pub struct ConsumeObserver {
    span: Span,
    start: Instant,
}

impl ConsumeObserver {
    /// Opens the span and starts the clock.
    pub fn start() -> Self {
        Self {
            span: consume_span(),
            start: Instant::now(),
        }
    }

    /// The span to instrument the consume with.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records the outcome (and the reason) on the span, and counts it with
    /// its latency ([`record_consume`]).
    pub fn finish<T>(self, result: &Result<T, VerifyError>) {
        match result {
            Ok(_) => {
                self.span.record("outcome", "logged_in");
            }
            Err(err) => {
                self.span.record("outcome", "refused");
                self.span.record("reason", err.reason().code());
            }
        }
        record_consume(result, self.start.elapsed());
    }
}

/// How a create request ended, for [`CreateObserver::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateOutcome {
    /// A link was issued.
    Issued,
    /// A rate limit refused it (`429`).
    RateLimited,
    /// Refused otherwise: unauthenticated, a bad or unlisted target, a bad
    /// body. Not counted: these are the app's own errors, and carry no
    /// label worth a series.
    Refused,
}

impl CreateOutcome {
    /// `issued`, `rate_limited` or `refused`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::RateLimited => "rate_limited",
            Self::Refused => "refused",
        }
    }
}

/// One create request: its span (`authlink.create`). Finish it with the
/// outcome to count it.
#[derive(Debug)]
#[must_use = "finish the observer with the outcome to count it"]
pub struct CreateObserver {
    span: Span,
}

impl CreateObserver {
    /// Opens the span.
    pub fn start() -> Self {
        Self {
            span: create_span(),
        }
    }

    /// The span to instrument the create with.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records the outcome on the span and counts issued and rate-limited
    /// requests.
    pub fn finish(self, outcome: CreateOutcome) {
        self.span.record("outcome", outcome.code());
        match outcome {
            CreateOutcome::Issued => counter!(LINKS_ISSUED).increment(1),
            CreateOutcome::RateLimited => counter!(CREATE_LIMITED).increment(1),
            CreateOutcome::Refused => {}
        }
    }
}

/// An `authlink.create` span at `INFO`, with an empty `outcome` field to
/// record. It carries no user, key or address.
pub fn create_span() -> Span {
    tracing::info_span!("authlink.create", outcome = Empty)
}

/// An `authlink.consume` span at `INFO`, with empty `outcome` and `reason`
/// fields to record. It carries no user, key or address.
pub fn consume_span() -> Span {
    tracing::info_span!("authlink.consume", outcome = Empty, reason = Empty)
}

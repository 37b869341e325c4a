//! The endpoints' work once a framework has read the request: issue a link,
//! consume one into a session, and the events and counters of both. Every
//! framework's adapter calls these, so the order of the checks, the log
//! events and the metrics are the same on every stack.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::time::Instant;

use super::app_error::AppError;
use super::create::CreateRefusal;
use super::settings::Settings;
use super::user::LinkUser;
use crate::error::{FailureReason, VerifyError};
use crate::issue::Link;
use crate::replay::{ReplayCache as _, ReplayKey};
use crate::verify::ConsumedLink;

/// The session of the browser opening a link, as an adapter provides it.
///
/// Implementations log in with a fresh session id, and drop whatever the
/// session held before.
pub(crate) trait LoginSession<U> {
    /// What to do when a request reaches an endpoint without a session:
    /// the fix the log line names.
    const MISSING: &'static str;
    /// Whether the session was established by consuming a link.
    fn is_link_session(&mut self) -> impl Future<Output = Result<bool, AppError>>;
    /// Ends the browser's session and logs `user` in through a link, which
    /// used up `spent`. A session stored after the response (actix-session)
    /// keeps `spent`, to give the link back when the store then fails.
    fn log_in(&mut self, user: &U, spent: ReplayKey) -> impl Future<Output = Result<(), AppError>>;
}

/// Says that a request reached an endpoint, the guard or a user extractor
/// without a session, and `fix`: the one log event for it on every stack.
pub(crate) fn missing_session(fix: &str) {
    tracing::error!(
        target: "authlink",
        outcome = "misconfigured",
        "no session in the request: {fix}",
    );
}

/// Gives `spent` back after the login it was used for could not be stored
/// (`err`), so a failing session store burns no link.
pub(crate) async fn give_back(config: &Settings, spent: ReplayKey, err: impl fmt::Display) {
    tracing::error!(
        target: "authlink",
        outcome = "login_failed",
        error = %err,
        "link released, login failed",
    );
    if let Err(err) = config.replay.release(spent).await {
        tracing::error!(
            target: "authlink",
            outcome = "release_failed",
            error = %err,
            "link stays used after a failed login",
        );
    }
    count_refusal(FailureReason::Unavailable);
}

/// How a consume ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Consumed {
    /// The link's user is logged in; redirect to the target.
    LoggedIn(String),
    /// No one is logged in, for this reason.
    Refused(FailureReason),
    /// The request had no session (a misplaced session layer): 500, link
    /// unused.
    SignInFailed,
}

/// Consumes the link `key` for a request from `ip` into `session`, through
/// `config`'s replay cache and consume limit: verify, use the link, then log
/// in. The session is touched only once the link is this request's: a link
/// found used, a lost race, a limit or a revoked stamp leave whatever
/// session the browser had as it was. A login that fails releases the link,
/// so a failing session store burns none.
pub(crate) async fn consume_link<U, L, F, E>(
    config: &Settings,
    key: &str,
    ip: Option<IpAddr>,
    session: Option<&mut L>,
    stamp_of: F,
) -> Consumed
where
    U: LinkUser,
    L: LoginSession<U>,
    F: AsyncFnOnce(&U) -> Result<Option<Vec<u8>>, E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let start = Instant::now();
    let Some(ip) = ip else {
        tracing::warn!(
            target: "authlink",
            outcome = "refused",
            reason = "client_mismatch",
            kind = "no_client_address",
            "link refused",
        );
        count_refusal(FailureReason::ClientMismatch);
        return Consumed::Refused(FailureReason::ClientMismatch);
    };
    // Nothing below, the session lookup included, runs for a link that is
    // forged, expired or bound to another address.
    let authenticated = match config.authlink.verify::<U>(key, ip) {
        Ok(authenticated) => authenticated,
        Err(err) => return refused(err, start),
    };
    let Some(session) = session else {
        missing_session(L::MISSING);
        return Consumed::SignInFailed;
    };
    let consumed = config
        .authlink
        .consume_limited(
            authenticated,
            stamp_of,
            &config.replay,
            &config.consume_limit,
        )
        .await;
    let link = match consumed {
        Ok(link) => link,
        Err(err) => return refused(err, start),
    };
    log_in_consumed(config, link, session, start).await
}

/// Logs `link`'s user into `session`, the link already used up by this
/// request. A login that fails gives the link back, so a failing session
/// store burns none.
pub(crate) async fn log_in_consumed<U, L>(
    config: &Settings,
    link: ConsumedLink<U>,
    session: &mut L,
    start: Instant,
) -> Consumed
where
    U: LinkUser,
    L: LoginSession<U>,
{
    let replaced_session = session.is_link_session().await.unwrap_or(false);
    // A session store that is down is an outage like the replay cache's:
    // 503 with Retry-After, so clients and monitors see a temporary refusal
    // rather than a server bug, and the link works once the store is back.
    if let Err(err) = session.log_in(link.user(), link.replay_key()).await {
        give_back(config, link.replay_key(), &err).await;
        return Consumed::Refused(FailureReason::Unavailable);
    }
    count(&Ok::<(), VerifyError>(()), start);
    tracing::info!(
        target: "authlink",
        user = ?link.user(),
        outcome = "logged_in",
        replaced_link_session = replaced_session,
        "link consumed"
    );
    Consumed::LoggedIn(link.target().to_owned())
}

/// Logs and counts a request refused before the link was looked at (a
/// cross-site `POST`).
pub(crate) fn refuse_request(reason: FailureReason) {
    tracing::warn!(
        target: "authlink",
        outcome = "refused",
        reason = reason.code(),
        "link refused",
    );
    count_refusal(reason);
}

pub(crate) fn refused(err: VerifyError, start: Instant) -> Consumed {
    let reason = FailureReason::from(err.kind());
    tracing::info!(
        target: "authlink",
        outcome = "refused",
        reason = reason.code(),
        kind = ?err.kind(),
        error = std::error::Error::source(&err).map(tracing::field::display),
        "link refused"
    );
    count(&Err::<(), _>(err), start);
    Consumed::Refused(reason)
}

/// Counts a consume's result and latency (feature `metrics`).
#[cfg(feature = "metrics")]
fn count<T>(result: &Result<T, VerifyError>, start: Instant) {
    crate::metrics::record_consume(result, start.elapsed());
}

#[cfg(not(feature = "metrics"))]
fn count<T>(_result: &Result<T, VerifyError>, _start: Instant) {}

/// Counts a refusal decided before the core saw the link (feature `metrics`).
#[cfg(feature = "metrics")]
fn count_refusal(reason: FailureReason) {
    crate::metrics::refused(reason);
}

#[cfg(not(feature = "metrics"))]
fn count_refusal(_reason: FailureReason) {}

/// Issues a link for `user` to `target`, bound to `ip` and the user's stamp,
/// within `config`'s create limits: the target is checked before the
/// caller's rate is counted, and the stamp read last.
pub(crate) async fn issue_link<U, F>(
    config: &Settings,
    ip: Option<IpAddr>,
    user: &U,
    target: &str,
    stamp_of: F,
) -> Result<Link, CreateRefusal>
where
    U: LinkUser,
    F: AsyncFnOnce(&U) -> Result<Option<Vec<u8>>, AppError>,
{
    let ip = ip.ok_or(CreateRefusal::NoClientAddress)?;
    config
        .authlink
        .policy()
        .check_target(target)
        .map_err(CreateRefusal::from)?;
    config
        .create_limits
        .check(user, ip)
        .await
        .map_err(|limited| CreateRefusal::RateLimited(limited.retry_after_secs()))?;
    let stamp = stamp_of(user).await.map_err(|err| {
        tracing::error!(
            target: "authlink",
            user = ?user,
            outcome = "refused",
            reason = "unavailable",
            error = %err,
            "link refused",
        );
        CreateRefusal::Unavailable
    })?;
    let issued = match &stamp {
        Some(stamp) => config.authlink.issue_with_stamp(user, target, ip, stamp),
        None => config.authlink.issue(user, target, ip),
    };
    issued.map_err(CreateRefusal::from)
}

/// Runs a whole create request (`handle`), with its span and counters
/// (feature `metrics`).
pub(crate) async fn observe_create<T>(
    handle: impl Future<Output = Result<T, CreateRefusal>>,
) -> Result<T, CreateRefusal> {
    #[cfg(feature = "metrics")]
    let observer = crate::metrics::CreateObserver::start();
    let result = handle.await;
    #[cfg(feature = "metrics")]
    observer.finish(match &result {
        Ok(_) => crate::metrics::CreateOutcome::Issued,
        Err(CreateRefusal::RateLimited(_)) => crate::metrics::CreateOutcome::RateLimited,
        Err(_) => crate::metrics::CreateOutcome::Refused,
    });
    result
}

/// Logs a create refusal, with the caller when one was authenticated.
pub(crate) fn create_refused<U: fmt::Debug>(
    user: Option<&U>,
    refusal: CreateRefusal,
) -> CreateRefusal {
    match user {
        Some(user) => tracing::info!(
            target: "authlink",
            user = ?user,
            outcome = "refused",
            reason = refusal.code(),
            "link refused",
        ),
        None => tracing::info!(
            target: "authlink",
            outcome = "refused",
            reason = refusal.code(),
            "link refused",
        ),
    }
    refusal
}

/// Logs an issued link.
pub(crate) fn issued<U: fmt::Debug>(user: &U, link: &Link) {
    tracing::info!(
        target: "authlink",
        user = ?user,
        outcome = "issued",
        expires_at = link.expires_at.unix_timestamp(),
        "link issued"
    );
}

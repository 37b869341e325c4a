//! The endpoints and the guard from a request to an [`Answer`], written
//! once: an adapter reads its framework's request as a [`WebRequest`],
//! calls [`create`], [`consume`] or [`guard`], and turns the answer into its
//! framework's response. So the checks, their order, the answers, the log
//! events and the metrics are the same on every stack.

use std::net::IpAddr;

use super::answer::{Answer, is_header_value};
use super::app_error::AppError;
use super::client_ip::{TrustedProxies, client_ip};
use super::consume::{CONSUME_ALLOW, ConsumeRequest, ConsumeStep, consume_step};
use super::create::{CreateRefusal, declared_too_large, is_json, target_from_body};
use super::flow::{self, Consumed, LoginSession};
use super::settings::Settings;
use super::user::LinkUser;
use crate::error::FailureReason;
use crate::issue::Link;

/// What the endpoints read of a request, from any framework.
pub(crate) trait WebRequest {
    /// How to give the endpoints the connection's address on this
    /// framework, for the log line of a server that does not.
    const PEER_FIX: &'static str;

    /// The method, upper case.
    fn method(&self) -> &str;
    /// The path, as received (not decoded).
    fn path(&self) -> &str;
    /// The request URI's authority, when it has one (HTTP/2).
    fn authority(&self) -> Option<&str>;
    /// The values of the header `name` (lower case), in the order received.
    fn headers<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]>;
    /// The address of the connection the request arrived on.
    fn peer(&self) -> Option<IpAddr>;

    /// The first value of the header `name`, if it is text.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers(name)
            .next()
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The client address, through `trusted` proxies.
    fn client_ip(&self, trusted: &TrustedProxies) -> Option<IpAddr> {
        client_ip(self.peer(), self.headers(trusted.header_name()), trusted)
    }
}

/// Issues a link for `user` to `target` for the client of `request`: the
/// create endpoint's work, for an app's own handler.
pub(crate) async fn issue<U, R, F>(
    settings: &Settings,
    request: &R,
    user: &U,
    target: &str,
    stamp_of: F,
) -> Result<Link, CreateRefusal>
where
    U: LinkUser,
    R: WebRequest,
    F: AsyncFnOnce(&U) -> Result<Option<Vec<u8>>, AppError>,
{
    if request.peer().is_none() {
        missing_peer::<R>();
        return Err(CreateRefusal::Internal);
    }
    let ip = request.client_ip(&settings.trusted);
    let mut link = flow::issue_link(settings, ip, user, target, stamp_of).await?;
    link.url = settings.absolute(link.url);
    Ok(link)
}

/// A request without the connection's address is the server's mistake, not
/// the client's: said once per request, with the fix, at `ERROR`.
fn missing_peer<R: WebRequest>() {
    tracing::error!(
        target: "authlink",
        outcome = "misconfigured",
        "no peer address in the request, so no client address to bind or check: {}",
        R::PEER_FIX,
    );
}

/// The create endpoint: who asks (`api_user`), the body (`read_body`, up
/// to the limit it is given), and the link issued with the user's stamp.
pub(crate) async fn create<U, R, Q, B, F>(
    settings: &Settings,
    request: &mut R,
    api_user: Q,
    read_body: B,
    stamp_of: F,
) -> Answer
where
    U: LinkUser,
    R: WebRequest,
    Q: AsyncFnOnce(&mut R) -> Option<U>,
    B: AsyncFnOnce(usize) -> Result<Vec<u8>, CreateRefusal>,
    F: AsyncFnOnce(&U) -> Result<Option<Vec<u8>>, AppError>,
{
    let handle = async {
        if request.method() != "POST" {
            return Err(CreateRefusal::MethodNotAllowed);
        }
        // Django REST framework's two texts: which one is true depends on
        // whether the caller sent credentials at all.
        let sent_credentials = request.header("authorization").is_some();
        let Some(user) = api_user(request).await else {
            let refusal = if sent_credentials {
                CreateRefusal::InvalidCredentials
            } else {
                CreateRefusal::Unauthenticated
            };
            return Err(flow::create_refused::<U>(None, refusal));
        };
        let refused = |refusal| flow::create_refused(Some(&user), refusal);
        if !is_json(request.header("content-type").map(str::as_bytes)) {
            return Err(refused(CreateRefusal::UnsupportedMediaType));
        }
        let limit = settings.body_limit;
        if declared_too_large(request.header("content-length").map(str::as_bytes), limit) {
            return Err(refused(CreateRefusal::TooLarge));
        }
        let body = read_body(limit).await.map_err(refused)?;
        let target = target_from_body(&body).map_err(refused)?;
        let link = issue(settings, request, &user, &target, stamp_of)
            .await
            .map_err(refused)?;
        // A template outside the header grammar would give a 201 without
        // its Location.
        if !is_header_value(&link.url) {
            return Err(refused(CreateRefusal::Internal));
        }
        flow::issued(&user, &link);
        Ok(settings
            .responses
            .created(&target, &link.url)
            .with_header("location", link.url))
    };
    let answer = match flow::observe_create(handle).await {
        Ok(answer) => answer,
        Err(refusal) => settings
            .responses
            .create_refused(&refusal, &settings.messages),
    };
    answer.with_header("cache-control", "no-store")
}

/// The consume endpoint: the confirmation page, or the link consumed into
/// `session` (`None` when the request has none: a misplaced session layer).
pub(crate) async fn consume<U, R, L, F, E>(
    settings: &Settings,
    request: &R,
    session: Option<&mut L>,
    stamp_of: F,
) -> Answer
where
    U: LinkUser,
    R: WebRequest,
    L: LoginSession<U>,
    F: AsyncFnOnce(&U) -> Result<Option<Vec<u8>>, E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let facts = ConsumeRequest {
        method: request.method(),
        sec_fetch_site: request.header("sec-fetch-site"),
        origin: request.header("origin"),
        host: request.header("host").or_else(|| request.authority()),
    };
    let answer = match consume_step(settings.mode, settings.confirm, &facts) {
        ConsumeStep::Consume if request.peer().is_none() => {
            missing_peer::<R>();
            misconfigured(settings)
        }
        ConsumeStep::Consume => {
            let key = request.path().rsplit('/').next().unwrap_or_default();
            let ip = request.client_ip(&settings.trusted);
            match flow::consume_link(settings, key, ip, session, stamp_of).await {
                Consumed::LoggedIn(target) => settings.responses.success(&target),
                Consumed::Refused(reason) => failure(settings, reason),
                Consumed::SignInFailed => misconfigured(settings),
            }
        }
        ConsumeStep::Confirm(page) => Answer::html(200, page.html(&settings.messages))
            .with_header("content-security-policy", page.content_security_policy()),
        ConsumeStep::Probe => Answer::html(200, ""),
        ConsumeStep::Refuse(reason) => {
            flow::refuse_request(reason);
            failure(settings, reason)
        }
        ConsumeStep::MethodNotAllowed => {
            Answer::text(405, settings.messages.method_not_allowed.clone())
                .with_header("allow", CONSUME_ALLOW)
        }
    };
    answer
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
}

/// The answer to a sign-in whose session could not be stored once the
/// response was made (actix-session stores it after the handler): the link
/// was given back, so the answer is the one to an unavailable store.
#[cfg_attr(not(feature = "actix"), allow(dead_code))]
pub(crate) fn unstored(settings: &Settings) -> Answer {
    failure(settings, FailureReason::Unavailable)
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
}

/// The answer to a request that reached the guard, a user extractor or an
/// endpoint without the session it needs (the server's mistake, logged with
/// its fix where it is found).
pub(crate) fn misconfigured(settings: &Settings) -> Answer {
    Answer::text(500, settings.messages.sign_in_failed.clone())
}

/// The answer to a link that logged no one in, carrying the reason.
fn failure(settings: &Settings, reason: FailureReason) -> Answer {
    let url = settings.failure_location(reason);
    settings
        .responses
        .failure(reason, &url, &settings.messages)
        .with_reason(reason)
}

/// The guard: `None` to let the request to `path` through, or the answer
/// that keeps a link session (`is_link_session`, asked only for a path off
/// the whitelist) to the whitelist. A session that cannot be read sees no
/// page off the whitelist.
pub(crate) async fn guard(
    settings: &Settings,
    path: &str,
    is_link_session: impl AsyncFnOnce() -> Result<bool, AppError>,
) -> Option<Answer> {
    if settings.guard_paths().allows(path) {
        return None;
    }
    match is_link_session().await {
        Ok(false) => return None,
        Ok(true) => tracing::info!(
            target: "authlink",
            outcome = "forbidden",
            "link session kept to the whitelist",
        ),
        Err(err) => tracing::error!(target: "authlink", error = %err, "session unreadable"),
    }
    let paths = settings.guard_paths();
    Some(
        settings
            .responses
            .off_whitelist(path, paths.login_url, &settings.messages),
    )
}

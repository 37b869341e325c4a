//! The consume endpoint (django-authlink's `AuthLinkView`): the browser opens
//! the link and, if it checks out, leaves logged in.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{ALLOW, CONTENT_SECURITY_POLICY, HOST, ORIGIN};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, request};
use tower::ServiceExt as _;
use tower_service::Service;

use super::BoxFuture;
use super::app::LinkApp;
use super::endpoints::Shared;
use super::peer::request_client_ip;
use super::response::{ResponseBody, html, private, set_header, text};
use super::sessions::LinkSessions;
use crate::error::VerifyError;
use crate::web::{CONSUME_ALLOW, ConsumeRequest, ConsumeStep, FailureReason, consume_step};

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The consume endpoint as a tower service, from
/// [`Endpoints::consume_service`](super::Endpoints::consume_service). Mount
/// it at the path of the policy's URL template (`/authlink/{key}`); the key
/// is the path's last segment.
///
/// On success the browser's previous session, if any, is ended, the link's
/// user is logged in with a fresh session id, and the answer is
/// [`Responses::success`](super::Responses::success) (default
/// `303 See Other` to the link's target). The session is stored before the
/// link is marked used, so a failing session store does not burn the link;
/// a link found used then has its session discarded. On any failure nothing
/// is established and the answer is [`Responses::failure`](super::Responses::failure)
/// (default `303` to the failure URL, or `503` with `Retry-After` when the
/// session store, the replay cache or the stamp lookup is unavailable), carrying the
/// [`FailureReason`] in its extensions. Every answer has
/// `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
///
/// `GET` consumes in [`ConsumeMode::Direct`](crate::web::ConsumeMode::Direct)
/// and shows the confirmation page in
/// [`ConsumeMode::PrefetchSafe`](crate::web::ConsumeMode::PrefetchSafe);
/// `POST` consumes in both unless it is cross-site
/// ([`FailureReason::CrossSite`], see [`consume_step`]); `HEAD` never
/// consumes; other methods get 405.
pub struct ConsumeService<A, S> {
    shared: Shared<A, S>,
    /// Whether the session layer was put around this instance already.
    provided: bool,
}

impl<A, S> ConsumeService<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
{
    pub(crate) fn new(shared: Shared<A, S>) -> Self {
        Self {
            shared,
            provided: false,
        }
    }

    /// Answers `request` as the service does: for an app's own handler.
    pub async fn consume<B: Send + 'static>(&self, request: Request<B>) -> Response<ResponseBody> {
        if self.provided || self.shared.sessions.handle(request.extensions()).is_some() {
            return self.handle(request).await;
        }
        let inner = Self {
            shared: self.shared.clone(),
            provided: true,
        };
        match self.shared.sessions.provide(inner).oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody> {
        let (parts, _body) = request.into_parts();
        let header = |name: &HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let facts = ConsumeRequest {
            method: parts.method.as_str(),
            sec_fetch_site: header(&SEC_FETCH_SITE),
            origin: header(&ORIGIN),
            host: header(&HOST).or_else(|| parts.uri.authority().map(|a| a.as_str())),
        };
        let mut response = match consume_step(self.shared.mode, &facts) {
            ConsumeStep::Consume => self.consume_link(&parts).await,
            ConsumeStep::Confirm => self.confirm_page(),
            ConsumeStep::Probe => html(StatusCode::OK, ""),
            ConsumeStep::Refuse(reason) => {
                tracing::warn!(
                    target: "authlink",
                    outcome = "refused",
                    reason = reason.code(),
                    "link refused",
                );
                count_refusal(reason);
                self.failure(reason)
            }
            _ => {
                let mut response = text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    self.shared.messages.method_not_allowed.to_string(),
                );
                set_header(&mut response, ALLOW, CONSUME_ALLOW);
                response
            }
        };
        private(&mut response);
        response
    }

    async fn consume_link(&self, parts: &request::Parts) -> Response<ResponseBody> {
        let shared = &self.shared;
        let start = Instant::now();
        let key = parts.uri.path().rsplit('/').next().unwrap_or_default();
        let Some(ip) = request_client_ip(parts, &shared.trusted) else {
            tracing::warn!(
                target: "authlink",
                outcome = "refused",
                reason = "client_mismatch",
                kind = "no_client_address",
                "link refused",
            );
            count_refusal(FailureReason::ClientMismatch);
            return self.failure(FailureReason::ClientMismatch);
        };
        // Who the link is for, without using it: nothing below runs for a
        // link that is forged, expired or bound to another address.
        let authenticated = match shared.authlink.verify::<A::User>(key, ip) {
            Ok(authenticated) => authenticated,
            Err(err) => return self.refused(err, start),
        };
        let user = authenticated.user();
        let Some(mut session) = shared.sessions.handle(&parts.extensions) else {
            tracing::error!(
                target: "authlink",
                outcome = "misconfigured",
                "no session in the request: put the session layer around the consume \
                 endpoint, or make LinkSessions::provide do it",
            );
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                shared.messages.sign_in_failed.to_string(),
            );
        };
        let replaced_session = shared
            .sessions
            .is_link_session(&session)
            .await
            .unwrap_or(false);
        // The session first, the link's single use after: a session store
        // that fails leaves the link unused. A store that is down is an
        // outage like the replay cache's: 503 with Retry-After, so clients
        // and monitors see a temporary refusal rather than a server bug.
        if let Err(err) = shared.sessions.log_in(&mut session, user).await {
            tracing::error!(
                target: "authlink",
                user = ?user,
                outcome = "login_failed",
                error = %err,
                "link not consumed, login failed",
            );
            count_refusal(FailureReason::Unavailable);
            return self.failure(FailureReason::Unavailable);
        }
        let app = &*shared.app;
        let consumed = shared
            .authlink
            .verify_and_consume_limited(
                key,
                ip,
                async |user: &A::User| app.user_stamp(user).await,
                &shared.replay,
                &shared.consume_limit,
            )
            .await;
        let link = match consumed {
            Ok(link) => link,
            Err(err) => {
                shared.sessions.discard(&mut session).await;
                return self.refused(err, start);
            }
        };
        count(&Ok::<(), VerifyError>(()), start);
        tracing::info!(
            target: "authlink",
            user = ?link.user(),
            outcome = "logged_in",
            replaced_link_session = replaced_session,
            "link consumed"
        );
        shared.responses.success(link.target())
    }

    fn confirm_page(&self) -> Response<ResponseBody> {
        let page = self.shared.confirm;
        let mut response = html(StatusCode::OK, page.html(&self.shared.messages));
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page.content_security_policy()),
        );
        response
    }

    fn refused(&self, err: VerifyError, start: Instant) -> Response<ResponseBody> {
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
        self.failure(reason)
    }

    fn failure(&self, reason: FailureReason) -> Response<ResponseBody> {
        let url = self.shared.failure_url.replace("{reason}", reason.code());
        let mut response = self
            .shared
            .responses
            .failure(reason, &url, &self.shared.messages);
        response.extensions_mut().insert(reason);
        response
    }
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

impl<A, S: Clone> Clone for ConsumeService<A, S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            provided: self.provided,
        }
    }
}

impl<A, S> std::fmt::Debug for ConsumeService<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeService")
            .field("trusted", &self.shared.trusted)
            .field("failure_url", &self.shared.failure_url)
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

impl<A, S, B> Service<Request<B>> for ConsumeService<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
    B: Send + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.consume(request).await) })
    }
}

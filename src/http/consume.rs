//! The consume endpoint (django-authlink's `AuthLinkView`): the browser opens
//! the link and, if it checks out, leaves logged in.

use std::convert::Infallible;
use std::task::{Context, Poll};

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
use crate::error::FailureReason;
use crate::web::AppError;
use crate::web::flow::{self, Consumed, LoginSession};
use crate::web::{CONSUME_ALLOW, ConfirmPage, ConsumeRequest, ConsumeStep, consume_step};

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
/// [`FailureReason`](crate::FailureReason) in its extensions. Every answer has
/// `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
///
/// `GET` consumes in [`ConsumeMode::Direct`](crate::web::ConsumeMode::Direct)
/// and shows the confirmation page in
/// [`ConsumeMode::PrefetchSafe`](crate::web::ConsumeMode::PrefetchSafe);
/// `POST` consumes in both unless it is cross-site
/// ([`FailureReason::CrossSite`](crate::FailureReason::CrossSite), see [`consume_step`]); `HEAD` never
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
        let config = &self.shared.config;
        let mut response = match consume_step(config.mode, config.confirm, &facts) {
            ConsumeStep::Consume => self.consume_link(&parts).await,
            ConsumeStep::Confirm(page) => self.confirm_page(page),
            ConsumeStep::Probe => html(StatusCode::OK, ""),
            ConsumeStep::Refuse(reason) => {
                flow::refuse_request(reason);
                self.failure(reason)
            }
            _ => {
                let mut response = text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    self.shared.config.messages.method_not_allowed.to_string(),
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
        let key = parts.uri.path().rsplit('/').next().unwrap_or_default();
        let ip = request_client_ip(parts, &shared.config.trusted);
        let mut session = shared
            .sessions
            .handle(&parts.extensions)
            .map(|handle| TowerLogin {
                sessions: &shared.sessions,
                handle,
            });
        let app = &*shared.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        match flow::consume_link(&shared.config, key, ip, session.as_mut(), stamp_of).await {
            Consumed::LoggedIn(target) => shared.responses.success(&target),
            Consumed::Refused(reason) => self.failure(reason),
            Consumed::SignInFailed => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                shared.config.messages.sign_in_failed.to_string(),
            ),
        }
    }

    fn confirm_page(&self, page: ConfirmPage) -> Response<ResponseBody> {
        let mut response = html(StatusCode::OK, page.html(&self.shared.config.messages));
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page.content_security_policy()),
        );
        response
    }

    fn failure(&self, reason: FailureReason) -> Response<ResponseBody> {
        let config = &self.shared.config;
        let url = config.failure_location(reason);
        let mut response = self
            .shared
            .responses
            .failure(reason, &url, &config.messages);
        response.extensions_mut().insert(reason);
        response
    }
}

/// The tower session handle as the shared consume step sees it.
struct TowerLogin<'a, S: LinkSessions> {
    sessions: &'a S,
    handle: S::Handle,
}

impl<S: LinkSessions> LoginSession<S::User> for TowerLogin<'_, S> {
    async fn is_link_session(&mut self) -> Result<bool, AppError> {
        self.sessions.is_link_session(&self.handle).await
    }

    async fn log_in(&mut self, user: &S::User) -> Result<(), AppError> {
        self.sessions.log_in(&mut self.handle, user).await
    }

    async fn discard(&mut self) {
        self.sessions.discard(&mut self.handle).await;
    }
}

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
            .field("trusted", &self.shared.config.trusted)
            .field("failure_url", &self.shared.config.failure_url_template())
            .field("mode", &self.shared.config.mode)
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

//! The consume endpoint (django-authlink's `AuthLinkView`): the browser opens
//! the link and, if it checks out, leaves logged in.

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::ServiceExt as _;
use tower_service::Service;

use super::app::LinkApp;
use super::response::{ResponseBody, into_response};
use super::sessions::LinkSessions;
use super::shared::{BoxFuture, Shared};
use crate::replay::ReplayKey;
use crate::web::AppError;
use crate::web::flow::LoginSession;
use crate::web::pipeline;

/// The consume endpoint as a tower service, from
/// [`Endpoints::consume_service`](super::Endpoints::consume_service). Mount
/// it at the path of the policy's URL template (`/authlink/{key}`); the key
/// is the path's last segment.
///
/// On success the browser's previous session, if any, is ended, the link's
/// user is logged in with a fresh session id, and the answer is
/// [`Responses::success`](crate::web::Responses::success) (default
/// `303 See Other` to the link's target). The browser's session is touched
/// only once the link is marked used by this request, so a link found used
/// (or lost to a concurrent request) leaves it as it was; a session store
/// that fails releases the link, so it burns none. On any failure nothing
/// is established and the answer is [`Responses::failure`](crate::web::Responses::failure)
/// (default `303` to the failure URL, or `503` with `Retry-After` when the
/// session store, the replay cache or the stamp lookup is unavailable), carrying the
/// [`FailureReason`](crate::FailureReason) in its extensions. Every answer has
/// `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
///
/// `GET` consumes in [`ConsumeMode::Direct`](crate::web::ConsumeMode::Direct)
/// and shows the confirmation page in
/// [`ConsumeMode::PrefetchSafe`](crate::web::ConsumeMode::PrefetchSafe);
/// `POST` consumes in both unless it is cross-site
/// ([`FailureReason::CrossSite`](crate::FailureReason::CrossSite): the browser says it came from another site); `HEAD` never
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
        let shared = &self.shared;
        let mut session = shared
            .sessions
            .handle(&parts.extensions)
            .map(|handle| TowerLogin {
                sessions: &shared.sessions,
                handle,
            });
        let app = &*shared.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        let answer = pipeline::consume(&shared.config, &parts, session.as_mut(), stamp_of).await;
        into_response(answer)
    }
}

/// The tower session handle as the shared consume step sees it.
pub(crate) struct TowerLogin<'a, S: LinkSessions> {
    pub(crate) sessions: &'a S,
    pub(crate) handle: S::Handle,
}

impl<S: LinkSessions> LoginSession<S::User> for TowerLogin<'_, S> {
    const MISSING: &'static str =
        "put the session layer around the endpoints, or make LinkSessions::provide do it";

    async fn is_link_session(&mut self) -> Result<bool, AppError> {
        self.sessions.is_link_session(&self.handle).await
    }

    // The session is stored before this returns: a failure is seen here.
    async fn log_in(&mut self, user: &S::User, _spent: ReplayKey) -> Result<(), AppError> {
        self.sessions.log_in(&mut self.handle, user).await
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
            .field("settings", &self.shared.config)
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

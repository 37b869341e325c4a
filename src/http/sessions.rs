//! The session side of the endpoints and the guard, over whichever session
//! framework the app runs.

use std::convert::Infallible;
use std::future::Future;

use http::{Extensions, Request, Response};
use tower::util::BoxCloneSyncService;
use tower_service::Service;

use crate::web::AppError;
use crate::web::LinkUser;

/// The boxed service [`LinkSessions::provide`] returns.
pub type SessionService<B, R> = BoxCloneSyncService<Request<B>, Response<R>, Infallible>;

/// Sessions as the endpoints and the guard need them: find the request's
/// session, tell whether it was established through a link, log a link's
/// user in, and undo that.
///
/// Implemented by [`TowerSessions`](super::TowerSessions) (feature
/// `tower-sessions`) and `AxumLogin` (feature
/// `axum-login`); implement it for another session framework.
///
/// Implementations must log in with a fresh session id (never the one the
/// browser brought, which would let whoever planted it share the session),
/// and must store the session before [`log_in`](Self::log_in) returns, so
/// that a store that fails is known while the endpoint can still release
/// the link it marked used.
pub trait LinkSessions: Clone + Send + Sync + 'static {
    /// The user id links carry.
    type User: LinkUser;
    /// The request's session, as the session layer put it in the request's
    /// extensions.
    type Handle: Send + 'static;

    /// The request's session, or `None` when no session layer ran.
    fn handle(&self, extensions: &Extensions) -> Option<Self::Handle>;

    /// Whether the session was established by consuming a link.
    ///
    /// # Errors
    /// An [`AppError`] when the session store cannot be read.
    fn is_link_session(
        &self,
        handle: &Self::Handle,
    ) -> impl Future<Output = Result<bool, AppError>> + Send;

    /// Ends whatever session the browser had, then logs `user` in with a
    /// fresh session id, marked as established through a link, and stores
    /// it.
    ///
    /// # Errors
    /// An [`AppError`] when the session could not be made; nobody is then
    /// logged in, and the link is released, so it works again.
    fn log_in(
        &self,
        handle: &mut Self::Handle,
        user: &Self::User,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// `service` with the session layer around it, unless the request
    /// already carries a session (the app applied the layer itself), so that
    /// a missing session layer cannot happen. Default: `service` as it is.
    fn provide<S, B, R>(&self, service: S) -> SessionService<B, R>
    where
        S: Service<Request<B>, Response = Response<R>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: Send + 'static,
        R: Default + Send + 'static,
    {
        BoxCloneSyncService::new(service)
    }
}

/// Calls `managed` (the service inside the session layer) unless the request
/// already carries a session, and `inner` (the bare service) if it does.
#[cfg(feature = "tower-sessions")]
#[derive(Clone)]
pub(crate) struct Ensure<S, M> {
    pub(crate) present: fn(&Extensions) -> bool,
    pub(crate) inner: S,
    pub(crate) managed: M,
}

#[cfg(feature = "tower-sessions")]
impl<S, M, B, R> Service<Request<B>> for Ensure<S, M>
where
    S: Service<Request<B>, Response = Response<R>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    M: Service<Request<B>, Response = Response<R>, Error = Infallible> + Clone + Send + 'static,
    M::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = Infallible;
    type Future = super::shared::BoxFuture<Result<Response<R>, Infallible>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        match self.inner.poll_ready(cx) {
            std::task::Poll::Ready(Ok(())) => self.managed.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if (self.present)(request.extensions()) {
            Box::pin(self.inner.call(request))
        } else {
            Box::pin(self.managed.call(request))
        }
    }
}

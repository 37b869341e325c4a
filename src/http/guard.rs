//! The session guard (django-authlink's `AuthLinkWhitelistMiddleware`):
//! a session opened through a link reaches only whitelisted pages.

use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use tower::ServiceExt as _;
use tower_layer::Layer;
use tower_service::Service;

use super::app::LinkApp;
use super::endpoints::Shared;
use super::sessions::LinkSessions;
use super::{BoxError, BoxFuture};

/// The body of the guard's responses: the inner service's, or its own.
pub type GuardBody = UnsyncBoxBody<Bytes, BoxError>;

/// Wraps services in a [`Guard`]; from
/// [`Endpoints::guard_layer`](super::Endpoints::guard_layer).
pub struct GuardLayer<A, S> {
    shared: Shared<A, S>,
}

impl<A, S> GuardLayer<A, S> {
    pub(crate) fn new(shared: Shared<A, S>) -> Self {
        Self { shared }
    }
}

impl<A, S: Clone> Clone for GuardLayer<A, S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<A, S> std::fmt::Debug for GuardLayer<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardLayer")
            .field("whitelist", &self.shared.config.authlink.policy().whitelist)
            .field("also", &self.shared.config.also_allow)
            .finish_non_exhaustive()
    }
}

impl<A, S: Clone, Inner> Layer<Inner> for GuardLayer<A, S> {
    type Service = Guard<Inner, A, S>;

    fn layer(&self, inner: Inner) -> Self::Service {
        Guard {
            inner,
            shared: self.shared.clone(),
            provided: false,
        }
    }
}

/// Answers [`Responses::forbidden`](super::Responses::forbidden) (default
/// 403, "That URL is not whitelisted for your authentication method.") to a
/// session established through a link that asks for a path off the
/// whitelist; passes everything else, including requests with no session or
/// another kind of session, to the inner service untouched.
///
/// Link sessions may see the policy's whitelist, the paths of
/// [`Settings::also_allow`](crate::web::Settings::also_allow), the failure
/// URL's path, and the consume and create endpoints' paths (so that a link
/// session can open another link, even where the endpoints were mounted
/// inside the guard). The whitelist is matched against the request's path as
/// received, without percent-decoding or normalization, so an encoded or
/// dotted variant of a whitelisted path is refused rather than let through.
pub struct Guard<Inner, A, S> {
    inner: Inner,
    shared: Shared<A, S>,
    provided: bool,
}

impl<Inner, A, S> Guard<Inner, A, S> {
    fn allows(&self, path: &str) -> bool {
        self.shared.config.guard_paths().allows(path)
    }
}

impl<Inner: Clone, A, S: Clone> Clone for Guard<Inner, A, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
            provided: self.provided,
        }
    }
}

impl<Inner: std::fmt::Debug, A, S> std::fmt::Debug for Guard<Inner, A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<Inner, A, S, B, R> Service<Request<B>> for Guard<Inner, A, S>
where
    Inner: Service<Request<B>, Response = Response<R>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    Inner::Future: Send,
    A: LinkApp,
    S: LinkSessions<User = A::User>,
    B: Send + 'static,
    R: Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
{
    type Response = Response<GuardBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone may not be ready; the instance polled ready serves this call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let this = Self {
            inner,
            shared: self.shared.clone(),
            provided: self.provided,
        };
        Box::pin(async move {
            let Some(session) = this.shared.sessions.handle(request.extensions()) else {
                if this.provided {
                    tracing::error!(
                        target: "authlink",
                        outcome = "misconfigured",
                        "no session in the request: put the session layer around the guard, \
                         or make LinkSessions::provide do it",
                    );
                    return this.pass(request).await;
                }
                let provided = Self {
                    provided: true,
                    ..this
                };
                let sessions = provided.shared.sessions.clone();
                return sessions.provide(provided).oneshot(request).await;
            };
            if !this.allows(request.uri().path()) {
                match this.shared.sessions.is_link_session(&session).await {
                    Ok(false) => {}
                    Ok(true) => {
                        tracing::info!(
                            target: "authlink",
                            outcome = "forbidden",
                            "link session kept to the whitelist",
                        );
                        let response = this
                            .shared
                            .responses
                            .forbidden(&this.shared.config.messages);
                        return Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()));
                    }
                    Err(err) => {
                        // Fail closed: a session that cannot be read sees no page.
                        tracing::error!(target: "authlink", error = %err, "session unreadable");
                        let response = this
                            .shared
                            .responses
                            .forbidden(&this.shared.config.messages);
                        return Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()));
                    }
                }
            }
            this.pass(request).await
        })
    }
}

impl<Inner, A, S> Guard<Inner, A, S> {
    async fn pass<B, R>(mut self, request: Request<B>) -> Result<Response<GuardBody>, Infallible>
    where
        Inner: Service<Request<B>, Response = Response<R>, Error = Infallible>,
        R: Body<Data = Bytes> + Send + 'static,
        R::Error: Into<BoxError>,
    {
        let response = self.inner.call(request).await?;
        Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()))
    }
}

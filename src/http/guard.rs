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

use std::sync::Arc;

use super::response::into_response;
use super::sessions::LinkSessions;
use super::shared::{BoxError, BoxFuture};
use crate::web::Settings;
use crate::web::pipeline;

/// The body of the guard's responses: the inner service's, or its own.
pub type GuardBody = UnsyncBoxBody<Bytes, BoxError>;

/// Wraps services in a [`Guard`]; from
/// [`Endpoints::guard_layer`](super::Endpoints::guard_layer).
pub struct GuardLayer<S> {
    settings: Arc<Settings>,
    sessions: S,
}

impl<S> GuardLayer<S> {
    pub(crate) fn new(settings: Arc<Settings>, sessions: S) -> Self {
        Self { settings, sessions }
    }
}

impl<S: Clone> Clone for GuardLayer<S> {
    fn clone(&self) -> Self {
        Self {
            settings: Arc::clone(&self.settings),
            sessions: self.sessions.clone(),
        }
    }
}

impl<S> std::fmt::Debug for GuardLayer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardLayer")
            .field("whitelist", &self.settings.authlink.policy().whitelist)
            .field("also", &self.settings.also_allow)
            .finish_non_exhaustive()
    }
}

impl<S: Clone, Inner> Layer<Inner> for GuardLayer<S> {
    type Service = Guard<Inner, S>;

    fn layer(&self, inner: Inner) -> Self::Service {
        Guard {
            inner,
            settings: Arc::clone(&self.settings),
            sessions: self.sessions.clone(),
            provided: false,
        }
    }
}

/// Answers [`Responses::forbidden`](crate::web::Responses::forbidden) (default
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
pub struct Guard<Inner, S> {
    inner: Inner,
    settings: Arc<Settings>,
    sessions: S,
    provided: bool,
}

impl<Inner: Clone, S: Clone> Clone for Guard<Inner, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            settings: Arc::clone(&self.settings),
            sessions: self.sessions.clone(),
            provided: self.provided,
        }
    }
}

impl<Inner: std::fmt::Debug, S> std::fmt::Debug for Guard<Inner, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<Inner, S, B, R> Service<Request<B>> for Guard<Inner, S>
where
    Inner: Service<Request<B>, Response = Response<R>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    Inner::Future: Send,
    S: LinkSessions,
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
            settings: Arc::clone(&self.settings),
            sessions: self.sessions.clone(),
            provided: self.provided,
        };
        Box::pin(async move {
            let Some(session) = this.sessions.handle(request.extensions()) else {
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
                let sessions = provided.sessions.clone();
                return sessions.provide(provided).oneshot(request).await;
            };
            let sessions = &this.sessions;
            let is_link_session = async move || sessions.is_link_session(&session).await;
            let path = request.uri().path();
            if let Some(answer) = pipeline::guard(&this.settings, path, is_link_session).await {
                let response = into_response(answer);
                return Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()));
            }
            // The pages' user extractors answer with the app's Responses.
            let mut request = request;
            request.extensions_mut().insert(Arc::clone(&this.settings));
            this.pass(request).await
        })
    }
}

impl<Inner, S> Guard<Inner, S> {
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

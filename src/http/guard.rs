//! The session guard (django-authlink's `AuthLinkWhitelistMiddleware`):
//! a session opened through a link reaches only whitelisted pages.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Either;
use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use super::adapter::Adapter;
use crate::whitelist::Whitelist;

/// Wraps services in a [`SessionGuard`].
///
/// ```
/// # use std::sync::Arc;
/// # fn wire<A: authlink::http::Adapter>(authlink: &authlink::Authlink, adapter: Arc<A>) {
/// use authlink::http::SessionGuardLayer;
///
/// // The pages a link session may see are the pages links may lead to.
/// let guard = SessionGuardLayer::new(adapter, authlink.policy().whitelist.clone());
/// # let _ = guard;
/// # }
/// ```
pub struct SessionGuardLayer<A> {
    adapter: Arc<A>,
    whitelist: Arc<Whitelist>,
    also: Arc<Whitelist>,
}

impl<A> SessionGuardLayer<A> {
    /// A guard asking `adapter` for the session and letting link sessions
    /// through to the paths `whitelist` allows.
    pub fn new(adapter: Arc<A>, whitelist: Whitelist) -> Self {
        Self {
            adapter,
            whitelist: Arc::new(whitelist),
            also: Arc::new(Whitelist::deny_all()),
        }
    }

    /// Also lets link sessions through to `paths`, which no link may lead
    /// to: the consume endpoint's failure page above all (a link session
    /// whose next link fails lands there), a logout page, static assets.
    #[must_use]
    pub fn also_allow(mut self, paths: Whitelist) -> Self {
        self.also = Arc::new(paths);
        self
    }

    fn allows(&self, path: &str) -> bool {
        self.whitelist.allows(path) || self.also.allows(path)
    }
}

impl<A> Clone for SessionGuardLayer<A> {
    fn clone(&self) -> Self {
        Self {
            adapter: Arc::clone(&self.adapter),
            whitelist: Arc::clone(&self.whitelist),
            also: Arc::clone(&self.also),
        }
    }
}

impl<A> std::fmt::Debug for SessionGuardLayer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionGuardLayer")
            .field("whitelist", &self.whitelist)
            .field("also", &self.also)
            .finish_non_exhaustive()
    }
}

impl<A, S> Layer<S> for SessionGuardLayer<A> {
    type Service = SessionGuard<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionGuard {
            inner,
            layer: self.clone(),
        }
    }
}

/// Answers the adapter's forbidden response (default 403, "That URL is not
/// whitelisted for your authentication method.") to a session established
/// through a link that asks for a path off the whitelist; passes everything
/// else, including requests with no session or another kind of session, to
/// the inner service untouched.
///
/// The whitelist is matched against the request's path as received, without
/// percent-decoding or normalization, so an encoded or dotted variant of a
/// whitelisted path is refused rather than let through. Mount the consume
/// endpoint outside the guard, so that a link session can open another link,
/// and let link sessions see the failure page with
/// [`SessionGuardLayer::also_allow`].
pub struct SessionGuard<S, A> {
    inner: S,
    layer: SessionGuardLayer<A>,
}

impl<S: Clone, A> Clone for SessionGuard<S, A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: std::fmt::Debug, A> std::fmt::Debug for SessionGuard<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionGuard")
            .field("inner", &self.inner)
            .field("whitelist", &self.layer.whitelist)
            .finish_non_exhaustive()
    }
}

impl<S, A, B, ResBody> Service<Request<B>> for SessionGuard<S, A>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    A: Adapter,
    B: Send + 'static,
{
    type Response = Response<Either<ResBody, super::ResponseBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone may not be ready; the instance polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            if let Some(session) = layer.adapter.session(&parts).await {
                if session.via_link && !layer.allows(parts.uri.path()) {
                    tracing::info!(
                        target: "authlink",
                        user = ?session.user,
                        outcome = "forbidden",
                        "link session kept to the whitelist",
                    );
                    return Ok(layer.adapter.forbidden_response(&parts).map(Either::Right));
                }
            }
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(response.map(Either::Left))
        })
    }
}

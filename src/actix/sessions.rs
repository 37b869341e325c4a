//! [`ActixSessions`]: the app's actix-session `SessionMiddleware`, as the
//! endpoints and the guard know it is there, and as a store failing after
//! the handler burns no link.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::{Error, HttpMessage as _, HttpRequest};

use super::response::into_response;
use crate::replay::ReplayKey;
use crate::web::Settings;
use crate::web::flow::give_back;
use crate::web::pipeline;

/// What the endpoints and the guard find in a request that passed
/// [`ActixSessions`]: proof that actix-session's middleware is around them,
/// and where a sign-in leaves the link it used up until the session is
/// stored.
#[derive(Default)]
pub(super) struct InSessions {
    spent: Cell<Option<ReplayKey>>,
}

impl InSessions {
    /// The marker of `request`, or `None` when it did not pass
    /// [`ActixSessions`] (yet: the guard may be outside it).
    pub(super) fn of(request: &HttpRequest) -> Option<Rc<Self>> {
        request.extensions().get::<Rc<Self>>().cloned()
    }

    /// Keeps `spent` until the session holding its login is stored.
    pub(super) fn spent(&self, spent: ReplayKey) {
        self.spent.set(Some(spent));
    }
}

/// The fix a request without [`ActixSessions`] logs.
pub(super) const MISSING: &str = "wrap the whole App in \
    ActixEndpoints::sessions(SessionMiddleware::…), as the last `wrap`, outside the guard \
    (actix runs the last `wrap` first)";

/// Says, once for the request, that it reached the guard or a user
/// extractor without [`ActixSessions`] around it.
pub(super) fn missing() {
    tracing::error!(
        target: "authlink",
        outcome = "misconfigured",
        "no session in the request: {MISSING}",
    );
}

/// The app's actix-session `SessionMiddleware`, from
/// [`ActixEndpoints::sessions`](super::ActixEndpoints::sessions): wrap the
/// whole `App` in it, as the last `wrap` (outside the guard).
///
/// - The endpoints, the guard and the user extractors answer a request
///   that did not pass it with `500`
///   ([`Messages::sign_in_failed`](crate::web::Messages::sign_in_failed))
///   and one `ERROR` line naming this fix, instead of logging no one in
///   (actix-session hands out a detached session without its middleware).
/// - actix-session stores the session after the handler. When a
///   server-side store (Redis) fails then, the link that sign-in used up is
///   given back and the browser gets the answer to an unavailable store
///   (default `503` with `Retry-After`): the same link works once the
///   store is back.
pub struct ActixSessions<Store: SessionStore> {
    inner: Rc<SessionMiddleware<Store>>,
    settings: Arc<Settings>,
}

impl<Store: SessionStore> ActixSessions<Store> {
    pub(super) fn new(inner: SessionMiddleware<Store>, settings: Arc<Settings>) -> Self {
        Self {
            inner: Rc::new(inner),
            settings,
        }
    }
}

impl<Store: SessionStore> Clone for ActixSessions<Store> {
    fn clone(&self) -> Self {
        Self {
            inner: Rc::clone(&self.inner),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<Store: SessionStore> fmt::Debug for ActixSessions<Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixSessions").finish_non_exhaustive()
    }
}

impl<S, B, Store> Transform<S, ServiceRequest> for ActixSessions<Store>
where
    Store: SessionStore + 'static,
    SessionMiddleware<Store>:
        Transform<S, ServiceRequest, Response = ServiceResponse<B>, Error = Error, InitError = ()>,
    <SessionMiddleware<Store> as Transform<S, ServiceRequest>>::Transform: 'static,
    <SessionMiddleware<Store> as Transform<S, ServiceRequest>>::Future: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform =
        ActixSessionsService<<SessionMiddleware<Store> as Transform<S, ServiceRequest>>::Transform>;
    type InitError = ();
    type Future = Pin<Box<dyn Future<Output = Result<Self::Transform, ()>>>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let inner = self.inner.new_transform(service);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            Ok(ActixSessionsService {
                inner: Rc::new(inner.await?),
                settings,
            })
        })
    }
}

/// The service [`ActixSessions`] puts around the app's.
pub struct ActixSessionsService<S> {
    inner: Rc<S>,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for ActixSessionsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixSessionsService")
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for ActixSessionsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let marker = Rc::new(InSessions::default());
        request.extensions_mut().insert(Rc::clone(&marker));
        let inner = Rc::clone(&self.inner);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let result = inner.call(request).await;
            match (result, marker.spent.take()) {
                (Err(err), Some(spent)) => {
                    // The store failed after a sign-in used up `spent`:
                    // actix-session dropped the response and its cookie.
                    give_back(&settings, spent, &err).await;
                    let answer = into_response(pipeline::unstored(&settings));
                    Err(InternalError::from_response(Unstored, answer).into())
                }
                (result, _) => result,
            }
        })
    }
}

/// Why a sign-in's answer was replaced: its session could not be stored.
#[derive(Debug)]
struct Unstored;

impl fmt::Display for Unstored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the session store failed after the sign-in; the link was given back")
    }
}

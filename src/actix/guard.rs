//! The session guard as actix-web middleware.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::{Session, SessionExt as _};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage as _, HttpRequest};

use super::identity;
use super::response::into_response;
use super::session::{is_link_session, via_link};
use super::sessions::{InSessions, missing};
use crate::web::Settings;
use crate::web::pipeline;
use crate::web::pipeline::misconfigured;

/// The session guard (django-authlink's `AuthLinkWhitelistMiddleware`) as
/// actix-web middleware, from [`ActixEndpoints::guard`](super::ActixEndpoints::guard): a session
/// established through a link gets 403 ([`Messages::forbidden`](crate::web::Messages::forbidden))
/// for any path off the whitelist; every other request passes untouched.
///
/// Link sessions may see the policy's whitelist, the paths of
/// [`Settings::also_allow`](crate::web::Settings::also_allow), the failure URL's path and the
/// endpoints' own paths, matched as received, without decoding. Wrap it
/// inside [`ActixEndpoints::sessions`](super::ActixEndpoints::sessions).
#[derive(Clone)]
pub struct ActixGuard {
    settings: Arc<Settings>,
}

impl ActixGuard {
    pub(super) fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

impl std::fmt::Debug for ActixGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixGuard").finish_non_exhaustive()
    }
}

impl<S, B> Transform<S, ServiceRequest> for ActixGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = ActixGuardService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ActixGuardService {
            service: Rc::new(service),
            settings: Arc::clone(&self.settings),
        }))
    }
}

/// With an identity, after the app's handler: a link session renewed on the
/// app's login page (by `Identity::login`) ends, and authlink's keys are
/// settled with an identity the handler changed (`Identity::logout`).
fn after_handler(
    request: &HttpRequest,
    session: &Session,
    marker: &InSessions,
    settings: &Settings,
) {
    let Ok(via_link) = via_link(session) else {
        return;
    };
    if !marker.signed_in_by_link() && settings.guard_paths().is_login(request.path()) {
        identity::after_login_page(session, via_link);
    }
    if let Err(err) = identity::settle(request, session, via_link) {
        tracing::error!(target: "authlink", error = %err, "session unreadable");
    }
}

/// The service [`ActixGuard`] wraps around the app's.
pub struct ActixGuardService<S> {
    service: Rc<S>,
    settings: Arc<Settings>,
}

impl<S> std::fmt::Debug for ActixGuardService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixGuardService").finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for ActixGuardService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            // The pages' user extractors answer with the app's Responses.
            request.extensions_mut().insert(Arc::clone(&settings));
            let Some(marker) = InSessions::of(request.request()) else {
                missing(request.request());
                let response = into_response(misconfigured(&settings)).map_into_right_body();
                return Ok(request.into_response(response));
            };
            marker.guarded.set(true);
            let session = request.get_session();
            // With an identity, authlink's keys are settled with it on every
            // request, before any handler reads them.
            let settled = marker
                .identity
                .then(|| is_link_session(request.request(), &session, &marker));
            let is_link_session = async || match settled {
                Some(settled) => settled,
                None => is_link_session(request.request(), &session, &marker),
            };
            if let Some(answer) = pipeline::guard(&settings, request.path(), is_link_session).await
            {
                let response = into_response(answer).map_into_right_body();
                return Ok(request.into_response(response));
            }
            let response = service.call(request).await?;
            if marker.identity {
                after_handler(response.request(), &session, &marker, &settings);
            }
            Ok(response.map_into_left_body())
        })
    }
}

//! The session guard as actix-web middleware.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_session::SessionExt as _;
use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};

use super::endpoints::{ActixApp, ActixEndpoints};
use super::session::is_link_session;

/// The session guard (django-authlink's `AuthLinkWhitelistMiddleware`) as
/// actix-web middleware, from [`ActixEndpoints::guard`]: a session
/// established through a link gets 403 ([`Messages::forbidden`](crate::web::Messages::forbidden))
/// for any path off the whitelist; every other request passes untouched.
///
/// Link sessions may see the policy's whitelist, the paths of
/// [`Settings::also_allow`](crate::web::Settings::also_allow), the failure URL's path and the
/// endpoints' own paths, matched as received, without decoding. Wrap it
/// inside the app's `SessionMiddleware`.
pub struct ActixGuard<A> {
    endpoints: ActixEndpoints<A>,
}

impl<A> ActixGuard<A> {
    pub(super) fn new(endpoints: ActixEndpoints<A>) -> Self {
        Self { endpoints }
    }
}

impl<A> Clone for ActixGuard<A> {
    fn clone(&self) -> Self {
        Self {
            endpoints: self.endpoints.clone(),
        }
    }
}

impl<A> std::fmt::Debug for ActixGuard<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixGuard").finish_non_exhaustive()
    }
}

impl<S, B, A> Transform<S, ServiceRequest> for ActixGuard<A>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: ActixApp,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = ActixGuardService<S, A>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ActixGuardService {
            service: Rc::new(service),
            endpoints: self.endpoints.clone(),
        }))
    }
}

/// The service [`ActixGuard`] wraps around the app's.
pub struct ActixGuardService<S, A> {
    service: Rc<S>,
    endpoints: ActixEndpoints<A>,
}

impl<S, A> std::fmt::Debug for ActixGuardService<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixGuardService").finish_non_exhaustive()
    }
}

impl<S, B, A> Service<ServiceRequest> for ActixGuardService<S, A>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    A: ActixApp,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        if !self.endpoints.guard_paths().allows(request.path())
            && is_link_session(&request.get_session())
        {
            tracing::info!(
                target: "authlink",
                outcome = "forbidden",
                "link session kept to the whitelist",
            );
            let response = self.endpoints.forbidden().map_into_right_body();
            return Box::pin(ready(Ok(request.into_response(response))));
        }
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            service
                .call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        })
    }
}

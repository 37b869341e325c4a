//! The create endpoint (django-authlink's `AuthLinkCreateView`): an
//! authenticated API caller asks for a link to a whitelisted page.

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_service::Service;

use super::app::LinkApp;
use super::endpoints::{Shared, issue};
use super::response::{ResponseBody, no_store};
use super::sessions::LinkSessions;
use super::{BoxError, BoxFuture};
use crate::web::flow;
use crate::web::{CreateRefusal, declared_too_large, is_json, target_from_body};

/// The create endpoint as a tower service, from
/// [`Endpoints::create_service`](super::Endpoints::create_service). Mount it
/// at the API path of your choice (`POST /api/authlink`).
///
/// A `POST` with `Content-Type: application/json` and the body
/// `{"url": "/account"}` from a caller [`LinkApp::api_user`] authenticates
/// gets `201 Created`, the link in `Location`, the body
/// `{"url": "/account", "link": <the link>}` (the target as sent, as
/// django-authlink answers) and `Cache-Control: no-store`. The link is bound
/// to the caller's client address and, if the app gives one, the user's
/// stamp.
///
/// | request | answer |
/// | --- | --- |
/// | a method other than `POST` | 405 with `Allow: POST` |
/// | no authenticated caller | 401 |
/// | a content type other than `application/json` | 415 |
/// | a body over the limit (default 8 KiB) | 413, read no further |
/// | malformed JSON, not an object | 400 `{"detail": …}` |
/// | `url` missing, not a string, invalid or not whitelisted | 400 `{"url": [reason]}` |
/// | client address unknown | 400 `{"detail": …}` |
/// | the caller or its network past its rate ([`Settings::create_limits`](crate::web::Settings::create_limits)) | 429 with `Retry-After` |
/// | user stamp lookup failed | 503 with `Retry-After` |
///
/// Each answer comes from [`Responses`](super::Responses), its text from
/// [`Messages`](crate::web::Messages).
pub struct CreateService<A, S> {
    shared: Shared<A, S>,
}

impl<A, S> CreateService<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
{
    pub(crate) fn new(shared: Shared<A, S>) -> Self {
        Self { shared }
    }

    async fn handle<B>(self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        let result = flow::observe_create(self.respond(request)).await;
        let mut response = match result {
            Ok(response) => response,
            Err(refusal) => self
                .shared
                .responses
                .create_refused(&refusal, &self.shared.config.messages),
        };
        no_store(&mut response);
        response
    }

    async fn respond<B>(&self, request: Request<B>) -> Result<Response<ResponseBody>, CreateRefusal>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        if request.method() != Method::POST {
            return Err(CreateRefusal::MethodNotAllowed);
        }
        let (mut parts, body) = request.into_parts();
        let Some(user) = self.shared.app.api_user(&mut parts).await else {
            return Err(flow::create_refused::<A::User>(
                None,
                CreateRefusal::Unauthenticated,
            ));
        };
        let refused = |refusal| flow::create_refused(Some(&user), refusal);
        if !is_json(parts.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes)) {
            return Err(refused(CreateRefusal::UnsupportedMediaType));
        }
        let target = self
            .read_target(&parts.headers, body)
            .await
            .map_err(refused)?;
        let link = issue(&self.shared, &parts, &user, &target)
            .await
            .map_err(refused)?;
        flow::issued(&user, &link);
        let location = HeaderValue::from_str(&link.url).map_err(|_| CreateRefusal::Internal)?;
        let mut response = self.shared.responses.created(&target, &link.url);
        response.headers_mut().insert(LOCATION, location);
        Ok(response)
    }

    /// The target in a JSON body, read up to the limit.
    async fn read_target<B>(&self, headers: &HeaderMap, body: B) -> Result<String, CreateRefusal>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        let limit = self.shared.config.body_limit;
        if declared_too_large(
            headers.get(CONTENT_LENGTH).map(HeaderValue::as_bytes),
            limit,
        ) {
            return Err(CreateRefusal::TooLarge);
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.is::<LengthLimitError>() => return Err(CreateRefusal::TooLarge),
            Err(_) => return Err(CreateRefusal::UnreadableBody),
        };
        target_from_body(&bytes)
    }
}

impl<A, S: Clone> Clone for CreateService<A, S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<A, S> std::fmt::Debug for CreateService<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateService")
            .field("trusted", &self.shared.config.trusted)
            .field("body_limit", &self.shared.config.body_limit)
            .finish_non_exhaustive()
    }
}

impl<A, S, B> Service<Request<B>> for CreateService<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}

//! The create endpoint (django-authlink's `AuthLinkCreateView`): an
//! authenticated API caller asks for a link to a whitelisted page.

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response, request};
use http_body::Body;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_service::Service;

use super::app::LinkApp;
use super::response::{ResponseBody, into_response};
use super::sessions::LinkSessions;
use super::shared::{BoxError, BoxFuture, Shared};
use crate::web::CreateRefusal;
use crate::web::pipeline;

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
/// Each answer comes from [`Responses`](crate::web::Responses), its text from
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
        let (mut parts, body) = request.into_parts();
        let app = &*self.shared.app;
        let api_user = async |parts: &mut request::Parts| app.api_user(parts).await;
        let read_body = async |limit| read_body(body, limit).await;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        let answer = pipeline::create(
            &self.shared.config,
            &mut parts,
            api_user,
            read_body,
            stamp_of,
        )
        .await;
        into_response(answer)
    }
}

/// `body`, read up to `limit` bytes and no further.
pub(crate) async fn read_body<B>(body: B, limit: usize) -> Result<Vec<u8>, CreateRefusal>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().into()),
        Err(err) if err.is::<LengthLimitError>() => Err(CreateRefusal::TooLarge),
        Err(_) => Err(CreateRefusal::UnreadableBody),
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
            .field("settings", &self.shared.config)
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

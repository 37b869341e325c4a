//! Email sign-in's endpoints as one tower service: ask for a link by
//! address, open the mailed link, finish with the code. Mounted by
//! [`Endpoints::router`](super::Endpoints::router) when the settings have
//! [`EmailSettings`](crate::web::EmailSettings).

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use tower::ServiceExt as _;
use tower_service::Service;

use super::app::LinkApp;
use super::consume::TowerLogin;
use super::create::read_body;
use super::response::{ResponseBody, into_response};
use super::sessions::LinkSessions;
use super::shared::{BoxError, BoxFuture, Shared};
use crate::mail::Address;
use crate::web::email::flow;

/// The email endpoints, from [`Endpoints::email_service`](super::Endpoints::email_service):
/// `POST {request_path}` asks for a link (form field `email`, optional
/// `next`; JSON too), `GET {request_path}/{key}` is the mailed link, and
/// `POST {request_path}/code` finishes with the code (fields `email`,
/// `code`, `next`). Mount it at those three paths.
pub struct EmailService<A, S> {
    shared: Shared<A, S>,
    /// Whether the session layer was put around this instance already.
    provided: bool,
}

impl<A, S> EmailService<A, S>
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

    async fn serve<B>(self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if self.provided || self.shared.sessions.handle(request.extensions()).is_some() {
            return self.handle(request).await;
        }
        let sessions = self.shared.sessions.clone();
        let inner = Self {
            shared: self.shared,
            provided: true,
        };
        match sessions.provide(inner).oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    async fn handle<B>(self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        let config = &*self.shared.config;
        let Some(email) = config.email.as_ref() else {
            return Response::builder()
                .status(404)
                .body(ResponseBody::default())
                .unwrap_or_default();
        };
        let (parts, body) = request.into_parts();
        let app = &*self.shared.app;
        let user_for_email = async |address: &Address| app.user_for_email(address).await;
        let read_body = async |limit| read_body(body, limit).await;
        let path = parts.uri.path();
        let answer = if path == email.request_path {
            flow::ask(config, email, &parts, read_body, user_for_email).await
        } else {
            let sessions = &self.shared.sessions;
            let mut session = sessions
                .handle(&parts.extensions)
                .map(|handle| TowerLogin { sessions, handle });
            if path == email.code_path() {
                flow::code(
                    config,
                    email,
                    &parts,
                    read_body,
                    user_for_email,
                    session.as_mut(),
                )
                .await
            } else {
                flow::open(config, email, &parts, session.as_mut()).await
            }
        };
        into_response(answer)
    }
}

impl<A, S: Clone> Clone for EmailService<A, S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            provided: self.provided,
        }
    }
}

impl<A, S> std::fmt::Debug for EmailService<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailService")
            .field("settings", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<A, S, B> Service<Request<B>> for EmailService<A, S>
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
        Box::pin(async move { Ok(this.serve(request).await) })
    }
}

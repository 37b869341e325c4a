//! The create endpoint (django-authlink's `AuthLinkCreateView`): an
//! authenticated API caller asks for a link to a whitelisted page.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Buf as _;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde_json::{Value, json};
use tower_service::Service;

use super::adapter::{Adapter, RETRY_AFTER_SECONDS};
use super::client_ip::{TrustedProxies, client_ip, peer_of};
use super::response::{ResponseBody, json as json_response, no_store, set_header};
use super::{BoxError, BoxFuture};
use crate::authlink::Authlink;
use crate::error::IssueError;

/// The default limit on a create request's body: 8 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024;

/// The create endpoint as a tower service. Mount it at the API path of your
/// choice (`POST /api/authlink`).
///
/// A `POST` with `Content-Type: application/json` and the body
/// `{"url": "/account"}` from a caller the adapter authenticates gets
/// `201 Created`, the link in `Location` and in the body's `"url"`, and
/// `Cache-Control: no-store`. The link is bound to the caller's client address
/// (see [`client_ip`]) and, if the adapter gives one, the user's stamp.
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
/// | user stamp lookup failed | 503 with `Retry-After` |
pub struct CreateService<A> {
    authlink: Arc<Authlink>,
    adapter: Arc<A>,
    config: Arc<Config>,
}

#[derive(Debug, Clone)]
struct Config {
    trusted: TrustedProxies,
    body_limit: usize,
}

impl<A: Adapter> CreateService<A> {
    /// An endpoint issuing links from `authlink` to callers `adapter`
    /// authenticates, trusting no proxy and accepting bodies up to
    /// [`DEFAULT_BODY_LIMIT`].
    pub fn new(authlink: Arc<Authlink>, adapter: Arc<A>) -> Self {
        Self {
            authlink,
            adapter,
            config: Arc::new(Config {
                trusted: TrustedProxies::none(),
                body_limit: DEFAULT_BODY_LIMIT,
            }),
        }
    }

    /// Reads client addresses through these proxies.
    #[must_use]
    pub fn with_trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        Arc::make_mut(&mut self.config).trusted = trusted;
        self
    }

    /// Refuses bodies longer than `limit` bytes with 413.
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        Arc::make_mut(&mut self.config).body_limit = limit;
        self
    }

    async fn handle<B>(self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        let mut response = self.respond(request).await;
        no_store(&mut response);
        response
    }

    async fn respond<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        if request.method() != Method::POST {
            let mut response = detail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.");
            set_header(&mut response, ALLOW, "POST");
            return response;
        }
        let (parts, body) = request.into_parts();
        let Some(user) = self.adapter.api_user(&parts).await else {
            tracing::info!(
                target: "authlink",
                outcome = "refused",
                reason = "unauthenticated",
                "link refused",
            );
            let mut response = detail(
                StatusCode::UNAUTHORIZED,
                "Authentication credentials were not provided.",
            );
            set_header(&mut response, WWW_AUTHENTICATE, "Bearer");
            return response;
        };
        if !is_json(&parts.headers) {
            return detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json.",
            );
        }
        let url = match self.read_url(&parts.headers, body).await {
            Ok(url) => url,
            Err(response) => {
                tracing::info!(
                    target: "authlink",
                    user = ?user,
                    outcome = "refused",
                    reason = "bad_request",
                    "link refused",
                );
                return response;
            }
        };
        let Some(ip) = client_ip(
            peer_of(&parts.extensions),
            &parts.headers,
            &self.config.trusted,
        ) else {
            tracing::warn!(
                target: "authlink",
                user = ?user,
                outcome = "refused",
                reason = "no_client_address",
                "link refused",
            );
            return detail(
                StatusCode::BAD_REQUEST,
                "The client address could not be determined.",
            );
        };
        let stamp = match self.adapter.user_stamp(&user).await {
            Ok(stamp) => stamp,
            Err(err) => {
                tracing::error!(
                    target: "authlink",
                    user = ?user,
                    outcome = "refused",
                    reason = "unavailable",
                    error = %err,
                    "link refused",
                );
                let mut response = detail(StatusCode::SERVICE_UNAVAILABLE, "Try again later.");
                set_header(&mut response, RETRY_AFTER, RETRY_AFTER_SECONDS);
                return response;
            }
        };
        let issued = match &stamp {
            Some(stamp) => self.authlink.issue_with_stamp(&user, &url, ip, stamp),
            None => self.authlink.issue(&user, &url, ip),
        };
        let link = match issued {
            Ok(link) => link,
            Err(err) => {
                let reason = issue_reason(err);
                tracing::info!(
                    target: "authlink",
                    user = ?user,
                    outcome = "refused",
                    reason,
                    "link refused",
                );
                return match err {
                    IssueError::TargetNotAllowed => url_error("URL specified is not whitelisted"),
                    IssueError::TooLong => url_error("URL specified is too long"),
                    IssueError::TargetInvalid(reason) => {
                        url_error(&format!("URL specified is invalid: {reason}"))
                    }
                    _ => detail(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "The link could not be issued.",
                    ),
                };
            }
        };
        tracing::info!(
            target: "authlink",
            user = ?user,
            outcome = "issued",
            expires_at = link.expires_at.unix_timestamp(),
            "link issued"
        );
        let mut response = json_response(StatusCode::CREATED, &json!({ "url": link.url }));
        match HeaderValue::from_str(&link.url) {
            Ok(location) => {
                response.headers_mut().insert(LOCATION, location);
                response
            }
            Err(_) => detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The link could not be issued.",
            ),
        }
    }

    /// The `url` field of a JSON body, or the response that refuses it.
    async fn read_url<B>(
        &self,
        headers: &HeaderMap,
        body: B,
    ) -> Result<String, Response<ResponseBody>>
    where
        B: Body + Send,
        B::Error: Into<BoxError>,
    {
        let limit = self.config.body_limit;
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|len| len.to_str().ok())
            .and_then(|len| len.parse::<u64>().ok());
        let too_large = || detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large.");
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.aggregate(),
            Err(err) if err.is::<LengthLimitError>() => return Err(too_large()),
            Err(_) => {
                return Err(detail(
                    StatusCode::BAD_REQUEST,
                    "Request body could not be read.",
                ));
            }
        };
        let value: Value = serde_json::from_reader(bytes.reader()).map_err(|err| {
            detail(
                StatusCode::BAD_REQUEST,
                &format!("JSON parse error: {err}."),
            )
        })?;
        let Value::Object(mut object) = value else {
            return Err(detail(StatusCode::BAD_REQUEST, "Expected a JSON object."));
        };
        match object.remove("url") {
            Some(Value::String(url)) => Ok(url),
            Some(_) => Err(url_error("Not a valid string.")),
            None => Err(url_error("This field is required.")),
        }
    }
}

/// `application/json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn issue_reason(err: IssueError) -> &'static str {
    match err {
        IssueError::TargetNotAllowed => "not_whitelisted",
        IssueError::TargetInvalid(_) => "invalid_url",
        IssueError::TooLong => "too_long",
        _ => "internal",
    }
}

fn detail(status: StatusCode, message: &str) -> Response<ResponseBody> {
    json_response(status, &json!({ "detail": message }))
}

/// A 400 naming the `url` field, shaped as django-authlink's serializer errors.
fn url_error(message: &str) -> Response<ResponseBody> {
    json_response(StatusCode::BAD_REQUEST, &json!({ "url": [message] }))
}

impl<A> Clone for CreateService<A> {
    fn clone(&self) -> Self {
        Self {
            authlink: Arc::clone(&self.authlink),
            adapter: Arc::clone(&self.adapter),
            config: Arc::clone(&self.config),
        }
    }
}

impl<A> std::fmt::Debug for CreateService<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateService")
            .field("authlink", &self.authlink)
            .field("trusted", &self.config.trusted)
            .field("body_limit", &self.config.body_limit)
            .finish_non_exhaustive()
    }
}

impl<A, B> Service<Request<B>> for CreateService<A>
where
    A: Adapter,
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

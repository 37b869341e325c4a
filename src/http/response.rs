//! Responses the endpoints and the guard build, and the [`Responses`] trait
//! through which an app replaces them.

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderName, LOCATION, REFERRER_POLICY, RETRY_AFTER,
};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::error::FailureReason;
use crate::web::RETRY_AFTER_SECONDS;
use crate::web::{CreateRefusal, Messages, created_body};

/// The body of every response the endpoints build.
pub type ResponseBody = Full<Bytes>;

/// The text of the guard's 403, as in django-authlink.
pub const NOT_WHITELISTED_MESSAGE: &str =
    "That URL is not whitelisted for your authentication method.";

/// The answers of the endpoints and the guard. Every method has a default
/// that keeps django-authlink's contract; override the ones to change, and
/// pass the value to [`Endpoints::responses`](super::Endpoints::responses).
/// The texts come from [`Messages`], replaceable without touching this.
///
/// Whatever they return, the consume endpoint adds `Cache-Control: no-store`
/// and `Referrer-Policy: no-referrer`, and the create endpoint adds
/// `Cache-Control: no-store` (and `Location` to a `201`).
pub trait Responses: Send + Sync + 'static {
    /// A link was issued: `201 Created`, JSON `{"url": target, "link": link}`.
    fn created(&self, target: &str, link: &str) -> Response<ResponseBody> {
        json(StatusCode::CREATED, &created_body(target, link))
    }

    /// The create endpoint refused: the refusal's status and JSON body,
    /// `Allow: POST` on a 405, `WWW-Authenticate: Bearer` on a 401 and
    /// `Retry-After` on a 429 and a 503.
    fn create_refused(
        &self,
        refusal: &CreateRefusal,
        messages: &Messages,
    ) -> Response<ResponseBody> {
        let status =
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json(status, &refusal.body(messages));
        if let Some((name, Ok(value))) = refusal
            .header()
            .map(|(name, value)| (name, HeaderValue::try_from(value)))
        {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
        response
    }

    /// A link logged its user in: `303 See Other` to the link's target.
    fn success(&self, target: &str) -> Response<ResponseBody> {
        see_other(target)
    }

    /// A link logged no one in. `failure_url` is the endpoints' failure URL
    /// with `{reason}` replaced by the reason's code. Default: `503` with
    /// `Retry-After` for [`FailureReason::Unavailable`](crate::FailureReason::Unavailable) (the link was not
    /// used, a retry may work), otherwise `303 See Other` to `failure_url`.
    fn failure(
        &self,
        reason: FailureReason,
        failure_url: &str,
        messages: &Messages,
    ) -> Response<ResponseBody> {
        if reason == FailureReason::Unavailable {
            let mut response = text(
                StatusCode::SERVICE_UNAVAILABLE,
                messages.failure(reason).to_owned(),
            );
            set_header(&mut response, RETRY_AFTER, RETRY_AFTER_SECONDS);
            response
        } else {
            see_other(failure_url)
        }
    }

    /// The guard's answer to a link session asking for a page off the
    /// whitelist: 403 with [`Messages::forbidden`].
    fn forbidden(&self, messages: &Messages) -> Response<ResponseBody> {
        text(StatusCode::FORBIDDEN, messages.forbidden.to_string())
    }
}

/// The defaults of every [`Responses`] method.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponses;

impl Responses for DefaultResponses {}

/// `303 See Other` to `location`. A redirect that cannot be cached, unlike
/// 301, and that turns a `POST` into a `GET`.
///
/// A `location` that is not a valid header value gives a redirect to `/`.
#[must_use]
pub fn see_other(location: &str) -> Response<ResponseBody> {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut response = Response::new(ResponseBody::default());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(LOCATION, location);
    response
}

/// `status` with a `text/plain` body.
#[must_use]
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    with_body(status, "text/plain; charset=utf-8", body.into())
}

/// `status` with a `text/html` body.
#[must_use]
pub fn html(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    with_body(status, "text/html; charset=utf-8", body.into())
}

/// `status` with an `application/json` body.
#[must_use]
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<ResponseBody> {
    with_body(status, "application/json", value.to_string().into())
}

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Marks a response as never to be stored by any cache.
pub(crate) fn no_store<B>(response: &mut Response<B>) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// No store, and no `Referer` carrying the link's key to the next page.
pub(crate) fn private<B>(response: &mut Response<B>) {
    no_store(response);
    response
        .headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

pub(crate) fn set_header<B>(response: &mut Response<B>, name: HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

//! Responses the endpoints and the guard build.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, LOCATION, REFERRER_POLICY};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// The body of every response the endpoints build.
pub type ResponseBody = Full<Bytes>;

/// The text of the guard's 403, as in django-authlink.
pub const NOT_WHITELISTED_MESSAGE: &str =
    "That URL is not whitelisted for your authentication method.";

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

/// `status` with an `text/html` body.
#[must_use]
pub fn html(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    with_body(status, "text/html; charset=utf-8", body.into())
}

pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<ResponseBody> {
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

//! Responses the endpoints and the guard build, and the failure reason the
//! app gets to show.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, LOCATION, REFERRER_POLICY};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::error::VerifyErrorKind;

/// The body of every response the endpoints build.
pub type ResponseBody = Full<Bytes>;

/// The text of the guard's 403, as in django-authlink.
pub const NOT_WHITELISTED_MESSAGE: &str =
    "That URL is not whitelisted for your authentication method.";

/// Why a link did not log anyone in, in the words an app shows its users.
///
/// The consume endpoint puts it in the failure response's extensions and
/// passes it to [`Adapter::failure_response`](super::Adapter::failure_response);
/// its [`code`](Self::code) replaces `{reason}` in the failure URL.
/// Malformed, forged and unknown-key links are all [`Invalid`](Self::Invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// Not a link this app issued, or altered.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Opened from another client address than the one it was issued to, or
    /// from an address that could not be told.
    ClientMismatch,
    /// The user's stamp changed since it was issued.
    Revoked,
    /// Consumed before.
    Used,
    /// A backend the check depends on (replay cache, user lookup) did not
    /// answer; the link was not used and may work on a retry.
    Unavailable,
}

impl FailureReason {
    /// The stable code: `invalid`, `expired`, `client_mismatch`, `revoked`,
    /// `used` or `unavailable` (as [`VerifyErrorKind::code`]).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Expired => "expired",
            Self::ClientMismatch => "client_mismatch",
            Self::Revoked => "revoked",
            Self::Used => "used",
            Self::Unavailable => "unavailable",
        }
    }

    /// A sentence for the user, as django-authlink words it where it has one.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Link is invalid.",
            Self::Expired => "Link has expired.",
            Self::ClientMismatch => {
                "Mismatch between generation IP address and consumption IP address."
            }
            Self::Revoked => "Link is no longer valid.",
            Self::Used => "Link has already been used.",
            Self::Unavailable => "Sign-in is unavailable right now. Please try again.",
        }
    }
}

impl From<VerifyErrorKind> for FailureReason {
    fn from(kind: VerifyErrorKind) -> Self {
        // The grouping of kinds into codes is the core's: follow it.
        kind.code().parse().unwrap_or(Self::Invalid)
    }
}

/// Parses a [`code`](FailureReason::code), e.g. from the failure page's query.
impl FromStr for FailureReason {
    type Err = UnknownReason;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        [
            Self::Invalid,
            Self::Expired,
            Self::ClientMismatch,
            Self::Revoked,
            Self::Used,
            Self::Unavailable,
        ]
        .into_iter()
        .find(|reason| reason.code() == code)
        .ok_or(UnknownReason)
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A text is not a [`FailureReason`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a link failure reason code")]
pub struct UnknownReason;

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

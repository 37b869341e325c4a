//! The app's side of the endpoints: who is calling, who is logged in, and how
//! to log in and out. See the [module docs](super) for a complete adapter.

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, ready};

use http::header::{AUTHORIZATION, RETRY_AFTER};
use http::{HeaderMap, Response, StatusCode, request, response};
use serde::de::DeserializeOwned;

use super::response::{NOT_WHITELISTED_MESSAGE, ResponseBody, see_other, set_header, text};
use super::session::BrowserSession;
use crate::error::FailureReason;
use crate::user::UserId;
use crate::verify::ConsumedLink;

/// Seconds a client is asked to wait after a 503 before it retries.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// The token of an `Authorization: Bearer <token>` header, for
/// [`Adapter::api_user`]. The scheme is matched without regard to case
/// (RFC 6750, RFC 9110); a missing header, another scheme, an empty token or
/// a value that is not visible ASCII gives `None`.
///
/// ```
/// use authlink::http::bearer_token;
/// use http::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", "bearer alice-api-token".parse()?);
/// assert_eq!(bearer_token(&headers), Some("alice-api-token"));
/// headers.insert("authorization", "Basic YWxpY2U6".parse()?);
/// assert_eq!(bearer_token(&headers), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// What the endpoints and the guard ask of the app.
///
/// Four methods have no default, because only the app knows its users and
/// sessions: [`api_user`](Self::api_user), [`session`](Self::session),
/// [`login`](Self::login) and [`logout`](Self::logout). The rest have
/// defaults that follow django-authlink.
///
/// Methods return `impl Future + Send`; write them as `async fn` or return a
/// ready future.
pub trait Adapter: Send + Sync + 'static {
    /// The app's user id, as carried in links (`u64`, `String`, `Uuid`…).
    /// Its `Debug` form appears in log events.
    type User: UserId + DeserializeOwned + PartialEq + fmt::Debug + Send + Sync + 'static;

    /// The authenticated caller of the create endpoint (from a bearer token,
    /// a session, mutual TLS…), or `None` for a 401.
    fn api_user(&self, request: &request::Parts)
    -> impl Future<Output = Option<Self::User>> + Send;

    /// The session the browser's request belongs to, if any.
    fn session(
        &self,
        request: &request::Parts,
    ) -> impl Future<Output = Option<BrowserSession<Self::User>>> + Send;

    /// Logs `user` in: creates a session marked as established through a
    /// link ([`BrowserSession::via_link`]) and attaches it to `response`,
    /// typically with a `Set-Cookie` from
    /// [`SessionCookie::set`](super::SessionCookie::set).
    ///
    /// The session id must be fresh (e.g. [`SessionId::generate`](super::SessionId::generate)):
    /// never one the browser brought, which would let whoever planted it
    /// share the session, and never derived from the link.
    ///
    /// # Errors
    /// An [`AdapterError`] when no session could be made; the browser then
    /// gets a 500 and no session.
    fn login(
        &self,
        request: &request::Parts,
        user: &Self::User,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send;

    /// Ends the session the request belongs to, on the server and in the
    /// browser. Called before a link logs in over an existing session.
    ///
    /// # Errors
    /// An [`AdapterError`] when the session could not be ended; no one is
    /// then logged in.
    fn logout(
        &self,
        request: &request::Parts,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send;

    /// The user's current stamp (a hash of the password hash, a
    /// security-stamp column, a logout-everywhere counter), bound into links
    /// at issue and compared at consume: when it changes, the user's
    /// outstanding links stop working. Default: no stamp.
    ///
    /// # Errors
    /// An [`AdapterError`] when it cannot be read; no link is issued or
    /// consumed then.
    fn user_stamp(
        &self,
        user: &Self::User,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, AdapterError>> + Send {
        let _ = user;
        ready(Ok(None))
    }

    /// The response to a consumed link, before the session is attached.
    /// Default: `303 See Other` to the link's target. Whatever it returns,
    /// the endpoint adds `Cache-Control: no-store` and
    /// `Referrer-Policy: no-referrer`.
    fn success_response(&self, link: &ConsumedLink<Self::User>) -> Response<ResponseBody> {
        see_other(link.target())
    }

    /// The response to a link that logged no one in. `failure_url` is the
    /// endpoint's failure URL with `{reason}` replaced by the reason's code.
    /// Default: `503` with `Retry-After` for
    /// [`FailureReason::Unavailable`] (the link was not used, a retry may
    /// work), otherwise `303 See Other` to `failure_url`.
    fn failure_response(&self, reason: FailureReason, failure_url: &str) -> Response<ResponseBody> {
        if reason == FailureReason::Unavailable {
            let mut response = text(StatusCode::SERVICE_UNAVAILABLE, reason.message());
            set_header(&mut response, RETRY_AFTER, RETRY_AFTER_SECONDS);
            response
        } else {
            see_other(failure_url)
        }
    }

    /// The session guard's answer to a link session asking for a page off
    /// the whitelist. Default: 403 with django-authlink's message.
    fn forbidden_response(&self, request: &request::Parts) -> Response<ResponseBody> {
        let _ = request;
        text(StatusCode::FORBIDDEN, NOT_WHITELISTED_MESSAGE)
    }
}

/// An [`Adapter`] method failed: a session store or user database error.
#[derive(Debug)]
pub struct AdapterError(Box<dyn StdError + Send + Sync>);

impl AdapterError {
    /// Wraps the app's error.
    pub fn new(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "adapter failed: {}", self.0)
    }
}

impl StdError for AdapterError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

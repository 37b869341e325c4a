//! What only the app knows: who the API caller is and, optionally, the
//! user's stamp.

use std::future::{Future, ready};

use http::HeaderMap;
use http::header::AUTHORIZATION;
use http::request;

use crate::mail::Address;
use crate::web::AppError;
use crate::web::LinkUser;

/// The token of an `Authorization: Bearer <token>` header, for
/// [`LinkApp::api_user`]. The scheme is matched without regard to case
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
    crate::web::bearer::bearer_token(headers.get(AUTHORIZATION)?.as_bytes())
}

/// The app's side of the endpoints: only what only the app knows.
///
/// Sessions come from the session integration (`TowerSessions`,
/// `AxumLogin`, or another [`LinkSessions`](super::LinkSessions)) and
/// answers from [`Responses`](crate::web::Responses), so an app writes one
/// required method:
///
/// ```
/// use authlink::http::{LinkApp, bearer_token};
///
/// struct App;
///
/// impl LinkApp for App {
///     type User = String;
///
///     async fn api_user(&self, request: &mut http::request::Parts) -> Option<String> {
///         // A real app looks the token up in its database, or runs its own
///         // extractor on `request` (`FromRequestParts` in axum).
///         (bearer_token(&request.headers) == Some("alice-api-token")).then(|| "alice".into())
///     }
/// }
/// ```
pub trait LinkApp: Send + Sync + 'static {
    /// The user id links carry (`u64`, `String`, `Uuid`…). Its `Debug` form
    /// appears in log events.
    type User: LinkUser;

    /// The authenticated caller of the create endpoint (from a bearer token,
    /// the app's own extractor, mutual TLS…), or `None` for a 401. `request`
    /// is mutable so that extractors that need it (axum's
    /// `FromRequestParts`) run on it as they are.
    fn api_user(
        &self,
        request: &mut request::Parts,
    ) -> impl Future<Output = Option<Self::User>> + Send;

    /// The user whose email address is `address`, for email sign-in
    /// ([`EmailSettings`](crate::web::EmailSettings)); default: nobody.
    /// The endpoint answers the same either way, and mails only a user.
    ///
    /// # Errors
    /// An [`AppError`] when the users cannot be read: the browser gets the
    /// retry page.
    fn user_for_email(
        &self,
        address: &Address,
    ) -> impl Future<Output = Result<Option<Self::User>, AppError>> + Send {
        let _ = address;
        ready(Ok(None))
    }

    /// The user's current stamp (a hash of the password hash, a
    /// security-stamp column, a logout-everywhere counter), bound into links
    /// at issue and compared at consume: when it changes, the user's
    /// outstanding links stop working. Default: no stamp.
    ///
    /// # Errors
    /// An [`AppError`] when it cannot be read; no link is issued or consumed
    /// then (503).
    fn user_stamp(
        &self,
        user: &Self::User,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, AppError>> + Send {
        let _ = user;
        ready(Ok(None))
    }
}

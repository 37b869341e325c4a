//! The web face on actix-web 4: the create and consume endpoints and the
//! session guard, with link sessions on actix-session, configured once
//! through [`ActixEndpoints`].
//!
//! A thin adapter: which failure, which status, the confirmation page, the
//! create body's rules, client-address resolution and the issue and consume
//! steps are [`crate::web`]'s, shared with the tower adapter
//! (`authlink::http`), so both stacks answer, log and count alike.
//!
//! - [`ActixApp`]: the app's side, only who the API caller is (and,
//!   optionally, the user's stamp).
//! - [`ActixEndpoints`]: trusted proxies, the failure URL, the mode, the
//!   replay cache and the limits, set once; [`routes`](ActixEndpoints::routes)
//!   mounts both endpoints (and email sign-in's three when the settings
//!   have it), [`guard`](ActixEndpoints::guard) is the middleware for the
//!   app's pages and [`sessions`](ActixEndpoints::sessions) wraps the app's
//!   `SessionMiddleware`.
//! - [`CurrentUser`](crate::web::CurrentUser): who an actix-session belongs
//!   to; the app's password login and logout on the same keys.
//! - [`client_ip`]: the client address from the peer address and trusted
//!   proxies' headers, never from `realip_remote_addr()`, which believes
//!   forwarding headers from anyone.
//!
//! # Sessions: `ActixEndpoints::sessions` outside, `SameSite=Lax`
//!
//! The app's own actix-session `SessionMiddleware` carries the sessions,
//! handed to [`ActixEndpoints::sessions`] and wrapped around the whole
//! `App` as its last `wrap`, outside [`guard`](ActixEndpoints::guard)
//! (actix runs the last `wrap` first). Its cookie attributes are the app's
//! configuration: keep `Secure` (actix-session's default) and set
//! `cookie_same_site(SameSite::Lax)`. `Lax` is required: a link opened from
//! an e-mail or a chat is a navigation from another site, and the redirect
//! after it must carry the new session's cookie; `Strict` would drop it,
//! and the user would land logged out.
//!
//! [`ActixSessions`] is what lets the endpoints and the guard know the
//! sessions are there: without it actix-session hands out a detached
//! session that is never stored, so a link would log no one in and be
//! spent. A request that did not pass it (routes mounted without it, or the
//! guard outside it) is answered `500` with one `ERROR` line naming the
//! fix by the consume and email sign-in endpoints, the guard and the user
//! extractors (the create endpoint and asking for a mail need no session;
//! `CurrentUser::of` on a detached session reads no one). And because actix-session stores the session when the response
//! passes its middleware, after the handler, [`ActixSessions`] gives the
//! link back when a server-side store (Redis) fails then: the browser gets
//! the answer to an unavailable store (default `503` with `Retry-After`),
//! and the same link works once the store is back, as on the tower stack
//! (which stores the session within the handler).
//!
//! A login through a link renews the session id, clears the session and
//! stores the user under `authlink.user` and the marker under
//! `authlink.via_link`. It never calls `purge()` first: actix-session ignores
//! every `insert` after a purge, so "log out, then log in" would silently
//! log no one in.
//!

mod endpoints;
mod guard;
mod identity;
mod request;
mod response;
mod session;
mod sessions;

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::web::TrustedProxies;
use crate::web::pipeline::WebRequest as _;

pub use endpoints::{ActixApp, ActixEndpoints};
pub use guard::{ActixGuard, ActixGuardService};
pub use session::Rejection;
pub use sessions::{ActixSessions, ActixSessionsService, Passthrough};

/// The token of `request`'s `Authorization: Bearer <token>` header, for
/// [`ActixApp::api_user`]: as `authlink::http::bearer_token` reads it (the
/// scheme in any case; `None` for a missing header, another scheme, an
/// empty token or a value that is not visible ASCII).
///
/// ```
/// use actix_web::test::TestRequest;
/// use authlink::actix::bearer_token;
///
/// let request = TestRequest::default()
///     .insert_header(("authorization", "bearer alice-api-token"))
///     .to_http_request();
/// assert_eq!(bearer_token(&request), Some("alice-api-token"));
/// let basic = TestRequest::default()
///     .insert_header(("authorization", "Basic YWxpY2U6"))
///     .to_http_request();
/// assert_eq!(bearer_token(&basic), None);
/// ```
#[must_use]
pub fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?;
    crate::web::bearer::bearer_token(value.as_bytes())
}

/// The client address of `request`: its peer address, or behind the
/// `trusted` proxies the address their header reports (see
/// [`crate::web::client_ip`]). `None` when it cannot be told.
#[must_use]
pub fn client_ip(request: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    request.client_ip(trusted)
}

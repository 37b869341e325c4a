//! The web face: the create and consume endpoints and the session guard, as
//! tower services over the `http` 1.x types, for hyper directly or any
//! tower-based framework (axum's `Router::route_service` and `Router::layer`).
//!
//! - [`CreateService`]: `POST {"url": "/account"}` by an authenticated API
//!   caller → `201 Created` with the link in `Location`.
//! - [`ConsumeService`]: `GET /authlink/{key}` → log the link's user in with
//!   a fresh session, `303 See Other` to the target; on failure `303` to the
//!   failure URL, with the [`FailureReason`](crate::FailureReason) for the
//!   app to show.
//! - [`SessionGuardLayer`]: sessions established through a link reach only
//!   whitelisted paths (403 elsewhere).
//! - [`client_ip`]: the client address, from the connection's peer
//!   ([`PeerAddr`] in the request extensions) or trusted proxies' headers.
//! - [`Adapter`]: the app's side (who is calling, who is logged in, log in
//!   and out), and [`MemorySessions`] and [`SessionCookie`] to build one.
//!
//! # Direct or prefetch-safe
//!
//! [`ConsumeMode::Direct`] (the default) consumes on `GET`: right for a link
//! an app opens in its own webview moments after asking for it, where no one
//! else sees it first. [`ConsumeMode::PrefetchSafe`] answers `GET` with a page
//! that posts back by itself and consumes only on `POST`: right for links in
//! e-mail or chat, whose scanners fetch every link before the person clicks
//! and would use up a single-use link. Scanners that run script as well defeat
//! it; a link bound to the address that asked for it
//! ([`IpBinding::Exact`](crate::IpBinding::Exact)) still fails for them.
//!
//! # A complete adapter
//!
//! API callers authenticate with a bearer token; browser sessions live in
//! [`CookieSessions`] (a real app uses its own session store).
//!
//! ```
//! use std::future::{Future, ready};
//! use std::sync::Arc;
//!
//! use authlink::http::{
//!     Adapter, AdapterError, BrowserSession, ConsumeService, CookieSessions, CreateService,
//!     SessionCookie, SessionGuardLayer, bearer_token,
//! };
//! use authlink::replay::MemoryReplayCache;
//! use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};
//! use http::{request, response};
//!
//! struct App {
//!     sessions: CookieSessions<String>,
//! }
//!
//! impl Adapter for App {
//!     type User = String;
//!
//!     fn api_user(
//!         &self,
//!         request: &request::Parts,
//!     ) -> impl Future<Output = Option<String>> + Send {
//!         // A real app looks the token up in its database.
//!         ready(match bearer_token(&request.headers) {
//!             Some("alice-api-token") => Some("alice".to_owned()),
//!             _ => None,
//!         })
//!     }
//!
//!     fn session(
//!         &self,
//!         request: &request::Parts,
//!     ) -> impl Future<Output = Option<BrowserSession<String>>> + Send {
//!         ready(self.sessions.current(request))
//!     }
//!
//!     fn login(
//!         &self,
//!         request: &request::Parts,
//!         user: &String,
//!         response: &mut response::Parts,
//!     ) -> impl Future<Output = Result<(), AdapterError>> + Send {
//!         // A fresh session id: never the browser's, never the link's.
//!         let session = BrowserSession::via_link(user.clone());
//!         ready(self.sessions.start(request, session, response).map_err(AdapterError::new))
//!     }
//!
//!     fn logout(
//!         &self,
//!         request: &request::Parts,
//!         response: &mut response::Parts,
//!     ) -> impl Future<Output = Result<(), AdapterError>> + Send {
//!         self.sessions.end(request, response);
//!         ready(Ok(()))
//!     }
//!
//!     // `user_stamp`, `success_response`, `failure_response` and
//!     // `forbidden_response` keep their defaults.
//! }
//!
//! let mut policy = Policy::default();
//! policy.whitelist = Whitelist::new(["^/account$", "^/account/settings$"])?;
//! let authlink = Arc::new(Authlink::new(
//!     KeyRing::new(KeyId::new(1), SecretKey::generate()),
//!     "example.com webview login",
//!     policy,
//! )?);
//! let app = Arc::new(App {
//!     sessions: CookieSessions::new(SessionCookie::new("session")?),
//! });
//!
//! let create = CreateService::new(authlink.clone(), app.clone());
//! let cache = Arc::new(MemoryReplayCache::new());
//! let consume = ConsumeService::new(authlink.clone(), app.clone(), cache)
//!     .with_failure_url("/?error={reason}");
//! let guard = SessionGuardLayer::new(app, authlink.policy().whitelist.clone());
//! # let _ = (create, consume, guard);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Serve them with hyper by putting the connection's [`PeerAddr`] into each
//! request's extensions (`examples/demo/` does), or in axum with
//! `Router::route_service` and `Router::layer` (`examples/axum.rs`; with the
//! `axum` feature the peer address comes from axum's `ConnectInfo`).

use std::future::Future;
use std::pin::Pin;

mod adapter;
mod client_ip;
mod consume;
mod create;
mod guard;
mod response;
mod session;

pub use adapter::{Adapter, AdapterError, RETRY_AFTER_SECONDS, bearer_token};
pub use client_ip::{
    Cidr, CidrError, ForwardedHeader, MAX_FORWARDED_HOPS, PeerAddr, TrustedProxies, client_ip,
};
pub use consume::{ConsumeMode, ConsumeService, DEFAULT_FAILURE_URL};
pub use create::{CreateService, DEFAULT_BODY_LIMIT};
pub use guard::{SessionGuard, SessionGuardLayer};
pub use response::{NOT_WHITELISTED_MESSAGE, ResponseBody, html, see_other, text};
pub use session::{
    BrowserSession, CookieNameError, CookieSessions, MemorySessions, SessionCookie, SessionId,
    SessionStoreFull,
};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

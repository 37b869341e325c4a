//! The web face on the `http` 1.x types: the create and consume endpoints
//! and the session guard as tower services, for hyper directly or any
//! tower-based framework, configured once through [`Endpoints`] on a
//! [`Settings`] value.
//!
//! - [`LinkApp`]: the app's side, only who the API caller is (and,
//!   optionally, the user's stamp).
//! - [`LinkSessions`]: the session side, ready-made on tower-sessions
//!   ([`TowerSessions`], feature `tower-sessions`) and axum-login
//!   (`AxumLogin`, feature `axum-login`).
//! - [`Endpoints`]: the app, the sessions and the [`Settings`] together,
//!   giving [`CreateService`], [`ConsumeService`]
//!   and [`GuardLayer`], or with the `axum` feature a whole router
//!   ([`Endpoints::router`]). An axum handler may also issue a link itself
//!   ([`Endpoints::issue`]) and consume one ([`ConsumeService::consume`]).
//! - [`Responses`] and [`Messages`]: every answer and
//!   every sentence, replaceable.
//! - [`client_ip`](crate::web::client_ip): the client address, from the connection's peer
//!   ([`PeerAddr`] in the request extensions) or trusted proxies' headers.
//!
//! The decisions behind them (which failure, the confirmation page, the
//! create body's rules, client-address resolution) live in
//! [`crate::web`], shared with other frameworks.
//!
//! # Mounting everything
//!
//! The app implements [`LinkApp`]: who the API caller is (a bearer token,
//! its own extractor on the request's parts, mutual TLS), and optionally the
//! user's stamp. Sessions come from the framework the app already runs.
//! [`Endpoints`] takes the [`Settings`] (trusted proxies, failure URL, mode,
//! replay cache, limits, responses, messages) and gives the create service,
//! the consume service and the guard layer, or with the `axum` feature a
//! whole router. The crate's front page shows it for axum with
//! tower-sessions and with axum-login.
//!
//! - **axum**: [`Endpoints::router`] mounts everything in the right order.
//!   Serve the router with `into_make_service_with_connect_info::<SocketAddr>()`,
//!   so the endpoints know the client's address. With tower-sessions, pages
//!   read who is logged in with `CurrentUser::<U>::of(&session)`, and a
//!   password login calls `CurrentUser::log_in_unrestricted(&session, &user)`.
//!   The pages given to `router()` get the session layer with the guard;
//!   only routes the app adds outside `router()` need `sessions.layer()`
//!   to read the same session.
//! - **Without axum**, under hyper: serve [`Endpoints::create_service`] and
//!   [`Endpoints::consume_service`], wrap the pages in
//!   [`Endpoints::guard_layer`], and put the connection's [`PeerAddr`] in
//!   each request's extensions (`examples/demo/` does).
//! - **From the app's own handlers**: an app with its own error format or
//!   OpenAPI issues links itself with [`Endpoints::issue`], the client
//!   address resolved through the same trusted proxies, and consumes in a
//!   handler of its own with [`ConsumeService::consume`]:
//!
//! ```no_run
//! # #[cfg(feature = "tower-sessions")]
//! # async fn handler<A: authlink::http::LinkApp<User = String>>(
//! #     endpoints: authlink::http::Endpoints<
//! #         A, authlink::http::TowerSessions<String, tower_sessions::MemoryStore>>,
//! #     request: http::request::Parts,
//! # ) {
//! let user = "alice".to_owned(); // who the app's own extractor says is calling
//! match endpoints.issue(&request, &user, "/account").await {
//!     Ok(link) => println!("{}", link.url),
//!     Err(refusal) => println!("{}: {:?}", refusal.status(), refusal.body(endpoints.settings().texts())),
//! }
//! let consume = endpoints.consume_service();
//! let response = consume.consume(http::Request::new(axum::body::Body::empty())).await;
//! # let _ = response;
//! # }
//! ```
//!
//! Single use goes through the core's [`ReplayCache`](crate::replay::ReplayCache)
//! trait: [`MemoryReplayCache`](crate::replay::MemoryReplayCache) (the
//! default) for one process, a shared backend for several
//! ([`Settings::replay_cache`]), or
//! [`ReusableLinks`](crate::replay::ReusableLinks) to opt out.
//!
//! # The create endpoint
//!
//! [`CreateService`] (django-authlink's `AuthLinkCreateView`) issues a link
//! to an authenticated API caller; its docs list every answer.
//!
//! # The consume endpoint
//!
//! [`ConsumeService`] (django-authlink's `AuthLinkView`) logs the link's
//! user in with a fresh session id and redirects to the target; its docs
//! list every answer. Never `301`: a permanent redirect may be cached, and
//! a one-time link must not be. A malformed or absurdly long key is a
//! failure like any other, never a 500.
//!
//! The app learns why a link failed as a [`FailureReason`](crate::FailureReason), in the failure
//! response's extensions, passed to [`Responses::failure`], and as the code
//! in the failure URL ([`FailureReason::code`](crate::FailureReason::code)). Every message
//! ([`FailureReason::message`](crate::FailureReason::message)) can be replaced
//! ([`Messages::with_failure`]). `unavailable` is not a redirect: when the
//! replay cache (or the user-stamp lookup) cannot answer, the link cannot be
//! known unused, so the answer is `503 Service Unavailable` with
//! `Retry-After` and no session, and the link still works once the backend
//! is back.
//!
//! # Cookies: `Secure` and `SameSite=Lax`
//!
//! [`TowerSessions`] and `AxumLogin` own the session layer, so they set
//! the cookie's attributes once: `Secure` unless the app turns it off by
//! name (`insecure_cookie()`, for plain HTTP on loopback during
//! development), never inferred from `Host` or the URI, and `SameSite=Lax`.
//! `Lax` is required: a link opened from an e-mail or a chat is a navigation
//! from another site, and the redirect after it must carry the new
//! session's cookie; `Strict` (tower-sessions' default) would drop it, and
//! the user would land logged out.
//!
//! # Direct or prefetch-safe
//!
//! [`ConsumeMode::Direct`] (the default)
//! consumes on `GET`: right for a link an app opens in its own webview
//! moments after asking for it. [`ConsumeMode::PrefetchSafe`]
//! answers `GET` with a confirmation page and consumes only on a
//! same-origin `POST`: right for links in e-mail or chat, whose scanners
//! fetch every link first. [`ConfirmPage::ButtonOnly`]
//! leaves out the page's self-submitting script, for scanners that run
//! script. A cross-site `POST` is refused as
//! [`FailureReason::CrossSite`](crate::FailureReason::CrossSite)
//! (login CSRF).
//!
//! The confirmation page is small: no-store, no-referrer, a CSP that allows
//! only its own script, no framing; its form posts back to the same URL and
//! submits itself with one line of script, or with its button when script
//! is off. Scanners that run script defeat it, and exact IP binding then
//! still stops them, since they fetch from elsewhere.
//!
//! **Login CSRF.** A confirming `POST` that the browser marks as coming from
//! another site (`Sec-Fetch-Site` other than `same-origin` or `none`, or,
//! without it, an `Origin` naming another host, `null` included) is refused:
//! no session, the link not used, `303` to the failure URL with the code
//! `cross_site`. A `GET` cannot be checked this way: a link opened from an
//! e-mail is a cross-site navigation by nature, so in direct mode a page
//! that sends a browser to a link it obtained logs that browser in; exact IP
//! binding narrows this to links issued to the victim's own address.
//!
//! | the link is opened … | mode |
//! | --- | --- |
//! | in a webview by the app that asked for it | [`ConsumeMode::Direct`] |
//! | from an e-mail, a chat message, anything a scanner reads first | [`ConsumeMode::PrefetchSafe`] |
//!
//! # The session guard
//!
//! [`GuardLayer`] ([`Endpoints::guard_layer`], django-authlink's
//! `AuthLinkWhitelistMiddleware`) wraps the app's pages. A session that was
//! established through a link may reach only the whitelisted paths, and gets
//! `403` with [`Messages::forbidden`] (`That URL is not whitelisted for
//! your authentication method.`) elsewhere; sessions established otherwise
//! (a password, single sign-on) and anonymous requests pass untouched. The
//! path is matched as received, so encoded or dotted variants of a
//! whitelisted path are refused, not let through. The failure URL's path and
//! the endpoints' paths are always open to link sessions (so a link session
//! whose next link fails is told why, and can open its next link even if
//! the endpoints sit inside the guard); [`Settings::also_allow`] adds more
//! paths.
//!
//! # Client address
//!
//! The address a link is bound to, and checked against, is the
//! connection's peer address, which the server puts in each request's
//! extensions as [`PeerAddr`] (or axum's `ConnectInfo` with the `axum`
//! feature). `X-Forwarded-For` (or RFC 7239 `Forwarded`, when configured
//! with [`TrustedProxies::with_header`]) is read only when the peer is in
//! [`TrustedProxies`] ([`Settings::trusted_proxies`]), and then the
//! right-most address that is not a trusted proxy is the client. An address
//! that cannot be told (no peer, a trusted proxy that sent no header,
//! `unknown`, garbage, a `Forwarded` value outside RFC 7239's grammar) fails
//! closed: no link is issued, no one is logged in.
//! [`client_ip`](crate::web::client_ip) is a pure function of the peer, the headers and the trusted
//! networks.
//!
//! ## Deployment caveat
//!
//! Forwarding headers are only as honest as whoever wrote them. Only the
//! header named by [`TrustedProxies::header`] is read: configure the one
//! your proxy *sets or appends to*. A proxy that passes a header through
//! untouched lets any client write its own address into it, and the
//! right-most untrusted entry is then the client's invention. List only the
//! networks of your own proxies (a load balancer's subnet, `127.0.0.1/32`
//! for a sidecar), never a network where clients live. Behind a CDN, trust
//! the CDN's ranges only if every request reaches you through it.
//!
//!
//! # Mistakes that cannot happen
//!
//! The consume endpoint and the guard put the session layer around
//! themselves when the request has no session, so a forgotten session layer
//! is not a 500 per request; the guard lets the endpoints' paths through, so
//! mounting them inside it does not lock link sessions out of their next
//! link; [`Endpoints::router`] mounts everything in the right order; and
//! [`Settings::failure_url`] refuses a URL that would be an open redirect,
//! at start-up.
//!
//! [`Messages`]: crate::web::Messages
//! [`Messages::forbidden`]: crate::web::Messages::forbidden
//! [`Settings`]: crate::web::Settings
//! [`Responses`]: crate::web::Responses
//! [`Responses::failure`]: crate::web::Responses::failure
//! [`Settings::replay_cache`]: crate::web::Settings::replay_cache
//! [`Settings::create_limits`]: crate::web::Settings::create_limits
//! [`Settings::also_allow`]: crate::web::Settings::also_allow
//! [`Settings::trusted_proxies`]: crate::web::Settings::trusted_proxies
//! [`Settings::failure_url`]: crate::web::Settings::failure_url
//! [`Messages::with_failure`]: crate::web::Messages::with_failure
//! [`ConsumeMode::Direct`]: crate::web::ConsumeMode::Direct
//! [`ConsumeMode::PrefetchSafe`]: crate::web::ConsumeMode::PrefetchSafe
//! [`ConfirmPage::ButtonOnly`]: crate::web::ConfirmPage::ButtonOnly
//! [`TrustedProxies::with_header`]: crate::web::TrustedProxies::with_header
//! [`TrustedProxies`]: crate::web::TrustedProxies
//! [`TrustedProxies::header`]: crate::web::TrustedProxies::header

mod app;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "axum-login")]
mod axum_login;
mod consume;
mod create;
mod email;
mod endpoints;
mod guard;
mod peer;
mod response;
mod sessions;
mod shared;
#[cfg(feature = "tower-sessions")]
mod tower_sessions;

pub use app::{LinkApp, bearer_token};
#[cfg(feature = "axum-login")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum-login")))]
pub use axum_login::AxumLogin;
pub use consume::ConsumeService;
pub use create::CreateService;
pub use email::EmailService;
pub use endpoints::Endpoints;
pub use guard::{Guard, GuardBody, GuardLayer};
pub use peer::PeerAddr;
pub use response::ResponseBody;
pub use sessions::{LinkSessions, SessionService};
#[cfg(feature = "tower-sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower-sessions")))]
pub use tower_sessions::TowerSessions;

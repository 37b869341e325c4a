//! The consume endpoint (django-authlink's `AuthLinkView`): the browser opens
//! the link and, if it checks out, leaves logged in.

use std::convert::Infallible;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{ALLOW, CONTENT_SECURITY_POLICY};
use http::{HeaderValue, Method, Request, Response, StatusCode, request};
use sha2::{Digest as _, Sha256};
use tower_service::Service;

use super::BoxFuture;
use super::adapter::Adapter;
use super::client_ip::{TrustedProxies, client_ip, peer_of};
use super::response::{ResponseBody, html, private, set_header, text};
use crate::authlink::Authlink;
use crate::error::{FailureReason, VerifyError};
use crate::replay::ReplayCache;

/// How the endpoint answers a `GET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsumeMode {
    /// `GET` consumes the link and logs in (the default). For links opened
    /// in a webview by the app that asked for them, where nothing else sees
    /// the link first.
    #[default]
    Direct,
    /// `GET` answers a small page whose form posts back to the same URL and
    /// submits itself; only `POST` consumes. For links sent by e-mail or
    /// chat, whose scanners fetch links before the person does and would
    /// otherwise use up a single-use link.
    PrefetchSafe,
}

/// The consume endpoint as a tower service. Mount it at the path of the
/// policy's URL template (`/authlink/{key}`); the key is the path's last
/// segment.
///
/// On success: any session the browser had is logged out, the link's user
/// is logged in with a fresh session, and the answer is the adapter's
/// success response (default `303 See Other` to the link's target). On any
/// failure nothing is established and the answer is the adapter's failure
/// response (default `303` to the failure URL, or `503` with `Retry-After`
/// when the replay cache or the stamp lookup is unavailable), carrying the
/// [`FailureReason`] in its extensions. Every answer has
/// `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
///
/// `GET` consumes in [`ConsumeMode::Direct`] and shows a confirmation page
/// in [`ConsumeMode::PrefetchSafe`]; `POST` consumes in both; `HEAD` never
/// consumes; other methods get 405.
pub struct ConsumeService<A, C> {
    authlink: Arc<Authlink>,
    adapter: Arc<A>,
    replay: Arc<C>,
    config: Arc<Config>,
}

#[derive(Debug, Clone)]
struct Config {
    trusted: TrustedProxies,
    failure_url: String,
    mode: ConsumeMode,
}

/// The default failure URL.
pub const DEFAULT_FAILURE_URL: &str = "/";

impl<A: Adapter, C: ReplayCache + 'static> ConsumeService<A, C> {
    /// An endpoint verifying links with `authlink`, logging in through
    /// `adapter`, and making links single-use through `replay` (pass
    /// [`ReusableLinks`](crate::replay::ReusableLinks) to opt out). Direct mode, failure URL `/`, no
    /// trusted proxy.
    pub fn new(authlink: Arc<Authlink>, adapter: Arc<A>, replay: Arc<C>) -> Self {
        Self {
            authlink,
            adapter,
            replay,
            config: Arc::new(Config {
                trusted: TrustedProxies::none(),
                failure_url: DEFAULT_FAILURE_URL.to_owned(),
                mode: ConsumeMode::Direct,
            }),
        }
    }

    /// Reads client addresses through these proxies.
    #[must_use]
    pub fn with_trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        Arc::make_mut(&mut self.config).trusted = trusted;
        self
    }

    /// Where failures lead; `{reason}` is replaced by the
    /// [`FailureReason::code`] (e.g. `"/?error={reason}"`). Default `/`.
    #[must_use]
    pub fn with_failure_url(mut self, url: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).failure_url = url.into();
        self
    }

    /// Answers `GET` as `mode` says.
    #[must_use]
    pub fn with_mode(mut self, mode: ConsumeMode) -> Self {
        Arc::make_mut(&mut self.config).mode = mode;
        self
    }

    async fn handle<B>(self, request: Request<B>) -> Response<ResponseBody> {
        let (parts, _body) = request.into_parts();
        let mut response = match parts.method {
            Method::POST => self.consume(&parts).await,
            Method::GET if self.config.mode == ConsumeMode::Direct => self.consume(&parts).await,
            Method::GET => confirm_page(),
            // Link checkers probe with HEAD: tell them nothing, use nothing.
            Method::HEAD => html(StatusCode::OK, ""),
            _ => {
                let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.");
                set_header(&mut response, ALLOW, "GET, HEAD, POST");
                response
            }
        };
        private(&mut response);
        response
    }

    async fn consume(&self, parts: &request::Parts) -> Response<ResponseBody> {
        let key = parts.uri.path().rsplit('/').next().unwrap_or_default();
        let Some(ip) = client_ip(
            peer_of(&parts.extensions),
            &parts.headers,
            &self.config.trusted,
        ) else {
            tracing::warn!(
                target: "authlink",
                outcome = "refused",
                reason = "client_mismatch",
                kind = "no_client_address",
                "link refused",
            );
            return self.failure(FailureReason::ClientMismatch);
        };
        let adapter = &*self.adapter;
        let link = self
            .authlink
            .verify_and_consume(
                key,
                ip,
                async |user: &A::User| adapter.user_stamp(user).await,
                &*self.replay,
            )
            .await;
        let link = match link {
            Ok(link) => link,
            Err(err) => return self.refused(&err),
        };
        let (mut response, body) = self.adapter.success_response(&link).into_parts();
        let previous = self.adapter.session(parts).await;
        if previous.is_some() {
            if let Err(err) = self.adapter.logout(parts, &mut response).await {
                tracing::error!(
                    target: "authlink",
                    user = ?link.user(),
                    outcome = "logout_failed",
                    error = %err,
                    "link consumed, login failed",
                );
                return text(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed.");
            }
        }
        if let Err(err) = self.adapter.login(parts, link.user(), &mut response).await {
            tracing::error!(
                target: "authlink",
                user = ?link.user(),
                outcome = "login_failed",
                error = %err,
                "link consumed, login failed",
            );
            return text(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed.");
        }
        tracing::info!(
            target: "authlink",
            user = ?link.user(),
            outcome = "logged_in",
            replaced_other_user = previous.as_ref().is_some_and(|s| &s.user != link.user()),
            replaced_session = previous.is_some(),
            "link consumed"
        );
        Response::from_parts(response, body)
    }

    fn refused(&self, err: &VerifyError) -> Response<ResponseBody> {
        let reason = FailureReason::from(err.kind());
        tracing::info!(
            target: "authlink",
            outcome = "refused",
            reason = reason.code(),
            kind = ?err.kind(),
            error = std::error::Error::source(err).map(tracing::field::display),
            "link refused"
        );
        self.failure(reason)
    }

    fn failure(&self, reason: FailureReason) -> Response<ResponseBody> {
        let url = self.config.failure_url.replace("{reason}", reason.code());
        let mut response = self.adapter.failure_response(reason, &url);
        response.extensions_mut().insert(reason);
        response
    }
}

/// The script that submits the confirmation form, and its CSP hash.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

static CONFIRM_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; base-uri 'none'; frame-ancestors 'none'"
    )
});

/// The prefetch-safe page: a form posting to this same URL (no `action`),
/// sent by script at once, by the button when script is off.
fn confirm_page() -> Response<ResponseBody> {
    let page = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta name=\"robots\" content=\"noindex\"><title>Sign in</title></head>\n<body>\
         <form method=\"post\"><p>Signing you in…</p><button type=\"submit\">Continue</button></form>\n\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n"
    );
    let mut response = html(StatusCode::OK, page);
    if let Ok(csp) = HeaderValue::from_str(&CONFIRM_CSP) {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, csp);
    }
    response
}

impl<A, C> Clone for ConsumeService<A, C> {
    fn clone(&self) -> Self {
        Self {
            authlink: Arc::clone(&self.authlink),
            adapter: Arc::clone(&self.adapter),
            replay: Arc::clone(&self.replay),
            config: Arc::clone(&self.config),
        }
    }
}

impl<A, C> std::fmt::Debug for ConsumeService<A, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeService")
            .field("authlink", &self.authlink)
            .field("trusted", &self.config.trusted)
            .field("failure_url", &self.config.failure_url)
            .field("mode", &self.config.mode)
            .finish_non_exhaustive()
    }
}

impl<A, C, B> Service<Request<B>> for ConsumeService<A, C>
where
    A: Adapter,
    C: ReplayCache + 'static,
    B: Send + 'static,
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

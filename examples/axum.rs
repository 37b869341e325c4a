//! The authlink services in an axum router: the endpoints mounted with
//! `route_service`, the session guard as a `layer` over the app's pages, and
//! the peer address taken from axum's `ConnectInfo` (the `axum` feature).
//!
//! ```text
//! cargo run --example axum --features axum
//! curl -si -X POST http://127.0.0.1:3000/api/authlink \
//!      -H 'Authorization: Bearer alice-api-token' \
//!      -H 'Content-Type: application/json' -d '{"url": "/account"}'
//! ```

use std::future::{Future, ready};
use std::net::SocketAddr;
use std::sync::Arc;

use authlink::FailureReason;
use authlink::http::{
    Adapter, AdapterError, BrowserSession, ConsumeService, CookieSessions, CreateService,
    SessionCookie, SessionGuardLayer, bearer_token,
};
use authlink::replay::MemoryReplayCache;
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, request, response};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

/// Bearer tokens for the API, cookie sessions in memory.
struct App {
    sessions: CookieSessions<String>,
}

impl Adapter for App {
    type User = String;

    fn api_user(&self, request: &request::Parts) -> impl Future<Output = Option<String>> + Send {
        ready(match bearer_token(&request.headers) {
            Some("alice-api-token") => Some("alice".to_owned()),
            _ => None,
        })
    }

    fn session(
        &self,
        request: &request::Parts,
    ) -> impl Future<Output = Option<BrowserSession<String>>> + Send {
        ready(self.sessions.current(request))
    }

    fn login(
        &self,
        request: &request::Parts,
        user: &String,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send {
        let session = BrowserSession::via_link(user.clone());
        ready(
            self.sessions
                .start(request, session, response)
                .map_err(AdapterError::new),
        )
    }

    fn logout(
        &self,
        request: &request::Parts,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send {
        self.sessions.end(request, response);
        ready(Ok(()))
    }
}

/// The router: pages behind the guard, the endpoints outside it.
pub(crate) fn router(secret: SecretKey) -> Result<Router, Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"])?;
    let authlink = Arc::new(Authlink::new(
        KeyRing::new(KeyId::new(1), secret),
        "axum example login",
        policy,
    )?);
    let app = Arc::new(App {
        sessions: CookieSessions::new(SessionCookie::new("session")?),
    });
    let cache = Arc::new(MemoryReplayCache::new());

    let pages = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .route("/admin", get(admin))
        .with_state(Arc::clone(&app));
    Ok(pages
        .layer(
            SessionGuardLayer::new(Arc::clone(&app), authlink.policy().whitelist.clone())
                // The failure page, for a link session whose next link fails.
                .also_allow(Whitelist::new(["^/$"])?),
        )
        .route_service(
            "/api/authlink",
            CreateService::new(Arc::clone(&authlink), Arc::clone(&app)),
        )
        .route_service(
            "/authlink/{key}",
            ConsumeService::new(authlink, app, cache).with_failure_url("/?error={reason}"),
        ))
}

/// Where failures land: `/?error=used` and the like.
async fn home(RawQuery(query): RawQuery) -> String {
    let reason = query
        .as_deref()
        .and_then(|query| query.strip_prefix("error="))
        .map(|code| code.parse().unwrap_or(FailureReason::Invalid));
    match reason {
        Some(reason) => reason.message().to_owned(),
        None => "Welcome.".to_owned(),
    }
}

async fn account(State(app): State<Arc<App>>, request: request::Parts) -> impl IntoResponse {
    match app.sessions.current(&request) {
        Some(session) => format!("Hello, {}", session.user).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

async fn admin(State(app): State<Arc<App>>, request: request::Parts) -> impl IntoResponse {
    match app.sessions.current(&request) {
        Some(session) => format!("Admin page for {}", session.user).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("axum example on http://{}", listener.local_addr()?);
    let app = router(SecretKey::generate())?;
    // `ConnectInfo<SocketAddr>` is where the services find the client's address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

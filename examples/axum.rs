//! An axum app on tower-sessions with authlink mounted: the create endpoint
//! for its API callers, the consume endpoint for their webviews, and its
//! pages behind the session guard.
//!
//! ```text
//! cargo run --example axum
//! curl -si -X POST http://127.0.0.1:3000/api/authlink \
//!      -H 'Authorization: Bearer alice-api-token' \
//!      -H 'Content-Type: application/json' -d '{"url": "/account"}'
//! ```

use std::net::SocketAddr;

use authlink::FailureReason;
use authlink::http::{Endpoints, LinkApp, TowerSessions, bearer_token};
use authlink::web::{CurrentUser, Settings};
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};
use axum::Router;
use axum::extract::Query;
use axum::http::request::Parts;
use axum::routing::get;
use tower_sessions::MemoryStore;

/// The app's own user lookup: who holds this API token.
fn user_for_token(token: &str) -> Option<String> {
    (token == "alice-api-token").then(|| "alice".to_owned())
}

struct App;

impl LinkApp for App {
    type User = String;

    async fn api_user(&self, request: &mut Parts) -> Option<String> {
        user_for_token(bearer_token(&request.headers)?)
    }
}

/// The app's router with authlink mounted.
pub(crate) fn router(secret: SecretKey) -> Result<Router, Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"])?;
    let keys = KeyRing::new(KeyId::new(1), secret);
    let authlink = Authlink::new(keys, "axum example login", policy)?;
    // Plain HTTP on loopback while trying it out: say so, by name.
    let sessions = TowerSessions::new(MemoryStore::default()).insecure_cookie();
    // The links the API hands out are absolute, for the app to open.
    let settings = Settings::with_origin(authlink, "http://127.0.0.1:3000")?
        .failure_url("/?error={reason}")?;
    let endpoints = Endpoints::new(settings, App, sessions);
    let pages = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .route("/admin", get(admin));
    Ok(endpoints.router(pages))
}

/// Where failures land: `/?error=used` and the like.
async fn home(Query(query): Query<Vec<(String, String)>>) -> String {
    match query.iter().find(|(name, _)| name == "error") {
        Some((_, code)) => code
            .parse()
            .unwrap_or(FailureReason::Invalid)
            .message()
            .into(),
        None => "Welcome.".into(),
    }
}

/// No one signed in: 401, the answer of `Responses::signed_out`.
async fn account(me: CurrentUser<String>) -> String {
    format!("Hello, {}", me.user)
}

async fn admin(me: CurrentUser<String>) -> String {
    format!("Admin page for {}", me.user)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("axum example on http://{}", listener.local_addr()?);
    println!("session cookie: Secure is off (plain HTTP on loopback)");
    let app = router(SecretKey::generate())?;
    // `ConnectInfo<SocketAddr>` is where the endpoints find the client's address.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}

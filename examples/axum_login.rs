//! An axum-login app with authlink mounted: password logins and link logins
//! side by side, `login_required!` routes that see both, and the session
//! guard keeping link sessions to the whitelist.
//!
//! ```text
//! cargo run --example axum_login --features axum-login
//! curl -si -X POST http://127.0.0.1:3000/api/authlink \
//!      -H 'Authorization: Bearer alice-api-token' \
//!      -H 'Content-Type: application/json' -d '{"url": "/account"}'
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use authlink::http::{AxumLogin, Endpoints, LinkApp, bearer_token};
use authlink::web::{AppError, Settings};
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};
use axum::Router;
use axum::extract::Form;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_login::{AuthSession, AuthUser, AuthnBackend, login_required};
use tower_sessions::MemoryStore;

/// A user of the app. Its password hash doubles as axum-login's session
/// hash and authlink's user stamp: a new password ends both sessions and
/// outstanding links.
#[derive(Debug, Clone)]
pub(crate) struct User {
    id: u64,
    name: String,
    password_hash: Vec<u8>,
    api_token: String,
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> u64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.password_hash
    }
}

/// The app's own user lookup: its user table, as axum-login's backend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users(Arc<RwLock<HashMap<u64, User>>>);

impl Users {
    /// alice (1) and bob (2), passwords "alice-password" and
    /// "bob-password" (stored as is: a real app stores a password hash).
    pub(crate) fn demo() -> Self {
        let users = Self::default();
        for (id, name) in [(1, "alice"), (2, "bob")] {
            let user = User {
                id,
                name: name.to_owned(),
                password_hash: format!("{name}-password").into_bytes(),
                api_token: format!("{name}-api-token"),
            };
            users.write().insert(id, user);
        }
        users
    }

    /// Changes a user's password.
    #[allow(dead_code)] // the example has no page for it; tests/tower/axum_login.rs calls it
    pub(crate) fn set_password(&self, id: u64, password: &str) {
        if let Some(user) = self.write().get_mut(&id) {
            user.password_hash = password.as_bytes().to_vec();
        }
    }

    fn find(&self, found: impl Fn(&User) -> bool) -> Option<User> {
        let users = self.0.read().unwrap_or_else(PoisonError::into_inner);
        users.values().find(|user| found(user)).cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, User>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A name and a password, from the login form.
#[derive(Clone, serde::Deserialize)]
pub(crate) struct Credentials {
    name: String,
    password: String,
}

impl AuthnBackend for Users {
    type User = User;
    type Credentials = Credentials;
    type Error = Infallible;

    async fn authenticate(&self, credentials: Credentials) -> Result<Option<User>, Infallible> {
        let password = credentials.password.as_bytes();
        Ok(self.find(|user| user.name == credentials.name && user.password_hash == password))
    }

    async fn get_user(&self, id: &u64) -> Result<Option<User>, Infallible> {
        Ok(self.find(|user| user.id == *id))
    }
}

impl LinkApp for Users {
    type User = u64;

    async fn api_user(&self, request: &mut Parts) -> Option<u64> {
        let token = bearer_token(&request.headers)?;
        self.find(|user| user.api_token == token)
            .map(|user| user.id)
    }

    async fn user_stamp(&self, id: &u64) -> Result<Option<Vec<u8>>, AppError> {
        Ok(self
            .find(|user| user.id == *id)
            .map(|user| user.password_hash))
    }
}

/// The app's router with authlink mounted.
pub(crate) fn router(
    authlink: Authlink,
    users: Users,
) -> Result<Router, Box<dyn std::error::Error>> {
    // Plain HTTP on loopback while trying it out: say so, by name.
    let sessions = AxumLogin::new(users.clone(), MemoryStore::default()).insecure_cookie();
    let settings = Settings::with_origin(authlink, "http://127.0.0.1:3000")?
        .failure_url("/?error={reason}")?
        // A link session may sign in with a password, for the other pages.
        .also_allow(Whitelist::new(["^/login$"])?);
    let endpoints = Endpoints::new(settings, users, sessions);
    let pages = Router::new()
        .route("/account", get(account))
        .route("/admin", get(admin))
        .route_layer(login_required!(Users, login_url = "/login"))
        .route("/", get(|| async { "Welcome." }))
        .route("/login", post(password_login));
    Ok(endpoints.router(pages))
}

async fn password_login(
    mut auth: AuthSession<Users>,
    Form(credentials): Form<Credentials>,
) -> Response {
    // Out first: nothing of a previous session, a link's mark included, stays.
    let _ = auth.logout().await;
    match auth.authenticate(credentials).await {
        Ok(Some(user)) if auth.login(&user).await.is_ok() => {
            Redirect::to("/account").into_response()
        }
        _ => Redirect::to("/login?failed").into_response(),
    }
}

async fn account(auth: AuthSession<Users>) -> String {
    auth.user
        .map(|user| format!("Hello, {}", user.name))
        .unwrap_or_default()
}

async fn admin(auth: AuthSession<Users>) -> String {
    auth.user
        .map(|user| format!("Admin page for {}", user.name))
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"])?;
    let keys = KeyRing::new(KeyId::new(1), SecretKey::generate());
    let authlink = Authlink::new(keys, "axum-login example login", policy)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("axum-login example on http://{}", listener.local_addr()?);
    println!("session cookie: Secure is off (plain HTTP on loopback)");
    let app = router(authlink, Users::demo())?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

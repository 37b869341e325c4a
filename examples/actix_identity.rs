//! An actix-web app on actix-identity with authlink mounted: the app's own
//! password login through `Identity::login`, the create endpoint for API
//! callers, and link logins that the app's `Identity` sees as its own while
//! the guard keeps them to the whitelist.
//!
//! ```text
//! cargo run --example actix_identity --features actix-identity
//! curl -si -X POST http://127.0.0.1:3000/api/authlink \
//!      -H 'Authorization: Bearer alice-api-token' \
//!      -H 'Content-Type: application/json' -d '{"url": "/account"}'
//! ```

use std::collections::HashMap;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, HttpServer};
use authlink::actix::{ActixApp, ActixEndpoints, ActixSessions, bearer_token};
use authlink::web::Settings;
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};

/// The app's own password check (a real app verifies a password hash).
fn user_for_password(user: &str, password: &str) -> Option<String> {
    (user == "alice" && password == "correct horse").then(|| user.to_owned())
}

pub(crate) struct LinkApp;

impl ActixApp for LinkApp {
    type User = String;

    async fn api_user(&self, request: &HttpRequest) -> Option<String> {
        // A real app looks the token up in its database.
        (bearer_token(request)? == "alice-api-token").then(|| "alice".to_owned())
    }
}

/// authlink's endpoints, configured once; link sessions may also reach the
/// password login, to step up.
pub(crate) fn endpoints(
    secret: SecretKey,
) -> Result<ActixEndpoints<LinkApp>, Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"])?;
    let authlink = Authlink::new(
        KeyRing::new(KeyId::new(1), secret),
        "actix-identity example",
        policy,
    )?;
    let settings = Settings::with_origin(authlink, "http://127.0.0.1:3000")?
        .failure_url("/?error={reason}")?
        .login_url("/login")?
        // A link session may log out too.
        .also_allow(Whitelist::new(["^/logout$"])?);
    Ok(ActixEndpoints::new(settings, LinkApp))
}

/// The sessions with actix-identity inside them. `Secure` stays on unless
/// `secure` is false (plain HTTP on loopback while trying it out).
pub(crate) fn sessions(
    endpoints: &ActixEndpoints<LinkApp>,
    key: Key,
    secure: bool,
) -> ActixSessions<CookieSessionStore, IdentityMiddleware> {
    let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(secure)
        .build();
    endpoints
        .sessions(sessions)
        .with_identity(IdentityMiddleware::default())
}

/// The app's own pages.
pub(crate) fn pages(config: &mut ServiceConfig) {
    config
        .route("/login", web::post().to(log_in))
        .route("/logout", web::post().to(log_out))
        .route("/account", web::get().to(account))
        .route("/admin", web::get().to(admin));
}

async fn log_in(request: HttpRequest, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let user = form.get("user").zip(form.get("password"));
    match user.and_then(|(user, password)| user_for_password(user, password)) {
        Some(user) => match Identity::login(&request.extensions(), user) {
            Ok(_) => redirect("/account"),
            Err(_) => HttpResponse::InternalServerError().finish(),
        },
        None => HttpResponse::Unauthorized().body("Wrong user or password."),
    }
}

async fn log_out(identity: Identity) -> HttpResponse {
    identity.logout();
    redirect("/")
}

async fn account(identity: Option<Identity>) -> HttpResponse {
    match identity.and_then(|identity| identity.id().ok()) {
        Some(user) => HttpResponse::Ok().body(format!("Hello, {user}")),
        None => redirect("/"),
    }
}

async fn admin(identity: Option<Identity>) -> HttpResponse {
    match identity.and_then(|identity| identity.id().ok()) {
        Some(user) => HttpResponse::Ok().body(format!("Admin page for {user}")),
        None => redirect("/"),
    }
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to))
        .finish()
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoints = endpoints(SecretKey::generate())?;
    let key = Key::generate();
    println!("actix-identity example on http://127.0.0.1:3000");
    println!("session cookie: Secure is off (plain HTTP on loopback)");
    HttpServer::new(move || {
        App::new()
            .configure(endpoints.routes())
            .configure(pages)
            .wrap(endpoints.guard())
            .wrap(sessions(&endpoints, key.clone(), false))
    })
    .bind("127.0.0.1:3000")?
    .run()
    .await?;
    Ok(())
}

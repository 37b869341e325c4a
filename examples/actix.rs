//! An actix-web app on actix-session's cookie store with authlink mounted:
//! a password login for people, the create endpoint for API callers, the
//! consume endpoint for their webviews, and the pages behind the session
//! guard.
//!
//! ```text
//! cargo run --example actix --features actix
//! curl -si -X POST http://127.0.0.1:3000/api/authlink \
//!      -H 'Authorization: Bearer alice-api-token' \
//!      -H 'Content-Type: application/json' -d '{"url": "/account"}'
//! ```

use std::collections::HashMap;

use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use authlink::FailureReason;
use authlink::actix::{ActixApp, ActixEndpoints};
use authlink::web::{CurrentUser, Settings};
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};

/// The app's own user lookup: who holds this API token.
fn user_for_token(token: &str) -> Option<String> {
    (token == "alice-api-token").then(|| "alice".to_owned())
}

/// The app's own password check (a real app verifies a password hash).
fn user_for_password(user: &str, password: &str) -> Option<String> {
    (user == "alice" && password == "correct horse").then(|| user.to_owned())
}

pub(crate) struct LinkApp;

impl ActixApp for LinkApp {
    type User = String;

    async fn api_user(&self, request: &HttpRequest) -> Option<String> {
        let value = request.headers().get("authorization")?.to_str().ok()?;
        user_for_token(value.strip_prefix("Bearer ")?)
    }
}

/// authlink's endpoints, configured once.
pub(crate) fn endpoints(
    secret: SecretKey,
) -> Result<ActixEndpoints<LinkApp>, Box<dyn std::error::Error>> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"])?;
    let keys = KeyRing::new(KeyId::new(1), secret);
    let authlink = Authlink::new(keys, "actix example login", policy)?;
    let settings = Settings::with_origin(authlink, "http://127.0.0.1:3000")?
        .failure_url("/?error={reason}")?;
    Ok(ActixEndpoints::new(settings, LinkApp))
}

/// The session layer: `SameSite=Lax`, so the redirect after a link opened
/// from another site carries the new session. `Secure` stays on unless
/// `secure` is false (plain HTTP on loopback while trying it out).
pub(crate) fn sessions(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(secure)
        .build()
}

/// The app's own pages.
pub(crate) fn pages(config: &mut ServiceConfig) {
    config
        .route("/", web::get().to(home))
        .route("/login", web::post().to(log_in))
        .route("/logout", web::post().to(log_out))
        .route("/account", web::get().to(account))
        .route("/admin", web::get().to(admin));
}

/// Where failures land: `/?error=used` and the like.
async fn home(query: web::Query<HashMap<String, String>>) -> String {
    match query.get("error") {
        Some(code) => code
            .parse()
            .unwrap_or(FailureReason::Invalid)
            .message()
            .into(),
        None => "Welcome.".into(),
    }
}

async fn log_in(session: Session, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let user = form.get("user").zip(form.get("password"));
    match user.and_then(|(user, password)| user_for_password(user, password)) {
        Some(user) => match CurrentUser::log_in_unrestricted(&session, &user).await {
            Ok(()) => redirect("/account"),
            Err(_) => HttpResponse::InternalServerError().finish(),
        },
        None => HttpResponse::Unauthorized().body("Wrong user or password."),
    }
}

async fn log_out(session: Session) -> HttpResponse {
    // A cookie session cannot fail to end.
    let _ = CurrentUser::<String>::log_out(&session).await;
    redirect("/")
}

async fn account(session: Session) -> HttpResponse {
    match CurrentUser::<String>::of(&session).await.ok().flatten() {
        Some(current) => HttpResponse::Ok().body(format!("Hello, {}", current.user)),
        None => redirect("/"),
    }
}

async fn admin(session: Session) -> HttpResponse {
    match CurrentUser::<String>::of(&session).await.ok().flatten() {
        Some(current) => HttpResponse::Ok().body(format!("Admin page for {}", current.user)),
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
    let routes = endpoints.routes();
    let key = Key::generate();
    println!("actix example on http://127.0.0.1:3000");
    println!("session cookie: Secure is off (plain HTTP on loopback)");
    HttpServer::new(move || {
        App::new()
            .configure(routes.clone())
            .configure(pages)
            .wrap(endpoints.guard())
            // Outermost, so the guard and the endpoints see the session.
            .wrap(endpoints.sessions(sessions(key.clone(), false)))
    })
    .bind(("127.0.0.1", 3000))?
    .run()
    .await?;
    Ok(())
}

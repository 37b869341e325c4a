//! Link sessions with actix-identity (`ActixSessions::with_identity`): the
//! app's `Identity` sees a link login as its own, the guard keeps it to the
//! whitelist, the app's own `Identity::login` on top ends the restriction,
//! and `Identity::logout` ends both.

use actix_identity::config::LogoutBehavior;
use actix_identity::{Identity, IdentityMiddleware};
use actix_session::storage::CookieSessionStore;
use std::collections::HashMap;

use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, test, web};
use authlink::actix::ActixEndpoints;
use authlink::web::{CurrentUser, Settings};

use crate::in_process::{Alice, Browser, link, sessions};

/// Who the app's `Identity` says is signed in.
async fn whoami(identity: Option<Identity>) -> String {
    match identity.and_then(|identity| identity.id().ok()) {
        Some(id) => format!("identity {id}"),
        None => "no identity".to_owned(),
    }
}

/// The app's own password login, through actix-identity, at `/login?user=`.
async fn log_in(request: HttpRequest, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    Identity::login(&request.extensions(), query["user"].clone()).unwrap();
    HttpResponse::SeeOther()
        .insert_header(("location", "/account"))
        .finish()
}

/// A login through authlink's own keys, without actix-identity.
async fn log_in_unrestricted(session: actix_session::Session) -> HttpResponse {
    CurrentUser::log_in_unrestricted(&session, &"carol".to_owned())
        .await
        .unwrap();
    HttpResponse::Ok().finish()
}

/// Who authlink's keys say is signed in, read directly from the session.
async fn who(session: actix_session::Session) -> String {
    match CurrentUser::<String>::of(&session).await.unwrap() {
        Some(me) => format!("{} {}", me.user, me.via_link),
        None => "nobody".to_owned(),
    }
}

/// A whitelisted page that renews the session, or logs someone in through
/// actix-identity, off the login page.
async fn renew(request: HttpRequest, session: actix_session::Session) -> HttpResponse {
    Identity::login(&request.extensions(), "alice".to_owned()).unwrap();
    session.renew();
    HttpResponse::Ok().finish()
}

async fn log_out(identity: Identity) -> HttpResponse {
    identity.logout();
    HttpResponse::Ok().finish()
}

/// The endpoints, with the password login page open to link sessions.
fn endpoints() -> ActixEndpoints<Alice> {
    let clock = crate::fixtures::clock();
    let settings =
        Settings::with_origin(crate::fixtures::engine(&clock), crate::http_support::ORIGIN)
            .unwrap()
            .failure_url("/?error={reason}")
            .unwrap()
            .login_url("/login")
            .unwrap()
            .also_allow(authlink::Whitelist::new(["^/logout$", "^/me$", "^/who$"]).unwrap());
    ActixEndpoints::new(settings, Alice)
}

macro_rules! app {
    ($endpoints:expr, $identity:expr) => {
        test::init_service(
            App::new()
                .configure($endpoints.routes())
                .route("/account", web::get().to(whoami))
                .route("/admin", web::get().to(whoami))
                .route(
                    "/me",
                    web::get().to(|me: CurrentUser<String>| async move {
                        format!("{} {}", me.user, me.via_link)
                    }),
                )
                .route("/login", web::post().to(log_in))
                .route("/who", web::get().to(who))
                .route("/page/1", web::post().to(renew))
                .route("/unrestricted", web::post().to(log_in_unrestricted))
                .route("/logout", web::post().to(log_out))
                .wrap($endpoints.guard())
                .wrap(
                    $endpoints
                        .sessions(sessions(CookieSessionStore::default()))
                        .with_identity($identity),
                ),
        )
        .await
    };
}

#[actix_web::test]
async fn a_link_login_is_an_identity_login_kept_to_the_whitelist() {
    let endpoints = endpoints();
    let location = link(&endpoints);
    let mut browser = Browser {
        app: app!(endpoints, IdentityMiddleware::default()),
        cookie: None,
    };
    let signed_in = browser.get(&location).await;
    assert_eq!(signed_in.location.as_deref(), Some("/account"));
    assert_eq!(browser.get("/account").await.body, "identity alice");
    assert_eq!(browser.get("/me").await.body, "alice true");
    assert_eq!(browser.get("/admin").await.status, 403);
}

#[actix_web::test]
async fn the_apps_identity_login_on_a_link_session_ends_the_restriction() {
    for user in ["alice", "bob"] {
        let endpoints = endpoints();
        let location = link(&endpoints);
        let mut browser = Browser {
            app: app!(endpoints, IdentityMiddleware::default()),
            cookie: None,
        };
        browser.get(&location).await;
        assert_eq!(browser.get("/admin").await.status, 403);
        let logged_in = browser.post(&format!("/login?user={user}")).await;
        assert_eq!(logged_in.location.as_deref(), Some("/account"), "{user}");
        let admin = browser.get("/admin").await;
        assert_eq!(
            (admin.status, admin.body.as_str()),
            (200, format!("identity {user}").as_str())
        );
        // authlink's user is the link's; the app's login is its own.
        assert_eq!(browser.get("/me").await.status, 401);
    }
}

#[actix_web::test]
async fn logout_ends_the_identity_and_the_link_session() {
    for behaviour in [
        LogoutBehavior::PurgeSession,
        LogoutBehavior::DeleteIdentityKeys,
    ] {
        let endpoints = endpoints();
        let location = link(&endpoints);
        let name = format!("{behaviour:?}");
        let identity = IdentityMiddleware::builder()
            .logout_behavior(behaviour)
            .build();
        let mut browser = Browser {
            app: app!(endpoints, identity),
            cookie: None,
        };
        browser.get(&location).await;
        assert_eq!(browser.get("/me").await.body, "alice true");
        assert_eq!(browser.post("/logout").await.status, 200);
        assert_eq!(browser.get("/who").await.body, "nobody", "{name}");
        assert_eq!(browser.get("/account").await.body, "no identity");
        assert_eq!(browser.get("/me").await.status, 401, "{name}");
        let admin = browser.get("/admin").await;
        assert_eq!(
            (admin.status, admin.body.as_str()),
            (200, "no identity"),
            "{name}: the guard forgot the link session"
        );
    }
}

/// The rule that ends a link session on a renewal leaves alone a session
/// that was never one.
#[actix_web::test]
async fn a_login_without_the_link_marker_is_left_alone() {
    let endpoints = endpoints();
    let mut browser = Browser {
        app: app!(endpoints, IdentityMiddleware::default()),
        cookie: None,
    };
    assert_eq!(browser.post("/unrestricted").await.status, 200);
    assert_eq!(browser.get("/me").await.body, "carol false");
}

/// Only the app's login page ends a link session: a whitelisted page that
/// renews it, even through `Identity::login`, leaves it on the whitelist.
#[actix_web::test]
async fn a_renewal_off_the_login_page_keeps_the_restriction() {
    let endpoints = endpoints();
    let location = link(&endpoints);
    let mut browser = Browser {
        app: app!(endpoints, IdentityMiddleware::default()),
        cookie: None,
    };
    browser.get(&location).await;
    assert_eq!(browser.post("/page/1").await.status, 200);
    assert_eq!(browser.get("/admin").await.status, 403);
    assert_eq!(browser.get("/who").await.body, "alice true");
}

/// Without the guard, the app's `Identity` would take a link login for a
/// full one: the sign-in is refused, with the fix in the log.
#[actix_web::test]
async fn a_sign_in_without_the_guard_is_refused() {
    let endpoints = endpoints();
    let location = link(&endpoints);
    let (capture, _guard) = crate::log_capture::Capture::on_this_thread();
    let app = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .route("/account", web::get().to(whoami))
            .wrap(
                endpoints
                    .sessions(sessions(CookieSessionStore::default()))
                    .with_identity(IdentityMiddleware::default()),
            ),
    )
    .await;
    let mut browser = Browser { app, cookie: None };
    let refused = browser.get(&location).await;
    assert_eq!(refused.status, 500);
    assert!(refused.cookies.is_empty(), "{:?}", refused.cookies);
    assert_eq!(browser.get("/account").await.body, "no identity");
    assert!(
        capture
            .text()
            .contains("wrap the whole App in ActixEndpoints::guard()"),
        "{}",
        capture.text()
    );
}

/// An identity past its login deadline is gone on the next request; so is
/// the link session, before any handler reads authlink's keys.
#[actix_web::test]
async fn an_expired_identity_ends_the_link_session() {
    let endpoints = endpoints();
    let location = link(&endpoints);
    let identity = IdentityMiddleware::builder()
        .login_deadline(Some(std::time::Duration::from_secs(1)))
        .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
        .build();
    let mut browser = Browser {
        app: app!(endpoints, identity),
        cookie: None,
    };
    browser.get(&location).await;
    assert_eq!(browser.get("/who").await.body, "alice true");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(browser.get("/who").await.body, "nobody");
    assert_eq!(browser.get("/account").await.body, "no identity");
}

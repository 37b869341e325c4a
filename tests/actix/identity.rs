//! Link sessions with actix-identity (`ActixSessions::with_identity`): the
//! app's `Identity` sees a link login as its own, the guard keeps it to the
//! whitelist, the app's own `Identity::login` on top ends the restriction,
//! and `Identity::logout` ends both.

use actix_identity::config::LogoutBehavior;
use actix_identity::{Identity, IdentityMiddleware};
use actix_session::storage::CookieSessionStore;
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

/// The app's own password login, through actix-identity.
async fn log_in(request: HttpRequest, user: web::Path<String>) -> HttpResponse {
    Identity::login(&request.extensions(), user.into_inner()).unwrap();
    HttpResponse::SeeOther()
        .insert_header(("location", "/account"))
        .finish()
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
            .login_url("/login/alice")
            .unwrap()
            .also_allow(authlink::Whitelist::new(["^/login/bob$", "^/logout$", "^/me$"]).unwrap());
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
                .route("/login/{user}", web::post().to(log_in))
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
        let logged_in = browser.post(&format!("/login/{user}")).await;
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

//! The session guard over real HTTP (django-authlink's
//! AuthLinkWhitelistMiddleware tests): link sessions reach whitelisted pages
//! only; other sessions and anonymous requests pass untouched.
#![cfg(feature = "tower-sessions")]
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_support;

use authlink::Whitelist;
use authlink::http::NOT_WHITELISTED_MESSAGE;
use http::{Method, StatusCode};
use http_support::{Client, Options, TestApp};

async fn link_session(app: &TestApp) -> Client {
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    client
}

#[tokio::test]
async fn inactive_for_password_sessions() {
    let app = TestApp::start(Options::default()).await;
    let client = app.client();
    client.password_login("alice").await;
    for (path, body) in [("/admin", "Admin for alice"), ("/account", "Hello, alice")] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.text(), body);
    }
}

#[tokio::test]
async fn inactive_without_session() {
    let app = TestApp::start(Options::default()).await;
    let client = app.client();
    client.get("/admin").await.assert_redirect("/login");
    assert_eq!(client.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn active_with_whitelisted_url() {
    let app = TestApp::start(Options::default()).await;
    let client = link_session(&app).await;
    for (path, body) in [
        ("/account", "Hello, alice"),
        ("/account/settings", "Settings of alice"),
    ] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.text(), body);
    }
}

#[tokio::test]
async fn active_with_non_whitelisted_url() {
    let app = TestApp::start(Options::default()).await;
    let client = link_session(&app).await;
    for path in [
        "/admin",
        "/account/",
        "/account/delete",
        "/account/settings/../../admin",
        "/%61ccount",
        "/ACCOUNT",
        "/account?next=/admin",
    ] {
        let reply = client.get(path).await;
        let whitelisted_with_query = path.starts_with("/account?");
        if whitelisted_with_query {
            // The query is not part of the path the whitelist matches.
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            continue;
        }
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(reply.text(), NOT_WHITELISTED_MESSAGE);
        assert_eq!(
            reply.text(),
            "That URL is not whitelisted for your authentication method."
        );
    }
    // The failure page is open to link sessions, so they are told why.
    assert_eq!(client.get("/?error=used").await.status, StatusCode::OK);
    // Other methods are guarded as well.
    let reply = client.send(Method::POST, "/login?user=bob", &[], "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
}

#[tokio::test]
async fn guard_ends_with_the_link_session() {
    let app = TestApp::start(Options::default()).await;
    let client = link_session(&app).await;
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    // The same browser logs in with a password: a session of another kind.
    client.cookies.lock().unwrap().clear();
    client.password_login("alice").await;
    assert_eq!(client.get("/admin").await.status, StatusCode::OK);
}

#[tokio::test]
async fn also_allowed_paths_open_to_link_sessions_only_as_configured() {
    let app = TestApp::start(Options {
        also_allow: Some(Whitelist::new(["^/admin$"]).unwrap()),
        ..Options::default()
    })
    .await;
    let client = link_session(&app).await;
    assert_eq!(client.get("/admin").await.text(), "Admin for alice");
    let settings = client.get("/account/delete").await;
    assert_eq!(settings.status, StatusCode::FORBIDDEN);
    // No link may lead to an also-allowed path.
    let reply = client
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_link_session_reopening_a_used_link_lands_on_the_failure_page() {
    let app = TestApp::start(Options::default()).await;
    let client = link_session(&app).await;
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    client.get(&link).await.assert_redirect("/?error=used");
    let home = client.get("/?error=used").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text(), "Home error=used");
    // The session made for the used link was discarded: logged out.
    client.get("/account").await.assert_redirect("/login");
}

#[tokio::test]
async fn a_key_at_the_root_opens_no_path_to_link_sessions() {
    use authlink::http::{Endpoints, EndpointsError};
    use http_support::{TestAdapter, TestLinkApp, TestSessions};
    let mut policy = http_support::policy();
    policy.url_template = "/{key}".parse().unwrap();
    let authlink =
        authlink::Authlink::new(authlink::KeyRing::from(http_support::secret()), "t", policy)
            .unwrap();
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default())
        .cookie_name(http_support::COOKIE_NAME)
        .insecure_cookie();
    let endpoints = Endpoints::new(
        authlink,
        TestLinkApp(std::sync::Arc::new(TestAdapter::default())),
        sessions,
    );
    // Its route would take every page's: refused at start-up.
    assert_eq!(
        endpoints.router(http_support::pages()).unwrap_err(),
        EndpointsError::ConsumeRoute
    );
    // Mounted by hand, the guard still gives link sessions no page off the
    // whitelist for the consume endpoint's sake.
    let router = http_support::pages()
        .layer(endpoints.guard_layer())
        .route_service("/api/authlink", endpoints.create_service())
        .route_service("/{key}", endpoints.consume_service());
    let (addr, server) = http_support::serve(router).await;
    let client = http_support::Client::new(addr);
    let link = client
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    server.abort();
}

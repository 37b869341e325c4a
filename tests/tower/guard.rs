//! The session guard in-process (django-authlink's
//! AuthLinkWhitelistMiddleware tests): link sessions reach whitelisted pages
//! only; other sessions and anonymous requests pass untouched.

use crate::http_support;

use http::StatusCode;

#[tokio::test]
async fn a_key_at_the_root_opens_no_path_to_link_sessions() {
    use authlink::http::Endpoints;
    use authlink::web::EndpointsError;
    use http_support::{TestAdapter, TestLinkApp, TestSessions};
    let mut policy = crate::fixtures::policy();
    policy.url_template = "/{key}".parse().unwrap();
    let authlink = authlink::Authlink::new(
        authlink::KeyRing::from(crate::fixtures::secret()),
        "t",
        policy,
    )
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

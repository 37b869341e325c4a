//! The create and consume endpoints in-process: django-authlink's
//! scenarios and the edge cases around them, shared with the actix adapter
//! (tests/support/scenarios.rs), and what only the tower services offer.

use crate::http_support;

// Every scenario the actix adapter passes too (tests/actix/adapter.rs).
mod shared {
    crate::scenarios!(crate::http_support::TestApp);
}

use std::sync::Arc;

use authlink::FailureReason;
use authlink::http::{Endpoints, PeerAddr};
use authlink::web::Settings;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use http_support::{Options, TestApp, TestLinkApp, TestSessions, path_of};
use tower::ServiceExt as _;

#[cfg(feature = "limit")]
const ACCOUNT: &str = r#"{"url": "/account"}"#;

async fn app() -> TestApp {
    TestApp::start(Options::default()).await
}

// ---- the service on its own ---------------------------------------------------

#[tokio::test]
async fn failure_reason_is_in_the_response_extensions() {
    let app = app().await;
    let cache = Arc::new(authlink::replay::MemoryReplayCache::new());
    // No session layer anywhere: the consume service brings its own.
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let settings = Settings::with_origin(app.authlink.clone(), http_support::ORIGIN)
        .unwrap()
        .replay_cache(cache.clone());
    let consume =
        Endpoints::new(settings, TestLinkApp(app.adapter.clone()), sessions).consume_service();
    let link = app.link_for(&app.client(), "/account").await;
    let request = |uri: &str| {
        let mut request = Request::get(path_of(uri))
            .body(Full::<Bytes>::default())
            .unwrap();
        request
            .extensions_mut()
            .insert(PeerAddr("127.0.0.1".parse().unwrap()));
        request
    };
    let ok = consume.clone().oneshot(request(&link)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/account");
    assert!(ok.headers().contains_key("set-cookie"));
    assert!(ok.extensions().get::<FailureReason>().is_none());
    assert_eq!(cache.len(), 1);
    let used = consume.clone().oneshot(request(&link)).await.unwrap();
    assert_eq!(used.headers()["location"], "/");
    assert_eq!(
        used.extensions().get::<FailureReason>(),
        Some(&FailureReason::Used)
    );
    assert_eq!(FailureReason::Used.message(), "Link has already been used.");
    // No peer address recorded at all: the server's mistake, a 500, and
    // fail closed (nobody signed in).
    let fresh = app.link_for(&app.client(), "/account").await;
    let mut no_peer = Request::get(path_of(&fresh))
        .body(Full::<Bytes>::default())
        .unwrap();
    no_peer
        .headers_mut()
        .insert("x-forwarded-for", "127.0.0.1".parse().unwrap());
    let refused = consume.clone().oneshot(no_peer).await.unwrap();
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!refused.headers().contains_key("set-cookie"));
    // And the link it could not check is still there for the right request.
    let ok = consume.oneshot(request(&fresh)).await.unwrap();
    assert_eq!(ok.headers()["location"], "/account");
}

// ---- the app's own handlers --------------------------------------------------

#[tokio::test]
async fn an_app_handler_issues_and_consumes_with_one_call_each() {
    use axum::response::IntoResponse as _;
    let app = app().await;
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let settings = Settings::with_origin(app.authlink.clone(), http_support::ORIGIN)
        .unwrap()
        .failure_url("/?error={reason}")
        .unwrap();
    let endpoints = Endpoints::new(settings, TestLinkApp(app.adapter.clone()), sessions);
    let consume = endpoints.consume_service();
    let router = axum::Router::new()
        .route(
            "/mine/links",
            axum::routing::post(move |parts: http::request::Parts| async move {
                let target = parts.uri.query().unwrap_or_default().to_owned();
                // The app's own answers, the client address resolved for it.
                match endpoints.issue(&parts, &"alice".to_owned(), &target).await {
                    Ok(link) => (StatusCode::OK, link.url).into_response(),
                    Err(refusal) => (StatusCode::IM_A_TEAPOT, refusal.code()).into_response(),
                }
            }),
        )
        .route(
            "/authlink/{key}",
            axum::routing::get(move |request: axum::extract::Request| async move {
                consume.consume(request).await
            }),
        );
    let client = http_support::Client::in_process(router.clone());
    let refused = client
        .send(Method::POST, "/mine/links?/admin", &[], "")
        .await;
    assert_eq!(refused.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(refused.text(), "not_whitelisted");
    let issued = client
        .send(Method::POST, "/mine/links?/account", &[], "")
        .await;
    assert_eq!(issued.status, StatusCode::OK);
    let link = issued.text();
    // Bound to the address the handler's request came from.
    http_support::Client::in_process(router)
        .from("127.0.0.2")
        .get(&link)
        .await
        .assert_redirect("/?error=client_mismatch");
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    assert_eq!(reply.set_cookies().len(), 1, "{reply:?}");
    client.get(&link).await.assert_redirect("/?error=used");
}

// ---- rate limits --------------------------------------------------------------

#[cfg(feature = "limit")]
#[tokio::test]
async fn create_and_consume_limits_refuse_the_caller_past_its_rate() {
    use authlink::limit::{MemoryRateLimiter, NoLimit, Quota};
    use std::num::NonZeroU32;
    let app = app().await;
    let per_hour = |n| MemoryRateLimiter::new(Quota::per_hour(NonZeroU32::new(n).unwrap()));
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let settings = Settings::with_origin(app.authlink.clone(), http_support::ORIGIN)
        .unwrap()
        .failure_url("/?error={reason}")
        .unwrap()
        .create_limits(per_hour(2), NoLimit)
        .consume_limit(per_hour(1));
    let endpoints = Endpoints::new(settings, TestLinkApp(app.adapter.clone()), sessions);
    let (addr, server) = http_support::serve(endpoints.router(http_support::pages())).await;
    let client = http_support::Client::new(addr);
    // A refused target does not count against the caller.
    let refused = client
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let first = client
        .create("alice-api-token", ACCOUNT)
        .await
        .created_link();
    let second = client
        .create("alice-api-token", ACCOUNT)
        .await
        .created_link();
    let third = client.create("alice-api-token", ACCOUNT).await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.text()
    );
    assert!(third.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(
        third.json(),
        serde_json::json!({ "detail": "Too many links requested. Try again later." })
    );
    // Another API user is not held back by alice.
    client.create("bob-api-token", ACCOUNT).await.created_link();

    client.get(&first).await.assert_redirect("/account");
    let other = http_support::Client::new(addr);
    let limited = other.get(&second).await;
    limited.assert_redirect("/?error=rate_limited");
    assert!(limited.set_cookies().is_empty(), "{limited:?}");
    server.abort();
}

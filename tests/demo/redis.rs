//! The consume endpoint over a real Redis: with Redis down it answers 503
//! with `Retry-After`, starts no session and burns no link; once Redis is
//! back the same link works, once. And two demo processes sharing one Redis
//! share single use and sessions: either serves the other's session.

use crate::demo_support;
use crate::http_support;
use demo_support::Stack;

use std::time::Duration;

use crate::redis_server::RedisServer;
use authlink::replay::redis::RedisReplayCache;
use http::StatusCode;
use http_support::{Client, Options, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_with_redis_down_is_503_and_sets_no_session() {
    let mut redis = RedisServer::start();
    let cache = RedisReplayCache::builder()
        .timeout(Duration::from_millis(300))
        .connect(&redis.url())
        .await
        .unwrap();
    let app = TestApp::start_with(Options::default(), cache).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;

    redis.kill();
    let reply = client.get(&link).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    assert!(reply.header("retry-after").is_some());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(
        reply.header("location").is_none(),
        "no redirect to the target"
    );
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    client.get("/account").await.assert_redirect("/login");

    // Redis back, same app and cache: the link was not burnt by the outage.
    redis.restart();
    client.get(&link).await.assert_redirect("/account");
    let page = client.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("alice"), "{}", page.text());
    // And it is single use again.
    let again = app.client();
    again.get(&link).await.assert_redirect("/?error=used");
}

async fn two_demo_nodes_share_sessions_and_single_use_through_redis(stack: Stack) {
    let redis = RedisServer::start();
    let url = redis.url();
    let secret = authlink::SecretKey::generate().to_base64();
    let vars = [
        ("AUTHLINK_SECRET", secret.as_str()),
        ("AUTHLINK_REDIS_URL", url.as_str()),
    ];
    let first = stack.start(&vars).await;
    let second = stack.start(&vars).await;

    // Issued and consumed on the first node...
    let browser = Client::new(first.addr);
    let link = browser
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    browser.get(&link).await.assert_redirect("/account");
    let cookie = browser.cookie("demo_session").unwrap();

    // ...the session is served by the second.
    let elsewhere = Client::new(second.addr);
    elsewhere
        .cookies
        .lock()
        .unwrap()
        .insert("demo_session".to_owned(), cookie);
    let page = elsewhere.get("/account").await;
    assert!(page.text().contains("Hello, alice"), "{}", page.text());
    assert_eq!(elsewhere.get("/admin").await.status, StatusCode::FORBIDDEN);

    // And the link, used on the first, is used on the second.
    let path = http_support::path_of(&link).to_owned();
    Client::new(second.addr)
        .get(&path)
        .await
        .assert_redirect("/?error=used");
}

crate::on_both_demos!(two_demo_nodes_share_sessions_and_single_use_through_redis,);

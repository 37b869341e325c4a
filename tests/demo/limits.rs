//! One user driven past the demo's rate limits over real HTTP: refused with
//! `429` and `Retry-After` on create and with the `rate_limited` reason on
//! consume, while another user's link still logs in. With the limiters in
//! memory, and in a real Redis shared by two demo nodes.

use crate::demo_support;
use crate::http_support;
use demo_support::Stack;

use authlink::SecretKey;
use http::StatusCode;
use http_support::{Client, Reply};

const ACCOUNT: &str = r#"{"url": "/account"}"#;

/// The per-user rate the tests set: small, so a few requests pass it.
const PER_MINUTE: usize = 3;

fn assert_too_many(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text()
    );
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    // The next link is one interval (60 s / 3) away at most.
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(
        reply.json(),
        serde_json::json!({ "detail": "Too many links requested. Try again later." })
    );
}

/// Links for alice as a node of the demo with `secret` at `base` would
/// issue them to 127.0.0.1: as if created earlier, or by another node, so
/// alice holds more links than her consume allowance.
fn alice_links(vars: &[(&str, &str)], secret: &str, base: &str, count: usize) -> Vec<String> {
    let config = demo_support::config(vars).unwrap();
    let secret = SecretKey::from_base64(secret).unwrap();
    let authlink = demo_support::app::authlink(&config, secret, base).unwrap();
    (0..count)
        .map(|_| {
            let link = authlink
                .issue(&"alice".to_owned(), "/account", [127, 0, 0, 1].into())
                .unwrap();
            http_support::path_of(&link.url).to_owned()
        })
        .collect()
}

/// Opens `link` in a fresh browser and checks who it logged in.
async fn logs_in(node: &demo_support::Demo, link: &str, user: &str) {
    let browser = Client::new(node.addr);
    browser
        .get(http_support::path_of(link))
        .await
        .assert_redirect("/account");
    let page = browser.get("/account").await;
    assert!(
        page.text().contains(&format!("Hello, {user}")),
        "{}",
        page.text()
    );
}

/// Opens `link` in a fresh browser and checks it was refused as rate
/// limited, with no session started.
async fn refused_as_rate_limited(node: &demo_support::Demo, link: &str) {
    let browser = Client::new(node.addr);
    let reply = browser.get(link).await;
    reply.assert_redirect("/?error=rate_limited");
    assert!(reply.set_cookies().is_empty(), "{reply:?}");
    let home = browser.get("/?error=rate_limited").await;
    let message = authlink::FailureReason::RateLimited.message();
    assert!(home.text().contains(message), "{}", home.text());
    browser.get("/account").await.assert_redirect("/login");
}

async fn one_user_past_the_limits_is_refused_while_another_logs_in(stack: Stack) {
    let secret = SecretKey::generate().to_base64();
    let rate = PER_MINUTE.to_string();
    let vars = [
        ("AUTHLINK_SECRET", secret.as_str()),
        ("AUTHLINK_LINKS_PER_MINUTE", rate.as_str()),
    ];
    let demo = stack.start(&vars).await;
    let api = Client::new(demo.addr);

    // Create: alice's burst passes, the next link is refused.
    let mut created = Vec::new();
    for _ in 0..PER_MINUTE {
        created.push(api.create("alice-api-token", ACCOUNT).await.created_link());
    }
    assert_too_many(&api.create("alice-api-token", ACCOUNT).await);
    // Bob, from the same address, is not held back by alice.
    let bob = api.create("bob-api-token", ACCOUNT).await.created_link();

    // Consume: alice holds more links than her allowance.
    let mut links = created;
    links.extend(alice_links(&vars, &secret, &demo.base, 2));
    for link in &links[..PER_MINUTE] {
        logs_in(&demo, link, "alice").await;
    }
    for link in &links[PER_MINUTE..] {
        refused_as_rate_limited(&demo, http_support::path_of(link)).await;
    }
    logs_in(&demo, &bob, "bob").await;
    // Still refused on create, too.
    assert_too_many(&api.create("alice-api-token", ACCOUNT).await);

    // The refusals are counted by reason (other tests in this process count
    // too, so the series are checked, not their values).
    #[cfg(feature = "metrics")]
    {
        let metrics = api.get("/metrics").await;
        assert_eq!(metrics.status, StatusCode::OK);
        let text = metrics.text();
        for series in [
            "authlink_links_issued_total ",
            "authlink_create_limited_total ",
            "authlink_logins_total ",
            "authlink_links_refused_total{reason=\"rate_limited\"} ",
            "authlink_consume_seconds",
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
        assert!(!text.contains("alice"), "{text}");
    }
}

async fn zero_turns_the_limits_off(stack: Stack) {
    let demo = stack.start(&[("AUTHLINK_LINKS_PER_MINUTE", "0")]).await;
    let api = Client::new(demo.addr);
    for _ in 0..30 {
        let link = api.create("alice-api-token", ACCOUNT).await.created_link();
        logs_in(&demo, &link, "alice").await;
    }
}

async fn a_full_replay_cache_refuses_with_the_capacity_the_environment_sets(stack: Stack) {
    let demo = stack
        .start(&[
            ("AUTHLINK_REPLAY_CAPACITY", "2"),
            ("AUTHLINK_LINKS_PER_MINUTE", "0"),
        ])
        .await;
    let api = Client::new(demo.addr);
    for _ in 0..2 {
        let link = api.create("alice-api-token", ACCOUNT).await.created_link();
        logs_in(&demo, &link, "alice").await;
    }
    let link = api.create("bob-api-token", ACCOUNT).await.created_link();
    let reply = Client::new(demo.addr)
        .get(http_support::path_of(&link))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
}

#[test]
fn bad_knobs_are_refused_with_the_variable_named() {
    for (name, value) in [
        ("AUTHLINK_REPLAY_CAPACITY", "0"),
        ("AUTHLINK_REPLAY_CAPACITY", "many"),
        ("AUTHLINK_LINKS_PER_MINUTE", "-1"),
        ("AUTHLINK_LINKS_PER_MINUTE", "ten"),
    ] {
        let err = demo_support::config(&[(name, value)]).unwrap_err();
        assert!(err.starts_with(name), "{err}");
    }
    let config = demo_support::config(&[]).unwrap();
    assert_eq!(config.links_per_minute.map(|n| n.get()), Some(20));
    assert_eq!(config.replay_capacity, None);
}

/// Two demo nodes on one Redis share the limits: alice's allowance is spent
/// across both, bob's link logs in on either.
#[cfg(feature = "redis")]
async fn two_nodes_on_redis_share_one_allowance(stack: Stack) {
    use crate::redis_server::RedisServer;

    let redis = RedisServer::start();
    let url = redis.url();
    let secret = SecretKey::generate().to_base64();
    let rate = PER_MINUTE.to_string();
    let vars = [
        ("AUTHLINK_SECRET", secret.as_str()),
        ("AUTHLINK_REDIS_URL", url.as_str()),
        ("AUTHLINK_LINKS_PER_MINUTE", rate.as_str()),
    ];
    let first = stack.start(&vars).await;
    let second = stack.start(&vars).await;
    let (api_first, api_second) = (Client::new(first.addr), Client::new(second.addr));

    // Create: alice's allowance is spent on both nodes together.
    let mut links = Vec::new();
    for n in 0..PER_MINUTE {
        let api = if n % 2 == 0 { &api_first } else { &api_second };
        links.push(api.create("alice-api-token", ACCOUNT).await.created_link());
    }
    assert_too_many(&api_first.create("alice-api-token", ACCOUNT).await);
    assert_too_many(&api_second.create("alice-api-token", ACCOUNT).await);
    let bob = api_second
        .create("bob-api-token", ACCOUNT)
        .await
        .created_link();

    // Consume: likewise, across both nodes.
    links.extend(alice_links(&vars, &secret, &first.base, 2));
    for (n, link) in links[..PER_MINUTE].iter().enumerate() {
        let node = if n % 2 == 0 { &second } else { &first };
        logs_in(node, http_support::path_of(link), "alice").await;
    }
    refused_as_rate_limited(&first, http_support::path_of(&links[PER_MINUTE])).await;
    refused_as_rate_limited(&second, http_support::path_of(&links[PER_MINUTE + 1])).await;
    logs_in(&first, &bob, "bob").await;
}

crate::on_both_demos!(
    one_user_past_the_limits_is_refused_while_another_logs_in,
    zero_turns_the_limits_off,
    a_full_replay_cache_refuses_with_the_capacity_the_environment_sets,
);

#[cfg(feature = "redis")]
crate::on_both_demos!(two_nodes_on_redis_share_one_allowance,);

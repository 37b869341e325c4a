//! The scenarios every web adapter must pass, django-authlink's and ours,
//! written once against a [`Server`] and run against the tower app
//! (`http_support`) and the actix app (`actix_support`) by [`scenarios!`],
//! so the two cannot drift.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use authlink::replay::{MemoryReplayCache, ReplayCache};
use authlink::web::{ConfirmPage, ConsumeMode, ForwardedHeader, TrustedProxies};
use authlink::{FailureReason, IpBinding, ManualClock, Whitelist};
use http::{Method, StatusCode};

use crate::fixtures::policy;
use crate::http_support::{
    BrokenCache, COOKIE_NAME, Client, Options, TestAdapter, TestApp, raw_exchange,
};

const ACCOUNT: &str = r#"{"url": "/account"}"#;
use crate::http_support::NOT_WHITELISTED_MESSAGE;
use crate::http_support::{Reply, path_of};

/// A running test app, whichever framework serves it.
pub trait Server: Sized {
    /// Starts the app with an in-memory replay cache.
    fn start(options: Options) -> impl Future<Output = Self> {
        Self::start_with(options, MemoryReplayCache::new())
    }
    fn start_with<C: ReplayCache + Send + Sync + 'static>(
        options: Options,
        cache: C,
    ) -> impl Future<Output = Self>;
    fn addr(&self) -> SocketAddr;
    fn clock(&self) -> &ManualClock;
    fn adapter(&self) -> &TestAdapter;
    /// Whether the server still holds the session `id`; `None` when its
    /// store cannot tell (sessions in the cookie itself).
    fn has_session(&self, id: &str) -> impl Future<Output = Option<bool>>;
    /// The length of a session cookie's value, when the store fixes it.
    const SESSION_ID_LEN: Option<usize>;

    /// A new client with an empty cookie jar: in-process where the
    /// framework allows, over the socket otherwise.
    fn client(&self) -> Client;

    /// Asks for a link to `target` as `alice` from `client`; returns its URL.
    fn link_for(&self, client: &Client, target: &str) -> impl Future<Output = String> {
        let body = format!(r#"{{"url": "{target}"}}"#);
        async move { client.create("alice-api-token", &body).await.created_link() }
    }
}

impl Server for TestApp {
    async fn start_with<C: ReplayCache + Send + Sync + 'static>(
        options: Options,
        cache: C,
    ) -> Self {
        TestApp::start_with(options, cache).await
    }
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn adapter(&self) -> &TestAdapter {
        &self.adapter
    }
    fn client(&self) -> Client {
        TestApp::client(self)
    }
    async fn has_session(&self, id: &str) -> Option<bool> {
        Some(TestApp::has_session(self, id).await)
    }
    const SESSION_ID_LEN: Option<usize> = Some(22);
}

/// One `#[tokio::test]` per scenario, against the server type given.
#[macro_export]
macro_rules! scenarios {
    ($server:ty) => {
        $crate::scenarios!(@tests $server; create_ok create_url_not_whitelisted create_not_authenticated create_refuses_open_redirect_targets create_malformed_json create_missing_field_and_wrong_type create_wrong_content_type create_wrong_method create_oversized_body create_oversized_body_is_refused_before_it_is_sent create_respects_a_configured_body_limit consume_ok_when_logged_out secure_cookie_is_the_default_whatever_the_host_says an_insecure_cookie_is_not_made_secure_by_the_host_either consume_issues_a_fresh_session_id consume_ok_when_logged_in_as_same_user consume_ok_when_logged_in_as_another_user consume_expired consume_one_second_before_expiry consume_already_used consume_ip_mismatch consume_with_prefix_binding_accepts_the_same_network consume_revoked_by_stamp stamp_lookup_failure_fails_closed replay_cache_unavailable_is_503_without_session head_does_not_consume consume_wrong_method consume_garbage_and_long_keys consume_from_another_users_link_session_is_not_blocked_by_the_guard prefetch_safe_get_shows_a_page_and_post_consumes confirm_page_script_matches_its_csp_hash button_only_confirm_page_has_no_script cross_site_confirm_post_is_refused_and_burns_nothing trusted_proxy_forwarded_for_is_honoured forwarded_values_a_client_writes_cannot_choose_its_address answers_are_replaced_alike a_used_link_leaves_a_password_session_alone racers_for_one_link_leave_the_loser_as_it_was user_extractors_read_the_session one_users_loop_cannot_lock_out_another a_link_session_steps_up_with_a_password_login trusted_proxy_with_unparsable_address_fails_closed untrusted_forwarded_for_is_ignored inactive_for_password_sessions inactive_without_session active_with_whitelisted_url active_with_non_whitelisted_url guard_ends_with_the_link_session also_allowed_paths_open_to_link_sessions_only_as_configured a_link_session_reopening_a_used_link_lands_on_the_failure_page email_known_and_unknown_addresses_are_answered_alike_and_only_a_user_gets_mail email_the_link_signs_in_the_browser_that_asked_and_nothing_elsewhere email_the_code_finishes_in_the_browser_that_asked_and_uses_up_the_link email_the_fifth_wrong_code_voids_the_sign_in_and_its_right_code email_asking_is_limited_per_address_alike_for_every_address email_cross_site_and_unreadable_posts_are_refused email_a_failing_mail_server_gets_every_address_the_retry_page email_a_bouncing_address_keeps_sign_in_open_for_everyone);
    };
    (@tests $server:ty; $($name:ident)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                $crate::scenarios::$name::<$server>().await;
            }
        )*
    };
}

async fn link_session<S: Server>(app: &S) -> Client {
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    client
}

pub async fn create_ok<S: Server>() {
    let app = S::start(Options::default()).await;
    let reply = app.client().create("alice-api-token", ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let location = reply.header("location").unwrap();
    let prefix = format!("{}/authlink/", crate::http_support::ORIGIN);
    assert!(location.starts_with(&prefix), "{location}");
    assert!(location.len() > prefix.len() + 40, "{location}");
    // django-authlink's body: the target as sent; the link in Location (and
    // under its own field).
    assert_eq!(
        reply.json(),
        serde_json::json!({ "url": "/account", "link": location })
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

pub async fn create_url_not_whitelisted<S: Server>() {
    let app = S::start(Options::default()).await;
    let reply = app
        .client()
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    reply.assert_bad_request(serde_json::json!({ "url": ["URL specified is not whitelisted"] }));
}

pub async fn create_not_authenticated<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let anonymous = client
        .send(
            Method::POST,
            "/api/authlink",
            &[("content-type", "application/json")],
            ACCOUNT,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.header("location").is_none());
    assert_eq!(
        anonymous.json()["detail"],
        "Authentication credentials were not provided."
    );
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    // Credentials were sent: the text says they were not accepted.
    let wrong_token = client.create("mallory-api-token", ACCOUNT).await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_token.json()["detail"], "Invalid token.");
    assert_eq!(
        wrong_token.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
}

pub async fn create_refuses_open_redirect_targets<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    for target in [
        "//evil.example/account",
        "https://evil.example/account",
        "javascript:alert(1)",
        "/\\\\evil",
        "",
    ] {
        let body = serde_json::json!({ "url": target }).to_string();
        let reply = client.create("alice-api-token", &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{target}");
        let message = reply.json()["url"][0].as_str().unwrap().to_owned();
        assert!(
            message.starts_with("URL specified is invalid: "),
            "{target}: {message}"
        );
    }
}

pub async fn create_malformed_json<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    for body in [
        r#"{"url": "/account""#,
        "not json",
        "",
        "{\"url\": \"/account\"} trailing",
    ] {
        let reply = client.create("alice-api-token", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body:?}");
        let detail = reply.json()["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.starts_with("JSON parse error: "),
            "{body:?}: {detail}"
        );
    }
    let array = client.create("alice-api-token", r#"["/account"]"#).await;
    array.assert_bad_request(serde_json::json!({ "detail": "Expected a JSON object." }));
}

pub async fn create_missing_field_and_wrong_type<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let missing = client
        .create("alice-api-token", r#"{"target": "/account"}"#)
        .await;
    missing.assert_bad_request(serde_json::json!({ "url": ["This field is required."] }));
    for body in [
        r#"{"url": 5}"#,
        r#"{"url": null}"#,
        r#"{"url": ["/account"]}"#,
    ] {
        let reply = client.create("alice-api-token", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            reply.json(),
            serde_json::json!({ "url": ["Not a valid string."] }),
            "{body}"
        );
    }
}

pub async fn create_wrong_content_type<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        None,
    ] {
        let mut headers = vec![("authorization", "Bearer alice-api-token")];
        headers.extend(content_type.map(|ct| ("content-type", ct)));
        let reply = client
            .send(Method::POST, "/api/authlink", &headers, ACCOUNT)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    let with_charset = client
        .send(
            Method::POST,
            "/api/authlink",
            &[
                ("authorization", "Bearer alice-api-token"),
                ("content-type", "Application/JSON; charset=utf-8"),
            ],
            ACCOUNT,
        )
        .await;
    assert_eq!(with_charset.status, StatusCode::CREATED);
}

pub async fn create_wrong_method<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    for method in [
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        let reply = client
            .send(
                method.clone(),
                "/api/authlink",
                &[("authorization", "Bearer alice-api-token")],
                "",
            )
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.header("allow"), Some("POST"), "{method}");
    }
}

pub async fn create_oversized_body<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    // Valid JSON padded past 8 KiB with whitespace.
    let padded = format!("{{\"url\": \"/account\"{}}}", " ".repeat(8 * 1024));
    let reply = client.create("alice-api-token", &padded).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Exactly at the limit is accepted.
    let at_limit = format!(
        "{{\"url\": \"/account\"{}}}",
        " ".repeat(8 * 1024 - ACCOUNT.len())
    );
    assert_eq!(at_limit.len(), 8 * 1024);
    assert_eq!(
        client.create("alice-api-token", &at_limit).await.status,
        StatusCode::CREATED
    );
}

pub async fn create_oversized_body_is_refused_before_it_is_sent<S: Server>() {
    let app = S::start(Options::default()).await;
    // A declared length of 100 MB and no body at all: the answer comes from
    // the header alone, so nothing was waited for or read.
    let head = format!(
        "POST /api/authlink HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer alice-api-token\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
        app.addr()
    );
    let response = raw_exchange(app.addr(), &head, b"").await;
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
    // Chunked, with no declared length: cut off once past the limit.
    let head = format!(
        "POST /api/authlink HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer alice-api-token\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr()
    );
    let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
    let body = chunk.repeat(64);
    let response = raw_exchange(app.addr(), &head, body.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
}

pub async fn create_respects_a_configured_body_limit<S: Server>() {
    let app = S::start(Options {
        body_limit: Some(16),
        ..Options::default()
    })
    .await;
    let reply = app.client().create("alice-api-token", ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

pub async fn consume_ok_when_logged_out<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    let cookies = reply.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = cookies[0];
    assert!(cookie.starts_with("sid="), "{cookie}");
    for attribute in ["; HttpOnly", "; SameSite=Lax", "; Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    // The test app turned Secure off by name, for plain HTTP to 127.0.0.1.
    assert!(!cookie.contains("Secure"), "{cookie}");
    let account = client.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.text(), "Hello, alice");
}

pub async fn secure_cookie_is_the_default_whatever_the_host_says<S: Server>() {
    let app = S::start(Options {
        secure_cookie: true,
        ..Options::default()
    })
    .await;
    // Plain HTTP to a loopback Host: still Secure, as nothing is inferred.
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    assert!(
        reply.set_cookies()[0].contains("; Secure"),
        "{:?}",
        reply.set_cookies()
    );
}

pub async fn an_insecure_cookie_is_not_made_secure_by_the_host_either<S: Server>() {
    let app = S::start(Options::default()).await;
    let mut client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.host = "app.example.com".to_owned();
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    assert!(
        !reply.set_cookies()[0].contains("Secure"),
        "{:?}",
        reply.set_cookies()
    );
}

pub async fn consume_issues_a_fresh_session_id<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    // A session id planted by someone else.
    client
        .cookies
        .lock()
        .unwrap()
        .insert(COOKIE_NAME.into(), "AAAAAAAAAAAAAAAAAAAAAA".into());
    let link = app.link_for(&client, "/account").await;
    let key = link.rsplit('/').next().unwrap().to_owned();
    client.get(&link).await.assert_redirect("/account");
    let sid = client.cookie(COOKIE_NAME).unwrap();
    assert_ne!(sid, "AAAAAAAAAAAAAAAAAAAAAA");
    assert!(!key.contains(&sid) && !sid.contains(&key[..20]));
    if let Some(len) = S::SESSION_ID_LEN {
        assert_eq!(sid.len(), len, "128 bits in base64url: {sid}");
    }
    // Two consumptions never share a session id.
    let other = app.client();
    let link = app.link_for(&other, "/account").await;
    other.get(&link).await.assert_redirect("/account");
    assert_ne!(other.cookie(COOKIE_NAME).unwrap(), sid);
}

pub async fn consume_ok_when_logged_in_as_same_user<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let password_sid = client.password_login("alice").await;
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_ne!(client.cookie(COOKIE_NAME).unwrap(), password_sid);
    // The old session is gone on the server, not only in the browser.
    assert_ne!(app.has_session(&password_sid).await, Some(true));
}

pub async fn consume_ok_when_logged_in_as_another_user<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let bob_sid = client.password_login("bob").await;
    assert_eq!(client.get("/account").await.text(), "Hello, bob");
    let link = app.link_for(&client, "/account").await;
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    // Bob's session is ended, and alice's has an id of its own.
    let cookies = reply.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_ne!(client.cookie(COOKIE_NAME).unwrap(), bob_sid);
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert!(
        app.has_session(&bob_sid).await != Some(true),
        "bob's session still lives"
    );
}

pub async fn consume_expired<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.clock().advance(std::time::Duration::from_secs(60));
    let reply = client.get(&link).await;
    reply.assert_redirect("/?error=expired");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    client.get("/account").await.assert_redirect("/login");
}

pub async fn consume_one_second_before_expiry<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.clock().advance(std::time::Duration::from_secs(59));
    client.get(&link).await.assert_redirect("/account");
}

pub async fn consume_already_used<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    let again = app.client();
    let reply = again.get(&link).await;
    reply.assert_redirect("/?error=used");
    assert!(reply.set_cookies().is_empty());
    again.get("/account").await.assert_redirect("/login");
}

/// A browser signed in with a password that opens a used link (its own
/// old one from the history, or one a page elsewhere sends it to) stays
/// signed in as it was.
pub async fn a_used_link_leaves_a_password_session_alone<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.client().get(&link).await.assert_redirect("/account");
    client.password_login("bob").await;
    let reply = client.get(&link).await;
    reply.assert_redirect("/?error=used");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    assert_eq!(client.get("/account").await.text(), "Hello, bob");
    // Still a password session, not kept to the whitelist.
    assert_eq!(client.get("/admin").await.status, StatusCode::OK);
}

/// Two browsers, each signed in with a password, open one fresh link at
/// once: one is signed in through it, the other keeps its own session.
pub async fn racers_for_one_link_leave_the_loser_as_it_was<S: Server>() {
    let app = S::start(Options::default()).await;
    let asker = app.client();
    let link = app.link_for(&asker, "/account").await;
    let (first, second) = (app.client(), app.client());
    first.password_login("bob").await;
    second.password_login("carol").await;
    let (a, b) = tokio::join!(first.get(&link), second.get(&link));
    let (winner, loser, loser_name, loser_reply) = match a.header("location") {
        Some("/account") => (&first, &second, "carol", b),
        _ => (&second, &first, "bob", a),
    };
    loser_reply.assert_redirect("/?error=used");
    assert!(loser_reply.set_cookies().is_empty());
    assert_eq!(winner.get("/account").await.text(), "Hello, alice");
    assert_eq!(
        loser.get("/account").await.text(),
        format!("Hello, {loser_name}")
    );
}

/// The user extractors: who is signed in and how, a 401 for no one, and a
/// page for password sessions only that a link session cannot see even
/// where the guard lets it through.
pub async fn user_extractors_read_the_session<S: Server>() {
    let app = S::start(Options {
        also_allow: Some(authlink::Whitelist::new(["^/me"]).unwrap()),
        ..Options::default()
    })
    .await;
    let nobody = app.client().get("/me").await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert_eq!(nobody.text(), "Please sign in.");
    let linked = link_session(&app).await;
    assert_eq!(linked.get("/me").await.text(), "alice true");
    let refused = linked.get("/me/password").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.text(), NOT_WHITELISTED_MESSAGE);
    let password = app.client();
    password.password_login("bob").await;
    assert_eq!(password.get("/me").await.text(), "bob false");
    assert_eq!(password.get("/me/password").await.text(), "bob");
}

/// The default settings, whatever the features: one user creating and
/// consuming links in a loop is refused past its rate, and another user's
/// link still logs in, though the replay cache holds only 30 entries.
/// Without limits (the named opt-out) the same loop locks everyone out.
pub async fn one_users_loop_cannot_lock_out_another<S: Server>() {
    async fn loop_then_bob<S: Server>(without_limits: bool) -> crate::http_support::Reply {
        let options = Options {
            without_limits,
            ..Options::default()
        };
        let app = S::start_with(options, MemoryReplayCache::with_capacity(30)).await;
        let alice = app.client();
        let mut refused = 0;
        for _ in 0..40 {
            let reply = alice.create("alice-api-token", ACCOUNT).await;
            if reply.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(reply.header("retry-after").is_some());
                refused += 1;
                continue;
            }
            alice.get(&reply.created_link()).await;
        }
        assert_eq!(refused > 0, !without_limits, "{refused} refused");
        let bob = app.client();
        let link = bob.create("bob-api-token", ACCOUNT).await.created_link();
        bob.get(&link).await
    }
    loop_then_bob::<S>(false).await.assert_redirect("/account");
    let locked_out = loop_then_bob::<S>(true).await;
    assert_eq!(locked_out.status, StatusCode::SERVICE_UNAVAILABLE);
}

/// A user who arrived by link logs in with a password on the app's login
/// page, which the guard lets link sessions reach once configured: the
/// password session replaces the link session (marker cleared, id
/// renewed) and reaches every page. With `SendToLogin`, the guard sends a
/// link session there instead of answering 403.
pub async fn a_link_session_steps_up_with_a_password_login<S: Server>() {
    let app = S::start(Options {
        login_url: true,
        ..Options::default()
    })
    .await;
    let client = link_session(&app).await;
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    let before = client.cookie(COOKIE_NAME);
    let after = client.password_login("alice").await;
    assert_ne!(before.as_deref(), Some(after.as_str()));
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.text(), "Admin for alice");
    assert_eq!(client.get("/me").await.text(), "alice false");

    let app = S::start(Options {
        login_url: true,
        send_to_login: true,
        ..Options::default()
    })
    .await;
    let client = link_session(&app).await;
    client
        .get("/admin?tab=2")
        .await
        .assert_redirect("/login?next=/admin");
    assert_eq!(authlink::web::next_page("/admin"), Some("/admin"));
    assert_eq!(authlink::web::next_page("//evil.example/admin"), None);
}

pub async fn consume_ip_mismatch<S: Server>() {
    let app = S::start(Options::default()).await;
    let asker = app.client();
    let link = app.link_for(&asker, "/account").await;
    let elsewhere = app.client().from("127.0.0.2");
    let reply = elsewhere.get(&link).await;
    reply.assert_redirect("/?error=client_mismatch");
    assert!(reply.set_cookies().is_empty());
    // A wrong address does not use the link up.
    asker.get(&link).await.assert_redirect("/account");
}

pub async fn consume_with_prefix_binding_accepts_the_same_network<S: Server>() {
    let mut policy = policy();
    policy.ip_binding = IpBinding::prefix();
    let app = S::start(Options {
        policy,
        ..Options::default()
    })
    .await;
    let link = app.link_for(&app.client(), "/account").await;
    app.client()
        .from("127.0.0.9")
        .get(&link)
        .await
        .assert_redirect("/account");
}

pub async fn consume_revoked_by_stamp<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    app.adapter()
        .stamps
        .lock()
        .unwrap()
        .insert("alice".into(), b"password-hash-1".to_vec());
    let link = app.link_for(&client, "/account").await;
    app.adapter()
        .stamps
        .lock()
        .unwrap()
        .insert("alice".into(), b"password-hash-2".to_vec());
    client.get(&link).await.assert_redirect("/?error=revoked");
    assert!(client.cookie("sid").is_none());
}

pub async fn stamp_lookup_failure_fails_closed<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.adapter().stamps_fail.store(true, Ordering::SeqCst);
    let reply = client.get(&link).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.header("retry-after").is_some());
    assert!(reply.set_cookies().is_empty());
    let create = client.create("alice-api-token", ACCOUNT).await;
    assert_eq!(create.status, StatusCode::SERVICE_UNAVAILABLE);
    // The link was not used: it works once the lookup does.
    app.adapter().stamps_fail.store(false, Ordering::SeqCst);
    client.get(&link).await.assert_redirect("/account");
}

pub async fn replay_cache_unavailable_is_503_without_session<S: Server>() {
    let app = S::start_with(Options::default(), BrokenCache).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let reply = client.get(&link).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(reply.header("location").is_none());
    assert!(reply.set_cookies().is_empty());
    client.get("/account").await.assert_redirect("/login");
    // Nothing about the backend reaches the browser.
    assert!(
        !reply.text().contains("connection refused"),
        "{}",
        reply.text()
    );
}

pub async fn head_does_not_consume<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    for _ in 0..3 {
        let reply = client.send(Method::HEAD, &link, &[], "").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.set_cookies().is_empty());
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    client.get(&link).await.assert_redirect("/account");
}

pub async fn consume_wrong_method<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
        let reply = client.send(method.clone(), &link, &[], "").await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD, POST"));
    }
    client.get(&link).await.assert_redirect("/account");
}

pub async fn consume_garbage_and_long_keys<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let valid = app.link_for(&client, "/account").await;
    let valid_key = valid.rsplit('/').next().unwrap();
    let mut flipped = valid_key.as_bytes().to_vec();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let keys = [
        String::new(),
        "!!!".to_owned(),
        "AAAA".to_owned(),
        "%00%ff".to_owned(),
        "..%2F..%2Fadmin".to_owned(),
        "A".repeat(10_000),
        "x".repeat(60_000),
        format!("{valid_key}="),
        format!("{valid_key}AA"),
        String::from_utf8(flipped).unwrap(),
        valid_key.replace(|c: char| c.is_ascii_lowercase(), "-"),
    ];
    for key in keys {
        let reply = client.get(&format!("/authlink/{key}")).await;
        reply.assert_redirect("/?error=invalid");
        assert!(reply.set_cookies().is_empty());
    }
    client.get("/account").await.assert_redirect("/login");
    // The garbage did not disturb the real link.
    client.get(&valid).await.assert_redirect("/account");
}

pub async fn consume_from_another_users_link_session_is_not_blocked_by_the_guard<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    let bobs = client.create("bob-api-token", ACCOUNT).await.created_link();
    client.get(&bobs).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, bob");
}

pub async fn prefetch_safe_get_shows_a_page_and_post_consumes<S: Server>() {
    let app = S::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    // A scanner fetching the link, as often as it likes, and browsers
    // brought by another site, or not saying: the page waits for a click.
    let scanner: &[(&str, &str)] = &[];
    let waits = [
        scanner,
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("sec-fetch-site", "cross-site"), ("origin", "null")],
    ];
    // A webview, or a link typed or pasted, or a page of the app's own:
    // the page submits itself.
    let submits: [&[(&str, &str)]; 2] = [
        &[("sec-fetch-site", "none")],
        &[("sec-fetch-site", "same-origin")],
    ];
    for (headers, script) in waits
        .iter()
        .chain(&waits)
        .map(|h| (*h, false))
        .chain(submits.iter().map(|h| (*h, true)))
    {
        let page = app.client().get_with(&link, headers).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.set_cookies().is_empty());
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(
            csp.contains("script-src 'sha256-"),
            script,
            "{headers:?}: {csp}"
        );
        let html = page.text();
        assert!(html.contains("<form method=\"post\">"), "{html}");
        assert!(html.contains("<button type=\"submit\">"), "{html}");
        assert_eq!(
            html.contains("document.forms[0].submit()"),
            script,
            "{headers:?}: {html}"
        );
        assert_eq!(html.contains("<script"), script, "{headers:?}: {html}");
        assert!(
            !html.contains(link.rsplit('/').next().unwrap()),
            "the page repeats the key"
        );
    }
    let reply = client
        .send(
            Method::POST,
            &link,
            &[("content-type", "application/x-www-form-urlencoded")],
            "",
        )
        .await;
    reply.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    let again = app.client().send(Method::POST, &link, &[], "").await;
    again.assert_redirect("/?error=used");
}

pub async fn confirm_page_script_matches_its_csp_hash<S: Server>() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = S::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let page = client.get_with(&link, &[("sec-fetch-site", "none")]).await;
    let html = page.text();
    let script = html
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
}

pub async fn button_only_confirm_page_has_no_script<S: Server>() {
    let app = S::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        confirm: ConfirmPage::ButtonOnly,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    // Configured button-only, it stays so even for a webview's own GET.
    let page = client.get_with(&link, &[("sec-fetch-site", "none")]).await;
    let html = page.text();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("<button type=\"submit\">Continue</button>"),
        "{html}"
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(!csp.contains("script-src"), "{csp}");
    // Scripted scanners have nothing to run; the person presses the button.
    client
        .send(
            Method::POST,
            &link,
            &[("sec-fetch-site", "same-origin")],
            "",
        )
        .await
        .assert_redirect("/account");
}

pub async fn cross_site_confirm_post_is_refused_and_burns_nothing<S: Server>() {
    let app = S::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let origin = format!("http://{}", client.host);
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
    ] {
        let reply = client.send(Method::POST, &link, &headers, "").await;
        reply.assert_redirect("/?error=cross_site");
        assert!(reply.set_cookies().is_empty(), "{headers:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    assert_eq!(client.get("/account").await.status, StatusCode::SEE_OTHER);
    // The link was not used: its own page's POST still works.
    client
        .send(
            Method::POST,
            &link,
            &[("sec-fetch-site", "same-origin"), ("origin", &origin)],
            "",
        )
        .await
        .assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_eq!(
        FailureReason::CrossSite.message(),
        "This sign-in was started from another site. Open the link itself."
    );
}

pub async fn trusted_proxy_forwarded_for_is_honoured<S: Server>() {
    let app = S::start(behind_proxy()).await;
    let client = app.client();
    let xff = [("x-forwarded-for", "198.51.100.7")];
    let link = client
        .create_with("alice-api-token", ACCOUNT, &xff)
        .await
        .created_link();
    // Another client behind the same proxy.
    client
        .get_with(&link, &[("x-forwarded-for", "198.51.100.8")])
        .await
        .assert_redirect("/?error=client_mismatch");
    // The proxy itself, without saying for whom: fail closed.
    client
        .get(&link)
        .await
        .assert_redirect("/?error=client_mismatch");
    // The same client, with a forged entry prepended: the right-most
    // untrusted address counts.
    client
        .get_with(&link, &[("x-forwarded-for", "203.0.113.66, 198.51.100.7")])
        .await
        .assert_redirect("/account");
}

/// The audit's case: behind a trusted proxy that appends its own element
/// to the `Forwarded` value the client sent, a link bound to the victim's
/// address must not log in an attacker who writes the victim's address
/// and a quote, a `\\` or anything else that is not RFC 7239 before it.
pub async fn forwarded_values_a_client_writes_cannot_choose_its_address<S: Server>() {
    let app = S::start(Options {
        trusted: TrustedProxies::new(["127.0.0.1/32"])
            .expect("a valid network")
            .with_header(ForwardedHeader::Forwarded),
        ..Options::default()
    })
    .await;
    let client = app.client();
    let victim = [("forwarded", "for=198.51.100.77")];
    let link = client
        .create_with("alice-api-token", ACCOUNT, &victim)
        .await
        .created_link();
    for forwarded in crate::http_support::FORWARDED_BY_THE_THIEF {
        let reply = client.get_with(&link, &[("forwarded", forwarded)]).await;
        reply.assert_redirect("/?error=client_mismatch");
        assert!(reply.set_cookies().is_empty(), "{forwarded}");
        // The same, the proxy's element on a header line of its own.
        let (sent, appended) = forwarded.rsplit_once(", ").unwrap();
        client
            .get_with(&link, &[("forwarded", sent), ("forwarded", appended)])
            .await
            .assert_redirect("/?error=client_mismatch");
    }
    // Issuing is refused alike: no link bound to an address of the
    // client's choosing.
    let reply = client
        .create_with(
            "alice-api-token",
            ACCOUNT,
            &[("forwarded", "for=198.51.100.77;x=\", for=203.0.113.9")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Nothing was burnt: the victim's own request logs in.
    client
        .get_with(&link, &victim)
        .await
        .assert_redirect("/account");
}

/// An app's `Responses` replace the answers on every stack, and the
/// endpoints still add what they always add.
pub async fn answers_are_replaced_alike<S: Server>() {
    let app = S::start(Options {
        json_answers: true,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let refused = client
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "not_whitelisted");
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    let link = app.link_for(&client, "/account").await;
    // Success keeps its default.
    client.get(&link).await.assert_redirect("/account");
    let again = app.client().get(&link).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.json()["error"], "used");
    assert_eq!(again.json()["message"], "Link has already been used.");
    let cache_control: Vec<_> = again.headers.get_all("cache-control").iter().collect();
    assert_eq!(cache_control, ["no-store"]);
    assert_eq!(again.header("referrer-policy"), Some("no-referrer"));
    assert!(again.set_cookies().is_empty());
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.json()["error"], "link_session");
}

pub async fn trusted_proxy_with_unparsable_address_fails_closed<S: Server>() {
    let app = S::start(behind_proxy()).await;
    let client = app.client();
    for value in ["unknown", "not-an-ip", "198.51.100.7, garbage", ""] {
        let reply = client
            .create_with("alice-api-token", ACCOUNT, &[("x-forwarded-for", value)])
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value:?}");
        assert!(
            reply.json()["detail"]
                .as_str()
                .unwrap()
                .contains("client address")
        );
    }
}

pub async fn untrusted_forwarded_for_is_ignored<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    let link = client
        .create_with(
            "alice-api-token",
            ACCOUNT,
            &[("x-forwarded-for", "198.51.100.7")],
        )
        .await
        .created_link();
    // A different claimed address from the same peer: the claim is ignored.
    client
        .get_with(
            &link,
            &[
                ("x-forwarded-for", "203.0.113.9"),
                ("forwarded", "for=203.0.113.9"),
            ],
        )
        .await
        .assert_redirect("/account");
    // Nor does another peer's forged claim to be the asker.
    let link = app.link_for(&client, "/account").await;
    app.client()
        .from("127.0.0.3")
        .get_with(&link, &[("x-forwarded-for", "127.0.0.1")])
        .await
        .assert_redirect("/?error=client_mismatch");
}

pub async fn inactive_for_password_sessions<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    client.password_login("alice").await;
    for (path, body) in [("/admin", "Admin for alice"), ("/account", "Hello, alice")] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.text(), body);
    }
}

pub async fn inactive_without_session<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = app.client();
    client.get("/admin").await.assert_redirect("/login");
    assert_eq!(client.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

pub async fn active_with_whitelisted_url<S: Server>() {
    let app = S::start(Options::default()).await;
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

pub async fn active_with_non_whitelisted_url<S: Server>() {
    let app = S::start(Options::default()).await;
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

pub async fn guard_ends_with_the_link_session<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = link_session(&app).await;
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    // The same browser logs in with a password: a session of another kind.
    client.cookies.lock().unwrap().clear();
    client.password_login("alice").await;
    assert_eq!(client.get("/admin").await.status, StatusCode::OK);
}

pub async fn also_allowed_paths_open_to_link_sessions_only_as_configured<S: Server>() {
    let app = S::start(Options {
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

pub async fn a_link_session_reopening_a_used_link_lands_on_the_failure_page<S: Server>() {
    let app = S::start(Options::default()).await;
    let client = link_session(&app).await;
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    client.get(&link).await.assert_redirect("/?error=used");
    let home = client.get("/?error=used").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text(), "Home error=used");
    // A used link touches no session: the browser keeps the link session
    // it had, still kept to the whitelist.
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
}

fn behind_proxy() -> Options {
    Options {
        trusted: TrustedProxies::new(["127.0.0.1/32"]).expect("a valid network"),
        ..Options::default()
    }
}

// Email sign-in.

const EMAIL_FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn email_app<S: Server>() -> S {
    S::start(Options {
        email: true,
        ..Options::default()
    })
    .await
}

async fn email_ask(client: &Client, address: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login/email",
            &[EMAIL_FORM],
            format!("email={address}"),
        )
        .await
}

async fn email_code(client: &Client, address: &str, code: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login/email/code",
            &[EMAIL_FORM],
            format!("email={address}&code={code}&next=%2Faccount"),
        )
        .await
}

/// The mails sent so far, as (url, code), once the background send ran.
async fn sent_mails<S: Server>(app: &S, expected: usize) -> Vec<(String, String)> {
    for _ in 0..200 {
        let sent: Vec<(String, String)> = app
            .adapter()
            .mails
            .lock()
            .unwrap()
            .iter()
            .map(|mail| (mail.url.clone(), mail.code.as_str().to_owned()))
            .collect();
        if sent.len() >= expected {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{expected} mails were not sent");
}

pub async fn email_known_and_unknown_addresses_are_answered_alike_and_only_a_user_gets_mail<
    S: Server,
>() {
    let app: S = email_app().await;
    let (alice, nobody) = (app.client(), app.client());
    let known = email_ask(&alice, "alice%40example.com").await;
    let unknown = email_ask(&nobody, "nobody%40example.com").await;
    assert_eq!(known.status, 200);
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.text().replace("alice@example.com", "ADDRESS"),
        unknown.text().replace("nobody@example.com", "ADDRESS")
    );
    let cookie_shape = |reply: &Reply| {
        let set = reply.set_cookies().join("");
        let value = set
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .len();
        (
            set.split(';')
                .skip(1)
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            value,
        )
    };
    assert_eq!(cookie_shape(&known), cookie_shape(&unknown));
    assert!(known.set_cookies().join("").contains("HttpOnly"));
    assert!(known.set_cookies().join("").contains("SameSite=Lax"));
    let sent = sent_mails(&app, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        app.adapter().mails.lock().unwrap().len(),
        1,
        "no mail for an unknown address"
    );
    assert!(
        sent[0].0.starts_with("https://app.example/login/email/"),
        "{}",
        sent[0].0
    );
}

pub async fn email_the_link_signs_in_the_browser_that_asked_and_nothing_elsewhere<S: Server>() {
    let app: S = email_app().await;
    let asked = app.client();
    email_ask(&asked, "alice%40example.com").await;
    let (url, _) = sent_mails(&app, 1).await.remove(0);
    // A mail scanner, another device: a page, no session, nothing used.
    for elsewhere in [app.client(), app.client()] {
        let reply = elsewhere.get(&url).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.text().contains("Finish signing in where you asked"),
            "{}",
            reply.text()
        );
        assert!(elsewhere.cookie(COOKIE_NAME).is_none());
        assert_eq!(elsewhere.get("/account").await.status, 303);
    }
    asked.get(&url).await.assert_redirect("/account");
    assert_eq!(asked.get("/account").await.text(), "Hello, alice");
    assert!(
        asked.cookie("authlink_pending").is_none(),
        "the pending cookie is cleared"
    );
}

pub async fn email_the_code_finishes_in_the_browser_that_asked_and_uses_up_the_link<S: Server>() {
    let app: S = email_app().await;
    let asked = app.client();
    email_ask(&asked, "alice%40example.com").await;
    let (url, code) = sent_mails(&app, 1).await.remove(0);
    // Opened on a phone first: nothing happens there.
    assert_eq!(app.client().get(&url).await.status, 200);
    let pending = asked.cookie("authlink_pending").unwrap();
    email_code(&asked, "alice%40example.com", &code)
        .await
        .assert_redirect("/account");
    assert_eq!(asked.get("/account").await.text(), "Hello, alice");
    assert!(
        asked.cookie("authlink_pending").is_none(),
        "the pending cookie is cleared"
    );
    // The link is the same credential: even with the pending cookie put
    // back, it is used.
    let replayed = app.client();
    replayed
        .cookies
        .lock()
        .unwrap()
        .insert("authlink_pending".to_owned(), pending);
    replayed
        .get(path_of(&url))
        .await
        .assert_redirect("/?error=used");
}

pub async fn email_the_fifth_wrong_code_voids_the_sign_in_and_its_right_code<S: Server>() {
    let app: S = email_app().await;
    let asked = app.client();
    email_ask(&asked, "alice%40example.com").await;
    let (url, code) = sent_mails(&app, 1).await.remove(0);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    for _ in 0..4 {
        let reply = email_code(&asked, "alice%40example.com", &wrong).await;
        assert_eq!(reply.status, 400);
        assert!(
            reply.text().contains("That code is not right"),
            "{}",
            reply.text()
        );
    }
    let fifth = email_code(&asked, "alice%40example.com", &wrong).await;
    assert!(
        fifth.text().contains("Too many wrong codes"),
        "{}",
        fifth.text()
    );
    email_code(&asked, "alice%40example.com", &code)
        .await
        .assert_redirect("/?error=used");
    asked
        .get(path_of(&url))
        .await
        .assert_redirect("/?error=used");
    assert_eq!(asked.get("/account").await.status, 303, "nobody signed in");
}

pub async fn email_asking_is_limited_per_address_alike_for_every_address<S: Server>() {
    let app: S = email_app().await;
    for address in ["alice%40example.com", "nobody%40example.com"] {
        for _ in 0..5 {
            assert_eq!(email_ask(&app.client(), address).await.status, 200);
        }
        let limited = email_ask(&app.client(), address).await;
        assert_eq!(limited.status, 429, "{address}");
        assert!(limited.header("retry-after").is_some());
    }
    // Another user is not held back by them.
    assert_eq!(
        email_ask(&app.client(), "bob%40example.com").await.status,
        200
    );
    assert_eq!(
        sent_mails(&app, 6).await.len(),
        6,
        "five for alice, one for bob"
    );
}

pub async fn email_cross_site_and_unreadable_posts_are_refused<S: Server>() {
    let app: S = email_app().await;
    let client = app.client();
    let cross = client
        .send(
            Method::POST,
            "/login/email",
            &[EMAIL_FORM, ("sec-fetch-site", "cross-site")],
            "email=alice%40example.com",
        )
        .await;
    assert_eq!(cross.status, 403);
    let twice = client
        .send(
            Method::POST,
            "/login/email",
            &[EMAIL_FORM],
            "email=a%40b.c&email=d%40e.f",
        )
        .await;
    assert_eq!(twice.status, 400);
    let not_an_address = email_ask(&client, "not-an-address").await;
    assert_eq!(not_an_address.status, 400);
    let no_type = client
        .send(
            Method::POST,
            "/login/email",
            &[],
            "email=alice%40example.com",
        )
        .await;
    assert_eq!(no_type.status, 415);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(app.adapter().mails.lock().unwrap().is_empty());
}

pub async fn email_a_failing_mail_server_gets_every_address_the_retry_page<S: Server>() {
    let app: S = email_app().await;
    app.adapter()
        .mail_fails
        .store(true, std::sync::atomic::Ordering::SeqCst);
    // The first request cannot know yet: the mail goes out after it.
    assert_eq!(
        email_ask(&app.client(), "alice%40example.com").await.status,
        200
    );
    let mut retry = None;
    for _ in 0..200 {
        let reply = email_ask(&app.client(), "nobody%40example.com").await;
        if reply.status == 503 {
            retry = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let retry = retry.expect("the retry page once the mail failed");
    assert!(retry.text().contains("try again"), "{}", retry.text());
    assert_eq!(retry.header("retry-after"), Some("60"));
    // Known and unknown addresses alike.
    let known = email_ask(&app.client(), "bob%40example.com").await;
    assert_eq!(known.status, 503);
    assert_eq!(known.text(), retry.text());
}

/// One user whose mail bounces (a 5xx for that recipient) must not shut
/// email sign-in for everyone: only a mail service that is down does.
pub async fn email_a_bouncing_address_keeps_sign_in_open_for_everyone<S: Server>() {
    let app: S = email_app().await;
    app.adapter().mail_rejects_bob.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        assert_eq!(
            email_ask(&app.client(), "bob%40example.com").await.status,
            200
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let alice = app.client();
    assert_eq!(email_ask(&alice, "alice%40example.com").await.status, 200);
    assert_eq!(sent_mails(&app, 1).await.len(), 1, "alice's mail went out");
}

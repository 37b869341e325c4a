//! The create and consume endpoints over real HTTP: django-authlink's
//! scenarios and the edge cases around them.
#![cfg(feature = "tower-sessions")]
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use authlink::FailureReason;
use authlink::IpBinding;
use authlink::http::{ConfirmPage, ConsumeMode, Endpoints, PeerAddr, TrustedProxies};
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use http_support::{
    BrokenCache, COOKIE_NAME, Options, TestApp, TestLinkApp, TestSessions, path_of, raw_exchange,
};
use tower::ServiceExt as _;

const ACCOUNT: &str = r#"{"url": "/account"}"#;

async fn app() -> TestApp {
    TestApp::start(Options::default()).await
}

// ---- create (django-authlink: AuthLinkCreateViewTestCase) -------------------

#[tokio::test]
async fn create_ok() {
    let app = app().await;
    let reply = app.client().create("alice-api-token", ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let location = reply.header("location").unwrap();
    assert!(location.starts_with("/authlink/"), "{location}");
    assert!(location.len() > "/authlink/".len() + 40, "{location}");
    // django-authlink's body: the target as sent; the link in Location (and
    // under its own field).
    assert_eq!(
        reply.json(),
        serde_json::json!({ "url": "/account", "link": location })
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn create_url_not_whitelisted() {
    let app = app().await;
    let reply = app
        .client()
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    reply.assert_bad_request(serde_json::json!({ "url": ["URL specified is not whitelisted"] }));
}

#[tokio::test]
async fn create_not_authenticated() {
    let app = app().await;
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
    let wrong_token = client.create("mallory-api-token", ACCOUNT).await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn create_refuses_open_redirect_targets() {
    let app = app().await;
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

#[tokio::test]
async fn create_malformed_json() {
    let app = app().await;
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

#[tokio::test]
async fn create_missing_field_and_wrong_type() {
    let app = app().await;
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

#[tokio::test]
async fn create_wrong_content_type() {
    let app = app().await;
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

#[tokio::test]
async fn create_wrong_method() {
    let app = app().await;
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

#[tokio::test]
async fn create_oversized_body() {
    let app = app().await;
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

#[tokio::test]
async fn create_oversized_body_is_refused_before_it_is_sent() {
    let app = app().await;
    // A declared length of 100 MB and no body at all: the answer comes from
    // the header alone, so nothing was waited for or read.
    let head = format!(
        "POST /api/authlink HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer alice-api-token\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
        app.addr
    );
    let response = raw_exchange(app.addr, &head, b"").await;
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
    // Chunked, with no declared length: cut off once past the limit.
    let head = format!(
        "POST /api/authlink HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer alice-api-token\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
    let body = chunk.repeat(64);
    let response = raw_exchange(app.addr, &head, body.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
}

#[tokio::test]
async fn create_respects_a_configured_body_limit() {
    let app = TestApp::start(Options {
        body_limit: Some(16),
        ..Options::default()
    })
    .await;
    let reply = app.client().create("alice-api-token", ACCOUNT).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

// ---- consume (django-authlink: AuthLinkViewTestCase) ------------------------

#[tokio::test]
async fn consume_ok_when_logged_out() {
    let app = app().await;
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

#[tokio::test]
async fn secure_cookie_is_the_default_whatever_the_host_says() {
    let app = TestApp::start(Options {
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

#[tokio::test]
async fn an_insecure_cookie_is_not_made_secure_by_the_host_either() {
    let app = app().await;
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

#[tokio::test]
async fn consume_issues_a_fresh_session_id() {
    let app = app().await;
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
    assert_eq!(sid.len(), 22, "128 bits in base64url: {sid}");
    // Two consumptions never share a session id.
    let other = app.client();
    let link = app.link_for(&other, "/account").await;
    other.get(&link).await.assert_redirect("/account");
    assert_ne!(other.cookie(COOKIE_NAME).unwrap(), sid);
}

#[tokio::test]
async fn consume_ok_when_logged_in_as_same_user() {
    let app = app().await;
    let client = app.client();
    let password_sid = client.password_login("alice").await;
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_ne!(client.cookie(COOKIE_NAME).unwrap(), password_sid);
    // The old session is gone on the server, not only in the browser.
    assert!(!app.has_session(&password_sid).await);
}

#[tokio::test]
async fn consume_ok_when_logged_in_as_another_user() {
    let app = app().await;
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
        !app.has_session(&bob_sid).await,
        "bob's session still lives"
    );
}

#[tokio::test]
async fn consume_expired() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.clock.advance(std::time::Duration::from_secs(60));
    let reply = client.get(&link).await;
    reply.assert_redirect("/?error=expired");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    client.get("/account").await.assert_redirect("/login");
}

#[tokio::test]
async fn consume_one_second_before_expiry() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.clock.advance(std::time::Duration::from_secs(59));
    client.get(&link).await.assert_redirect("/account");
}

#[tokio::test]
async fn consume_already_used() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    let again = app.client();
    let reply = again.get(&link).await;
    reply.assert_redirect("/?error=used");
    assert!(reply.set_cookies().is_empty());
    again.get("/account").await.assert_redirect("/login");
}

#[tokio::test]
async fn consume_ip_mismatch() {
    let app = app().await;
    let asker = app.client();
    let link = app.link_for(&asker, "/account").await;
    let elsewhere = app.client().from("127.0.0.2");
    let reply = elsewhere.get(&link).await;
    reply.assert_redirect("/?error=client_mismatch");
    assert!(reply.set_cookies().is_empty());
    // A wrong address does not use the link up.
    asker.get(&link).await.assert_redirect("/account");
}

#[tokio::test]
async fn consume_with_prefix_binding_accepts_the_same_network() {
    let mut policy = http_support::policy();
    policy.ip_binding = IpBinding::prefix();
    let app = TestApp::start(Options {
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

#[tokio::test]
async fn consume_revoked_by_stamp() {
    let app = app().await;
    let client = app.client();
    app.adapter
        .stamps
        .lock()
        .unwrap()
        .insert("alice".into(), b"password-hash-1".to_vec());
    let link = app.link_for(&client, "/account").await;
    app.adapter
        .stamps
        .lock()
        .unwrap()
        .insert("alice".into(), b"password-hash-2".to_vec());
    client.get(&link).await.assert_redirect("/?error=revoked");
    assert!(client.cookie("sid").is_none());
}

#[tokio::test]
async fn stamp_lookup_failure_fails_closed() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    app.adapter.stamps_fail.store(true, Ordering::SeqCst);
    let reply = client.get(&link).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.header("retry-after").is_some());
    assert!(reply.set_cookies().is_empty());
    let create = client.create("alice-api-token", ACCOUNT).await;
    assert_eq!(create.status, StatusCode::SERVICE_UNAVAILABLE);
    // The link was not used: it works once the lookup does.
    app.adapter.stamps_fail.store(false, Ordering::SeqCst);
    client.get(&link).await.assert_redirect("/account");
}

#[tokio::test]
async fn replay_cache_unavailable_is_503_without_session() {
    let app = TestApp::start_with(Options::default(), BrokenCache).await;
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

#[tokio::test]
async fn head_does_not_consume() {
    let app = app().await;
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

#[tokio::test]
async fn consume_wrong_method() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
        let reply = client.send(method.clone(), &link, &[], "").await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD, POST"));
    }
    client.get(&link).await.assert_redirect("/account");
}

#[tokio::test]
async fn consume_garbage_and_long_keys() {
    let app = app().await;
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

#[tokio::test]
async fn consume_from_another_users_link_session_is_not_blocked_by_the_guard() {
    let app = app().await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client.get(&link).await.assert_redirect("/account");
    let bobs = client.create("bob-api-token", ACCOUNT).await.created_link();
    client.get(&bobs).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, bob");
}

// ---- prefetch-safe mode ------------------------------------------------------

#[tokio::test]
async fn prefetch_safe_get_shows_a_page_and_post_consumes() {
    let app = TestApp::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    // A scanner fetching the link, as often as it likes.
    for _ in 0..3 {
        let page = app.client().get(&link).await;
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
        assert!(
            csp.contains("script-src 'sha256-") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        let html = page.text();
        assert!(html.contains("<form method=\"post\">"), "{html}");
        assert!(html.contains("<button type=\"submit\">"), "{html}");
        assert!(html.contains("document.forms[0].submit()"), "{html}");
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

#[tokio::test]
async fn confirm_page_script_matches_its_csp_hash() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = TestApp::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let page = client.get(&link).await;
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

#[tokio::test]
async fn button_only_confirm_page_has_no_script() {
    let app = TestApp::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        confirm: ConfirmPage::ButtonOnly,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let page = client.get(&link).await;
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

#[tokio::test]
async fn cross_site_confirm_post_is_refused_and_burns_nothing() {
    let app = TestApp::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    let origin = format!("http://{}", app.addr);
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

// ---- client address through proxies ----------------------------------------

fn behind_proxy() -> Options {
    Options {
        trusted: TrustedProxies::new(["127.0.0.1/32"]).expect("a valid network"),
        ..Options::default()
    }
}

#[tokio::test]
async fn trusted_proxy_forwarded_for_is_honoured() {
    let app = TestApp::start(behind_proxy()).await;
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

#[tokio::test]
async fn trusted_proxy_with_unparsable_address_fails_closed() {
    let app = TestApp::start(behind_proxy()).await;
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

#[tokio::test]
async fn untrusted_forwarded_for_is_ignored() {
    let app = app().await;
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

// ---- the service on its own ---------------------------------------------------

#[tokio::test]
async fn failure_reason_is_in_the_response_extensions() {
    let app = app().await;
    let cache = Arc::new(authlink::replay::MemoryReplayCache::new());
    // No session layer anywhere: the consume service brings its own.
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let consume = Endpoints::new(
        app.authlink.clone(),
        TestLinkApp(app.adapter.clone()),
        sessions,
    )
    .replay_cache(cache.clone())
    .consume_service();
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
    // No peer address recorded at all: fail closed.
    let mut no_peer = Request::get(path_of(&link))
        .body(Full::<Bytes>::default())
        .unwrap();
    no_peer
        .headers_mut()
        .insert("x-forwarded-for", "127.0.0.1".parse().unwrap());
    let refused = consume.oneshot(no_peer).await.unwrap();
    assert_eq!(
        refused.extensions().get::<FailureReason>(),
        Some(&FailureReason::ClientMismatch)
    );
}

// ---- the app's own handlers --------------------------------------------------

#[tokio::test]
async fn an_app_handler_issues_and_consumes_with_one_call_each() {
    use axum::response::IntoResponse as _;
    let app = app().await;
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let endpoints = Endpoints::new(
        app.authlink.clone(),
        TestLinkApp(app.adapter.clone()),
        sessions,
    )
    .failure_url("/?error={reason}")
    .unwrap();
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
    let (addr, server) = http_support::serve(router).await;
    let client = http_support::Client::new(addr);
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
    http_support::Client::new(addr)
        .from("127.0.0.2")
        .get(&link)
        .await
        .assert_redirect("/?error=client_mismatch");
    let reply = client.get(&link).await;
    reply.assert_redirect("/account");
    assert_eq!(reply.set_cookies().len(), 1, "{reply:?}");
    client.get(&link).await.assert_redirect("/?error=used");
    server.abort();
}

// ---- rate limits --------------------------------------------------------------

#[cfg(feature = "limit")]
#[tokio::test]
async fn create_and_consume_limits_refuse_the_caller_past_its_rate() {
    use authlink::limit::{CreateLimits, MemoryRateLimiter, NoLimit, Quota};
    use std::num::NonZeroU32;
    let app = app().await;
    let per_hour = |n| MemoryRateLimiter::new(Quota::per_hour(NonZeroU32::new(n).unwrap()));
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default()).insecure_cookie();
    let endpoints = Endpoints::new(
        app.authlink.clone(),
        TestLinkApp(app.adapter.clone()),
        sessions,
    )
    .failure_url("/?error={reason}")
    .unwrap()
    .create_limits(CreateLimits::new(per_hour(2), NoLimit))
    .consume_limit(per_hour(1));
    let (addr, server) =
        http_support::serve(endpoints.router(http_support::pages()).unwrap()).await;
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

//! The demo's contract, as the README and the outside world rely on it:
//! users, tokens, routes, the whitelist, failure messages and environment.

use crate::demo_support;
use crate::http_support;
use demo_support::Stack;

use std::time::Duration as StdDuration;

use authlink::web::ForwardedHeader;
use http::{Method, StatusCode};
use http_support::{Client, NOT_WHITELISTED_MESSAGE, Reply};

const ACCOUNT: &str = r#"{"url": "/account"}"#;

async fn link(client: &Client, token: &str) -> String {
    client.create(token, ACCOUNT).await.created_link()
}

async fn password_login(client: &Client, user: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("user={user}"),
        )
        .await
}

async fn created_body_echoes_the_target_as_django_authlink_does(stack: Stack) {
    let demo = stack.start(&[]).await;
    let reply = Client::new(demo.addr)
        .create("alice-api-token", r#"{"url": "/account/settings?tab=2"}"#)
        .await;
    let location = reply.created_link();
    assert_eq!(
        reply.json(),
        serde_json::json!({ "url": "/account/settings?tab=2", "link": location })
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

/// A link session is refused `/admin`, logs in with a password on the
/// login page the guard leaves open, and then reaches `/admin`.
async fn a_link_session_steps_up_with_a_password_login(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    client.get(&location).await.assert_redirect("/account");
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/login").await.status, StatusCode::OK);
    password_login(&client, "alice")
        .await
        .assert_redirect("/account");
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::OK);
    assert!(admin.text().contains("alice"), "{}", admin.text());
}

/// A browser signed in with a password that opens a used link stays
/// signed in: the refusal touches no session.
async fn a_password_session_survives_opening_a_used_link(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    Client::new(demo.addr)
        .get(&location)
        .await
        .assert_redirect("/account");
    password_login(&client, "alice")
        .await
        .assert_redirect("/account");
    assert!(client.get("/account").await.text().contains("Hello, alice"));
    let reply = client.get(&location).await;
    reply.assert_redirect("/?error=used");
    assert!(reply.set_cookies().is_empty());
    let account = client.get("/account").await;
    assert!(
        account.text().contains("Hello, alice"),
        "{}",
        account.text()
    );
    assert_eq!(client.get("/admin").await.status, StatusCode::OK);
}

async fn webview_flow_with_link_session(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    assert!(
        location.starts_with(&format!("{}/authlink/", demo.base)),
        "{location}"
    );
    client.get(&location).await.assert_redirect("/account");
    let account = client.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.text().contains("Hello, alice"),
        "{}",
        account.text()
    );
    assert_eq!(client.get("/account/settings").await.status, StatusCode::OK);
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.text(), NOT_WHITELISTED_MESSAGE);
    // The link is single use by default: reopened in the same webview, it
    // ends on the failure page, which the link session may see.
    client.get(&location).await.assert_redirect("/?error=used");
    let failure = client.get("/?error=used").await;
    assert_eq!(failure.status, StatusCode::OK);
    assert!(
        failure.text().contains("Link has already been used."),
        "{}",
        failure.text()
    );
    let again = Client::new(demo.addr);
    again.get(&location).await.assert_redirect("/?error=used");
    let home = again.get("/?error=used").await;
    assert!(
        home.text().contains("Link has already been used."),
        "{}",
        home.text()
    );
}

async fn bob_and_bad_tokens(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "bob-api-token").await;
    client.get(&location).await.assert_redirect("/account");
    assert!(client.get("/account").await.text().contains("Hello, bob"));
    let refused = client.create("carol-api-token", ACCOUNT).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let not_whitelisted = client
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await;
    assert_eq!(not_whitelisted.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        not_whitelisted.json()["url"][0],
        "URL specified is not whitelisted"
    );
}

async fn password_sessions(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    client.get("/account").await.assert_redirect("/login");
    client.get("/admin").await.assert_redirect("/login");
    assert_eq!(client.get("/login").await.status, StatusCode::OK);
    password_login(&client, "bob")
        .await
        .assert_redirect("/account");
    assert!(client.get("/account").await.text().contains("Hello, bob"));
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::OK);
    assert!(admin.text().contains("bob"));
    assert_eq!(
        password_login(&client, "mallory").await.status,
        StatusCode::BAD_REQUEST
    );
    // A link for alice replaces bob's password session.
    let location = link(&client, "alice-api-token").await;
    client.get(&location).await.assert_redirect("/account");
    assert!(client.get("/account").await.text().contains("Hello, alice"));
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
}

async fn failure_page_messages(stack: Stack) {
    let demo = stack.start(&[]).await;
    let client = Client::new(demo.addr);
    for (code, message) in [
        ("expired", "Link has expired."),
        ("used", "Link has already been used."),
        (
            "client_mismatch",
            "Mismatch between generation IP address and consumption IP address.",
        ),
        ("revoked", "Link is no longer valid."),
        ("invalid", "Link is invalid."),
        (
            "cross_site",
            "This sign-in was started from another site. Open the link itself.",
        ),
        ("%3Cscript%3E", "Link is invalid."),
    ] {
        let page = client.get(&format!("/?error={code}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains(message), "{code}: {}", page.text());
        assert!(!page.text().contains("<script>"), "{code}");
    }
    assert!(!client.get("/").await.text().contains("class=\"error\""));
    let garbage = client.get("/authlink/not-a-link").await;
    garbage.assert_redirect("/?error=invalid");
    let elsewhere = Client::new(demo.addr).from("127.0.0.2");
    elsewhere
        .get(&link(&client, "alice-api-token").await)
        .await
        .assert_redirect("/?error=client_mismatch");
}

async fn expiry_from_ttl_setting(stack: Stack) {
    let demo = stack.start(&[("AUTHLINK_TTL_SECONDS", "1")]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    // Links carry whole seconds: two seconds later a 1 s link has expired.
    tokio::time::sleep(StdDuration::from_millis(2100)).await;
    client
        .get(&location)
        .await
        .assert_redirect("/?error=expired");
}

async fn single_use_off(stack: Stack) {
    let demo = stack.start(&[("AUTHLINK_SINGLE_USE", "0")]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    for _ in 0..2 {
        let browser = Client::new(demo.addr);
        browser.get(&location).await.assert_redirect("/account");
        assert!(
            browser
                .get("/account")
                .await
                .text()
                .contains("Hello, alice")
        );
    }
}

async fn confirm_mode(stack: Stack) {
    let demo = stack.start(&[("AUTHLINK_CONFIRM", "1")]).await;
    let client = Client::new(demo.addr);
    let location = link(&client, "alice-api-token").await;
    let page = client.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<form method=\"post\">"));
    // A page on another site posting the link for the browser: refused.
    let forged = client
        .send(
            Method::POST,
            &location,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            "",
        )
        .await;
    forged.assert_redirect("/?error=cross_site");
    assert!(forged.set_cookies().is_empty());
    // The confirmation page's own POST.
    client
        .send(
            Method::POST,
            &location,
            &[("sec-fetch-site", "same-origin")],
            "",
        )
        .await
        .assert_redirect("/account");
    assert!(client.get("/account").await.text().contains("Hello, alice"));
}

async fn trusted_proxies_setting(stack: Stack) {
    let demo = stack
        .start(&[("AUTHLINK_TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8")])
        .await;
    let client = Client::new(demo.addr);
    let location = client
        .create_with(
            "alice-api-token",
            ACCOUNT,
            &[("x-forwarded-for", "198.51.100.7")],
        )
        .await
        .created_link();
    client
        .get_with(&location, &[("x-forwarded-for", "198.51.100.8")])
        .await
        .assert_redirect("/?error=client_mismatch");
    client
        .get_with(&location, &[("x-forwarded-for", "198.51.100.7")])
        .await
        .assert_redirect("/account");
}

/// Behind an RFC 7239 proxy on loopback: a stolen link, sent with the
/// victim's address and any value the proxy then appends the thief's
/// address to, logs no one in; the owner still signs in with it.
async fn forwarded_header_setting(stack: Stack) {
    let demo = stack
        .start(&[
            ("AUTHLINK_TRUSTED_PROXIES", "127.0.0.1"),
            ("AUTHLINK_FORWARDED_HEADER", "forwarded"),
        ])
        .await;
    let client = Client::new(demo.addr);
    let owner = [("forwarded", "for=198.51.100.77")];
    let location = client
        .create_with("alice-api-token", ACCOUNT, &owner)
        .await
        .created_link();
    for forwarded in http_support::FORWARDED_BY_THE_THIEF {
        client
            .get_with(&location, &[("forwarded", forwarded)])
            .await
            .assert_redirect("/?error=client_mismatch");
    }
    // X-Forwarded-For is not read in this mode.
    client
        .get_with(&location, &[("x-forwarded-for", "198.51.100.77")])
        .await
        .assert_redirect("/?error=client_mismatch");
    client
        .get_with(&location, &owner)
        .await
        .assert_redirect("/account");
}

async fn fixed_secret_keeps_links_across_restarts(stack: Stack) {
    let secret = authlink::SecretKey::generate().to_base64();
    let first = stack.start(&[("AUTHLINK_SECRET", &secret)]).await;
    let client = Client::new(first.addr);
    let location = link(&client, "alice-api-token").await;
    let path = http_support::path_of(&location).to_owned();
    drop(first);
    let second = stack.start(&[("AUTHLINK_SECRET", &secret)]).await;
    Client::new(second.addr)
        .get(&path)
        .await
        .assert_redirect("/account");
    let other = stack.start(&[]).await;
    Client::new(other.addr)
        .get(&path)
        .await
        .assert_redirect("/?error=invalid");
}

#[test]
fn environment_defaults() {
    let config = demo_support::config(&[]).unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    assert!(config.secret.is_none());
    assert_eq!(config.ttl, time::Duration::seconds(60));
    assert!(config.single_use);
    assert!(!config.confirm);
    assert!(config.trusted.is_empty());
    assert_eq!(config.trusted.header(), ForwardedHeader::XForwardedFor);
}

#[test]
fn environment_values() {
    let secret = authlink::SecretKey::generate();
    let config = demo_support::config(&[
        ("AUTHLINK_DEMO_ADDR", "127.0.0.1:9999"),
        ("AUTHLINK_SECRET", &secret.to_base64()),
        ("AUTHLINK_TTL_SECONDS", "120"),
        ("AUTHLINK_SINGLE_USE", "0"),
        ("AUTHLINK_CONFIRM", "1"),
        ("AUTHLINK_TRUSTED_PROXIES", "10.0.0.0/8"),
        ("AUTHLINK_FORWARDED_HEADER", "Forwarded"),
    ])
    .unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:9999");
    assert!(config.secret == Some(secret));
    assert_eq!(config.ttl, time::Duration::seconds(120));
    assert!(!config.single_use);
    assert!(config.confirm);
    assert!(config.trusted.trusts("10.1.2.3".parse().unwrap()));
    assert_eq!(config.trusted.header(), ForwardedHeader::Forwarded);
}

#[test]
fn environment_errors_name_the_variable() {
    for (var, value) in [
        ("AUTHLINK_DEMO_ADDR", "localhost"),
        ("AUTHLINK_SECRET", "c2hvcnQ"),
        ("AUTHLINK_SECRET", "not base64!"),
        ("AUTHLINK_TTL_SECONDS", "a minute"),
        ("AUTHLINK_SINGLE_USE", "maybe"),
        ("AUTHLINK_CONFIRM", "2"),
        ("AUTHLINK_TRUSTED_PROXIES", "10.0.0.1/8"),
        ("AUTHLINK_FORWARDED_HEADER", "x-real-ip"),
    ] {
        let err = demo_support::config(&[(var, value)]).unwrap_err();
        assert!(err.starts_with(var), "{var}={value}: {err}");
    }
}

async fn out_of_range_ttl_is_refused_at_start(stack: Stack) {
    let config = demo_support::config(&[("AUTHLINK_TTL_SECONDS", "0")]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = stack
        .run(
            listener,
            &config,
            authlink::SecretKey::generate(),
            |_, _| {},
            async {},
        )
        .await
        .unwrap_err();
    assert!(err.contains("ttl"), "{err}");
}

async fn secure_is_off_only_by_name_for_loopback_and_said_at_start(stack: Stack) {
    let config = demo_support::config(&[]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (told, heard) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(async move {
        stack
            .run(
                listener,
                &config,
                authlink::SecretKey::generate(),
                move |_, secure| told.send(secure).unwrap(),
                std::future::pending(),
            )
            .await
    });
    assert!(!heard.await.unwrap(), "the demo keeps Secure on loopback");
    let client = Client::new(addr);
    let location = link(&client, "alice-api-token").await;
    let reply = client.get(&location).await;
    let cookie = reply.set_cookies()[0].to_owned();
    assert!(cookie.starts_with("demo_session="), "{cookie}");
    assert!(
        cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    server.abort();
}

crate::on_both_demos!(
    created_body_echoes_the_target_as_django_authlink_does,
    a_link_session_steps_up_with_a_password_login,
    a_password_session_survives_opening_a_used_link,
    webview_flow_with_link_session,
    bob_and_bad_tokens,
    password_sessions,
    failure_page_messages,
    expiry_from_ttl_setting,
    single_use_off,
    confirm_mode,
    trusted_proxies_setting,
    forwarded_header_setting,
    fixed_secret_keeps_links_across_restarts,
    out_of_range_ttl_is_refused_at_start,
    secure_is_off_only_by_name_for_loopback_and_said_at_start,
);

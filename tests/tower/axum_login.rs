//! examples/axum_login.rs served by axum: password logins and link logins
//! side by side through axum-login, `login_required!` seeing both, the guard
//! keeping link sessions to the whitelist, and django-authlink's failures
//! (reuse, expiry, client mismatch, revoked).

#[allow(dead_code)]
#[path = "../../examples/axum_login.rs"]
mod example;
use crate::http_support;

use std::net::SocketAddr;

use crate::fixtures::{clock, secret};
use crate::http_support::NOT_WHITELISTED_MESSAGE;
use authlink::{Authlink, KeyId, KeyRing, ManualClock, Policy, Whitelist};
use http::{Method, StatusCode};
use http_support::{Client, Reply};
use tokio::task::JoinHandle;

struct Server {
    addr: SocketAddr,
    clock: ManualClock,
    users: example::Users,
    server: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start() -> Server {
    let clock = clock();
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"]).unwrap();
    let authlink = Authlink::new(
        KeyRing::new(KeyId::new(1), secret()),
        "axum-login test",
        policy,
    )
    .unwrap()
    .with_clock(clock.clone());
    let users = example::Users::demo();
    let router = example::router(authlink, users.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Server {
        addr,
        clock,
        users,
        server,
    }
}

trait SentToLogin {
    fn assert_sent_to_login(&self);
}

impl SentToLogin for Reply {
    /// login_required!'s answer to a request without a user.
    #[track_caller]
    fn assert_sent_to_login(&self) {
        assert_eq!(self.status, StatusCode::TEMPORARY_REDIRECT, "{self:?}");
        assert_eq!(self.header("location"), Some("/login?next=%2Faccount"));
    }
}

async fn password_login(client: &Client, name: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("name={name}&password={name}-password"),
        )
        .await
}

async fn link(client: &Client, token: &str) -> String {
    client
        .create(token, r#"{"url": "/account"}"#)
        .await
        .created_link()
}

#[tokio::test]
async fn password_and_link_logins_side_by_side() {
    let server = start().await;
    // A password session: login_required! lets it in everywhere.
    let password = Client::new(server.addr);
    password_login(&password, "bob")
        .await
        .assert_redirect("/account");
    assert_eq!(password.get("/account").await.text(), "Hello, bob");
    assert_eq!(password.get("/admin").await.text(), "Admin page for bob");

    // A link session: login_required! sees it, the guard keeps it in.
    let webview = Client::new(server.addr);
    webview.get("/account").await.assert_sent_to_login();
    let link = link(&webview, "alice-api-token").await;
    webview.get(&link).await.assert_redirect("/account");
    assert_eq!(webview.get("/account").await.text(), "Hello, alice");
    let admin = webview.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.text(), NOT_WHITELISTED_MESSAGE);

    // The same browser logs in with a password: the link's mark goes.
    password_login(&webview, "alice")
        .await
        .assert_redirect("/account");
    assert_eq!(webview.get("/admin").await.text(), "Admin page for alice");

    // A link over a password session replaces it with a link session.
    let link = self::link(&password, "alice-api-token").await;
    password.get(&link).await.assert_redirect("/account");
    assert_eq!(password.get("/account").await.text(), "Hello, alice");
    assert_eq!(password.get("/admin").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn link_failures_log_no_one_in() {
    let server = start().await;
    let client = Client::new(server.addr);

    // Reuse.
    let first = link(&client, "alice-api-token").await;
    client.get(&first).await.assert_redirect("/account");
    client.get(&first).await.assert_redirect("/?error=used");
    let fresh = Client::new(server.addr);
    fresh.get(&first).await.assert_redirect("/?error=used");
    fresh.get("/account").await.assert_sent_to_login();

    // Another client address.
    let second = link(&client, "alice-api-token").await;
    Client::new(server.addr)
        .from("127.0.0.2")
        .get(&second)
        .await
        .assert_redirect("/?error=client_mismatch");

    // Expiry.
    server.clock.advance(std::time::Duration::from_secs(60));
    client.get(&second).await.assert_redirect("/?error=expired");

    // Revoked: the password changed after the link was issued.
    let third = link(&client, "bob-api-token").await;
    server.users.set_password(2, "new-password");
    let other = Client::new(server.addr);
    other.get(&third).await.assert_redirect("/?error=revoked");
    other.get("/account").await.assert_sent_to_login();
}

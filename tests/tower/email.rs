//! Email sign-in through the tower endpoints: asked by address, the same
//! answer for every address, the mailed link signing in only the browser
//! that asked, the code finishing there, wrong codes voiding the sign-in,
//! and the limits.

use std::time::Duration;

use http::Method;

use crate::http_support::{Client, Options, Reply, TestApp, path_of};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn email_app() -> TestApp {
    TestApp::start(Options {
        email: true,
        ..Options::default()
    })
    .await
}

async fn ask(client: &Client, address: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login/email",
            &[FORM],
            format!("email={address}"),
        )
        .await
}

async fn type_code(client: &Client, address: &str, code: &str) -> Reply {
    client
        .send(
            Method::POST,
            "/login/email/code",
            &[FORM],
            format!("email={address}&code={code}&next=%2Faccount"),
        )
        .await
}

/// The mails sent so far, as (url, code), once the background send ran.
async fn mails(app: &TestApp, expected: usize) -> Vec<(String, String)> {
    for _ in 0..200 {
        let sent: Vec<(String, String)> = app
            .adapter
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

#[tokio::test]
async fn known_and_unknown_addresses_are_answered_alike_and_only_a_user_gets_mail() {
    let app = email_app().await;
    let (alice, nobody) = (app.client(), app.client());
    let known = ask(&alice, "alice%40example.com").await;
    let unknown = ask(&nobody, "nobody%40example.com").await;
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
    let sent = mails(&app, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        app.adapter.mails.lock().unwrap().len(),
        1,
        "no mail for an unknown address"
    );
    assert!(
        sent[0].0.starts_with("https://app.example/login/email/"),
        "{}",
        sent[0].0
    );
}

#[tokio::test]
async fn the_link_signs_in_the_browser_that_asked_and_nothing_elsewhere() {
    let app = email_app().await;
    let asked = app.client();
    ask(&asked, "alice%40example.com").await;
    let (url, _) = mails(&app, 1).await.remove(0);
    // A mail scanner, another device: a page, no session, nothing used.
    for elsewhere in [app.client(), app.client()] {
        let reply = elsewhere.get(&url).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.text().contains("Finish signing in where you asked"),
            "{}",
            reply.text()
        );
        assert!(elsewhere.cookie(crate::http_support::COOKIE_NAME).is_none());
        assert_eq!(elsewhere.get("/account").await.status, 303);
    }
    asked.get(&url).await.assert_redirect("/account");
    assert_eq!(asked.get("/account").await.text(), "Hello, alice");
    assert!(
        asked.cookie("authlink_pending").is_none(),
        "the pending cookie is cleared"
    );
}

#[tokio::test]
async fn the_code_finishes_in_the_browser_that_asked_and_uses_up_the_link() {
    let app = email_app().await;
    let asked = app.client();
    ask(&asked, "alice%40example.com").await;
    let (url, code) = mails(&app, 1).await.remove(0);
    // Opened on a phone first: nothing happens there.
    assert_eq!(app.client().get(&url).await.status, 200);
    let pending = asked.cookie("authlink_pending").unwrap();
    type_code(&asked, "alice%40example.com", &code)
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

#[tokio::test]
async fn the_fifth_wrong_code_voids_the_sign_in_and_its_right_code() {
    let app = email_app().await;
    let asked = app.client();
    ask(&asked, "alice%40example.com").await;
    let (url, code) = mails(&app, 1).await.remove(0);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    for _ in 0..4 {
        let reply = type_code(&asked, "alice%40example.com", &wrong).await;
        assert_eq!(reply.status, 400);
        assert!(
            reply.text().contains("That code is not right"),
            "{}",
            reply.text()
        );
    }
    let fifth = type_code(&asked, "alice%40example.com", &wrong).await;
    assert!(
        fifth.text().contains("Too many wrong codes"),
        "{}",
        fifth.text()
    );
    type_code(&asked, "alice%40example.com", &code)
        .await
        .assert_redirect("/?error=used");
    asked
        .get(path_of(&url))
        .await
        .assert_redirect("/?error=used");
    assert_eq!(asked.get("/account").await.status, 303, "nobody signed in");
}

#[tokio::test]
async fn asking_is_limited_per_address_alike_for_every_address() {
    let app = email_app().await;
    for address in ["alice%40example.com", "nobody%40example.com"] {
        for _ in 0..5 {
            assert_eq!(ask(&app.client(), address).await.status, 200);
        }
        let limited = ask(&app.client(), address).await;
        assert_eq!(limited.status, 429, "{address}");
        assert!(limited.header("retry-after").is_some());
    }
    // Another user is not held back by them.
    assert_eq!(ask(&app.client(), "bob%40example.com").await.status, 200);
    assert_eq!(mails(&app, 6).await.len(), 6, "five for alice, one for bob");
}

#[tokio::test]
async fn cross_site_and_unreadable_posts_are_refused() {
    let app = email_app().await;
    let client = app.client();
    let cross = client
        .send(
            Method::POST,
            "/login/email",
            &[FORM, ("sec-fetch-site", "cross-site")],
            "email=alice%40example.com",
        )
        .await;
    assert_eq!(cross.status, 403);
    let twice = client
        .send(
            Method::POST,
            "/login/email",
            &[FORM],
            "email=a%40b.c&email=d%40e.f",
        )
        .await;
    assert_eq!(twice.status, 400);
    let not_an_address = ask(&client, "not-an-address").await;
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
    assert!(app.adapter.mails.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_mail_server_gets_every_address_the_retry_page() {
    let app = email_app().await;
    app.adapter
        .mail_fails
        .store(true, std::sync::atomic::Ordering::SeqCst);
    // The first request cannot know yet: the mail goes out after it.
    assert_eq!(ask(&app.client(), "alice%40example.com").await.status, 200);
    let mut retry = None;
    for _ in 0..200 {
        let reply = ask(&app.client(), "nobody%40example.com").await;
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
    let known = ask(&app.client(), "bob%40example.com").await;
    assert_eq!(known.status, 503);
    assert_eq!(known.text(), retry.text());
}

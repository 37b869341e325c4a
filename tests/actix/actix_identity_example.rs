//! examples/actix_identity.rs in-process: the app's password login through
//! actix-identity and a link login side by side, the step-up from one to
//! the other, and the logout.

#[allow(dead_code)]
#[path = "../../examples/actix_identity.rs"]
mod example;

use actix_web::cookie::Key;
use actix_web::{App, test};

use crate::in_process::Browser;

#[actix_web::test]
async fn link_logins_are_identity_logins_kept_to_the_whitelist() {
    let endpoints = example::endpoints(authlink::SecretKey::generate()).unwrap();
    let app = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .configure(example::pages)
            .wrap(endpoints.guard())
            .wrap(example::sessions(&endpoints, Key::generate(), false)),
    )
    .await;
    let mut webview = Browser { app, cookie: None };
    let created = webview
        .send(
            test::TestRequest::post()
                .uri("/api/authlink")
                .peer_addr(([127, 0, 0, 1], 40_000).into())
                .insert_header(("authorization", "Bearer alice-api-token"))
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"url": "/account"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let link = created.location.unwrap();
    let link = crate::http_support::path_of(&link).to_owned();
    let signed_in = webview.get(&link).await;
    assert_eq!(signed_in.location.as_deref(), Some("/account"));
    assert!(
        signed_in.cookies[0].contains("SameSite=Lax"),
        "{:?}",
        signed_in.cookies
    );
    assert_eq!(webview.get("/account").await.body, "Hello, alice");
    assert_eq!(webview.get("/admin").await.status, 403);

    // The person types the password in the webview: every page is open.
    let wrong = webview
        .send(
            test::TestRequest::post()
                .uri("/login")
                .peer_addr(([127, 0, 0, 1], 40_000).into())
                .set_form([("user", "alice"), ("password", "guess")]),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(webview.get("/admin").await.status, 403);
    let right = webview
        .send(
            test::TestRequest::post()
                .uri("/login")
                .peer_addr(([127, 0, 0, 1], 40_000).into())
                .set_form([("user", "alice"), ("password", "correct horse")]),
        )
        .await;
    assert_eq!(right.location.as_deref(), Some("/account"));
    assert_eq!(webview.get("/admin").await.body, "Admin page for alice");

    // And logging out ends it.
    webview.post("/logout").await;
    assert_eq!(webview.get("/account").await.location.as_deref(), Some("/"));
}

//! examples/actix.rs on a real actix server: a password login and a link
//! login on actix-session's cookie store, side by side under the guard.

#[allow(dead_code)]
#[path = "../../examples/actix.rs"]
mod example;
use crate::http_support;

use actix_web::cookie::Key;
use actix_web::{App, HttpServer};
use http::{Method, StatusCode};
use http_support::Client;

/// Serves the example on 127.0.0.1:0 in a thread of its own; the handle
/// stops it.
fn serve() -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    let endpoints = example::endpoints(authlink::SecretKey::generate()).unwrap();
    let routes = endpoints.routes();
    let key = Key::generate();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .configure(routes.clone())
                    .configure(example::pages)
                    .wrap(endpoints.guard())
                    .wrap(endpoints.sessions(example::sessions(key.clone(), false)))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
            sender.send(server.handle()).unwrap();
            server.await.unwrap();
        });
    });
    (addr, receiver.recv().unwrap())
}

#[tokio::test]
async fn password_and_link_logins_side_by_side() {
    let (addr, handle) = serve();
    // A person logs in with a password: every page is open.
    let person = Client::new(addr);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let wrong = person
        .send(Method::POST, "/login", &form, "user=alice&password=guess")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    person
        .send(
            Method::POST,
            "/login",
            &form,
            "user=alice&password=correct+horse",
        )
        .await
        .assert_redirect("/account");
    assert_eq!(person.get("/admin").await.text(), "Admin page for alice");

    // A webview logs in through a link: the whitelist only.
    let webview = Client::new(addr);
    let link = webview
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    let reply = webview.get(&link).await;
    reply.assert_redirect("/account");
    let cookie = reply.set_cookies()[0].to_owned();
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(webview.get("/account").await.text(), "Hello, alice");
    assert_eq!(webview.get("/admin").await.status, StatusCode::FORBIDDEN);
    // The link is spent; the failure page says why.
    let again = Client::new(addr);
    again.get(&link).await.assert_redirect("/?error=used");
    assert_eq!(
        again.get("/?error=used").await.text(),
        authlink::FailureReason::Used.message()
    );

    // Logging out ends the password session.
    person
        .send(Method::POST, "/logout", &[], "")
        .await
        .assert_redirect("/");
    person.get("/admin").await.assert_redirect("/");
    handle.stop(false).await;
}

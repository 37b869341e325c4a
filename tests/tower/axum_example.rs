//! examples/axum.rs served by axum itself: everything mounted by
//! `Endpoints::router` on tower-sessions, the peer address from
//! `ConnectInfo` (the `axum` feature).

#[allow(dead_code)]
#[path = "../../examples/axum.rs"]
mod example;
use crate::http_support;

use std::net::SocketAddr;

use http::StatusCode;
use http_support::Client;

#[tokio::test]
async fn axum_router_runs_the_whole_flow() {
    let router = example::router(authlink::SecretKey::generate()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let client = Client::new(addr);
    let link = client
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    // The client address came from ConnectInfo: another address is refused.
    Client::new(addr)
        .from("127.0.0.2")
        .get(&link)
        .await
        .assert_redirect("/?error=client_mismatch");
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.text(), crate::http_support::NOT_WHITELISTED_MESSAGE);
    client.get(&link).await.assert_redirect("/?error=used");
    assert_eq!(
        client.get("/?error=used").await.text(),
        "Link has already been used."
    );
    server.abort();
}

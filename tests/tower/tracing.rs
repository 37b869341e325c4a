//! The endpoints' log events, captured over a full create / consume / reuse /
//! mismatch / guard run: outcomes, reasons and user ids are there; the key,
//! the secret, session ids and raw client addresses are not.

use crate::http_support;

use crate::fixtures::secret;
use crate::log_capture::Capture;
use http_support::{Options, TestApp};

#[tokio::test]
async fn logs_carry_outcomes_but_no_secrets() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.subscriber()).unwrap();

    let app = TestApp::start(Options {
        trusted: "127.0.0.1/32".parse().unwrap(),
        ..Options::default()
    })
    .await;
    let client = app.client();
    let forwarded = [("x-forwarded-for", "198.51.100.7")];
    let link = client
        .create_with("alice-api-token", r#"{"url": "/account"}"#, &forwarded)
        .await
        .created_link();
    let key = link.rsplit('/').next().unwrap().to_owned();
    client
        .get_with(&link, &[("x-forwarded-for", "198.51.100.8")])
        .await
        .assert_redirect("/?error=client_mismatch");
    client
        .get_with(&link, &forwarded)
        .await
        .assert_redirect("/account");
    let session_id = client.cookie("sid").unwrap();
    client.get("/admin").await;
    client
        .get_with(&link, &forwarded)
        .await
        .assert_redirect("/?error=used");
    let refused = client
        .create_with("alice-api-token", r#"{"url": "/admin"}"#, &forwarded)
        .await;
    assert_eq!(refused.status, http::StatusCode::BAD_REQUEST);

    // A server that gives the endpoints no peer address: a 500 and the fix
    // in the log, never the client's 400.
    let without_peer = |request: http::Request<http_body_util::Full<bytes::Bytes>>| {
        let (mut parts, body) = request.into_parts();
        parts.extensions.remove::<authlink::http::PeerAddr>();
        http::Request::from_parts(parts, body)
    };
    let create = http::Request::post("/api/authlink")
        .header("authorization", "Bearer alice-api-token")
        .header("content-type", "application/json")
        .body(http_body_util::Full::from(r#"{"url": "/account"}"#))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.endpoints.create_service(), without_peer(create))
        .await
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    let consume = http::Request::get(http_support::path_of(&link))
        .body(http_body_util::Full::default())
        .unwrap();
    let response =
        tower::ServiceExt::oneshot(app.endpoints.consume_service(), without_peer(consume))
            .await
            .unwrap();
    assert_eq!(response.status(), http::StatusCode::INTERNAL_SERVER_ERROR);

    let log = capture.text();
    assert!(
        log.contains("ERROR")
            && log.contains("into_make_service_with_connect_info::<SocketAddr>()"),
        "{log}"
    );
    for expected in [
        "outcome=\"issued\"",
        "outcome=\"logged_in\"",
        "reason=\"client_mismatch\"",
        "reason=\"used\"",
        "outcome=\"forbidden\"",
        "reason=\"not_whitelisted\"",
        "user=\"alice\"",
    ] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
    let secret = secret().to_base64();
    let forbidden = [
        ("the key", key.as_str()),
        ("the start of the key", &key[..16]),
        ("the end of the key", &key[key.len() - 16..]),
        ("the secret", secret.as_str()),
        ("the session id", session_id.as_str()),
        ("the client address", "198.51.100.7"),
        ("the other client address", "198.51.100.8"),
        ("the proxy address", "127.0.0.1"),
    ];
    for (what, text) in forbidden {
        assert!(!log.contains(text), "{what} appears in the log:\n{log}");
    }
}

//! The framework-neutral decisions every web adapter shares, as a table;
//! and every text replaced, as an app translating them sees it over HTTP.

use crate::http_support;

use authlink::FailureReason;
use authlink::web::{
    ConfirmPage, ConsumeMode, ConsumeRequest, ConsumeStep, CreateRefusal, Messages, consume_step,
    target_from_body,
};
use http::{Method, StatusCode};
use http_support::{Options, TestApp};

/// Mode, method, `Sec-Fetch-Site`, `Origin`, and the step expected.
type Case = (
    ConsumeMode,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    ConsumeStep,
);

#[test]
fn consume_steps() {
    use ConsumeMode::{Direct, PrefetchSafe};
    use ConsumeStep::{Confirm, Consume, MethodNotAllowed, Probe, Refuse};
    let cross = Refuse(FailureReason::CrossSite);
    let host = Some("app.example");
    let submits = Confirm(ConfirmPage::AutoSubmit);
    let waits = Confirm(ConfirmPage::ButtonOnly);
    #[rustfmt::skip]
    let cases: [Case; 21] = [
        (Direct, "GET", None, None, Consume),
        // A GET is a navigation: cross-site by nature when it comes from a mail.
        (Direct, "GET", Some("cross-site"), None, Consume),
        // The confirmation page submits itself only for a navigation no
        // other site brought: a webview, a typed link, the app's own page.
        (PrefetchSafe, "GET", Some("none"), None, submits),
        (PrefetchSafe, "GET", Some("same-origin"), None, submits),
        (PrefetchSafe, "GET", Some("cross-site"), None, waits),
        (PrefetchSafe, "GET", Some("same-site"), None, waits),
        (PrefetchSafe, "GET", Some("bogus"), None, waits),
        (PrefetchSafe, "GET", None, None, waits),
        (PrefetchSafe, "HEAD", None, None, Probe),
        (Direct, "HEAD", None, None, Probe),
        (PrefetchSafe, "PUT", None, None, MethodNotAllowed),
        (PrefetchSafe, "POST", Some("same-origin"), Some("https://app.example"), Consume),
        (PrefetchSafe, "POST", Some("none"), None, Consume),
        (PrefetchSafe, "POST", Some("cross-site"), None, cross),
        (PrefetchSafe, "POST", Some("same-site"), None, cross),
        (Direct, "POST", Some("cross-site"), None, cross),
        // Without Sec-Fetch-Site, Origin decides.
        (PrefetchSafe, "POST", None, Some("https://app.example"), Consume),
        (PrefetchSafe, "POST", None, Some("https://evil.example"), cross),
        (PrefetchSafe, "POST", None, Some("null"), cross),
        (PrefetchSafe, "POST", None, Some("garbage"), cross),
        // Neither header: not a browser, nothing to forge a login with.
        (PrefetchSafe, "POST", None, None, Consume),
    ];
    for (mode, method, site, origin, expected) in cases {
        let request = ConsumeRequest {
            method,
            sec_fetch_site: site,
            origin,
            host,
        };
        assert_eq!(
            consume_step(mode, ConfirmPage::AutoSubmit, &request),
            expected,
            "{mode:?} {method} {site:?} {origin:?}"
        );
    }
    // Configured button-only, the page never submits itself.
    let webview = ConsumeRequest {
        method: "GET",
        sec_fetch_site: Some("none"),
        ..ConsumeRequest::default()
    };
    assert_eq!(
        consume_step(PrefetchSafe, ConfirmPage::ButtonOnly, &webview),
        waits
    );
}

#[test]
fn create_bodies() {
    assert_eq!(target_from_body(br#"{"url": "/a"}"#), Ok("/a".to_owned()));
    assert_eq!(target_from_body(b"{}"), Err(CreateRefusal::UrlRequired));
    assert_eq!(
        target_from_body(br#"{"url": 1}"#),
        Err(CreateRefusal::UrlNotAString)
    );
    assert_eq!(target_from_body(b"[]"), Err(CreateRefusal::NotAnObject));
    assert!(matches!(
        target_from_body(b"{"),
        Err(CreateRefusal::MalformedJson(_))
    ));
    assert_eq!(CreateRefusal::TooLarge.status(), 413);
    assert_eq!(
        CreateRefusal::NotWhitelisted.body(&Messages::default()),
        serde_json::json!({ "url": ["URL specified is not whitelisted"] })
    );
}

#[test]
fn confirm_pages() {
    let messages = Messages::default();
    let auto = ConfirmPage::AutoSubmit.html(&messages);
    assert!(auto.contains("<script>"));
    let button = ConfirmPage::ButtonOnly.html(&messages);
    assert!(!button.contains("<script"));
    assert!(button.contains("<button type=\"submit\">Continue</button>"));
    assert!(
        !ConfirmPage::ButtonOnly
            .content_security_policy()
            .contains("script-src")
    );
}

#[tokio::test]
async fn every_text_can_be_replaced() {
    let mut messages = Messages::default();
    messages.forbidden = "Nicht erlaubt.".into();
    messages.url_not_whitelisted = "URL nicht freigegeben".into();
    messages.confirm_button = "Weiter".into();
    let messages = messages.with_failure(FailureReason::Used, "Schon benutzt.");
    assert_eq!(messages.failure(FailureReason::Used), "Schon benutzt.");
    let app = TestApp::start(Options {
        mode: ConsumeMode::PrefetchSafe,
        messages: Some(messages),
        ..Options::default()
    })
    .await;
    let client = app.client();
    client
        .create("alice-api-token", r#"{"url": "/admin"}"#)
        .await
        .assert_bad_request(serde_json::json!({ "url": ["URL nicht freigegeben"] }));
    let link = app.link_for(&client, "/account").await;
    assert!(client.get(&link).await.text().contains(">Weiter</button>"));
    client
        .send(Method::POST, &link, &[], "")
        .await
        .assert_redirect("/account");
    let admin = client.get("/admin").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.text(), "Nicht erlaubt.");
}

//! The confirmation pages, and every text replaced, as an app translating
//! them sees it over HTTP.

use crate::http_support;

use authlink::FailureReason;
use authlink::web::{ConfirmPage, ConsumeMode, Messages};
use http::{Method, StatusCode};
use http_support::{Options, TestApp};

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

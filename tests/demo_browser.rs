//! The demo driven by headless Chromium the way an app's webview opens a
//! link: follow the Location from the API, end on `/account` showing
//! `Hello, alice` (direct and prefetch-safe modes), then open the same link
//! again in the same browser and end on the failure page.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`); `.ci/run`
//! installs it. Without it the test fails rather than pass unchecked.
#![cfg(feature = "tower-sessions")]
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_support;
mod demo_support;
mod http_support;

use browser_support::Browser;
use http_support::Client;

async fn webview_flow(vars: &[(&str, &str)]) {
    let demo = demo_support::start(vars).await;
    let api = Client::new(demo.addr);
    let location = api
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();

    let mut browser = Browser::launch().await;
    let page = browser.open(&location, "/account").await;
    assert!(page.text.contains("Hello, alice"), "{page:?}");
    assert!(page.text.contains("Signed in with a link."), "{page:?}");
    let cookies = browser.cookies(&demo.base).await;
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0]["httpOnly"], true, "{cookies:?}");
    assert_eq!(cookies[0]["sameSite"], "Lax", "{cookies:?}");

    // The link session stays on the whitelist.
    let admin = browser
        .open(&format!("{}/admin", demo.base), "/admin")
        .await;
    assert_eq!(
        admin.text,
        "That URL is not whitelisted for your authentication method."
    );

    // The same webview opens the same link again.
    let again = browser.open(&location, "/").await;
    assert_eq!(again.path, "/?error=used");
    assert!(
        again.text.contains("Link has already been used."),
        "{again:?}"
    );
    assert!(!again.text.contains("Hello"), "{again:?}");

    // And a browser of its own, which never had a session.
    let mut other = Browser::launch().await;
    let fresh = other.open(&location, "/").await;
    assert_eq!(fresh.path, "/?error=used");
}

#[tokio::test]
async fn direct_mode_in_chromium() {
    webview_flow(&[]).await;
}

#[tokio::test]
async fn prefetch_safe_mode_in_chromium() {
    webview_flow(&[("AUTHLINK_CONFIRM", "1")]).await;
}

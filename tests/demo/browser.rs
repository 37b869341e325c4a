//! The demo driven by headless Chromium (through chromiumoxide) the way a
//! link reaches a person: the API hands out a link, a page on another site
//! links to it, the person follows it and must land on `/account` showing
//! `Hello, alice`, in direct and prefetch-safe modes. That shows the session
//! cookie (`SameSite=Lax`) survives the redirect that ends a navigation
//! started on another site, where `SameSite=Strict` would drop it. Then the
//! same link again, in the same browser and in a fresh one, ends on the
//! failure page.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`); `.ci/run`
//! installs it. Without it the test fails rather than pass unchecked.

use crate::browser_support;
use crate::demo_support;
use crate::http_support;

use browser_support::Browser;
use http_support::Client;

/// A page on another site (127.0.0.2 is another host than the demo's
/// 127.0.0.1) with one link to `link`.
async fn other_site(link: &str) -> (String, tokio::task::JoinHandle<()>) {
    let page = format!("<!doctype html><a id=\"go\" href=\"{link}\">Sign in</a>");
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(page) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (format!("http://{addr}/"), server)
}

async fn webview_flow(vars: &[(&str, &str)]) {
    let demo = demo_support::start(vars).await;
    let api = Client::new(demo.addr);
    let location = api
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    let (elsewhere, other_site) = other_site(&location).await;

    let mut browser = Browser::launch().await;
    browser.open(&elsewhere, "/").await;
    let page = browser.click("#go", "/account").await;
    assert!(page.text.contains("Hello, alice"), "{page:?}");
    assert!(page.text.contains("Signed in with a link."), "{page:?}");
    let cookies = browser.cookies().await;
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0].name, "demo_session", "{cookies:?}");
    assert!(cookies[0].http_only, "{cookies:?}");
    assert!(Browser::is_lax(&cookies[0]), "{cookies:?}");
    // The demo turned Secure off, by name, for its loopback HTTP.
    assert!(!cookies[0].secure, "{cookies:?}");

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
    other_site.abort();
}

#[tokio::test]
async fn direct_mode_in_chromium() {
    webview_flow(&[]).await;
}

#[tokio::test]
async fn prefetch_safe_mode_in_chromium() {
    webview_flow(&[("AUTHLINK_CONFIRM", "1")]).await;
}

//! The demo driven by headless Chromium (through chromiumoxide) the way a
//! link reaches a person: the API hands out a link, a page on another site
//! links to it, the person follows it and must land on `/account` showing
//! `Hello, alice`, in direct and prefetch-safe modes. That shows the session
//! cookie (`SameSite=Lax`) survives the redirect that ends a navigation
//! started on another site, where `SameSite=Strict` would drop it. Then the
//! same link again, in the same browser and in a fresh one, ends on the
//! failure page.
//!
//! In prefetch-safe mode, a link another site sends the browser to (a click
//! or a script's navigation) shows the confirmation page without its
//! script: no one is signed in until the person presses the button. The
//! same link opened directly, as a webview does, signs in without a click.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`); `.ci/run`
//! installs it. Without it the test fails rather than pass unchecked.

use crate::browser_support;
use crate::demo_support;
use crate::http_support;
use demo_support::Stack;

use browser_support::Browser;
use http_support::Client;

/// A page on another site (127.0.0.2 is another host than the demo's
/// 127.0.0.1) with one link to `link` at `/`, and at `/navigate` a script
/// that sends the browser there by itself.
async fn other_site(link: &str) -> (String, tokio::task::JoinHandle<()>) {
    let page = format!("<!doctype html><a id=\"go\" href=\"{link}\">Sign in</a>");
    let navigate = format!("<!doctype html><script>location.href = \"{link}\";</script>");
    let router = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async { axum::response::Html(page) }),
        )
        .route(
            "/navigate",
            axum::routing::get(|| async { axum::response::Html(navigate) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (format!("http://{addr}/"), server)
}

async fn webview_flow(stack: Stack, vars: &[(&str, &str)]) {
    let demo = stack.start(vars).await;
    let api = Client::new(demo.addr);
    let location = api
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    let (elsewhere, other_site) = other_site(&location).await;

    let mut browser = Browser::launch().await;
    let page = if vars.contains(&("AUTHLINK_CONFIRM", "1")) {
        prefetch_safe_from_another_site(&demo.base, &location, &elsewhere, &mut browser).await
    } else {
        browser.open(&elsewhere, "/").await;
        browser.click("#go", "/account").await
    };
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

/// Another site sends the browser to a prefetch-safe link, by a script and
/// by a person's click: the page waits for the button, and no one is
/// signed in until it is pressed. Returns the page the press leads to.
async fn prefetch_safe_from_another_site(
    base: &str,
    link: &str,
    elsewhere: &str,
    browser: &mut Browser,
) -> browser_support::Page {
    let link_path = http_support::path_of(link).to_owned();
    let navigated = browser
        .open(&format!("{elsewhere}navigate"), &link_path)
        .await;
    assert!(
        navigated.text.contains("Press the button to sign in."),
        "{navigated:?}"
    );
    // Time for a script to have submitted the form, had the page one.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let nobody = browser.open(&format!("{base}/account"), "/login").await;
    assert!(!nobody.text.contains("Hello"), "{nobody:?}");

    browser.open(elsewhere, "/").await;
    let clicked = browser.click("#go", &link_path).await;
    assert!(
        clicked.text.contains("Press the button to sign in."),
        "{clicked:?}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let still = browser.open(&format!("{base}/account"), "/login").await;
    assert!(!still.text.contains("Hello"), "{still:?}");

    // The person presses the button on the page the click brought.
    browser.open(elsewhere, "/").await;
    browser.click("#go", &link_path).await;
    browser.click("button", "/account").await
}

/// The same prefetch-safe link opened directly (as a webview or a pasted
/// link is: `Sec-Fetch-Site: none`) signs in with no click.
async fn prefetch_safe_link_opened_directly_signs_in_without_a_click(stack: Stack) {
    let demo = stack.start(&[("AUTHLINK_CONFIRM", "1")]).await;
    let location = Client::new(demo.addr)
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    let mut browser = Browser::launch().await;
    let page = browser.open(&location, "/account").await;
    assert!(page.text.contains("Hello, alice"), "{page:?}");
}

async fn direct_mode_in_chromium(stack: Stack) {
    webview_flow(stack, &[]).await;
}

async fn prefetch_safe_mode_in_chromium(stack: Stack) {
    webview_flow(stack, &[("AUTHLINK_CONFIRM", "1")]).await;
}

crate::on_both_demos!(
    prefetch_safe_link_opened_directly_signs_in_without_a_click,
    direct_mode_in_chromium,
    prefetch_safe_mode_in_chromium,
);

//! The demo driven by headless Chromium the way an app's webview opens a
//! link: follow the Location from the API, end on `/account` showing
//! `Hello, alice` (direct and prefetch-safe modes), and see the failure page
//! when the same link is opened again.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`); `.ci/run`
//! installs it. Without it the test fails rather than pass unchecked.
#![cfg(feature = "http")]

mod demo_support;
mod http_support;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use http_support::Client;
use tokio::process::Command;

/// How long one page load may take, script and redirects included.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn chromium() -> PathBuf {
    let candidates = ["chromium", "chromium-browser"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| candidates.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed for this test and was not found on PATH; \
                 install it with `apt-get install -y chromium`"
            )
        })
}

/// A browser profile directory, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("authlink-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Opens `url` in headless Chromium with `profile` and returns the DOM of
/// the page it ends on, after script, form posts and redirects.
async fn open(profile: &Profile, url: &str) -> String {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "only loopback pages are opened: {url}"
    );
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            // Resolve no host name at all: nothing but the loopback page is reached.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--dump-dom",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(BROWSER_TIMEOUT, command.output())
        .await
        .expect("Chromium did not finish in time")
        .expect("Chromium could not be started");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && !dom.is_empty(),
        "Chromium failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

async fn webview_flow(vars: &[(&str, &str)]) {
    let demo = demo_support::start(vars).await;
    let api = Client::new(demo.addr);
    let reply = api
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let location = reply.header("location").unwrap().to_owned();

    let profile = Profile::new("webview");
    let page = open(&profile, &location).await;
    assert!(
        page.contains("Hello, alice"),
        "did not end on the account page:\n{page}"
    );
    assert!(page.contains("Signed in with a link."), "{page}");

    // The same webview opening the same link again.
    let again = open(&profile, &location).await;
    assert!(
        again.contains("Link has already been used."),
        "did not end on the failure page:\n{again}"
    );
    assert!(!again.contains("Hello, alice"), "{again}");
    // And a fresh one.
    let fresh = open(&Profile::new("fresh"), &location).await;
    assert!(fresh.contains("Link has already been used."), "{fresh}");
}

#[tokio::test]
async fn direct_mode_in_chromium() {
    webview_flow(&[]).await;
}

#[tokio::test]
async fn prefetch_safe_mode_in_chromium() {
    webview_flow(&[("AUTHLINK_CONFIRM", "1")]).await;
}

//! Headless Chromium driven with chromiumoxide: one browser, one tab,
//! cookies kept between navigations, as in an app's webview.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chromiumoxide::browser::{Browser as Chromium, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::network::{Cookie, CookieSameSite};
use chromiumoxide::page::Page as Tab;
use futures::StreamExt as _;
use tokio::task::JoinHandle;

/// How long a navigation may take to settle, script and redirects included.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

/// The Chromium binary, or a failure saying how to install it.
pub fn chromium() -> PathBuf {
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

/// A page as the browser shows it once it has settled.
#[derive(Debug)]
pub struct Page {
    /// Path and query of the URL the browser ended on.
    pub path: String,
    /// The body's text.
    pub text: String,
}

/// A running headless Chromium with a fresh profile and one tab. Dropping
/// it kills the browser and removes the profile, also when a test fails.
pub struct Browser {
    chromium: Chromium,
    tab: Tab,
    handler: JoinHandle<()>,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.handler.abort();
        // chromiumoxide starts Chromium with kill-on-drop; the profile goes
        // once its processes have let go of it.
        for _ in 0..50 {
            if std::fs::remove_dir_all(&self.profile).is_ok() || !self.profile.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Browser {
    pub async fn launch() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let profile = std::env::temp_dir().join(format!(
            "authlink-browser-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let config = BrowserConfig::builder()
            .chrome_executable(chromium())
            .new_headless_mode()
            // Tests run as root in containers, where the sandbox cannot start.
            .no_sandbox()
            .user_data_dir(&profile)
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .build()
            .unwrap();
        let (chromium, mut events) = Chromium::launch(config).await.unwrap();
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        let tab = chromium.new_page("about:blank").await.unwrap();
        Self {
            chromium,
            tab,
            handler,
            profile,
        }
    }

    /// Navigates to `url` and waits until the tab shows a URL whose path
    /// is `path` (the query aside) and the document has loaded.
    pub async fn open(&mut self, url: &str, path: &str) -> Page {
        self.tab.goto(url).await.unwrap();
        self.settle(path).await
    }

    /// Clicks the element `selector` and waits as [`open`](Self::open) does.
    pub async fn click(&mut self, selector: &str, path: &str) -> Page {
        self.tab
            .find_element(selector)
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.settle(path).await
    }

    /// Types `text` into the element `selector`, as a person would.
    pub async fn type_into(&mut self, selector: &str, text: &str) {
        self.tab
            .find_element(selector)
            .await
            .unwrap()
            .click()
            .await
            .unwrap()
            .type_str(text)
            .await
            .unwrap();
    }

    async fn settle(&mut self, path: &str) -> Page {
        let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
        loop {
            let url = self.tab.url().await.unwrap().unwrap_or_default();
            let here = path_and_query(&url);
            let ready: String = self
                .tab
                .evaluate("document.readyState")
                .await
                .ok()
                .and_then(|value| value.into_value().ok())
                .unwrap_or_default();
            if here.split('?').next() == Some(path) && ready == "complete" {
                let text: String = self
                    .tab
                    .evaluate("document.body ? document.body.innerText : ''")
                    .await
                    .unwrap()
                    .into_value()
                    .unwrap();
                return Page {
                    path: here.to_owned(),
                    text: text.trim().to_owned(),
                };
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never reached {path}; the tab shows {url}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The cookies the browser holds for the tab's current site.
    pub async fn cookies(&self) -> Vec<Cookie> {
        self.tab.get_cookies().await.unwrap()
    }

    /// Whether `cookie` is `SameSite=Lax`.
    pub fn is_lax(cookie: &Cookie) -> bool {
        cookie.same_site == Some(CookieSameSite::Lax)
    }

    /// The browser, for anything else.
    pub fn chromium(&self) -> &Chromium {
        &self.chromium
    }
}

/// The path and query of an absolute URL.
fn path_and_query(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

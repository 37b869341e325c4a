//! Headless Chromium driven over the DevTools protocol: one browser, one
//! tab, cookies kept between navigations, as in an app's webview. A minimal
//! WebSocket client (text frames only) carries the protocol.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long Chromium may take to start, or to answer one command.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
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

/// A running headless Chromium with a fresh profile and one tab. Dropping
/// it kills the browser and removes the profile, also when a test fails.
pub struct Browser {
    child: Child,
    profile: PathBuf,
    socket: Option<TcpStream>,
    session: String,
    next_id: u64,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // Reap it so nothing outlives the test; SIGKILL ends it at once.
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Its helper processes may still be writing there for a moment.
        for _ in 0..50 {
            if std::fs::remove_dir_all(&self.profile).is_ok() || !self.profile.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where a navigation ended, and what the page says.
#[derive(Debug)]
pub struct Page {
    /// Path and query of the final URL.
    pub path: String,
    /// The page's visible text.
    pub text: String,
}

impl Browser {
    pub async fn launch() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let profile =
            std::env::temp_dir().join(format!("authlink-chromium-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&profile).unwrap();
        let log = std::fs::File::create(profile.join("chromium.log")).unwrap();
        let child = Command::new(chromium())
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
                // Resolve no host name at all: only loopback pages are reached.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("Chromium could not be started");
        let mut browser = Self {
            child,
            profile,
            socket: None,
            session: String::new(),
            next_id: 0,
        };
        let (port, path) = browser.devtools_endpoint().await;
        browser.socket = Some(websocket(port, &path).await);
        let target = browser
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let target_id = target["targetId"].as_str().unwrap().to_owned();
        let attached = browser
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    /// The port and path Chromium writes to `DevToolsActivePort` once it listens.
    async fn devtools_endpoint(&mut self) -> (u16, String) {
        let file = self.profile.join("DevToolsActivePort");
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    return (port.parse().unwrap(), path.to_owned());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "Chromium exited ({status}) before listening:\n{}",
                    self.log()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Chromium did not start:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.join("chromium.log")).unwrap_or_default()
    }

    /// Opens `url` in the tab and waits until the page at `expected_path`
    /// (a path without query) has loaded.
    pub async fn open(&mut self, url: &str, expected_path: &str) -> Page {
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "only loopback pages are opened: {url}"
        );
        let session = Some(self.session.clone());
        self.call(session.clone(), "Page.navigate", json!({ "url": url }))
            .await;
        let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
        let mut last = None;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            let state = self
                .call(
                    session.clone(),
                    "Runtime.evaluate",
                    json!({
                        "expression": "[document.readyState, location.pathname, location.search, \
                                       document.body ? document.body.innerText : '']",
                        "returnByValue": true,
                    }),
                )
                .await;
            // Between documents there is no context to evaluate in: try again.
            let Some(values) = state["result"]["value"].as_array().cloned() else {
                continue;
            };
            let text = |i: usize| values[i].as_str().unwrap_or_default().to_owned();
            if text(0) == "complete" && text(1) == expected_path {
                return Page {
                    path: text(1) + &text(2),
                    text: text(3),
                };
            }
            last = Some(values);
        }
        panic!("the page did not settle on {expected_path}; last seen: {last:?}");
    }

    /// The cookies the browser holds for `url`.
    pub async fn cookies(&mut self, url: &str) -> Vec<Value> {
        let session = Some(self.session.clone());
        let reply = self
            .call(session, "Network.getCookies", json!({ "urls": [url] }))
            .await;
        reply["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// Sends one command and returns its result; events are skipped.
    async fn call(&mut self, session: Option<String>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = Value::String(session);
        }
        let socket = self.socket.as_mut().unwrap();
        let exchange = async {
            send_text(socket, &message.to_string()).await;
            loop {
                let reply: Value = serde_json::from_str(&read_text(socket).await).unwrap();
                if reply["id"] == id {
                    return reply;
                }
            }
        };
        let reply = tokio::time::timeout(STEP_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| panic!("Chromium did not answer {method}"));
        // Evaluation errors during navigation are expected; others are not.
        if let Some(error) = reply.get("error") {
            assert_eq!(method, "Runtime.evaluate", "{method} failed: {error}");
            return Value::Null;
        }
        reply["result"].clone()
    }
}

async fn websocket(port: u16, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let handshake = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    socket.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
        assert!(head.len() < 4096, "handshake answer too long");
    }
    let head = String::from_utf8_lossy(&head);
    assert!(
        head.starts_with("HTTP/1.1 101"),
        "DevTools refused the WebSocket: {head}"
    );
    socket
}

/// One masked text frame, as a client must send.
async fn send_text(socket: &mut TcpStream, text: &str) {
    let payload = text.as_bytes();
    let mask = [0x5a, 0x13, 0xc7, 0x8e];
    let mut frame = vec![0x81];
    match payload.len() {
        len @ 0..126 => frame.push(0x80 | len as u8),
        len @ 126..65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    socket.write_all(&frame).await.unwrap();
}

/// The next text message, reassembled from its frames.
async fn read_text(socket: &mut TcpStream) -> String {
    let mut message = Vec::new();
    loop {
        let mut head = [0u8; 2];
        socket.read_exact(&mut head).await.unwrap();
        let fin = head[0] & 0x80 != 0;
        let opcode = head[0] & 0x0f;
        let len = match head[1] & 0x7f {
            126 => u64::from(socket.read_u16().await.unwrap()),
            127 => socket.read_u64().await.unwrap(),
            len => u64::from(len),
        };
        let mut mask = [0u8; 4];
        if head[1] & 0x80 != 0 {
            socket.read_exact(&mut mask).await.unwrap();
        }
        assert!(len < 64 << 20, "DevTools message too large: {len}");
        let mut payload = vec![0u8; len as usize];
        socket.read_exact(&mut payload).await.unwrap();
        payload
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b ^= mask[i % 4]);
        match opcode {
            0 | 1 => message.extend_from_slice(&payload),
            8 => panic!("Chromium closed the DevTools connection"),
            // Ping, pong: not part of any message.
            _ => continue,
        }
        if fin {
            return String::from_utf8(message).unwrap();
        }
    }
}

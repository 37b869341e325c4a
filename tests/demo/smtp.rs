//! What `SmtpMailer` hands a real SMTP server (aiosmtpd from PyPI, started
//! on a free loopback port with a Maildir the test reads): one multipart mail to the
//! address, with the link and the code on a line of its own in the text
//! part and the same link, escaped, in the HTML part.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use authlink::mail::{Address, Mailer as _, Outgoing, SmtpMailer};

use crate::demo_support::Stack;

/// aiosmtpd with its Mailbox handler, killed when dropped.
pub(crate) struct SmtpServer {
    child: Child,
    addr: SocketAddr,
    maildir: PathBuf,
}

impl SmtpServer {
    pub(crate) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let maildir =
            std::env::temp_dir().join(format!("authlink-smtp-{}-{port}", std::process::id()));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd; .ci/run installs it)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let server = Self {
            child,
            addr,
            maildir,
        };
        let start = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start: is it installed?"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The mails delivered so far, raw.
    pub(crate) fn mails(&self) -> Vec<String> {
        let new = self.maildir.join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn outgoing(url: &str) -> Outgoing {
    Outgoing::new(
        Address::parse("alice@example.com").unwrap(),
        url.to_owned(),
        mailed_code(),
        time::OffsetDateTime::UNIX_EPOCH,
        Duration::from_secs(15 * 60),
    )
}

/// A code through the public API: the one a real sign-in mails.
fn mailed_code() -> authlink::mail::Code {
    use authlink::mail::{MailPolicy, MailSignIn};
    let mut policy = authlink::Policy::default();
    policy.whitelist = authlink::Whitelist::new(["/account"]).unwrap();
    let authlink = authlink::Authlink::new(
        authlink::KeyRing::from(authlink::SecretKey::generate()),
        "mail test",
        policy,
    )
    .unwrap();
    let mail = MailSignIn::new(authlink, MailPolicy::default()).unwrap();
    let address = Address::parse("alice@example.com").unwrap();
    mail.start(&address, Some(&1u64), "/account")
        .unwrap()
        .mail
        .unwrap()
        .code
}

/// The body of a mail with quoted-printable soft breaks joined and `=XX`
/// escapes undone, so text split by the transfer encoding reads whole.
pub(crate) fn unfolded(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut rest = joined.as_str();
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let hex = rest
            .get(at + 1..at + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 3..];
            }
            None => {
                out.push('=');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn wait_for_mail(server: &SmtpServer) -> String {
    let start = Instant::now();
    loop {
        if let Some(mail) = server.mails().into_iter().next() {
            return mail;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no mail arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn the_mail_carries_the_link_and_the_code_on_a_line_of_its_own() {
    let server = SmtpServer::start();
    let mailer = SmtpMailer::from_url(&server.url(), "Sign-in <signin@app.example>").unwrap();
    let url = "https://app.example/login/email/AgABc2lnbmVk-_x?a=1&b=2";
    let mail = outgoing(url);
    let code = mail.code.as_str().to_owned();
    mailer.send(mail).await.unwrap();
    let raw = wait_for_mail(&server);
    let text = unfolded(&raw);
    assert!(raw.contains("To: alice@example.com"), "{raw}");
    assert!(raw.contains("From: Sign-in <signin@app.example>"), "{raw}");
    assert!(raw.contains("Subject: Your sign-in link"), "{raw}");
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(
        text.contains("text/plain") && text.contains("text/html"),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line.trim_end() == code),
        "the code on a line of its own: {text}"
    );
    assert!(
        text.lines().any(|line| line.trim_end() == url),
        "the link whole: {text}"
    );
    assert!(
        text.contains("href=\"https://app.example/login/email/AgABc2lnbmVk-_x?a=1&amp;b=2\""),
        "the link escaped in the HTML part: {text}"
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_a_typed_error_without_secrets() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer =
        SmtpMailer::from_url(&format!("smtp://127.0.0.1:{port}"), "signin@app.example").unwrap();
    let mail = outgoing("https://app.example/login/email/SECRET-TOKEN");
    let code = mail.code.as_str().to_owned();
    let err = mailer.send(mail).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert_eq!(err.to_string(), "the SMTP server did not take the mail");
    assert!(std::error::Error::source(&err).is_some());
    for secret in ["SECRET-TOKEN", "alice@example.com", code.as_str()] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn plain_smtp_leaves_the_machine_never() {
    for url in [
        "smtp://mail.example.com",
        "smtp://192.0.2.1:25",
        "smtp://mail.example.com?tls=opportunistic",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        assert!(
            SmtpMailer::from_url(url, "signin@app.example").is_err(),
            "{url}"
        );
    }
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://[::1]:2525",
        "smtp://localhost:2525",
        "smtps://user:pass@mail.example.com",
        "smtp://user:pass@mail.example.com?tls=required",
    ] {
        let mailer = SmtpMailer::from_url(url, "signin@app.example").unwrap();
        assert!(!format!("{mailer:?}").contains("pass"), "{url}");
    }
    assert!(SmtpMailer::from_url("smtp://127.0.0.1:2525", "not an address").is_err());
}

/// The link and the code of the sign-in mail to `to`, once it arrived.
pub(crate) async fn sign_in_mail(server: &SmtpServer, to: &str) -> (String, String) {
    let start = Instant::now();
    loop {
        for raw in server.mails() {
            if !raw.contains(&format!("To: {to}")) {
                continue;
            }
            let text = unfolded(&raw);
            let link = text
                .lines()
                .map(str::trim_end)
                .find(|line| line.starts_with("http") && line.contains("/login/email/"))
                .expect("a link line")
                .to_owned();
            let code = text
                .lines()
                .map(str::trim_end)
                .find(|line| line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit()))
                .expect("a code line")
                .to_owned();
            return (link, code);
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no mail to {to}");
        // The demo's runtime sends the mail: yield to it, never block it.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The demo with mail through a real SMTP server: a known and an unknown
/// address answered alike and only one mail; the link opened in another
/// browser changes nothing; the code finishes in the browser that asked.
async fn the_demo_signs_in_by_mail_through_a_real_smtp_server(stack: Stack) {
    use crate::http_support::{Client, path_of};
    use http::Method;

    let server = SmtpServer::start();
    let demo = stack.start(&[("AUTHLINK_SMTP_URL", &server.url())]).await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let ask = async |client: &Client, address: &str| {
        client
            .send(
                Method::POST,
                "/login/email",
                &form,
                format!("email={address}"),
            )
            .await
    };
    let (asked, stranger, phone) = (
        Client::new(demo.addr),
        Client::new(demo.addr),
        Client::new(demo.addr),
    );
    let known = ask(&asked, "alice@example.com").await;
    let unknown = ask(&stranger, "nobody@example.com").await;
    assert_eq!(known.status, 200);
    assert_eq!(
        known.text().replace("alice@example.com", "X"),
        unknown.text().replace("nobody@example.com", "X")
    );
    let (link, code) = sign_in_mail(&server, "alice@example.com").await;
    assert!(link.starts_with(&demo.base), "{link}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.mails().len(), 1, "no mail for an unknown address");
    let elsewhere = phone.get(path_of(&link)).await;
    assert_eq!(elsewhere.status, 200);
    assert!(
        elsewhere
            .text()
            .contains("Finish signing in where you asked")
    );
    asked
        .send(
            Method::POST,
            "/login/email/code",
            &form,
            format!("email=alice@example.com&code={code}&next=/account"),
        )
        .await
        .assert_redirect("/account");
    assert!(asked.get("/account").await.text().contains("Hello, alice"));
}

/// Email sign-in as a person does it in Chromium, the mail read from a
/// real SMTP server: asked in one browser, the link opened in another
/// (nothing happens, the link stays good) and then in the first (signed
/// in); and asked in a third, finished there with the code after the link
/// was opened elsewhere.
async fn email_sign_in_in_chromium(stack: Stack) {
    use crate::browser_support::Browser;

    let server = SmtpServer::start();
    let demo = stack.start(&[("AUTHLINK_SMTP_URL", &server.url())]).await;
    let login = format!("{}/login", demo.base);
    let ask = async |browser: &mut Browser, address: &str| {
        browser.open(&login, "/login").await;
        browser
            .type_into("form[action=\"/login/email\"] input[name=email]", address)
            .await;
        let page = browser
            .click("form[action=\"/login/email\"] button", "/login/email")
            .await;
        assert!(page.text.contains("Check your mail"), "{page:?}");
    };

    let mut asked = Browser::launch().await;
    let mut elsewhere = Browser::launch().await;
    ask(&mut asked, "alice@example.com").await;
    let (link, _) = sign_in_mail(&server, "alice@example.com").await;
    let path = path_of_link(&link);
    let page = elsewhere.open(&link, &path).await;
    assert!(
        page.text.contains("Finish signing in where you asked"),
        "{page:?}"
    );
    assert!(
        elsewhere
            .cookies()
            .await
            .iter()
            .all(|c| c.name != "demo_session")
    );
    let page = asked.open(&link, "/account").await;
    assert!(page.text.contains("Hello, alice"), "{page:?}");

    let mut by_code = Browser::launch().await;
    ask(&mut by_code, "bob@example.com").await;
    let (link, code) = sign_in_mail(&server, "bob@example.com").await;
    let page = elsewhere.open(&link, &path_of_link(&link)).await;
    assert!(
        page.text.contains("Finish signing in where you asked"),
        "{page:?}"
    );
    by_code.type_into("input[name=code]", &code).await;
    let page = by_code
        .click("form[action=\"/login/email/code\"] button", "/account")
        .await;
    assert!(page.text.contains("Hello, bob"), "{page:?}");
}

/// The path of an absolute link.
fn path_of_link(link: &str) -> String {
    crate::http_support::path_of(link).to_owned()
}

crate::on_both_demos!(
    the_demo_signs_in_by_mail_through_a_real_smtp_server,
    email_sign_in_in_chromium,
);

//! A test app around the endpoints, and a small HTTP client with a cookie
//! jar that calls it in-process (the request carrying the client address a
//! connection would give) or over a real socket from any loopback address,
//! for the tests where the socket is what is tested.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, ready};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authlink::FailureReason;
use authlink::http::{Endpoints, LinkApp, PeerAddr, TowerSessions, bearer_token};
use authlink::replay::MemoryReplayCache;
use authlink::replay::{Freshness, ReplayCache, ReplayError, ReplayKey};
use authlink::web::{
    Answer, AppError, ConfirmPage, ConsumeMode, CreateRefusal, CurrentUser, Messages, PasswordUser,
    Responses, Settings, TrustedProxies,
};
use authlink::{Authlink, ManualClock, Policy, Whitelist};
use axum::Router;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Redirect, Response as AxumResponse};
use axum::routing::{get, post};
use bytes::Bytes;
use http::header::{COOKIE, HOST, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use tower_sessions::{MemoryStore, Session};

use crate::fixtures::{clock, policy};

/// How long any one exchange may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The session cookie of every test app.
pub const COOKIE_NAME: &str = "sid";

pub type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Bearer tokens for `alice` and `bob`, stamps the test can change or break.
#[derive(Default)]
pub struct TestAdapter {
    pub stamps: Mutex<HashMap<String, Vec<u8>>>,
    pub stamps_fail: AtomicBool,
    /// The sign-in mails sent, in order.
    pub mails: Arc<Mutex<Vec<authlink::mail::Outgoing>>>,
    /// Whether the mailer fails, as a mail server that is down.
    pub mail_fails: Arc<AtomicBool>,
    /// Whether the mailer refuses mail to bob alone.
    pub mail_rejects_bob: Arc<AtomicBool>,
}

/// A mailer that keeps what it is given, for the test to read, or fails
/// when told to.
pub struct KeptMails {
    pub mails: Arc<Mutex<Vec<authlink::mail::Outgoing>>>,
    pub fails: Arc<AtomicBool>,
    /// Refuses mail to bob alone, as a bouncing mailbox.
    pub rejects_bob: Arc<AtomicBool>,
}

impl authlink::mail::Mailer for KeptMails {
    async fn send(
        &self,
        mail: authlink::mail::Outgoing,
    ) -> Result<(), authlink::mail::MailerError> {
        if self.fails.load(Ordering::SeqCst) {
            return Err(authlink::mail::MailerError::plain(
                "the mail server is down",
            ));
        }
        if mail.to.as_str().starts_with("bob@") && self.rejects_bob.load(Ordering::SeqCst) {
            return Err(authlink::mail::MailerError::plain("mailbox unavailable").rejected());
        }
        self.mails.lock().unwrap().push(mail);
        Ok(())
    }
}

impl TestAdapter {
    /// The user an API bearer token stands for.
    pub fn user_of(token: Option<&str>) -> Option<String> {
        match token? {
            "alice-api-token" => Some("alice".to_owned()),
            "bob-api-token" => Some("bob".to_owned()),
            _ => None,
        }
    }

    /// The user an email address belongs to: alice and bob at example.com.
    pub fn user_of_address(address: &str) -> Option<String> {
        match address {
            "alice@example.com" => Some("alice".to_owned()),
            "bob@example.com" => Some("bob".to_owned()),
            _ => None,
        }
    }

    /// The user's current stamp, or the outage the test asked for.
    pub fn stamp(&self, user: &str) -> Result<Option<Vec<u8>>, AppError> {
        if self.stamps_fail.load(Ordering::SeqCst) {
            return Err(AppError::new("user database is down"));
        }
        Ok(self.stamps.lock().unwrap().get(user).cloned())
    }
}

/// The settings both test apps run on, from a test's [`Options`] and
/// replay cache.
pub fn settings<C: ReplayCache + 'static>(
    authlink: Arc<Authlink>,
    options: &Options,
    cache: C,
) -> Settings {
    settings_with_mails(authlink, options, cache, &TestAdapter::default())
}

/// [`settings`], with email sign-in's mails kept in `adapter`.
pub fn settings_with_mails<C: ReplayCache + 'static>(
    authlink: Arc<Authlink>,
    options: &Options,
    cache: C,
    adapter: &TestAdapter,
) -> Settings {
    let mut settings = Settings::with_origin(Arc::clone(&authlink), ORIGIN)
        .unwrap()
        .replay_cache(cache)
        .trusted_proxies(options.trusted.clone())
        .failure_url("/?error={reason}")
        .unwrap()
        .mode(options.mode)
        .confirm_page(options.confirm);
    if let Some(limit) = options.body_limit {
        settings = settings.body_limit(limit);
    }
    if let Some(paths) = options.also_allow.clone() {
        settings = settings.also_allow(paths);
    }
    if let Some(messages) = options.messages.clone() {
        settings = settings.messages(messages);
    }
    if options.json_answers {
        settings = settings.responses(JsonAnswers);
    }
    if options.without_limits {
        settings = settings.without_limits();
    }
    if options.login_url {
        settings = settings.login_url("/login").unwrap();
    }
    if options.send_to_login {
        settings = settings.responses(authlink::web::SendToLogin);
    }
    if options.email {
        let mail = authlink::mail::MailSignIn::new(authlink, authlink::mail::MailPolicy::default())
            .unwrap();
        let email = authlink::web::EmailSettings::new(
            mail,
            KeptMails {
                mails: Arc::clone(&adapter.mails),
                fails: Arc::clone(&adapter.mail_fails),
                rejects_bob: Arc::clone(&adapter.mail_rejects_bob),
            },
            "/account",
        )
        .unwrap()
        .insecure_cookie();
        settings = settings.email(email);
    }
    settings
}

/// The app side the endpoints ask.
#[derive(Clone)]
pub struct TestLinkApp(pub Arc<TestAdapter>);

impl LinkApp for TestLinkApp {
    type User = String;

    fn api_user(
        &self,
        request: &mut http::request::Parts,
    ) -> impl Future<Output = Option<String>> + Send {
        ready(TestAdapter::user_of(bearer_token(&request.headers)))
    }

    fn user_stamp(
        &self,
        user: &String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, AppError>> + Send {
        ready(self.0.stamp(user))
    }

    fn user_for_email(
        &self,
        address: &authlink::mail::Address,
    ) -> impl Future<Output = Result<Option<String>, AppError>> + Send {
        ready(Ok(TestAdapter::user_of_address(address.as_str())))
    }
}

/// An API app's answers: failures, refusals and the guard's as JSON.
pub struct JsonAnswers;

impl Responses for JsonAnswers {
    fn failure(&self, reason: FailureReason, _url: &str, messages: &Messages) -> Answer {
        let body =
            serde_json::json!({ "error": reason.code(), "message": messages.failure(reason) });
        // Overridden by the endpoint's own no-store, whatever its case.
        Answer::json(401, &body).with_header("Cache-Control", "max-age=60")
    }

    fn forbidden(&self, _messages: &Messages) -> Answer {
        Answer::json(403, &serde_json::json!({ "error": "link_session" }))
    }

    fn create_refused(&self, refusal: &CreateRefusal, _messages: &Messages) -> Answer {
        Answer::json(422, &serde_json::json!({ "error": refusal.code() }))
    }
}

/// The public origin of the test apps, which the links they hand out
/// start with.
pub const ORIGIN: &str = "https://app.example";

/// The guard's 403 text, as django-authlink words it and the demo's
/// contract promises.
pub const NOT_WHITELISTED_MESSAGE: &str =
    "That URL is not whitelisted for your authentication method.";

/// What a trusted proxy forwards, in `Forwarded`, for an attacker at
/// 203.0.113.9 (or 2001:db8::9) after each value the attacker wrote to be
/// read as the victim at 198.51.100.77: none may be read as the victim.
pub const FORWARDED_BY_THE_THIEF: [&str; 6] = [
    "for=198.51.100.77, for=203.0.113.9",
    "for=198.51.100.77;x=\", for=203.0.113.9",
    "for=198.51.100.77;x=\"\\, for=203.0.113.9",
    "for=198.51.100.77;x=\", for=\"[2001:db8::9]\"",
    "for=198.51.100.77;x=\", for=\"[2001:db8::9]:4711\"",
    "for=198.51.100.77 x, for=203.0.113.9",
];

pub type TestSessions = TowerSessions<String, MemoryStore>;
pub type TestEndpoints = Endpoints<TestLinkApp, TestSessions>;

/// A replay cache whose backend is always down.
#[derive(Debug, Default)]
pub struct BrokenCache;

impl ReplayCache for BrokenCache {
    fn mark_used(
        &self,
        _key: ReplayKey,
        _retain_until: OffsetDateTime,
        _now: OffsetDateTime,
    ) -> impl Future<Output = Result<Freshness, ReplayError>> + Send {
        ready(Err(ReplayError::Backend("connection refused".into())))
    }

    fn release(&self, _key: ReplayKey) -> impl Future<Output = Result<(), ReplayError>> + Send {
        ready(Err(ReplayError::Backend("connection refused".into())))
    }
}

/// How a test app is set up.
pub struct Options {
    pub policy: Policy,
    pub mode: ConsumeMode,
    pub confirm: ConfirmPage,
    /// Keep the session cookie `Secure` (the tests speak plain HTTP, so
    /// they turn it off unless a test asks).
    pub secure_cookie: bool,
    pub trusted: TrustedProxies,
    pub body_limit: Option<usize>,
    /// Paths the guard also lets link sessions see.
    pub also_allow: Option<Whitelist>,
    /// Texts in place of the defaults.
    pub messages: Option<Messages>,
    /// Answers from [`JsonAnswers`] in place of the defaults.
    pub json_answers: bool,
    /// `Settings::without_limits`, the named opt-out.
    pub without_limits: bool,
    /// `Settings::login_url("/login")`.
    pub login_url: bool,
    /// Email sign-in at `/login/email`, to `/account` by default, its mails
    /// kept in the adapter.
    pub email: bool,
    /// Answers from `SendToLogin`.
    pub send_to_login: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: policy(),
            mode: ConsumeMode::Direct,
            confirm: ConfirmPage::AutoSubmit,
            secure_cookie: false,
            trusted: TrustedProxies::none(),
            body_limit: None,
            also_allow: None,
            messages: None,
            json_answers: false,
            without_limits: false,
            login_url: false,
            send_to_login: false,
            email: false,
        }
    }
}

/// A running test app: an axum router over tower-sessions, called
/// in-process by its clients and also served by hyper on `addr` for the
/// requests only a socket can carry. Dropping it stops the server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub router: Router,
    pub clock: ManualClock,
    pub adapter: Arc<TestAdapter>,
    pub authlink: Arc<Authlink>,
    pub store: MemoryStore,
    pub endpoints: TestEndpoints,
    server: JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn start(options: Options) -> Self {
        Self::start_with(options, MemoryReplayCache::new()).await
    }

    /// Serves `POST /api/authlink`, `/authlink/{key}`, and behind the guard
    /// `/`, `/account`, `/account/settings`, `/admin` and
    /// `POST /login?user=NAME`.
    pub async fn start_with<C: ReplayCache + Send + Sync + 'static>(
        options: Options,
        cache: C,
    ) -> Self {
        let clock = clock();
        let authlink = Arc::new(crate::fixtures::engine_with(options.policy.clone(), &clock));
        let adapter = Arc::new(TestAdapter::default());
        let store = MemoryStore::default();
        let mut sessions = TestSessions::new(store.clone()).cookie_name(COOKIE_NAME);
        if !options.secure_cookie {
            sessions = sessions.insecure_cookie();
        }
        let settings = settings_with_mails(authlink.clone(), &options, cache, &adapter);
        let endpoints = Endpoints::new(settings, TestLinkApp(adapter.clone()), sessions);
        let router = endpoints.router(pages());
        let (addr, server) = serve(router.clone()).await;
        Self {
            addr,
            router,
            clock,
            adapter,
            authlink,
            store,
            endpoints,
            server,
        }
    }

    pub fn client(&self) -> Client {
        Client::in_process(self.router.clone())
    }

    /// Whether the session store holds a session under `id`.
    pub async fn has_session(&self, id: &str) -> bool {
        use tower_sessions::SessionStore as _;
        let Ok(id) = id.parse() else { return false };
        self.store.load(&id).await.unwrap().is_some()
    }

    /// Asks for a link to `target` as `alice` from `client`; returns its URL.
    pub async fn link_for(&self, client: &Client, target: &str) -> String {
        client
            .create("alice-api-token", &format!(r#"{{"url": "{target}"}}"#))
            .await
            .created_link()
    }
}

/// Serves any tower service on 127.0.0.1:0, each request carrying its
/// connection's [`PeerAddr`].
pub async fn serve<S, B>(service: S) -> (SocketAddr, JoinHandle<()>)
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        // Aborting this task drops the set, which aborts every connection.
        while let Ok((stream, peer)) = listener.accept().await {
            let service = service
                .clone()
                .map_request(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(PeerAddr(peer.ip()));
                    request
                });
            connections.spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    (addr, server)
}

/// The test app's own pages, reading the session the endpoints write.
pub fn pages() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", post(password_login))
        .route("/account", get(|s: Session| page(s, "Hello, ")))
        .route(
            "/account/settings",
            get(|s: Session| page(s, "Settings of ")),
        )
        .route("/admin", get(|s: Session| page(s, "Admin for ")))
        .route(
            "/me",
            get(|me: CurrentUser<String>| async move { format!("{} {}", me.user, me.via_link) }),
        )
        .route(
            "/me/password",
            get(|me: PasswordUser<String>| async move { me.user }),
        )
}

async fn home(uri: http::Uri) -> Html<String> {
    Html(format!("Home {}", uri.query().unwrap_or_default()))
}

async fn password_login(session: Session, Query(q): Query<HashMap<String, String>>) -> Redirect {
    CurrentUser::log_in_unrestricted(&session, &q["user"])
        .await
        .unwrap();
    Redirect::to("/account")
}

async fn page(session: Session, what: &str) -> AxumResponse {
    match CurrentUser::<String>::of(&session).await.unwrap() {
        Some(current) => Html(format!("{what}{}", current.user)).into_response(),
        None => (StatusCode::SEE_OTHER, [("location", "/login")]).into_response(),
    }
}

pub fn boxed<B>(response: Response<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    response.map(|body| body.map_err(Into::into).boxed())
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// Asserts a `400 Bad Request` whose JSON body is `expected`.
    #[track_caller]
    pub fn assert_bad_request(&self, expected: serde_json::Value) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text());
        assert_eq!(self.json(), expected);
    }

    /// The link of a `201 Created` answer from the create endpoint.
    #[track_caller]
    pub fn created_link(&self) -> String {
        assert_eq!(self.status, StatusCode::CREATED, "{}", self.text());
        self.header("location").unwrap().to_owned()
    }

    #[track_caller]
    pub fn assert_redirect(&self, location: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{self:?}");
        assert_eq!(self.header("location"), Some(location), "{self:?}");
    }
}

/// A browser-like client: one connection per request, from a chosen
/// loopback address, with a cookie jar.
/// Sends one request from a client address and collects the reply.
pub type Exchange = Arc<
    dyn Fn(IpAddr, Request<Full<Bytes>>) -> Pin<Box<dyn Future<Output = Reply> + Send>>
        + Send
        + Sync,
>;

pub struct Client {
    exchange: Exchange,
    pub from: IpAddr,
    pub host: String,
    pub cookies: Mutex<HashMap<String, String>>,
}

impl Client {
    /// A client of the server listening on `addr`, over TCP.
    pub fn new(addr: SocketAddr) -> Self {
        Self::with_exchange(
            addr.to_string(),
            Arc::new(move |from, request| Box::pin(socket_exchange(addr, from, request))),
        )
    }

    /// A client that calls `router` in-process, each request carrying
    /// its [`PeerAddr`] as [`serve`] would give it.
    pub fn in_process(router: Router) -> Self {
        Self::with_exchange(
            "app.test".to_owned(),
            Arc::new(move |from, mut request| {
                let router = router.clone();
                request.extensions_mut().insert(PeerAddr(from));
                Box::pin(async move {
                    let response = router.oneshot(request).await.unwrap();
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    Reply {
                        status: parts.status,
                        headers: parts.headers,
                        body,
                    }
                })
            }),
        )
    }

    /// A client whose requests `exchange` answers; `host` goes in `Host`.
    pub fn with_exchange(host: String, exchange: Exchange) -> Self {
        Self {
            exchange,
            from: "127.0.0.1".parse().unwrap(),
            host,
            cookies: Mutex::new(HashMap::new()),
        }
    }

    /// Comes from `from` (over TCP, any 127.0.0.0/8 address works on Linux).
    pub fn from(mut self, from: &str) -> Self {
        self.from = from.parse().unwrap();
        self
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub async fn create(&self, token: &str, body: &str) -> Reply {
        self.create_with(token, body, &[]).await
    }

    /// `POST /api/authlink` as the API caller holding `token`, with JSON
    /// `body` and `extra` headers (an `X-Forwarded-For`, say).
    pub async fn create_with(&self, token: &str, body: &str, extra: &[(&str, &str)]) -> Reply {
        let auth = format!("Bearer {token}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.send(Method::POST, "/api/authlink", &headers, body.to_owned())
            .await
    }

    /// Logs in as `user` with a password-style session (the test app's
    /// `POST /login?user=NAME`); returns the new session id.
    pub async fn password_login(&self, user: &str) -> String {
        self.send(Method::POST, &format!("/login?user={user}"), &[], "")
            .await
            .assert_redirect("/account");
        self.cookie(COOKIE_NAME).unwrap()
    }

    pub async fn get(&self, url: &str) -> Reply {
        self.get_with(url, &[]).await
    }

    /// `GET url` with `extra` headers (an `X-Forwarded-For`, say).
    pub async fn get_with(&self, url: &str, extra: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, url, extra, "").await
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let path = path_of(url);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body.into()))
            .unwrap();
        request
            .headers_mut()
            .insert(HOST, HeaderValue::from_str(&self.host).unwrap());
        let jar = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !jar.is_empty() {
            request
                .headers_mut()
                .insert(COOKIE, HeaderValue::from_str(&jar).unwrap());
        }
        for (name, value) in headers {
            request.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let reply = tokio::time::timeout(TIMEOUT, (self.exchange)(self.from, request))
            .await
            .expect("no answer in time");
        let mut jar = self.cookies.lock().unwrap();
        for set in reply.set_cookies() {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if set.contains("Max-Age=0") || set.contains("Expires=Thu, 01 Jan 1970") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        drop(jar);
        reply
    }
}

/// Sends `request` to `addr` over a new connection from `from`.
async fn socket_exchange(addr: SocketAddr, from: IpAddr, request: Request<Full<Bytes>>) -> Reply {
    let socket = if from.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    connection.abort();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// The path and query of an absolute or relative URL.
pub fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// Writes `head` and then as much of `body` as the server takes, and reads
/// the response head: for requests a well-behaved client would not send.
pub async fn raw_exchange(addr: SocketAddr, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        // The server may answer and close before the body is sent: that is
        // the point, so write errors are expected.
        for chunk in body.chunks(1024) {
            if stream.write_all(chunk).await.is_err() {
                break;
            }
        }
        let mut response = Vec::new();
        let mut buf = [0u8; 4096];
        while !response.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&response).into_owned()
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .expect("no answer in time")
}

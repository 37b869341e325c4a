//! The demo web app: two users, bearer-token API callers, in-memory sessions,
//! the authlink endpoints, and a few pages behind the session guard.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authlink::FailureReason;
use authlink::http::{
    Adapter, AdapterError, BrowserSession, ConsumeMode, ConsumeService, CookieSessions,
    CreateService, PeerAddr, ResponseBody, SessionCookie, SessionGuardLayer, TrustedProxies,
    bearer_token, html, see_other,
};
use authlink::replay::ReplayCache;
use authlink::replay::ReusableLinks;
use authlink::replay::{BoxReplayCache, MemoryReplayCache};
use authlink::{Authlink, KeyId, KeyRing, Policy, SecretKey, Whitelist};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, request, response};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower_layer::Layer as _;
use tower_service::Service as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type Body = BoxBody<Bytes, BoxError>;

/// The users and their API tokens.
const USERS: [(&str, &str); 2] = [("alice", "alice-api-token"), ("bob", "bob-api-token")];

/// The pages a link session may see.
pub(crate) const WHITELIST: [&str; 2] = ["^/account$", "^/account/settings$"];

/// Everything the environment configures.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) addr: SocketAddr,
    pub(crate) secret: Option<SecretKey>,
    pub(crate) ttl: Duration,
    pub(crate) single_use: bool,
    pub(crate) confirm: bool,
    pub(crate) trusted: TrustedProxies,
    /// A shared Redis for single use across several demo processes.
    pub(crate) redis_url: Option<String>,
}

impl Config {
    /// The demo's defaults: 127.0.0.1:8080, random key, 60 s, single use,
    /// direct mode, no trusted proxy.
    pub(crate) fn new() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secret: None,
            ttl: Duration::from_secs(60),
            single_use: true,
            confirm: false,
            trusted: TrustedProxies::none(),
            redis_url: None,
        }
    }

    /// Reads `AUTHLINK_DEMO_ADDR`, `AUTHLINK_SECRET`, `AUTHLINK_TTL_SECONDS`,
    /// `AUTHLINK_SINGLE_USE`, `AUTHLINK_CONFIRM` and
    /// `AUTHLINK_TRUSTED_PROXIES` and `AUTHLINK_REDIS_URL` through `var`.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self::new();
        if let Some(addr) = var("AUTHLINK_DEMO_ADDR") {
            config.addr = addr.parse().map_err(|_| {
                format!("AUTHLINK_DEMO_ADDR: {addr:?} is not an address such as 127.0.0.1:8080")
            })?;
        }
        if let Some(secret) = var("AUTHLINK_SECRET") {
            let key = SecretKey::from_base64(secret.trim())
                .map_err(|err| format!("AUTHLINK_SECRET: {err}"))?;
            config.secret = Some(key);
        }
        if let Some(ttl) = var("AUTHLINK_TTL_SECONDS") {
            let seconds: u64 = ttl.trim().parse().map_err(|_| {
                format!("AUTHLINK_TTL_SECONDS: {ttl:?} is not a whole number of seconds")
            })?;
            config.ttl = Duration::from_secs(seconds);
        }
        if let Some(flag) = var("AUTHLINK_SINGLE_USE") {
            config.single_use = parse_flag("AUTHLINK_SINGLE_USE", &flag)?;
        }
        if let Some(flag) = var("AUTHLINK_CONFIRM") {
            config.confirm = parse_flag("AUTHLINK_CONFIRM", &flag)?;
        }
        if let Some(list) = var("AUTHLINK_TRUSTED_PROXIES") {
            config.trusted = list
                .parse()
                .map_err(|err| format!("AUTHLINK_TRUSTED_PROXIES: {err}"))?;
        }
        if let Some(url) = var("AUTHLINK_REDIS_URL").filter(|url| !url.trim().is_empty()) {
            if !cfg!(feature = "redis") {
                return Err("AUTHLINK_REDIS_URL: this build has no Redis support; \
                            run with `cargo run --example demo --features redis`"
                    .to_owned());
            }
            config.redis_url = Some(url.trim().to_owned());
        }
        Ok(config)
    }
}

fn parse_flag(name: &str, value: &str) -> Result<bool, String> {
    match value.trim() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("{name}: {other:?} is not 1 or 0")),
    }
}

/// The engine for links served at `base` (`http://127.0.0.1:8080`).
pub(crate) fn authlink(config: &Config, secret: SecretKey, base: &str) -> Result<Authlink, String> {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(WHITELIST).map_err(|err| err.to_string())?;
    policy.ttl = config.ttl;
    policy.url_template = format!("{base}/authlink/{{key}}")
        .parse()
        .map_err(|err: authlink::ConfigError| err.to_string())?;
    Authlink::new(
        KeyRing::new(KeyId::new(1), secret),
        "authlink demo webview login",
        policy,
    )
    .map_err(|err| format!("configuration: {err}"))
}

/// The demo's adapter: bearer tokens for the API, cookie sessions in memory.
pub(crate) struct Demo {
    sessions: CookieSessions<String>,
}

impl Demo {
    pub(crate) fn new() -> Result<Self, String> {
        let cookie = SessionCookie::new("demo_session").map_err(|err| err.to_string())?;
        Ok(Self {
            sessions: CookieSessions::new(cookie),
        })
    }
}

impl Adapter for Demo {
    type User = String;

    fn api_user(&self, request: &request::Parts) -> impl Future<Output = Option<String>> + Send {
        let token = bearer_token(&request.headers);
        let user = USERS
            .iter()
            .find(|(_, known)| Some(*known) == token)
            .map(|(user, _)| (*user).to_owned());
        ready(user)
    }

    fn session(
        &self,
        request: &request::Parts,
    ) -> impl Future<Output = Option<BrowserSession<String>>> + Send {
        ready(self.sessions.current(request))
    }

    fn login(
        &self,
        request: &request::Parts,
        user: &String,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send {
        let session = BrowserSession::via_link(user.clone());
        ready(
            self.sessions
                .start(request, session, response)
                .map_err(AdapterError::new),
        )
    }

    fn logout(
        &self,
        request: &request::Parts,
        response: &mut response::Parts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send {
        self.sessions.end(request, response);
        ready(Ok(()))
    }
}

/// The whole app as one request handler.
pub(crate) struct App<C> {
    demo: Arc<Demo>,
    create: CreateService<Demo>,
    consume: ConsumeService<Demo, C>,
    guard: SessionGuardLayer<Demo>,
}

impl<C> Clone for App<C> {
    fn clone(&self) -> Self {
        Self {
            demo: Arc::clone(&self.demo),
            create: self.create.clone(),
            consume: self.consume.clone(),
            guard: self.guard.clone(),
        }
    }
}

impl<C: ReplayCache + 'static> App<C> {
    /// The app over `authlink`, making links single-use through `cache`.
    ///
    /// Any [`ReplayCache`] fits: the in-memory one, [`ReusableLinks`] when
    /// single use is off, or a shared backend for several processes.
    pub(crate) fn new(
        authlink: Arc<Authlink>,
        cache: Arc<C>,
        config: &Config,
    ) -> Result<Self, String> {
        let demo = Arc::new(Demo::new()?);
        let mode = if config.confirm {
            ConsumeMode::PrefetchSafe
        } else {
            ConsumeMode::Direct
        };
        Ok(Self {
            create: CreateService::new(Arc::clone(&authlink), Arc::clone(&demo))
                .with_trusted_proxies(config.trusted.clone()),
            consume: ConsumeService::new(Arc::clone(&authlink), Arc::clone(&demo), cache)
                .with_trusted_proxies(config.trusted.clone())
                .with_failure_url("/?error={reason}")
                .with_mode(mode),
            // A link session whose next link fails must see why.
            guard: SessionGuardLayer::new(Arc::clone(&demo), authlink.policy().whitelist.clone())
                .also_allow(Whitelist::new(["^/$"]).map_err(|err| err.to_string())?),
            demo,
        })
    }

    /// Routes one request. The authlink endpoints sit outside the guard, so
    /// a link session can open another link.
    pub(crate) async fn handle(
        self,
        request: Request<Incoming>,
    ) -> Result<Response<Body>, Infallible> {
        let path = request.uri().path();
        let response = if path == "/api/authlink" {
            boxed(self.create.clone().call(request).await?)
        } else if path.starts_with("/authlink/") {
            boxed(self.consume.clone().call(request).await?)
        } else {
            let demo = Arc::clone(&self.demo);
            let pages = tower::service_fn(move |request| pages(Arc::clone(&demo), request));
            boxed(self.guard.layer(pages).call(request).await?)
        };
        Ok(response)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, recording each
/// connection's peer address for the endpoints.
pub(crate) async fn serve<C: ReplayCache + 'static>(
    listener: TcpListener,
    app: App<C>,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let app = app.clone();
        let service = service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(PeerAddr(peer.ip()));
            app.clone().handle(request)
        });
        tokio::spawn(async move {
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}

/// Builds the app from `config` and serves it on `listener` until
/// `shutdown`. Single use goes through Redis when `AUTHLINK_REDIS_URL` is
/// set, the in-memory cache otherwise, and nothing when it is off.
/// `ready` is told the base URL once the configuration has been accepted.
pub(crate) async fn run(
    listener: TcpListener,
    config: &Config,
    secret: SecretKey,
    ready: impl FnOnce(&str),
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    let base = format!("http://{addr}");
    let authlink = Arc::new(authlink(config, secret, &base)?);
    let cache = if !config.single_use {
        BoxReplayCache::new(ReusableLinks)
    } else if let Some(url) = &config.redis_url {
        redis_cache(url).await?
    } else {
        BoxReplayCache::new(MemoryReplayCache::new())
    };
    let app = App::new(authlink, Arc::new(cache), config)?;
    ready(&base);
    serve(listener, app, shutdown).await;
    Ok(())
}

#[cfg(feature = "redis")]
async fn redis_cache(url: &str) -> Result<BoxReplayCache, String> {
    authlink::replay::redis::RedisReplayCache::connect(url)
        .await
        .map(BoxReplayCache::new)
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))
}

#[cfg(not(feature = "redis"))]
async fn redis_cache(_url: &str) -> Result<BoxReplayCache, String> {
    // Config::from_vars refuses the variable in such a build already.
    Err("AUTHLINK_REDIS_URL needs `--features redis`".to_owned())
}

/// The app's own pages: `/`, `/login`, `/account`, `/account/settings`, `/admin`.
async fn pages(
    demo: Arc<Demo>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let session = demo.sessions.current(&parts);
    let response = match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/") => home(parts.uri.query()),
        (&Method::GET, "/login") => page(
            StatusCode::OK,
            "Log in",
            "<form method=\"post\" action=\"/login\"><label>User \
             <select name=\"user\"><option>alice</option><option>bob</option></select></label> \
             <button type=\"submit\">Log in with password</button></form>",
        ),
        (&Method::POST, "/login") => {
            let form = match Limited::new(body, 1024).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            password_login(&demo, &parts, &form)
        }
        (&Method::GET, "/account") => match &session {
            Some(session) => page(
                StatusCode::OK,
                "Account",
                &format!(
                    "<p>Hello, {}</p><p>Signed in {}.</p><p><a href=\"/account/settings\">Settings</a> · <a href=\"/admin\">Admin</a></p>",
                    escape(&session.user),
                    if session.via_link {
                        "with a link"
                    } else {
                        "with a password"
                    },
                ),
            ),
            None => see_other("/login"),
        },
        (&Method::GET, "/account/settings") => match &session {
            Some(session) => page(
                StatusCode::OK,
                "Settings",
                &format!("<p>Settings of {}</p>", escape(&session.user)),
            ),
            None => see_other("/login"),
        },
        (&Method::GET, "/admin") => match &session {
            Some(session) => page(
                StatusCode::OK,
                "Admin",
                &format!("<p>Admin page for {}</p>", escape(&session.user)),
            ),
            None => see_other("/login"),
        },
        _ => page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<p>There is no such page.</p>",
        ),
    };
    Ok(response)
}

fn home(query: Option<&str>) -> Response<ResponseBody> {
    let error = query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("error="))
        .map(|code| {
            code.parse::<FailureReason>()
                .unwrap_or(FailureReason::Invalid)
        });
    let message = match error {
        Some(reason) => format!("<p class=\"error\">{}</p>", reason.message()),
        None => String::new(),
    };
    page(
        StatusCode::OK,
        "authlink demo",
        &format!(
            "{message}<p>Ask for a link with <code>POST /api/authlink</code>, or \
         <a href=\"/login\">log in with a password</a>. Then see <a href=\"/account\">your account</a>.</p>"
        ),
    )
}

fn password_login(demo: &Demo, request: &request::Parts, form: &[u8]) -> Response<ResponseBody> {
    let user = std::str::from_utf8(form)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("user="));
    let Some((user, _)) = USERS.iter().find(|(known, _)| Some(*known) == user) else {
        return page(StatusCode::BAD_REQUEST, "Log in", "<p>Unknown user.</p>");
    };
    let (mut parts, body) = see_other("/account").into_parts();
    demo.sessions.end(request, &mut parts);
    match demo.sessions.start(
        request,
        BrowserSession::other((*user).to_owned()),
        &mut parts,
    ) {
        Ok(()) => Response::from_parts(parts, body),
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>Too many sessions.</p>",
        ),
    }
}

fn page(status: StatusCode, title: &str, content: &str) -> Response<ResponseBody> {
    html(
        status,
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1>\n{content}\n</body></html>\n"
        ),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn boxed<B>(response: Response<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    response.map(|body| body.map_err(Into::into).boxed())
}

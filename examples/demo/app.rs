//! The demo web app: two users, bearer-token API callers, sessions in
//! tower-sessions (in memory, or in Redis with `AUTHLINK_REDIS_URL`), the
//! authlink endpoints, and a few pages behind the session guard.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use authlink::http::{
    ConsumeMode, Endpoints, LinkApp, PeerAddr, ResponseBody, SessionUser, TowerSessions,
    TrustedProxies, bearer_token, html, see_other,
};
use authlink::replay::{MemoryReplayCache, ReplayCache, ReusableLinks};
use authlink::{Authlink, FailureReason, KeyId, KeyRing, Policy, SecretKey, Whitelist};
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, RawQuery};
use axum::routing::get;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use tower_sessions::{MemoryStore, Session, SessionStore};

/// The name of the demo's session cookie.
pub(crate) const COOKIE_NAME: &str = "demo_session";

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

/// Who the demo's API callers are: the bearer tokens of [`USERS`].
pub(crate) struct Demo;

impl LinkApp for Demo {
    type User = String;

    async fn api_user(&self, request: &mut http::request::Parts) -> Option<String> {
        let token = bearer_token(&request.headers);
        USERS
            .iter()
            .find(|(_, known)| Some(*known) == token)
            .map(|(user, _)| (*user).to_owned())
    }
}

type Sessions<Store> = TowerSessions<String, Store>;

/// The whole app as one router: the endpoints, and the demo's pages behind
/// the guard. `secure_cookie` is whether the session cookie keeps `Secure`.
pub(crate) fn router<C, Store>(
    authlink: Authlink,
    cache: C,
    store: Store,
    config: &Config,
    secure_cookie: bool,
) -> Result<Router, String>
where
    C: ReplayCache + Send + Sync + 'static,
    Store: SessionStore + Clone,
{
    let mut sessions = Sessions::new(store).cookie_name(COOKIE_NAME);
    if !secure_cookie {
        sessions = sessions.insecure_cookie();
    }
    let mode = if config.confirm {
        ConsumeMode::PrefetchSafe
    } else {
        ConsumeMode::Direct
    };
    let endpoints = Endpoints::new(authlink, Demo, sessions)
        .replay_cache(cache)
        .trusted_proxies(config.trusted.clone())
        .failure_url("/?error={reason}")
        .map_err(|err| err.to_string())?
        .mode(mode);
    let pages = Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(password_login))
        .route("/account", get(account))
        .route("/account/settings", get(settings))
        .route("/admin", get(admin))
        .fallback(not_found);
    endpoints.router(pages).map_err(|err| err.to_string())
}

/// Serves `router` on `listener` until `shutdown` completes, recording each
/// connection's peer address for the endpoints.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
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
        let router = router.clone();
        let service = service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(PeerAddr(peer.ip()));
            let router = router.clone();
            async move { router.oneshot(request).await }
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
/// `shutdown`. Single use and sessions go through Redis when
/// `AUTHLINK_REDIS_URL` is set, memory otherwise; single use is off when
/// `AUTHLINK_SINGLE_USE=0`. The session cookie drops `Secure` only when the
/// demo listens on a loopback address (plain HTTP on this machine), which
/// `ready` is told along with the base URL once the configuration has been
/// accepted.
pub(crate) async fn run(
    listener: TcpListener,
    config: &Config,
    secret: SecretKey,
    ready: impl FnOnce(&str, bool),
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    let base = format!("http://{addr}");
    let authlink = authlink(config, secret, &base)?;
    let secure_cookie = !addr.ip().is_loopback();
    let router = match &config.redis_url {
        Some(url) => {
            let (cache, store) = redis_backends(url).await?;
            if config.single_use {
                router(authlink, cache, store, config, secure_cookie)?
            } else {
                router(authlink, ReusableLinks, store, config, secure_cookie)?
            }
        }
        None => {
            let store = MemoryStore::default();
            if config.single_use {
                router(
                    authlink,
                    MemoryReplayCache::new(),
                    store,
                    config,
                    secure_cookie,
                )?
            } else {
                router(authlink, ReusableLinks, store, config, secure_cookie)?
            }
        }
    };
    ready(&base, secure_cookie);
    serve(listener, router, shutdown).await;
    Ok(())
}

/// Single use and sessions in the Redis at `url`.
#[cfg(feature = "redis")]
async fn redis_backends(
    url: &str,
) -> Result<
    (
        authlink::replay::redis::RedisReplayCache,
        tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool>,
    ),
    String,
> {
    use tower_sessions_redis_store::fred::prelude::{ClientLike as _, Config, Pool};
    let cache = authlink::replay::redis::RedisReplayCache::connect(url)
        .await
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))?;
    let pool = Config::from_url(url)
        .and_then(|config| Pool::new(config, None, None, None, 2))
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))?;
    pool.init()
        .await
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))?;
    Ok((cache, tower_sessions_redis_store::RedisStore::new(pool)))
}

#[cfg(not(feature = "redis"))]
async fn redis_backends(_url: &str) -> Result<(ReusableLinks, MemoryStore), String> {
    // Config::from_vars refuses the variable in such a build already.
    Err("AUTHLINK_REDIS_URL needs `--features redis`".to_owned())
}

/// Who is logged in, and whether through a link.
async fn current(session: &Session) -> Option<(String, bool)> {
    let current = SessionUser::<String>::current(session).await.ok()??;
    Some((current.user, current.via_link))
}

async fn home(RawQuery(query): RawQuery) -> Response<ResponseBody> {
    let error = query
        .iter()
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

async fn login_page() -> Response<ResponseBody> {
    page(
        StatusCode::OK,
        "Log in",
        "<form method=\"post\" action=\"/login\"><label>User \
         <select name=\"user\"><option>alice</option><option>bob</option></select></label> \
         <button type=\"submit\">Log in with password</button></form>",
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    user: String,
}

async fn password_login(
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response<ResponseBody> {
    let user = form.ok().map(|Form(form)| form.user);
    let Some((user, _)) = USERS
        .iter()
        .find(|(known, _)| Some(*known) == user.as_deref())
    else {
        return page(StatusCode::BAD_REQUEST, "Log in", "<p>Unknown user.</p>");
    };
    match SessionUser::log_in_other(&session, &(*user).to_owned()).await {
        Ok(()) => see_other("/account"),
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Log in",
            "<p>Sessions are unavailable.</p>",
        ),
    }
}

async fn account(session: Session) -> Response<ResponseBody> {
    match current(&session).await {
        Some((user, via_link)) => page(
            StatusCode::OK,
            "Account",
            &format!(
                "<p>Hello, {}</p><p>Signed in {}.</p><p><a href=\"/account/settings\">Settings</a> · <a href=\"/admin\">Admin</a></p>",
                escape(&user),
                if via_link {
                    "with a link"
                } else {
                    "with a password"
                },
            ),
        ),
        None => see_other("/login"),
    }
}

async fn settings(session: Session) -> Response<ResponseBody> {
    match current(&session).await {
        Some((user, _)) => page(
            StatusCode::OK,
            "Settings",
            &format!("<p>Settings of {}</p>", escape(&user)),
        ),
        None => see_other("/login"),
    }
}

async fn admin(session: Session) -> Response<ResponseBody> {
    match current(&session).await {
        Some((user, _)) => page(
            StatusCode::OK,
            "Admin",
            &format!("<p>Admin page for {}</p>", escape(&user)),
        ),
        None => see_other("/login"),
    }
}

async fn not_found() -> Response<ResponseBody> {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<p>There is no such page.</p>",
    )
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

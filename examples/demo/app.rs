//! The demo web app: two users, bearer-token API callers, sessions in
//! tower-sessions (in memory, or in Redis with `AUTHLINK_REDIS_URL`), the
//! authlink endpoints, and a few pages behind the session guard.

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use authlink::http::{Endpoints, LinkApp, PeerAddr, ResponseBody, TowerSessions, bearer_token};
use authlink::limit::{BoxRateLimiter, NoLimit};
use authlink::mail::{Address, MailPolicy, MailSignIn, Mailer, MailerError, Outgoing};
use authlink::replay::{MemoryReplayCache, ReplayCache, ReusableLinks};
use authlink::web::{
    AppError, ConsumeMode, CurrentUser, EmailSettings, ForwardedHeader, Settings, TrustedProxies,
};
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

/// The users' email addresses, for email sign-in.
const ADDRESSES: [(&str, &str); 2] = [("alice", "alice@example.com"), ("bob", "bob@example.com")];

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
    /// Live entries of the in-memory replay cache (its default when unset).
    pub(crate) replay_capacity: Option<usize>,
    /// Links each user may create, and consume, a minute; `None` is off.
    pub(crate) links_per_minute: Option<NonZeroU32>,
    /// The SMTP server sign-in mails go to; printed to the console when
    /// unset.
    pub(crate) smtp_url: Option<String>,
}

/// The demo's per-user rate when `AUTHLINK_LINKS_PER_MINUTE` is unset: the
/// crate's default per-user quota.
const DEFAULT_LINKS_PER_MINUTE: Option<NonZeroU32> = NonZeroU32::new(20);

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
            replay_capacity: None,
            links_per_minute: DEFAULT_LINKS_PER_MINUTE,
            smtp_url: None,
        }
    }

    /// Reads `AUTHLINK_DEMO_ADDR`, `AUTHLINK_SECRET`, `AUTHLINK_TTL_SECONDS`,
    /// `AUTHLINK_SINGLE_USE`, `AUTHLINK_CONFIRM` and
    /// `AUTHLINK_TRUSTED_PROXIES`, `AUTHLINK_FORWARDED_HEADER`, `AUTHLINK_REDIS_URL`,
    /// `AUTHLINK_REPLAY_CAPACITY`, `AUTHLINK_LINKS_PER_MINUTE` and
    /// `AUTHLINK_SMTP_URL` through `var`.
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
        if let Some(name) = var("AUTHLINK_FORWARDED_HEADER") {
            let header = match name.trim().to_ascii_lowercase().as_str() {
                "x-forwarded-for" => ForwardedHeader::XForwardedFor,
                "forwarded" => ForwardedHeader::Forwarded,
                _ => {
                    return Err(format!(
                        "AUTHLINK_FORWARDED_HEADER: {name:?} is neither x-forwarded-for nor forwarded"
                    ));
                }
            };
            config.trusted = config.trusted.with_header(header);
        }
        if let Some(url) = var("AUTHLINK_REDIS_URL").filter(|url| !url.trim().is_empty()) {
            if !cfg!(feature = "redis") {
                return Err("AUTHLINK_REDIS_URL: this build has no Redis support; \
                            run with `cargo run --example demo --features redis`"
                    .to_owned());
            }
            config.redis_url = Some(url.trim().to_owned());
        }
        if let Some(capacity) = var("AUTHLINK_REPLAY_CAPACITY") {
            let entries = capacity.trim().parse::<usize>().ok().filter(|n| *n > 0);
            config.replay_capacity = Some(entries.ok_or_else(|| {
                format!("AUTHLINK_REPLAY_CAPACITY: {capacity:?} is not a whole number above 0")
            })?);
        }
        if let Some(url) = var("AUTHLINK_SMTP_URL").filter(|url| !url.trim().is_empty()) {
            if !cfg!(feature = "smtp") {
                return Err("AUTHLINK_SMTP_URL: this build has no SMTP support; \
                            run with `cargo run --example demo --features smtp`"
                    .to_owned());
            }
            config.smtp_url = Some(url.trim().to_owned());
        }
        if let Some(rate) = var("AUTHLINK_LINKS_PER_MINUTE") {
            let rate: u32 = rate.trim().parse().map_err(|_| {
                format!("AUTHLINK_LINKS_PER_MINUTE: {rate:?} is not a whole number (0 is off)")
            })?;
            config.links_per_minute = NonZeroU32::new(rate);
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

    async fn user_for_email(&self, address: &Address) -> Result<Option<String>, AppError> {
        Ok(ADDRESSES
            .iter()
            .find(|(_, known)| *known == address.as_str())
            .map(|(user, _)| (*user).to_owned()))
    }
}

/// Where the demo's sign-in mails go: an SMTP server
/// (`AUTHLINK_SMTP_URL`), or the console.
enum DemoMailer {
    Console,
    #[cfg(feature = "smtp")]
    Smtp(Box<authlink::mail::SmtpMailer>),
}

impl DemoMailer {
    fn new(config: &Config) -> Result<Self, String> {
        match &config.smtp_url {
            None => Ok(Self::Console),
            #[cfg(feature = "smtp")]
            Some(url) => {
                authlink::mail::SmtpMailer::from_url(url, "authlink demo <signin@demo.example>")
                    .map(|mailer| Self::Smtp(Box::new(mailer)))
                    .map_err(|err| format!("AUTHLINK_SMTP_URL: {err}"))
            }
            #[cfg(not(feature = "smtp"))]
            Some(_) => Err("AUTHLINK_SMTP_URL needs `--features smtp`".to_owned()),
        }
    }
}

impl Mailer for DemoMailer {
    async fn send(&self, mail: Outgoing) -> Result<(), MailerError> {
        match self {
            Self::Console => {
                println!(
                    "mail to {}: sign in at {} or type the code {} (valid until {})",
                    mail.to.as_str(),
                    mail.url,
                    mail.code.as_str(),
                    mail.expires_at,
                );
                Ok(())
            }
            #[cfg(feature = "smtp")]
            Self::Smtp(mailer) => mailer.send(mail).await,
        }
    }
}

type Sessions<Store> = TowerSessions<String, Store>;

/// The whole app as one router: the endpoints, and the demo's pages behind
/// the guard. `secure_cookie` is whether the session cookie keeps `Secure`.
pub(crate) fn router<C, Store>(
    authlink: Authlink,
    base: &str,
    cache: C,
    store: Store,
    limits: Limits,
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
    let authlink = std::sync::Arc::new(authlink);
    let mut mail_policy = MailPolicy::default();
    mail_policy.url_template = format!("{base}/login/email/{{key}}")
        .parse()
        .map_err(|err: authlink::ConfigError| err.to_string())?;
    let mail = MailSignIn::new(authlink.clone(), mail_policy).map_err(|err| err.to_string())?;
    let mut email = EmailSettings::new(mail, DemoMailer::new(config)?, "/account")
        .map_err(|err| err.to_string())?;
    if !secure_cookie {
        email = email.insecure_cookie();
    }
    let endpoint_settings = Settings::new(authlink)
        .and_then(|settings| settings.failure_url("/?error={reason}"))
        .map_err(|err| err.to_string())?
        .replay_cache(cache)
        .create_limits(limits.create_user, limits.create_client)
        .consume_limit(limits.consume)
        .trusted_proxies(config.trusted.clone())
        .mode(mode)
        // A user who arrived by link may log in with a password there.
        .login_url("/login")
        .map_err(|err| err.to_string())?
        .email(email);
    let endpoints = Endpoints::new(endpoint_settings, Demo, sessions);
    let pages = Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(password_login))
        .route("/account", get(account))
        .route("/account/settings", get(settings))
        .route("/admin", get(admin))
        .fallback(not_found);
    #[cfg(feature = "metrics")]
    let pages = {
        let handle = prometheus()?;
        pages.route("/metrics", get(move || metrics_text(handle.clone())))
    };
    Ok(endpoints.router(pages))
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
    let limits = Limits::new(config, &secret).await?;
    let authlink = authlink(config, secret, &base)?;
    let secure_cookie = !addr.ip().is_loopback();
    let router = match &config.redis_url {
        Some(url) => {
            let (cache, store) = redis_backends(url).await?;
            if config.single_use {
                router(authlink, &base, cache, store, limits, config, secure_cookie)?
            } else {
                router(
                    authlink,
                    &base,
                    ReusableLinks,
                    store,
                    limits,
                    config,
                    secure_cookie,
                )?
            }
        }
        None => {
            let store = MemoryStore::default();
            if config.single_use {
                let cache = match config.replay_capacity {
                    Some(capacity) => MemoryReplayCache::with_capacity(capacity),
                    None => MemoryReplayCache::new(),
                };
                router(authlink, &base, cache, store, limits, config, secure_cookie)?
            } else {
                router(
                    authlink,
                    &base,
                    ReusableLinks,
                    store,
                    limits,
                    config,
                    secure_cookie,
                )?
            }
        }
    };
    ready(&base, secure_cookie);
    serve(listener, router, shutdown).await;
    Ok(())
}

/// The create and consume rate limits.
pub(crate) struct Limits {
    create_user: BoxRateLimiter,
    create_client: BoxRateLimiter,
    consume: BoxRateLimiter,
}

impl Limits {
    /// `AUTHLINK_LINKS_PER_MINUTE` per API user on create and per link user
    /// on consume, and three times as many per client network on create
    /// (the crate's default ratio: users behind one NAT share an address).
    /// In Redis when `AUTHLINK_REDIS_URL` is set, so every node counts
    /// against the same allowance; in memory otherwise.
    #[cfg_attr(not(feature = "redis"), allow(unused_variables))]
    async fn new(config: &Config, secret: &SecretKey) -> Result<Self, String> {
        use authlink::limit::{MemoryRateLimiter, Quota};
        let Some(rate) = config.links_per_minute else {
            return Ok(Self::off());
        };
        let user = Quota::per_minute(rate);
        let client =
            Quota::per_minute(NonZeroU32::new(rate.get().saturating_mul(3)).unwrap_or(rate));
        #[cfg(feature = "redis")]
        if let Some(url) = &config.redis_url {
            use authlink::limit::redis::RedisRateLimiter;
            let connect = async |quota, scope: &str| {
                RedisRateLimiter::builder(quota, secret)
                    .prefix(format!("authlink-demo:limit:{scope}:"))
                    .connect(url)
                    .await
                    .map(BoxRateLimiter::new)
                    .map_err(|err| format!("AUTHLINK_REDIS_URL (rate limits): {err}"))
            };
            return Ok(Self {
                create_user: connect(user, "create-user").await?,
                create_client: connect(client, "create-client").await?,
                consume: connect(user, "consume").await?,
            });
        }
        Ok(Self {
            create_user: BoxRateLimiter::new(MemoryRateLimiter::new(user)),
            create_client: BoxRateLimiter::new(MemoryRateLimiter::new(client)),
            consume: BoxRateLimiter::new(MemoryRateLimiter::new(user)),
        })
    }

    /// No limits (`AUTHLINK_LINKS_PER_MINUTE=0`).
    pub(crate) fn off() -> Self {
        Self {
            create_user: BoxRateLimiter::new(NoLimit),
            create_client: BoxRateLimiter::new(NoLimit),
            consume: BoxRateLimiter::new(NoLimit),
        }
    }
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
    use tower_sessions_redis_store::fred::prelude::{
        ClientLike as _, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy,
    };
    let cache = authlink::replay::redis::RedisReplayCache::connect(url)
        .await
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))?;
    // fred's defaults wait for ever on a command and never reconnect: while
    // Redis is down, sign-ins would hang instead of failing fast (503), and
    // after a restart sessions would stay broken. Give up on a command after
    // a second, try it once, and reconnect every half second for ever.
    let performance = PerformanceConfig {
        default_command_timeout: Duration::from_secs(1),
        ..PerformanceConfig::default()
    };
    let connection = ConnectionConfig {
        connection_timeout: Duration::from_secs(1),
        internal_command_timeout: Duration::from_secs(1),
        max_command_attempts: 1,
        ..ConnectionConfig::default()
    };
    let reconnect = ReconnectPolicy::new_constant(0, 500);
    let pool = Config::from_url(url)
        .and_then(|config| {
            Pool::new(
                config,
                Some(performance),
                Some(connection),
                Some(reconnect),
                2,
            )
        })
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

/// The process's Prometheus recorder, installed once: every demo app in the
/// process (tests start several) renders the same counters.
#[cfg(feature = "metrics")]
fn prometheus() -> Result<metrics_exporter_prometheus::PrometheusHandle, String> {
    use std::sync::Mutex;

    use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut installed = HANDLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| "GET /metrics: another metrics recorder is installed".to_owned())?;
    authlink::metrics::describe();
    // A recorder built without `install` keeps every histogram sample until
    // upkeep folds it in: with no scrape, memory grows with every consume.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .map_err(|err| format!("GET /metrics: cannot start its upkeep: {err}"))?;
    *installed = Some(handle.clone());
    Ok(handle)
}

/// `GET /metrics`: the counters and latency histogram in Prometheus text.
/// Serve it to the scraper only (here: anyone who reaches the demo).
#[cfg(feature = "metrics")]
async fn metrics_text(
    handle: metrics_exporter_prometheus::PrometheusHandle,
) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::from(handle.render()));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Who is logged in, and whether through a link.
async fn current(session: &Session) -> Option<(String, bool)> {
    let current = CurrentUser::<String>::of(session).await.ok()??;
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
         <button type=\"submit\">Log in with password</button></form>\
         <form method=\"post\" action=\"/login/email\"><label>Email \
         <input type=\"email\" name=\"email\" autocomplete=\"email\" required></label> \
         <button type=\"submit\">Email me a link</button></form>",
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
    match CurrentUser::log_in_unrestricted(&session, &(*user).to_owned()).await {
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

fn html(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `303 See Other` to one of the demo's own pages.
fn see_other(location: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::default());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(
        http::header::LOCATION,
        http::HeaderValue::from_static(location),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

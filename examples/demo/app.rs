//! The demo's app, whichever stack serves it: its configuration, users,
//! endpoint settings, limits, mailer and pages. `axum_app.rs` mounts it on
//! axum and tower-sessions, `../demo_actix/actix_app.rs` on actix-web and
//! actix-session; only the mounting differs.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use authlink::limit::{BoxRateLimiter, NoLimit};
use authlink::mail::{Address, MailPolicy, MailSignIn, Mailer, MailerError, Outgoing, escape_html};
use authlink::replay::{MemoryReplayCache, ReusableLinks};
use authlink::web::{
    AppSession, ConsumeMode, CurrentUser, EmailSettings, ForwardedHeader, Settings, TrustedProxies,
};
use authlink::{Authlink, FailureReason, KeyId, KeyRing, Policy, SecretKey, Whitelist};

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
                            run the demo with `--features redis`"
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
                            run the demo with `--features smtp`"
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

/// The user whose API token is `token`: the bearer tokens of [`USERS`].
pub(crate) fn user_for_token(token: Option<&str>) -> Option<String> {
    USERS
        .iter()
        .find(|(_, known)| Some(*known) == token)
        .map(|(user, _)| (*user).to_owned())
}

/// The user whose email address is `address`.
pub(crate) fn user_for_address(address: &Address) -> Option<String> {
    ADDRESSES
        .iter()
        .find(|(_, known)| *known == address.as_str())
        .map(|(user, _)| (*user).to_owned())
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

/// The endpoints' settings for links served at `base`
/// (`http://127.0.0.1:8080`): single use in Redis with
/// `AUTHLINK_REDIS_URL`, in memory otherwise, off with
/// `AUTHLINK_SINGLE_USE=0`; the limits, proxies and mode of `config`; the
/// password login page for link sessions to step up; and email sign-in.
/// `secure_cookie` is whether cookies keep `Secure`.
pub(crate) async fn settings(
    config: &Config,
    secret: SecretKey,
    base: &str,
    secure_cookie: bool,
) -> Result<Settings, String> {
    let limits = Limits::new(config, &secret).await?;
    let authlink = std::sync::Arc::new(authlink(config, secret, base)?);
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
    let mode = if config.confirm {
        ConsumeMode::PrefetchSafe
    } else {
        ConsumeMode::Direct
    };
    let settings = Settings::new(authlink)
        .and_then(|settings| settings.failure_url("/?error={reason}"))
        .map_err(|err| err.to_string())?;
    let settings = match (&config.redis_url, config.single_use) {
        (_, false) => settings.replay_cache(ReusableLinks),
        (Some(url), true) => settings.replay_cache(redis_replay_cache(url).await?),
        (None, true) => settings.replay_cache(match config.replay_capacity {
            Some(capacity) => MemoryReplayCache::with_capacity(capacity),
            None => MemoryReplayCache::new(),
        }),
    };
    Ok(settings
        .create_limits(limits.create_user, limits.create_client)
        .consume_limit(limits.consume)
        .trusted_proxies(config.trusted.clone())
        .mode(mode)
        // A user who arrived by link may log in with a password there.
        .login_url("/login")
        .map_err(|err| err.to_string())?
        .email(email))
}

#[cfg(feature = "redis")]
async fn redis_replay_cache(
    url: &str,
) -> Result<authlink::replay::redis::RedisReplayCache, String> {
    authlink::replay::redis::RedisReplayCache::connect(url)
        .await
        .map_err(|err| format!("AUTHLINK_REDIS_URL: {err}"))
}

#[cfg(not(feature = "redis"))]
async fn redis_replay_cache(_url: &str) -> Result<ReusableLinks, String> {
    // Config::from_vars refuses the variable in such a build already.
    Err("AUTHLINK_REDIS_URL needs `--features redis`".to_owned())
}

/// The create and consume rate limits.
struct Limits {
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
    fn off() -> Self {
        Self {
            create_user: BoxRateLimiter::new(NoLimit),
            create_client: BoxRateLimiter::new(NoLimit),
            consume: BoxRateLimiter::new(NoLimit),
        }
    }
}

/// The process's Prometheus recorder, installed once: every demo app in the
/// process (tests start several) renders the same counters.
#[cfg(feature = "metrics")]
pub(crate) fn prometheus() -> Result<metrics_exporter_prometheus::PrometheusHandle, String> {
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

/// The content type of the demo's pages.
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// The content type of `GET /metrics`.
#[cfg(feature = "metrics")]
pub(crate) const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The start of either demo's `main`: logs to the console, reads the
/// environment, and listens on `AUTHLINK_DEMO_ADDR`.
pub(crate) async fn start() -> Result<(Config, SecretKey, tokio::net::TcpListener), String> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let secret = match &config.secret {
        Some(secret) => secret.clone(),
        None => {
            eprintln!(
                "warning: AUTHLINK_SECRET is not set; using a random key, so links stop working \
                 when the demo restarts (set it to a base64 key of at least 32 bytes to keep them)"
            );
            SecretKey::generate()
        }
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.addr))?;
    Ok((config, secret, listener))
}

/// What either demo prints once it serves at `base`, with whether the
/// session cookie keeps `Secure`.
pub(crate) fn ready(config: &Config) -> impl FnOnce(&str, bool) + '_ {
    move |base, secure_cookie| {
        println!("{}", instructions(config, base));
        if secure_cookie {
            println!(
                "session cookie: Secure (serve the demo behind HTTPS, or browsers will not send it back)"
            );
        } else {
            println!(
                "session cookie: Secure is OFF, because the demo listens on a loopback address over \
                 plain HTTP; never do this for a site reached over a network"
            );
        }
    }
}

/// Completes on Ctrl-C; never when its handler cannot be installed.
pub(crate) async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The exit of either demo's `main`.
pub(crate) fn exit(outcome: Result<(), String>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => {
            println!("authlink demo: stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("authlink demo: {message}");
            std::process::ExitCode::from(2)
        }
    }
}

fn instructions(config: &Config, base: &str) -> String {
    let trusted = if config.trusted.is_empty() {
        "none".to_owned()
    } else {
        "set".to_owned()
    };
    format!(
        "authlink demo listening on {base}
  users: alice, bob (API tokens alice-api-token, bob-api-token)
  links live {ttl} s, single use: {single}, prefetch-safe: {confirm}, trusted proxies: {trusted}
  links per user a minute: {rate}
  link sessions may visit: {whitelist}

Try it:
  # 1. the app asks for a link (as alice)
  curl -si -X POST {base}/api/authlink \\
       -H 'Authorization: Bearer alice-api-token' \\
       -H 'Content-Type: application/json' -d '{{\"url\": \"/account\"}}'
  # 2. open the Location in a browser, or follow it with curl:
  curl -si -c jar.txt '<Location>'
  curl -s -b jar.txt {base}/account        # Hello, alice
  curl -si -b jar.txt {base}/admin          # 403 for link sessions
Or sign in by mail (alice@example.com, bob@example.com): open {base}/login,
  \"Email me a link\"; the mail is {mail}.
Stop with Ctrl-C.",
        ttl = config.ttl.as_secs(),
        // The Redis URL may hold a password: say only that it is in use.
        single = match (config.single_use, &config.redis_url) {
            (false, _) => "no",
            (true, None) => "yes (in memory)",
            (true, Some(_)) => "yes (Redis)",
        },
        confirm = if config.confirm { "yes" } else { "no" },
        rate = match config.links_per_minute {
            Some(rate) => rate.to_string(),
            None => "no limit".to_owned(),
        },
        whitelist = WHITELIST.join(" "),
        // The SMTP URL may hold a password: say only that it is in use.
        mail = if config.smtp_url.is_some() {
            "sent by SMTP"
        } else {
            "printed here"
        },
    )
}

/// One of the demo's own pages, whichever stack serves it.
pub(crate) enum Page {
    /// An HTML page with this status.
    Html(u16, String),
    /// `303 See Other` to one of the demo's own pages.
    SeeOther(&'static str),
}

/// Who is logged in, and whether through a link.
async fn current(session: &impl AppSession) -> Option<(String, bool)> {
    let current = CurrentUser::<String>::of(session).await.ok()??;
    Some((current.user, current.via_link))
}

/// `GET /`, with the message of `?error=` when the query has one.
pub(crate) fn home(query: Option<&str>) -> Page {
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
        200,
        "authlink demo",
        &format!(
            "{message}<p>Ask for a link with <code>POST /api/authlink</code>, or \
         <a href=\"/login\">log in with a password</a>. Then see <a href=\"/account\">your account</a>.</p>"
        ),
    )
}

/// `GET /login`.
pub(crate) fn login_page() -> Page {
    page(
        200,
        "Log in",
        "<form method=\"post\" action=\"/login\"><label>User \
         <select name=\"user\"><option>alice</option><option>bob</option></select></label> \
         <button type=\"submit\">Log in with password</button></form>\
         <form method=\"post\" action=\"/login/email\"><label>Email \
         <input type=\"email\" name=\"email\" autocomplete=\"email\" required></label> \
         <button type=\"submit\">Email me a link</button></form>",
    )
}

/// The password login's form.
#[derive(serde::Deserialize)]
pub(crate) struct LoginForm {
    user: String,
}

/// `POST /login` with the form, or `None` when it did not parse.
pub(crate) async fn password_login(session: &impl AppSession, form: Option<LoginForm>) -> Page {
    let user = form.map(|form| form.user);
    let Some((user, _)) = USERS
        .iter()
        .find(|(known, _)| Some(*known) == user.as_deref())
    else {
        return page(400, "Log in", "<p>Unknown user.</p>");
    };
    match CurrentUser::log_in_unrestricted(session, &(*user).to_owned()).await {
        Ok(()) => Page::SeeOther("/account"),
        Err(_) => page(503, "Log in", "<p>Sessions are unavailable.</p>"),
    }
}

/// `GET /account`.
pub(crate) async fn account(session: &impl AppSession) -> Page {
    match current(session).await {
        Some((user, via_link)) => page(
            200,
            "Account",
            &format!(
                "<p>Hello, {}</p><p>Signed in {}.</p><p><a href=\"/account/settings\">Settings</a> · <a href=\"/admin\">Admin</a></p>",
                escape_html(&user),
                if via_link {
                    "with a link"
                } else {
                    "with a password"
                },
            ),
        ),
        None => Page::SeeOther("/login"),
    }
}

/// `GET /account/settings`.
pub(crate) async fn settings_page(session: &impl AppSession) -> Page {
    match current(session).await {
        Some((user, _)) => page(
            200,
            "Settings",
            &format!("<p>Settings of {}</p>", escape_html(&user)),
        ),
        None => Page::SeeOther("/login"),
    }
}

/// `GET /admin`, which the guard keeps from link sessions.
pub(crate) async fn admin(session: &impl AppSession) -> Page {
    match current(session).await {
        Some((user, _)) => page(
            200,
            "Admin",
            &format!("<p>Admin page for {}</p>", escape_html(&user)),
        ),
        None => Page::SeeOther("/login"),
    }
}

/// Any other path.
pub(crate) fn not_found() -> Page {
    page(404, "Not found", "<p>There is no such page.</p>")
}

fn page(status: u16, title: &str, content: &str) -> Page {
    Page::Html(
        status,
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1>\n{content}\n</body></html>\n"
        ),
    )
}

//! The demo on axum: its pages and authlink's endpoints in one router,
//! sessions in tower-sessions (in memory, or in Redis with
//! `AUTHLINK_REDIS_URL`), served by hyper with each connection's peer
//! address.

use std::future::Future;
use std::time::Duration;

use authlink::http::{Endpoints, LinkApp, PeerAddr, ResponseBody, TowerSessions, bearer_token};
use authlink::mail::Address;
use authlink::web::{AppError, Settings};
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

use super::app::{self, COOKIE_NAME, Config, LoginForm, Page};
use authlink::SecretKey;

/// Who the demo's API callers and mail addresses are, for the endpoints.
struct Demo;

impl LinkApp for Demo {
    type User = String;

    async fn api_user(&self, request: &mut http::request::Parts) -> Option<String> {
        app::user_for_token(bearer_token(&request.headers))
    }

    async fn user_for_email(&self, address: &Address) -> Result<Option<String>, AppError> {
        Ok(app::user_for_address(address))
    }
}

/// The whole app as one router: the endpoints, and the demo's pages behind
/// the guard. `secure_cookie` is whether the session cookie keeps `Secure`.
pub(crate) fn router<Store: SessionStore + Clone>(
    settings: Settings,
    store: Store,
    secure_cookie: bool,
) -> Result<Router, String> {
    let mut sessions = TowerSessions::<String, Store>::new(store).cookie_name(COOKIE_NAME);
    if !secure_cookie {
        sessions = sessions.insecure_cookie();
    }
    let endpoints = Endpoints::new(settings, Demo, sessions);
    let pages = Router::new()
        .route(
            "/",
            get(async |RawQuery(query): RawQuery| respond(app::home(query.as_deref()))),
        )
        .route(
            "/login",
            get(async || respond(app::login_page())).post(password_login),
        )
        .route(
            "/account",
            get(async |session: Session| respond(app::account(&session).await)),
        )
        .route(
            "/account/settings",
            get(async |session: Session| respond(app::settings_page(&session).await)),
        )
        .route(
            "/admin",
            get(async |session: Session| respond(app::admin(&session).await)),
        )
        .fallback(async || respond(app::not_found()));
    #[cfg(feature = "metrics")]
    let pages = {
        let handle = app::prometheus()?;
        pages.route("/metrics", get(move || metrics_text(handle.clone())))
    };
    Ok(endpoints.router(pages))
}

async fn password_login(
    session: Session,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response<ResponseBody> {
    let form = form.ok().map(|Form(form)| form);
    respond(app::password_login(&session, form).await)
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
/// `shutdown`; sessions in Redis with `AUTHLINK_REDIS_URL`, in memory
/// otherwise. The session cookie drops `Secure` only when the demo listens
/// on a loopback address (plain HTTP on this machine), which `ready` is
/// told along with the base URL once the configuration has been accepted.
pub(crate) async fn run(
    listener: TcpListener,
    config: &Config,
    secret: SecretKey,
    ready: impl FnOnce(&str, bool),
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    let base = format!("http://{addr}");
    let secure_cookie = !addr.ip().is_loopback();
    let settings = app::settings(config, secret, &base, secure_cookie).await?;
    let router = match &config.redis_url {
        Some(url) => router(settings, redis_store(url).await?, secure_cookie)?,
        None => router(settings, MemoryStore::default(), secure_cookie)?,
    };
    ready(&base, secure_cookie);
    serve(listener, router, shutdown).await;
    Ok(())
}

/// Sessions in the Redis at `url`.
#[cfg(feature = "redis")]
async fn redis_store(
    url: &str,
) -> Result<
    tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool>,
    String,
> {
    use tower_sessions_redis_store::fred::prelude::{
        ClientLike as _, Config, ConnectionConfig, PerformanceConfig, Pool, ReconnectPolicy,
    };
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
    Ok(tower_sessions_redis_store::RedisStore::new(pool))
}

#[cfg(not(feature = "redis"))]
async fn redis_store(_url: &str) -> Result<MemoryStore, String> {
    // Config::from_vars refuses the variable in such a build already.
    Err("AUTHLINK_REDIS_URL needs `--features redis`".to_owned())
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
        http::HeaderValue::from_static(app::METRICS_CONTENT_TYPE),
    );
    response
}

/// A page as axum answers it.
fn respond(page: Page) -> Response<ResponseBody> {
    match page {
        Page::Html(status, body) => {
            let mut response = Response::new(ResponseBody::from(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(app::HTML),
            );
            response
        }
        Page::SeeOther(location) => {
            let mut response = Response::new(ResponseBody::default());
            *response.status_mut() = StatusCode::SEE_OTHER;
            response.headers_mut().insert(
                http::header::LOCATION,
                http::HeaderValue::from_static(location),
            );
            response
        }
    }
}

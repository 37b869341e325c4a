//! The demo on actix-web: authlink's endpoints, the guard and the demo's
//! pages in one `App`, sessions in actix-session (a private cookie, or
//! Redis with `AUTHLINK_REDIS_URL`).

use std::future::Future;

use actix_session::storage::{CookieSessionStore, SessionStore};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use authlink::SecretKey;
use authlink::actix::{ActixApp, ActixEndpoints, bearer_token};
use authlink::mail::Address;
use authlink::web::AppError;
use tokio::net::TcpListener;

use super::app::{self, COOKIE_NAME, Config, LoginForm, Page};

/// Who the demo's API callers and mail addresses are, for the endpoints.
struct Demo;

impl ActixApp for Demo {
    type User = String;

    async fn api_user(&self, request: &HttpRequest) -> Option<String> {
        app::user_for_token(bearer_token(request))
    }

    async fn user_for_email(&self, address: &Address) -> Result<Option<String>, AppError> {
        Ok(app::user_for_address(address))
    }
}

/// Builds the app from `config` and serves it on `listener` until
/// `shutdown`; sessions in Redis with `AUTHLINK_REDIS_URL`, in a private
/// cookie otherwise. The session cookie drops `Secure` only when the demo
/// listens on a loopback address (plain HTTP on this machine), which
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
    let secure_cookie = !addr.ip().is_loopback();
    let key = cookie_key(&secret)?;
    let settings = app::settings(config, secret, &base, secure_cookie).await?;
    let endpoints = ActixEndpoints::new(settings, Demo);
    let listener = listener.into_std().map_err(|err| err.to_string())?;
    let sessions = Sessions { key, secure_cookie };
    let server = match &config.redis_url {
        #[cfg(feature = "redis")]
        Some(url) => {
            let store = redis_store(url).await?;
            serve(listener, endpoints, move || sessions.layer(store.clone()))?
        }
        // Config::from_vars refuses the variable in such a build already.
        #[cfg(not(feature = "redis"))]
        Some(_) => return Err("AUTHLINK_REDIS_URL needs `--features redis`".to_owned()),
        None => serve(listener, endpoints, move || {
            sessions.layer(CookieSessionStore::default())
        })?,
    };
    ready(&base, secure_cookie);
    let handle = server.handle();
    let stop = async move {
        shutdown.await;
        handle.stop(true).await;
    };
    let (served, ()) = tokio::join!(server, stop);
    served.map_err(|err| err.to_string())
}

/// The session cookie's key and flags.
#[derive(Clone)]
struct Sessions {
    key: Key,
    secure_cookie: bool,
}

impl Sessions {
    /// The session middleware on `store`: `SameSite=Lax`, so the redirect
    /// after a link opened from another site carries the new session.
    fn layer<Store: SessionStore>(&self, store: Store) -> SessionMiddleware<Store> {
        SessionMiddleware::builder(store, self.key.clone())
            .cookie_name(COOKIE_NAME.to_owned())
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(self.secure_cookie)
            .build()
    }
}

/// The session cookie's key, derived from the demo's secret, so that every
/// node started with one `AUTHLINK_SECRET` reads the others' cookies
/// (actix's derivation is HKDF with a label of its own).
fn cookie_key(secret: &SecretKey) -> Result<Key, String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(secret.to_base64())
        .map_err(|err| err.to_string())?;
    Ok(Key::derive_from(&bytes))
}

/// The server for the whole app, not yet running.
fn serve<Store, Layer>(
    listener: std::net::TcpListener,
    endpoints: ActixEndpoints<Demo>,
    sessions: Layer,
) -> Result<actix_web::dev::Server, String>
where
    Store: SessionStore + 'static,
    Layer: Fn() -> SessionMiddleware<Store> + Clone + Send + 'static,
{
    #[cfg(feature = "metrics")]
    let metrics = app::prometheus()?;
    let server = HttpServer::new(move || {
        let app = App::new()
            .wrap(endpoints.guard())
            // Outside the guard: actix runs the last `wrap` first.
            .wrap(endpoints.sessions(sessions()))
            .configure(endpoints.routes())
            .configure(pages);
        #[cfg(feature = "metrics")]
        let app = {
            let metrics = metrics.clone();
            app.route(
                "/metrics",
                web::get().to(move || {
                    let body = metrics.render();
                    async move {
                        HttpResponse::Ok()
                            .content_type(app::METRICS_CONTENT_TYPE)
                            .body(body)
                    }
                }),
            )
        };
        app.default_service(web::to(async || respond(app::not_found())))
    })
    .disable_signals()
    .listen(listener)
    .map_err(|err| format!("cannot serve: {err}"))?;
    Ok(server.run())
}

/// The demo's own pages.
fn pages(config: &mut ServiceConfig) {
    config
        .route(
            "/",
            web::get().to(async |request: HttpRequest| {
                let query = Some(request.query_string()).filter(|query| !query.is_empty());
                respond(app::home(query))
            }),
        )
        .service(
            web::resource("/login")
                .get(async || respond(app::login_page()))
                .post(
                    async |session: Session, form: Result<web::Form<LoginForm>, actix_web::Error>| {
                        let form = form.ok().map(web::Form::into_inner);
                        respond(app::password_login(&session, form).await)
                    },
                ),
        )
        .route(
            "/account",
            web::get().to(async |session: Session| respond(app::account(&session).await)),
        )
        .route(
            "/account/settings",
            web::get().to(async |session: Session| respond(app::settings_page(&session).await)),
        )
        .route(
            "/admin",
            web::get().to(async |session: Session| respond(app::admin(&session).await)),
        );
}

/// A page as actix answers it.
fn respond(page: Page) -> HttpResponse {
    match page {
        Page::Html(status, body) => HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type(app::HTML)
        .body(body),
        Page::SeeOther(location) => HttpResponse::SeeOther()
            .insert_header((LOCATION, location))
            .finish(),
    }
}

/// Sessions in the Redis at `url`, through a pool of connections.
#[cfg(feature = "redis")]
async fn redis_store(url: &str) -> Result<actix_session::storage::RedisSessionStore, String> {
    use std::time::Duration;

    use deadpool_redis::{Config, PoolConfig, Runtime, Timeouts};
    // actix-session's own connection (a redis 0.32 connection manager)
    // retries a lost Redis with back-offs of up to a minute: while Redis is
    // down, sign-ins would hang for minutes instead of failing fast (503).
    // A pool opens a fresh connection instead, and gives up after a second.
    let mut config = Config::from_url(url);
    let second = Some(Duration::from_secs(1));
    config.pool = Some(PoolConfig {
        timeouts: Timeouts {
            wait: second,
            create: second,
            recycle: second,
        },
        ..PoolConfig::default()
    });
    let pool = config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|err| format!("AUTHLINK_REDIS_URL (sessions): {err}"))?;
    actix_session::storage::RedisSessionStore::new_pooled(pool)
        .await
        .map_err(|err| format!("AUTHLINK_REDIS_URL (sessions): {err}"))
}

//! `ActixEndpoints::sessions` around actix-session: a request that did not
//! pass it is answered `500` with one log line naming the fix (routes
//! mounted without it, or the guard outside it), and a session store that
//! fails after the handler, when actix-session stores the session, burns
//! no link.

use std::sync::{Arc, Mutex};

use actix_session::storage::{CookieSessionStore, SessionStore};
use actix_session::{SessionMiddleware, config::CookieContentSecurity};
use actix_web::cookie::Key;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpRequest, test, web};
use authlink::actix::{ActixApp, ActixEndpoints};
use authlink::web::{CurrentUser, Messages, Settings};

use crate::log_capture::Capture;

/// The lines that say the server is misconfigured.
fn misconfigured(capture: &Capture) -> Vec<String> {
    capture
        .text()
        .lines()
        .filter(|line| line.contains("misconfigured"))
        .map(str::to_owned)
        .collect()
}

fn endpoints<A: ActixApp>(app: A) -> ActixEndpoints<A> {
    let clock = crate::fixtures::clock();
    let settings =
        Settings::with_origin(crate::fixtures::engine(&clock), crate::http_support::ORIGIN)
            .unwrap()
            .failure_url("/?error={reason}")
            .unwrap();
    ActixEndpoints::new(settings, app)
}

fn sessions<Store: SessionStore>(store: Store) -> SessionMiddleware<Store> {
    SessionMiddleware::builder(store, Key::from(&[7u8; 64]))
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

async fn account(me: CurrentUser<String>) -> String {
    format!("Hello, {}", me.user)
}

/// A link for alice to `/account`, bound to 127.0.0.1.
fn link<A: ActixApp<User = String>>(endpoints: &ActixEndpoints<A>) -> String {
    let request = test::TestRequest::default()
        .peer_addr(([127, 0, 0, 1], 40_000).into())
        .to_http_request();
    let link =
        futures::executor::block_on(endpoints.issue(&request, &"alice".to_owned(), "/account"))
            .unwrap();
    crate::http_support::path_of(&link.url).to_owned()
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .peer_addr(([127, 0, 0, 1], 40_000).into())
}

fn get_with_cookie(path: &str, cookie: &str) -> test::TestRequest {
    get(path).insert_header(("cookie", cookie))
}

/// A response as the client sees it.
struct Answered {
    status: u16,
    body: String,
    cookies: Vec<String>,
    location: Option<String>,
}

impl Answered {
    /// The first cookie set, as a request sends it back.
    fn cookie(&self) -> String {
        self.cookies[0].split(';').next().unwrap().to_owned()
    }
}

/// A response, or the error the service returned as actix's server turns
/// it into a response.
async fn answer<B: actix_web::body::MessageBody + 'static>(
    result: Result<ServiceResponse<B>, actix_web::Error>,
) -> Answered {
    let response = match result {
        Ok(response) => response.into_parts().1.map_into_boxed_body(),
        Err(err) => err.error_response(),
    };
    let header = |name| {
        response
            .headers()
            .get_all(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cookies = header("set-cookie");
    let location = header("location").pop();
    let status = response.status().as_u16();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Answered {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        cookies,
        location,
    }
}

struct Alice;

impl ActixApp for Alice {
    type User = String;

    async fn api_user(&self, _request: &HttpRequest) -> Option<String> {
        None
    }
}

#[actix_web::test]
async fn routes_without_actix_sessions_answer_500_with_the_fix_and_burn_no_link() {
    let endpoints = endpoints(Alice);
    let location = link(&endpoints);
    let (capture, _guard) = Capture::on_this_thread();
    // actix-session's middleware alone: the endpoints cannot tell it ran.
    let unwrapped = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .route("/account", web::get().to(account))
            .wrap(sessions(CookieSessionStore::default())),
    )
    .await;
    let refused = answer(unwrapped.call(get(&location).to_request()).await).await;
    assert_eq!(refused.status, 500);
    assert_eq!(refused.body, Messages::default().sign_in_failed);
    assert!(refused.cookies.is_empty(), "{:?}", refused.cookies);
    let page = answer(unwrapped.call(get("/account").to_request()).await).await;
    assert_eq!(
        page.status, 500,
        "the user extractor needs the sessions too"
    );
    let said = misconfigured(&capture);
    assert_eq!(said.len(), 2, "{said:#?}");
    assert!(
        said.iter()
            .all(|line| line.contains("ERROR") && line.contains("ActixEndpoints::sessions")),
        "{said:#?}"
    );

    // Mounted right, the same endpoints sign alice in with that link.
    let wrapped = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .route("/account", web::get().to(account))
            .wrap(endpoints.guard())
            .wrap(endpoints.sessions(sessions(CookieSessionStore::default()))),
    )
    .await;
    let signed_in = answer(wrapped.call(get(&location).to_request()).await).await;
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/account"),
        "the refused request burnt the link"
    );
    let page = answer(
        wrapped
            .call(get_with_cookie("/account", &signed_in.cookie()).to_request())
            .await,
    )
    .await;
    assert_eq!((page.status, page.body.as_str()), (200, "Hello, alice"));
}

#[actix_web::test]
async fn the_guard_outside_actix_sessions_answers_500_with_the_fix() {
    let endpoints = endpoints(Alice);
    let (capture, _guard) = Capture::on_this_thread();
    let service = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .route("/admin", web::get().to(account))
            .wrap(endpoints.sessions(sessions(CookieSessionStore::default())))
            // The last `wrap` runs first: the guard sees no session yet.
            .wrap(endpoints.guard()),
    )
    .await;
    let page = answer(service.call(get("/admin").to_request()).await).await;
    assert_eq!(
        (page.status, page.body.as_str()),
        (500, &*Messages::default().sign_in_failed)
    );
    let said = misconfigured(&capture);
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(said[0].contains("outside the guard"), "{said:#?}");
}

/// Stops Redis while the consume endpoint runs (the app's stamp lookup is
/// called after actix-session loaded the session and before the link is
/// used): actix-session then fails to store the new session after the
/// handler. The browser gets the retry answer, and once Redis is back the
/// same link signs alice in, once.
#[cfg(feature = "redis")]
#[actix_web::test]
async fn a_session_store_failing_after_the_sign_in_gives_the_link_back() {
    use actix_session::storage::RedisSessionStore;

    use crate::redis_server::RedisServer;

    struct StopsRedis(Arc<Mutex<Option<RedisServer>>>, Arc<Mutex<bool>>);

    impl ActixApp for StopsRedis {
        type User = String;

        async fn api_user(&self, _request: &HttpRequest) -> Option<String> {
            None
        }

        async fn user_stamp(
            &self,
            _user: &String,
        ) -> Result<Option<Vec<u8>>, authlink::web::AppError> {
            if std::mem::take(&mut *self.1.lock().unwrap()) {
                self.0.lock().unwrap().as_mut().unwrap().kill();
            }
            Ok(None)
        }
    }

    let redis = Arc::new(Mutex::new(Some(RedisServer::start())));
    let url = redis.lock().unwrap().as_ref().unwrap().url();
    let stop_now = Arc::new(Mutex::new(false));
    let endpoints = endpoints(StopsRedis(Arc::clone(&redis), Arc::clone(&stop_now)));
    let location = link(&endpoints);
    // Pooled, as the actix demo does: a fresh connection once Redis is back
    // (actix-session's own connection would back off for minutes).
    let mut config = deadpool_redis::Config::from_url(url);
    config.pool = Some(deadpool_redis::PoolConfig {
        timeouts: deadpool_redis::Timeouts {
            wait: Some(std::time::Duration::from_secs(1)),
            create: Some(std::time::Duration::from_secs(1)),
            recycle: Some(std::time::Duration::from_secs(1)),
        },
        ..deadpool_redis::PoolConfig::default()
    });
    let pool = config
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    let store = RedisSessionStore::new_pooled(pool).await.unwrap();
    let service = test::init_service(
        App::new()
            .configure(endpoints.routes())
            .route("/account", web::get().to(account))
            .wrap(endpoints.guard())
            .wrap(endpoints.sessions(sessions(store))),
    )
    .await;

    *stop_now.lock().unwrap() = true;
    let refused = answer(service.call(get(&location).to_request()).await).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(
        refused.body,
        Messages::default().failure(authlink::FailureReason::Unavailable)
    );
    assert!(refused.cookies.is_empty(), "{:?}", refused.cookies);
    assert!(
        !*stop_now.lock().unwrap(),
        "Redis was stopped during the sign-in"
    );

    redis.lock().unwrap().as_mut().unwrap().restart();
    // The store reconnects in the background: the first requests after the
    // restart may still find it down, and are refused like the first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let signed_in = loop {
        let reply = answer(service.call(get(&location).to_request()).await).await;
        if reply.status != 500 && reply.status != 503 || std::time::Instant::now() > deadline {
            break reply;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/account"),
        "the link works once the store is back: {} {}",
        signed_in.status,
        signed_in.body
    );
    let page = answer(
        service
            .call(get_with_cookie("/account", &signed_in.cookie()).to_request())
            .await,
    )
    .await;
    assert_eq!((page.status, page.body.as_str()), (200, "Hello, alice"));
    let again = answer(service.call(get(&location).to_request()).await).await;
    assert_eq!(again.location.as_deref(), Some("/?error=used"));
}

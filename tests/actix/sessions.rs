//! `ActixEndpoints::sessions` around actix-session: a request that did not
//! pass it is answered `500` with one log line naming the fix (routes
//! mounted without it, or the guard outside it), and a session store that
//! fails after the handler, when actix-session stores the session, burns
//! no link.

use std::sync::{Arc, Mutex};

use actix_session::storage::CookieSessionStore;
use actix_web::dev::Service;
use actix_web::{App, HttpRequest, test, web};
use authlink::actix::ActixApp;
use authlink::web::Messages;

use crate::in_process::{Alice, account, answer, endpoints, get, get_with_cookie, link, sessions};
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

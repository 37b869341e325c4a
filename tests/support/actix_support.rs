//! The same test app as `http_support`'s, on actix-web and actix-session:
//! the endpoints from `ActixEndpoints`, the same pages behind its guard,
//! served on 127.0.0.1:0 by a real actix server in a thread of its own.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use authlink::actix::{ActixApp, ActixEndpoints, CurrentUser};
use authlink::replay::{MemoryReplayCache, ReplayCache};
use authlink::web::AppError;
use authlink::{Authlink, ManualClock};

use crate::fixtures::clock;
use crate::http_support::{COOKIE_NAME, Client, Options, TestAdapter, configure_endpoints};

/// The app side: the same bearer tokens and stamps as the tower app's.
#[derive(Clone)]
pub struct ActixTestLinkApp(pub Arc<TestAdapter>);

impl ActixApp for ActixTestLinkApp {
    type User = String;

    async fn api_user(&self, request: &HttpRequest) -> Option<String> {
        let value = request.headers().get("authorization")?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        TestAdapter::user_of(Some(token.trim()))
    }

    async fn user_stamp(&self, user: &String) -> Result<Option<Vec<u8>>, AppError> {
        self.0.stamp(user)
    }
}

/// A running actix test app. Dropping it stops the server and its thread.
pub struct ActixTestApp {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub adapter: Arc<TestAdapter>,
    pub authlink: Arc<Authlink>,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ActixTestApp {
    fn drop(&mut self) {
        pollster::block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl ActixTestApp {
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
        let authlink = Arc::new(crate::fixtures::engine_with(options.policy, &clock));
        let adapter = Arc::new(TestAdapter::default());
        let secure = options.secure_cookie;
        let endpoints = configure_endpoints!(
            ActixEndpoints::new(authlink.clone(), ActixTestLinkApp(adapter.clone())),
            options,
            cache
        );
        let routes = endpoints.routes().unwrap();
        let key = Key::from(&[7u8; 64]);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let sessions =
                        SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                            .cookie_name(COOKIE_NAME.to_owned())
                            .cookie_secure(secure)
                            .cookie_same_site(SameSite::Lax)
                            .cookie_content_security(CookieContentSecurity::Private)
                            .build();
                    App::new()
                        .configure(routes.clone())
                        .route("/", web::get().to(home))
                        .route("/login", web::post().to(password_login))
                        .route("/account", web::get().to(|s: Session| page(s, "Hello, ")))
                        .route(
                            "/account/settings",
                            web::get().to(|s: Session| page(s, "Settings of ")),
                        )
                        .route("/admin", web::get().to(|s: Session| page(s, "Admin for ")))
                        .wrap(endpoints.guard())
                        .wrap(sessions)
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                sender.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        let handle = receiver.recv().unwrap();
        Self {
            addr,
            clock,
            adapter,
            authlink,
            handle,
            thread: Some(thread),
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }
}

async fn home(request: HttpRequest) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("Home {}", request.query_string()))
}

async fn password_login(
    session: Session,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    CurrentUser::log_in_other(&session, &query["user"]).unwrap();
    HttpResponse::SeeOther()
        .insert_header(("location", "/account"))
        .finish()
}

async fn page(session: Session, what: &str) -> HttpResponse {
    match CurrentUser::<String>::current(&session).unwrap() {
        Some(current) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!("{what}{}", current.user)),
        None => HttpResponse::SeeOther()
            .insert_header(("location", "/login"))
            .finish(),
    }
}

//! The same test app as `http_support`'s, on actix-web and actix-session:
//! the endpoints from `ActixEndpoints`, the same pages behind its guard, in
//! a thread of its own that calls the app in-process for the clients (each
//! request carrying its peer address, as a connection would give it) and
//! also serves it on 127.0.0.1:0 for the requests only a socket can carry.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServerHandle, Service as _};
use actix_web::http::header::{HeaderName as ActixHeaderName, HeaderValue as ActixHeaderValue};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use authlink::actix::{ActixApp, ActixEndpoints};
use authlink::replay::ReplayCache;
use authlink::web::AppError;
use authlink::web::{CurrentUser, PasswordUser};
use authlink::{Authlink, ManualClock};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt as _;
use tokio::sync::{mpsc, oneshot};

use crate::fixtures::clock;
use crate::http_support::{COOKIE_NAME, Client, Options, Reply, TestAdapter, settings_with_mails};

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

    async fn user_for_email(
        &self,
        address: &authlink::mail::Address,
    ) -> Result<Option<String>, AppError> {
        Ok(TestAdapter::user_of_address(address.as_str()))
    }
}

/// A running actix test app. Dropping it stops the server and its thread.
pub struct ActixTestApp {
    pub addr: SocketAddr,
    calls: mpsc::UnboundedSender<Call>,
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
        let secure = options.secure_cookie;
        let settings = settings_with_mails(authlink.clone(), &options, cache, &adapter);
        let endpoints = ActixEndpoints::new(settings, ActixTestLinkApp(adapter.clone()));
        let routes = endpoints.routes();
        let key = Key::from(&[7u8; 64]);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let (calls, mut incoming) = mpsc::unbounded_channel::<Call>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let make_app = move || {
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
                        .route(
                            "/me",
                            web::get().to(|me: CurrentUser<String>| async move {
                                format!("{} {}", me.user, me.via_link)
                            }),
                        )
                        .route(
                            "/me/password",
                            web::get().to(|me: PasswordUser<String>| async move { me.user }),
                        )
                        .wrap(endpoints.guard())
                        .wrap(endpoints.sessions(sessions))
                };
                let server = HttpServer::new(make_app.clone())
                    .workers(1)
                    .listen(listener)
                    .unwrap()
                    .run();
                sender.send(server.handle()).unwrap();
                let app = Rc::new(actix_web::test::init_service(make_app()).await);
                let in_process = async move {
                    while let Some(call) = incoming.recv().await {
                        let app = Rc::clone(&app);
                        actix_web::rt::spawn(async move {
                            let request = actix_request(call.from, call.request).to_request();
                            let response = match app.call(request).await {
                                Ok(response) => response.into_parts().1.map_into_boxed_body(),
                                Err(err) => err.error_response(),
                            };
                            let _ = call.reply.send(reply_of(response).await);
                        });
                    }
                };
                // Stopping the server ends the thread, whatever clients remain.
                futures::future::select(pin!(server), pin!(in_process)).await;
            });
        });
        let handle = receiver.recv().unwrap();
        Self {
            addr,
            calls,
            clock,
            adapter,
            authlink,
            handle,
            thread: Some(thread),
        }
    }

    /// A client that calls the app in-process.
    pub fn client(&self) -> Client {
        let calls = self.calls.clone();
        Client::with_exchange(
            "app.test".to_owned(),
            Arc::new(move |from, request| {
                let calls = calls.clone();
                Box::pin(async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let request = Request::from_parts(parts, body);
                    let (reply, answer) = oneshot::channel();
                    calls
                        .send(Call {
                            from,
                            request,
                            reply,
                        })
                        .unwrap();
                    answer.await.unwrap()
                })
            }),
        )
    }
}

/// A request for the app's thread, and where its reply goes.
struct Call {
    from: IpAddr,
    request: Request<Bytes>,
    reply: oneshot::Sender<Reply>,
}

/// `request` as actix-web's test harness builds it, from `from`.
fn actix_request(from: IpAddr, request: Request<Bytes>) -> actix_web::test::TestRequest {
    let (parts, body) = request.into_parts();
    let mut test = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap())
        .uri(&parts.uri.to_string())
        .peer_addr(SocketAddr::new(from, 0))
        .set_payload(body);
    for (name, value) in &parts.headers {
        test = test.append_header((
            ActixHeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            ActixHeaderValue::from_bytes(value.as_bytes()).unwrap(),
        ));
    }
    test
}

async fn reply_of(response: HttpResponse) -> Reply {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        headers.append(
            HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body,
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
    CurrentUser::log_in_unrestricted(&session, &query["user"])
        .await
        .unwrap();
    HttpResponse::SeeOther()
        .insert_header(("location", "/account"))
        .finish()
}

async fn page(session: Session, what: &str) -> HttpResponse {
    match CurrentUser::<String>::of(&session).await.unwrap() {
        Some(current) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!("{what}{}", current.user)),
        None => HttpResponse::SeeOther()
            .insert_header(("location", "/login"))
            .finish(),
    }
}

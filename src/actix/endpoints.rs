//! [`ActixEndpoints`]: the one place the actix web face is configured, and
//! its two endpoints.

use std::fmt;
use std::future::{Future, ready};
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::web::{Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, web};

use super::guard::ActixGuard;
use super::response::into_response;
use super::session::ActixLogin;
use super::sessions::ActixSessions;
use crate::issue::Link;
use crate::mail::Address;
use crate::web::LinkUser;
use crate::web::email::flow as email_flow;
use crate::web::pipeline;
use crate::web::{AppError, CreateRefusal, Settings};

/// The app's side of the actix endpoints: who the API caller is, and
/// optionally the user's stamp.
///
/// ```
/// use authlink::actix::ActixApp;
///
/// struct App;
///
/// impl ActixApp for App {
///     type User = String;
///
///     async fn api_user(&self, request: &actix_web::HttpRequest) -> Option<String> {
///         // A real app looks the bearer token up in its database.
///         let token = request.headers().get("authorization")?.to_str().ok()?;
///         (token == "Bearer alice-api-token").then(|| "alice".into())
///     }
/// }
/// ```
pub trait ActixApp: Send + Sync + 'static {
    /// The user id links carry (`u64`, `String`, `Uuid`…). Its `Debug` form
    /// appears in log events.
    type User: LinkUser;

    /// The authenticated caller of the create endpoint, or `None` for a 401.
    fn api_user(&self, request: &HttpRequest) -> impl Future<Output = Option<Self::User>>;

    /// The user whose email address is `address`, for email sign-in
    /// ([`EmailSettings`](crate::web::EmailSettings)); default: nobody.
    /// The endpoint answers the same either way, and mails only a user.
    ///
    /// # Errors
    /// An [`AppError`] when the users cannot be read: the browser gets the
    /// retry page.
    fn user_for_email(
        &self,
        address: &Address,
    ) -> impl Future<Output = Result<Option<Self::User>, AppError>> {
        let _ = address;
        ready(Ok(None))
    }

    /// The user's current stamp, bound into links at issue and compared at
    /// consume: when it changes, the user's outstanding links stop working.
    /// Default: no stamp.
    ///
    /// # Errors
    /// An [`AppError`] when it cannot be read; no link is issued or consumed
    /// then (503).
    fn user_stamp(
        &self,
        user: &Self::User,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, AppError>> {
        let _ = user;
        ready(Ok(None))
    }
}

/// The create endpoint, the consume endpoint and the session guard on
/// actix-web, on one [`Settings`] value: the same settings, defaults,
/// answers, texts, log events and metrics as the tower adapter's
/// `http::Endpoints`.
pub struct ActixEndpoints<A> {
    config: Arc<Settings>,
    app: Arc<A>,
}

impl<A> Clone for ActixEndpoints<A> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            app: Arc::clone(&self.app),
        }
    }
}

impl<A> fmt::Debug for ActixEndpoints<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixEndpoints")
            .field("settings", &self.config)
            .finish_non_exhaustive()
    }
}

impl<A: ActixApp> ActixEndpoints<A> {
    /// The endpoints of `settings`, asking `app` who API callers are.
    pub fn new(settings: Settings, app: A) -> Self {
        Self {
            config: Arc::new(settings),
            app: Arc::new(app),
        }
    }

    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.config
    }

    /// Mounts the create endpoint at its path and the consume endpoint at
    /// the URL template's path, every method (others get 405):
    /// `App::new().configure(routes.clone())`.
    pub fn routes(&self) -> impl FnOnce(&mut ServiceConfig) + Clone + Send + 'static {
        let prefix = self.config.consume_prefix().to_owned();
        let consume_path = format!("{prefix}{{key}}");
        let create_path = self.config.create_path.clone();
        let email_paths = self.config.email.as_ref().map(|email| {
            [
                email.request_path.clone(),
                email.code_path(),
                format!("{}/{{key}}", email.request_path),
            ]
        });
        let this = self.clone();
        move |config: &mut ServiceConfig| {
            // The code path before `{key}`, which would match it too.
            for path in email_paths.into_iter().flatten() {
                let email = this.clone();
                config.service(web::resource(path).default_service(web::to(
                    move |request: HttpRequest, body: Payload| {
                        let email = email.clone();
                        async move { email.email(request, body).await }
                    },
                )));
            }
            let create = this.clone();
            let consume = this.clone();
            // An empty key is a failure like any other, not a 404.
            let consume_empty = this;
            config
                .service(web::resource(create_path).default_service(web::to(
                    move |request: HttpRequest, body: Payload| {
                        let create = create.clone();
                        async move { create.create(request, body).await }
                    },
                )))
                .service(web::resource(consume_path).default_service(web::to(
                    move |request: HttpRequest| {
                        let consume = consume.clone();
                        async move { consume.consume(request).await }
                    },
                )))
                .service(web::resource(prefix).default_service(web::to(
                    move |request: HttpRequest| {
                        let consume = consume_empty.clone();
                        async move { consume.consume(request).await }
                    },
                )));
        }
    }

    /// The session guard middleware, to `wrap` the app's pages inside
    /// [`sessions`](Self::sessions).
    #[must_use]
    pub fn guard(&self) -> ActixGuard {
        ActixGuard::new(Arc::clone(&self.config))
    }

    /// The app's actix-session middleware as the endpoints and the guard
    /// need it: wrap the whole `App` in it, as the last `wrap`. A request
    /// that did not pass it is answered `500` with one log line naming this
    /// fix, and a session store failing after a sign-in gives the link
    /// back (see [`ActixSessions`]).
    ///
    /// ```
    /// # use authlink::{actix::{ActixApp, ActixEndpoints}, web::Settings, *};
    /// # struct App;
    /// # impl ActixApp for App { type User = String;
    /// #     async fn api_user(&self, _: &actix_web::HttpRequest) -> Option<String> { None } }
    /// # let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "app", Policy::default())?;
    /// # let endpoints = ActixEndpoints::new(Settings::with_origin(authlink, "https://app.example")?, App);
    /// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
    /// use actix_web::cookie::{Key, SameSite};
    ///
    /// let key = Key::generate();
    /// let app = actix_web::App::new()
    ///     .configure(endpoints.routes())
    ///     .wrap(endpoints.guard())
    ///     .wrap(endpoints.sessions(
    ///         SessionMiddleware::builder(CookieSessionStore::default(), key)
    ///             .cookie_same_site(SameSite::Lax)
    ///             .build(),
    ///     ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sessions<Store: SessionStore>(
        &self,
        middleware: SessionMiddleware<Store>,
    ) -> ActixSessions<Store> {
        ActixSessions::new(middleware, Arc::clone(&self.config))
    }

    /// The create endpoint: the answers of the tower adapter's
    /// `http::CreateService`, whose docs list them.
    pub async fn create(&self, request: HttpRequest, body: Payload) -> HttpResponse {
        let app = &*self.app;
        let api_user = async |request: &mut HttpRequest| app.api_user(request).await;
        let read_body = async |limit| read_body(body, limit).await;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        let mut request = request;
        let answer =
            pipeline::create(&self.config, &mut request, api_user, read_body, stamp_of).await;
        into_response(answer)
    }

    /// Issues a link for `user` to `target`, bound to the client address of
    /// `request` (through the trusted proxies) and the user's stamp: the
    /// create endpoint's work, for an app's own handler with its own error
    /// format.
    ///
    /// # Errors
    /// [`CreateRefusal::NoClientAddress`], [`CreateRefusal::RateLimited`]
    /// (see [`Settings::create_limits`]),
    /// [`CreateRefusal::Unavailable`] (the stamp could not be read), or the
    /// target's refusal.
    pub async fn issue(
        &self,
        request: &HttpRequest,
        user: &A::User,
        target: &str,
    ) -> Result<Link, CreateRefusal> {
        let app = &*self.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        pipeline::issue(&self.config, request, user, target, stamp_of).await
    }

    /// The email sign-in endpoints (ask by address, the mailed link, the
    /// code), by the request's path; `404` when the settings have no email
    /// sign-in. [`routes`](Self::routes) mounts them.
    pub async fn email(&self, request: HttpRequest, body: Payload) -> HttpResponse {
        let config = &*self.config;
        let Some(email) = config.email.as_ref() else {
            return HttpResponse::NotFound().finish();
        };
        let app = &*self.app;
        let user_for_email = async |address: &Address| app.user_for_email(address).await;
        let read_body = async |limit| read_body(body, limit).await;
        let path = request.path();
        let answer = if path == email.request_path {
            email_flow::ask(config, email, &request, read_body, user_for_email).await
        } else {
            let mut session = ActixLogin::of(&request);
            if session.as_ref().is_some_and(ActixLogin::unguarded) {
                return into_response(pipeline::misconfigured(config));
            }
            if path == email.code_path() {
                email_flow::code(
                    config,
                    email,
                    &request,
                    read_body,
                    user_for_email,
                    session.as_mut(),
                )
                .await
            } else {
                email_flow::open::<A::User, _, _>(config, email, &request, session.as_mut()).await
            }
        };
        into_response(answer)
    }

    /// The consume endpoint: the answers of the tower adapter's
    /// `http::ConsumeService`, whose docs list them.
    pub async fn consume(&self, request: HttpRequest) -> HttpResponse {
        let mut session = ActixLogin::of(&request);
        if session.as_ref().is_some_and(ActixLogin::unguarded) {
            return into_response(pipeline::misconfigured(&self.config));
        }
        let app = &*self.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        let answer = pipeline::consume(&self.config, &request, session.as_mut(), stamp_of).await;
        into_response(answer)
    }
}

/// The request body, up to `limit` bytes.
async fn read_body(body: Payload, limit: usize) -> Result<Vec<u8>, CreateRefusal> {
    match body.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Ok(Err(_)) => Err(CreateRefusal::UnreadableBody),
        Err(_) => Err(CreateRefusal::TooLarge),
    }
}

//! [`ActixEndpoints`]: the one place the actix web face is configured, and
//! its two endpoints.

use std::fmt;
use std::future::{Future, ready};
use std::sync::Arc;

use actix_session::SessionExt as _;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use super::guard::ActixGuard;
use super::session::ActixLogin;
use crate::error::FailureReason;
use crate::issue::Link;
use crate::user::UserId;
use crate::web::flow::{self, Consumed};
use crate::web::routes::GuardPaths;
use crate::web::{
    AppError, CONSUME_ALLOW, ConsumeRequest, ConsumeStep, CreateRefusal, RETRY_AFTER_SECONDS,
    Settings, consume_step, created_body, declared_too_large, is_json, target_from_body,
};

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
    type User: UserId + DeserializeOwned + fmt::Debug + 'static;

    /// The authenticated caller of the create endpoint, or `None` for a 401.
    fn api_user(&self, request: &HttpRequest) -> impl Future<Output = Option<Self::User>>;

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
/// answers, texts, log events and metrics as
/// [`Endpoints`](crate::http::Endpoints).
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
            .field("authlink", &self.config.authlink)
            .field("trusted", &self.config.trusted)
            .field("failure_url", &self.config.failure_url_template())
            .field("mode", &self.config.mode)
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
        let this = self.clone();
        move |config: &mut ServiceConfig| {
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

    /// The session guard middleware, to `wrap` the app's pages inside the
    /// app's `SessionMiddleware`.
    #[must_use]
    pub fn guard(&self) -> ActixGuard<A> {
        ActixGuard::new(self.clone())
    }

    pub(super) fn guard_paths(&self) -> GuardPaths<'_> {
        self.config.guard_paths()
    }

    pub(super) fn forbidden(&self) -> HttpResponse {
        text(
            StatusCode::FORBIDDEN,
            self.config.messages.forbidden.to_string(),
        )
    }

    /// The create endpoint: see [`CreateService`](crate::http::CreateService)
    /// for its answers, which are the same.
    pub async fn create(&self, request: HttpRequest, body: Payload) -> HttpResponse {
        let result = flow::observe_create(self.respond_create(&request, body)).await;
        let mut response = result.unwrap_or_else(|refusal| {
            let status =
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = HttpResponse::build(status)
                .content_type("application/json")
                .body(refusal.body(&self.config.messages).to_string());
            if let Some((name, Ok(value))) = refusal
                .header()
                .map(|(name, value)| (name, HeaderValue::try_from(value)))
            {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
            response
        });
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    async fn respond_create(
        &self,
        request: &HttpRequest,
        body: Payload,
    ) -> Result<HttpResponse, CreateRefusal> {
        let config = &*self.config;
        if request.method() != Method::POST {
            return Err(CreateRefusal::MethodNotAllowed);
        }
        let Some(user) = self.app.api_user(request).await else {
            return Err(flow::create_refused::<A::User>(
                None,
                CreateRefusal::Unauthenticated,
            ));
        };
        let refused = |refusal| flow::create_refused(Some(&user), refusal);
        let value = |name| request.headers().get(name).map(HeaderValue::as_bytes);
        if !is_json(value(header::CONTENT_TYPE)) {
            return Err(refused(CreateRefusal::UnsupportedMediaType));
        }
        if declared_too_large(value(header::CONTENT_LENGTH), config.body_limit) {
            return Err(refused(CreateRefusal::TooLarge));
        }
        let bytes = match body.to_bytes_limited(config.body_limit).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => return Err(refused(CreateRefusal::UnreadableBody)),
            Err(_) => return Err(refused(CreateRefusal::TooLarge)),
        };
        let target = target_from_body(&bytes).map_err(refused)?;
        let link = self.issue(request, &user, &target).await.map_err(refused)?;
        flow::issued(&user, &link);
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, link.url.as_str()))
            .content_type("application/json")
            .body(created_body(&target, &link.url).to_string()))
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
        let ip = super::client_ip(request, &self.config.trusted);
        let app = &*self.app;
        flow::issue_link(&self.config, ip, user, target, async |user: &A::User| {
            app.user_stamp(user).await
        })
        .await
    }

    /// The consume endpoint: see [`ConsumeService`](crate::http::ConsumeService)
    /// for its answers, which are the same.
    pub async fn consume(&self, request: HttpRequest) -> HttpResponse {
        let config = &*self.config;
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let facts = ConsumeRequest {
            method: request.method().as_str(),
            sec_fetch_site: header("sec-fetch-site"),
            origin: header("origin"),
            host: header("host").or_else(|| request.uri().authority().map(|a| a.as_str())),
        };
        let mut response = match consume_step(config.mode, config.confirm, &facts) {
            ConsumeStep::Consume => self.consume_link(&request).await,
            ConsumeStep::Confirm(page) => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    page.content_security_policy(),
                ))
                .body(page.html(&config.messages)),
            ConsumeStep::Probe => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .finish(),
            ConsumeStep::Refuse(reason) => {
                flow::refuse_request(reason);
                self.failure(reason)
            }
            _ => {
                let mut response = text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    config.messages.method_not_allowed.to_string(),
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(CONSUME_ALLOW));
                response
            }
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }

    async fn consume_link(&self, request: &HttpRequest) -> HttpResponse {
        let config = &*self.config;
        let key = request.path().rsplit('/').next().unwrap_or_default();
        let ip = super::client_ip(request, &config.trusted);
        let mut session = ActixLogin(request.get_session());
        let app = &*self.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        match flow::consume_link(config, key, ip, Some(&mut session), stamp_of).await {
            Consumed::LoggedIn(target) => see_other(&target),
            Consumed::Refused(reason) => self.failure(reason),
            Consumed::SignInFailed => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                config.messages.sign_in_failed.to_string(),
            ),
        }
    }

    /// `503` with `Retry-After` when a retry may work, else `303` to the
    /// failure URL, as [`Responses::failure`](crate::http::Responses::failure).
    fn failure(&self, reason: FailureReason) -> HttpResponse {
        let config = &*self.config;
        if reason == FailureReason::Unavailable {
            let mut response = text(
                StatusCode::SERVICE_UNAVAILABLE,
                config.messages.failure(reason).to_owned(),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        } else {
            see_other(&config.failure_location(reason))
        }
    }
}

fn text(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// `303 See Other`; a location that is not a header value leads to `/`.
fn see_other(location: &str) -> HttpResponse {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

//! Helpers for the actix tests that call an `App` in-process
//! (`actix_web::test`): the tests' endpoints and sessions, a link for alice,
//! requests from 127.0.0.1 and what came back.

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::SessionStore;
use actix_web::cookie::Key;
use actix_web::dev::ServiceResponse;
use actix_web::{HttpRequest, test};
use authlink::actix::{ActixApp, ActixEndpoints};
use authlink::web::{CurrentUser, Settings};

pub(crate) fn endpoints<A: ActixApp>(app: A) -> ActixEndpoints<A> {
    let clock = crate::fixtures::clock();
    let settings =
        Settings::with_origin(crate::fixtures::engine(&clock), crate::http_support::ORIGIN)
            .unwrap()
            .failure_url("/?error={reason}")
            .unwrap();
    ActixEndpoints::new(settings, app)
}

pub(crate) fn sessions<Store: SessionStore>(store: Store) -> SessionMiddleware<Store> {
    SessionMiddleware::builder(store, Key::from(&[7u8; 64]))
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

pub(crate) async fn account(me: CurrentUser<String>) -> String {
    format!("Hello, {}", me.user)
}

/// A link for alice to `/account`, bound to 127.0.0.1.
pub(crate) fn link<A: ActixApp<User = String>>(endpoints: &ActixEndpoints<A>) -> String {
    let request = test::TestRequest::default()
        .peer_addr(([127, 0, 0, 1], 40_000).into())
        .to_http_request();
    let link =
        futures::executor::block_on(endpoints.issue(&request, &"alice".to_owned(), "/account"))
            .unwrap();
    crate::http_support::path_of(&link.url).to_owned()
}

pub(crate) fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .peer_addr(([127, 0, 0, 1], 40_000).into())
}

pub(crate) fn get_with_cookie(path: &str, cookie: &str) -> test::TestRequest {
    get(path).insert_header(("cookie", cookie))
}

/// A response as the client sees it.
pub(crate) struct Answered {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) cookies: Vec<String>,
    pub(crate) location: Option<String>,
}

impl Answered {
    /// The first cookie set, as a request sends it back.
    pub(crate) fn cookie(&self) -> String {
        self.cookies[0].split(';').next().unwrap().to_owned()
    }
}

/// A response, or the error the service returned as actix's server turns
/// it into a response.
pub(crate) async fn answer<B: actix_web::body::MessageBody + 'static>(
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

pub(crate) struct Alice;

impl ActixApp for Alice {
    type User = String;

    async fn api_user(&self, _request: &HttpRequest) -> Option<String> {
        None
    }
}

/// A browser: the app in-process and its session cookie.
pub(crate) struct Browser<S> {
    pub(crate) app: S,
    pub(crate) cookie: Option<String>,
}

impl<S, B> Browser<S>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody + 'static,
{
    pub(crate) async fn send(&mut self, request: test::TestRequest) -> Answered {
        let request = match &self.cookie {
            Some(cookie) => request.insert_header(("cookie", cookie.as_str())),
            None => request,
        };
        let answered = answer(self.app.call(request.to_request()).await).await;
        if let Some(set) = answered.cookies.first() {
            let cookie = set.split(';').next().unwrap().to_owned();
            // A removal (`id=; Max-Age=0`) ends the session.
            self.cookie = (!cookie.ends_with('=')).then_some(cookie);
        }
        answered
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answered {
        self.send(get(path)).await
    }

    pub(crate) async fn post(&mut self, path: &str) -> Answered {
        self.send(get(path).method(actix_web::http::Method::POST))
            .await
    }
}

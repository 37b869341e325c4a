//! The actix-web adapter in-process: the shared scenarios (the same as
//! the tower adapter's in tests/tower/endpoints.rs) against an actix server on
//! actix-session, and what only actix has.

use crate::actix_support;
use crate::http_support;
use crate::scenarios;

use std::net::SocketAddr;

use actix_support::ActixTestApp;
use authlink::ManualClock;
use authlink::replay::ReplayCache;
use http_support::{Client, Options, TestAdapter};
use scenarios::Server;

impl Server for ActixTestApp {
    async fn start_with<C: ReplayCache + Send + Sync + 'static>(
        options: Options,
        cache: C,
    ) -> Self {
        ActixTestApp::start_with(options, cache).await
    }
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn adapter(&self) -> &TestAdapter {
        &self.adapter
    }
    fn client(&self) -> Client {
        ActixTestApp::client(self)
    }
    // Sessions live in the (encrypted) cookie: nothing on the server to ask.
    async fn has_session(&self, _id: &str) -> Option<bool> {
        None
    }
    const SESSION_ID_LEN: Option<usize> = None;
}

mod shared {
    crate::scenarios!(crate::actix_support::ActixTestApp);
}

/// An app's own actix handler issues with `ActixEndpoints::issue`, with
/// its own answers; the link is bound to that request's client address and
/// the consume route logs the user in once.
#[actix_web::test]
async fn an_app_handler_issues_with_one_call() {
    use actix_session::SessionMiddleware;
    use actix_session::storage::CookieSessionStore;
    use actix_web::{App, HttpRequest, HttpResponse, test, web};
    use authlink::actix::ActixEndpoints;

    let clock = crate::fixtures::clock();
    let settings = authlink::web::Settings::with_origin(
        crate::fixtures::engine(&clock),
        crate::http_support::ORIGIN,
    )
    .unwrap()
    .failure_url("/?error={reason}")
    .unwrap();
    let endpoints = ActixEndpoints::new(
        settings,
        crate::actix_support::ActixTestLinkApp(std::sync::Arc::default()),
    );
    let routes = endpoints.routes();
    let issuer = endpoints.clone();
    let service = test::init_service(
        App::new()
            .configure(routes)
            .route(
                "/mine/links",
                web::post().to(move |request: HttpRequest| {
                    let endpoints = issuer.clone();
                    async move {
                        let target = request.query_string().to_owned();
                        match endpoints
                            .issue(&request, &"alice".to_owned(), &target)
                            .await
                        {
                            Ok(link) => HttpResponse::Ok().body(link.url),
                            Err(refusal) => HttpResponse::ImATeapot().body(refusal.code()),
                        }
                    }
                }),
            )
            .wrap(
                endpoints.sessions(
                    SessionMiddleware::builder(
                        CookieSessionStore::default(),
                        actix_web::cookie::Key::from(&[7u8; 64]),
                    )
                    .cookie_secure(false)
                    .build(),
                ),
            ),
    )
    .await;
    let from = |ip: [u8; 4]| std::net::SocketAddr::from((ip, 40_000));
    let post = |uri: &str| {
        test::TestRequest::post()
            .uri(uri)
            .peer_addr(from([127, 0, 0, 1]))
            .to_request()
    };

    let refused = test::call_service(&service, post("/mine/links?/admin")).await;
    assert_eq!(refused.status().as_u16(), 418);
    assert_eq!(test::read_body(refused).await, "not_whitelisted");
    let issued = test::call_service(&service, post("/mine/links?/account")).await;
    assert_eq!(issued.status().as_u16(), 200);
    let link = String::from_utf8(test::read_body(issued).await.to_vec()).unwrap();
    let prefix = format!("{}/authlink/", crate::http_support::ORIGIN);
    assert!(link.starts_with(&prefix), "{link}");
    let link = link[crate::http_support::ORIGIN.len()..].to_owned();

    let open = |ip: [u8; 4]| {
        test::TestRequest::get()
            .uri(&link)
            .peer_addr(from(ip))
            .to_request()
    };
    let location = |response: &actix_web::dev::ServiceResponse| {
        response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    // Bound to the address the handler's request came from.
    let elsewhere = test::call_service(&service, open([127, 0, 0, 2])).await;
    assert_eq!(location(&elsewhere), "/?error=client_mismatch");
    let opened = test::call_service(&service, open([127, 0, 0, 1])).await;
    assert_eq!(location(&opened), "/account");
    assert!(opened.headers().contains_key("set-cookie"));
    let again = test::call_service(&service, open([127, 0, 0, 1])).await;
    assert_eq!(location(&again), "/?error=used");

    // No peer address is the server's mistake: a 500, never the client's
    // 400, and the link it would have opened stays unused.
    let link_for_later = String::from_utf8(
        test::read_body(test::call_service(&service, post("/mine/links?/account")).await)
            .await
            .to_vec(),
    )
    .unwrap();
    let unknown = test::TestRequest::post()
        .uri("/mine/links?/account")
        .to_request();
    let refused = test::call_service(&service, unknown).await;
    assert_eq!(refused.status().as_u16(), 418);
    assert_eq!(test::read_body(refused).await, "internal");
    let create = test::TestRequest::post()
        .uri("/api/authlink")
        .insert_header(("authorization", "Bearer alice-api-token"))
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"url": "/account"}"#)
        .to_request();
    assert_eq!(
        test::call_service(&service, create).await.status().as_u16(),
        500
    );
    let consume = test::TestRequest::get().uri(&link_for_later).to_request();
    assert_eq!(
        test::call_service(&service, consume)
            .await
            .status()
            .as_u16(),
        500
    );
    let opened = test::call_service(
        &service,
        test::TestRequest::get()
            .uri(&link_for_later)
            .peer_addr(from([127, 0, 0, 1]))
            .to_request(),
    )
    .await;
    assert_eq!(location(&opened), "/account");
}

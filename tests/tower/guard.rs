//! The session guard in-process (django-authlink's
//! AuthLinkWhitelistMiddleware tests): link sessions reach whitelisted pages
//! only; other sessions and anonymous requests pass untouched.

use crate::http_support;

use http::StatusCode;

fn engine_with_template(template: &str) -> authlink::Authlink {
    let mut policy = crate::fixtures::policy();
    policy.url_template = template.parse().unwrap();
    authlink::Authlink::new(
        authlink::KeyRing::from(crate::fixtures::secret()),
        "t",
        policy,
    )
    .unwrap()
}

fn endpoints_for(
    template: &str,
) -> Result<http_support::TestEndpoints, authlink::web::EndpointsError> {
    use authlink::http::Endpoints;
    use http_support::{TestAdapter, TestLinkApp, TestSessions};
    let sessions = TestSessions::new(tower_sessions::MemoryStore::default())
        .cookie_name(http_support::COOKIE_NAME)
        .insecure_cookie();
    let authlink = engine_with_template(template);
    let settings = if template.contains("://") {
        authlink::web::Settings::new(authlink)?
    } else {
        authlink::web::Settings::with_origin(authlink, http_support::ORIGIN)?
    };
    Ok(Endpoints::new(
        settings,
        TestLinkApp(std::sync::Arc::new(TestAdapter::default())),
        sessions,
    ))
}

/// A template whose key is not a path segment of its own would let the
/// guard take app pages for consume paths (`/a{key}`: `/admin`), or give
/// the consume route every page (`/{key}`): refused when the settings both
/// stacks take are built, before any guard or route exists.
#[test]
fn a_key_without_a_path_of_its_own_is_refused_at_start_up() {
    use authlink::web::EndpointsError;
    for template in [
        "/{key}",
        "/a{key}",
        "/authlink/x{key}",
        "/authlink/{key}x",
        "/authlink/{key}/go",
        "/authlink?key={key}",
        "authlink/{key}",
        "//evil.example/authlink/{key}",
        "/a*/{key}",
        "https://app.example.com/{key}",
        "https://app.example.com/a{key}",
    ] {
        assert_eq!(
            endpoints_for(template).err(),
            Some(EndpointsError::ConsumeRoute),
            "{template}"
        );
    }
    for template in [
        "/authlink/{key}",
        "/a/{key}",
        "/authlink/{key}?via=app",
        "https://app.example.com/l/{key}",
    ] {
        assert!(endpoints_for(template).is_ok(), "{template}");
    }
}

/// Links must be absolute for an app to open them: a relative template
/// needs the public origin, given once and well-formed; the links the
/// endpoints hand out then start with it.
#[tokio::test]
async fn relative_templates_need_the_public_origin_once() {
    use authlink::web::{EndpointsError, Settings};
    let relative = || engine_with_template("/authlink/{key}");
    let absolute = || engine_with_template("https://app.example/authlink/{key}");
    assert_eq!(
        Settings::new(relative()).err(),
        Some(EndpointsError::RelativeLinks)
    );
    assert!(Settings::new(absolute()).is_ok());
    for origin in [
        "app.example",
        "https://app.example/",
        "https://app.example/x",
        "",
    ] {
        assert_eq!(
            Settings::with_origin(relative(), origin).err(),
            Some(EndpointsError::Origin),
            "{origin}"
        );
    }
    assert_eq!(
        Settings::with_origin(absolute(), "https://app.example").err(),
        Some(EndpointsError::Origin)
    );
    assert!(
        EndpointsError::RelativeLinks
            .to_string()
            .contains("Settings::with_origin")
    );
    let endpoints = endpoints_for("/a/{key}").unwrap();
    let (addr, server) = http_support::serve(endpoints.router(http_support::pages())).await;
    let created = http_support::Client::new(addr)
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await;
    let link = created.created_link();
    assert!(link.starts_with("https://app.example/a/"), "{link}");
    assert_eq!(created.json()["link"], link.as_str());
    server.abort();
}

/// With a key under `/a/`, `/a/<anything>` is the consume endpoint's, but
/// `/admin` and `/a` are not.
#[tokio::test]
async fn only_the_consume_path_passes_for_link_sessions() {
    let endpoints = endpoints_for("/a/{key}").unwrap();
    let (addr, server) = http_support::serve(endpoints.router(http_support::pages())).await;
    let client = http_support::Client::new(addr);
    let link = client
        .create("alice-api-token", r#"{"url": "/account"}"#)
        .await
        .created_link();
    client.get(&link).await.assert_redirect("/account");
    assert_eq!(client.get("/account").await.text(), "Hello, alice");
    assert_eq!(client.get("/admin").await.status, StatusCode::FORBIDDEN);
    server.abort();
}

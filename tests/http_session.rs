//! Session pieces on their own: the cookie's attributes and the `Secure`
//! rule, fresh session ids, the bounded in-memory store, failure reasons.
#![cfg(feature = "http")]
// Helpers outside #[test] functions fail tests by panicking, as the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use authlink::FailureReason;
use authlink::VerifyErrorKind;
use authlink::http::{
    BrowserSession, CookieNameError, CookieSessions, MemorySessions, SessionCookie, SessionId,
    SessionStoreFull,
};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, Request, Response, request, response};

fn request(uri: &str, host: Option<&str>) -> request::Parts {
    let mut builder = Request::get(uri);
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    builder.body(()).unwrap().into_parts().0
}

#[test]
fn cookie_attributes_and_secure_rule() {
    let cookie = SessionCookie::new("sid").unwrap();
    let id = SessionId::generate();
    for (uri, host, secure) in [
        ("/", Some("localhost:8080"), false),
        ("/", Some("127.0.0.1:8080"), false),
        ("/", Some("[::1]:8080"), false),
        ("/", Some("localhost"), false),
        ("/", Some("app.example.com"), true),
        ("/", Some("localhost.example.com"), true),
        ("/", Some("127.0.0.1.nip.io"), true),
        ("/", None, true),
        ("https://localhost/", None, true),
        ("http://localhost/", None, false),
        ("http://[::1]:8080/", None, false),
    ] {
        let value = cookie.set(&id, &request(uri, host));
        let text = value.to_str().unwrap();
        assert!(
            text.starts_with(&format!(
                "sid={}; Path=/; HttpOnly; SameSite=Lax",
                id.as_str()
            )),
            "{text}"
        );
        assert_eq!(text.ends_with("; Secure"), secure, "{uri} {host:?}: {text}");
        let cleared = cookie.clear(&request(uri, host));
        let cleared = cleared.to_str().unwrap();
        assert!(
            cleared.starts_with("sid=; Path=/; HttpOnly; SameSite=Lax")
                && cleared.ends_with("; Max-Age=0"),
            "{cleared}"
        );
        assert_eq!(cleared.contains("; Secure"), secure, "{cleared}");
    }
}

#[test]
fn cookie_names_are_tokens() {
    assert!(SessionCookie::new("__Host-session").is_ok());
    for bad in ["", "a b", "a;b", "a=b", "é", "a\"b"] {
        assert_eq!(
            SessionCookie::new(bad).unwrap_err(),
            CookieNameError,
            "{bad:?}"
        );
    }
}

#[test]
fn cookie_is_read_from_any_cookie_header() {
    let cookie = SessionCookie::new("sid").unwrap();
    let mut headers = HeaderMap::new();
    assert_eq!(cookie.read(&headers), None);
    headers.append("cookie", "theme=dark; xsid=nope".parse().unwrap());
    assert_eq!(cookie.read(&headers), None);
    headers.append("cookie", "a=1;sid=abc; b=2".parse().unwrap());
    assert_eq!(cookie.read(&headers), Some("abc"));
}

#[test]
fn session_ids_are_fresh_and_redacted() {
    let ids: HashSet<String> = (0..1000)
        .map(|_| SessionId::generate().as_str().to_owned())
        .collect();
    assert_eq!(ids.len(), 1000);
    let id = SessionId::generate();
    assert_eq!(id.as_str().len(), 43);
    assert!(
        id.as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let debug = format!("{id:?}");
    assert!(!debug.contains(id.as_str()), "{debug}");
}

#[test]
fn memory_sessions_are_bounded() {
    let store = MemorySessions::with_limits(2, Duration::from_secs(3600));
    let a = store
        .create(BrowserSession::via_link("alice".to_owned()))
        .unwrap();
    let b = store
        .create(BrowserSession::other("bob".to_owned()))
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        store.create(BrowserSession::other("carol".to_owned())),
        Err(SessionStoreFull)
    );
    assert_eq!(
        store.get(a.as_str()),
        Some(BrowserSession::via_link("alice".to_owned()))
    );
    assert!(!store.get(b.as_str()).unwrap().via_link);
    assert_eq!(store.get("unknown"), None);
    store.remove(a.as_str());
    assert_eq!(store.get(a.as_str()), None);
    assert_eq!(store.len(), 1);
    assert!(
        store
            .create(BrowserSession::other("carol".to_owned()))
            .is_ok()
    );
}

#[test]
fn expired_sessions_are_gone_and_make_room() {
    let store = MemorySessions::with_limits(1, Duration::ZERO);
    let a = store.create(BrowserSession::other(1u64)).unwrap();
    assert_eq!(store.get(a.as_str()), None);
    // Full of expired sessions only: they are swept for the new one.
    let b = store.create(BrowserSession::other(2u64)).unwrap();
    assert_eq!(store.len(), 1);
    assert_ne!(a, b);
}

fn response() -> response::Parts {
    Response::new(()).into_parts().0
}

/// The request a browser sends back after `response` set its cookie.
fn with_cookie_from(response: &response::Parts) -> request::Parts {
    let set = response.headers[SET_COOKIE].to_str().unwrap();
    let pair = set.split(';').next().unwrap();
    Request::get("/")
        .header("host", "localhost")
        .header(COOKIE, pair)
        .body(())
        .unwrap()
        .into_parts()
        .0
}

#[test]
fn cookie_sessions_start_read_and_end() {
    let sessions = CookieSessions::new(SessionCookie::new("sid").unwrap());
    let first = request("/", Some("localhost"));
    assert_eq!(sessions.current(&first), None);

    let mut started = response();
    sessions
        .start(&first, BrowserSession::via_link("alice"), &mut started)
        .unwrap();
    let back = with_cookie_from(&started);
    assert_eq!(
        sessions.current(&back),
        Some(BrowserSession::via_link("alice"))
    );
    assert_eq!(sessions.store().len(), 1);

    let mut ended = response();
    sessions.end(&back, &mut ended);
    assert!(
        ended.headers[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(sessions.current(&back), None);
    assert!(sessions.store().is_empty());
}

#[test]
fn a_full_cookie_session_store_sets_no_cookie() {
    let store = MemorySessions::with_limits(1, Duration::from_secs(60));
    let sessions = CookieSessions::with_store(store, SessionCookie::new("sid").unwrap());
    let request = request("/", Some("localhost"));
    let mut first = response();
    sessions
        .start(&request, BrowserSession::via_link("alice"), &mut first)
        .unwrap();
    let mut second = response();
    assert_eq!(
        sessions.start(&request, BrowserSession::via_link("bob"), &mut second),
        Err(SessionStoreFull)
    );
    assert!(second.headers.is_empty());
}

#[test]
fn every_verify_error_kind_has_its_failure_reason() {
    use VerifyErrorKind::*;
    for (kind, code) in [
        (Malformed, "invalid"),
        (UnsupportedVersion, "invalid"),
        (UnknownKey, "invalid"),
        (BadSignature, "invalid"),
        (Expired, "expired"),
        (IssuedInFuture, "invalid"),
        (TargetNotAllowed, "invalid"),
        (ClientMismatch, "client_mismatch"),
        (Revoked, "revoked"),
        (StampUnavailable, "unavailable"),
        (AlreadyUsed, "used"),
        (ReplayCacheUnavailable, "unavailable"),
    ] {
        let reason = FailureReason::from(kind);
        assert_eq!(reason.code(), code, "{kind:?}");
        assert_eq!(reason.code().parse::<FailureReason>(), Ok(reason));
    }
    assert_eq!(FailureReason::from(BadSignature), FailureReason::Invalid);
    assert!("nonsense".parse::<FailureReason>().is_err());
    assert_eq!(FailureReason::Expired.message(), "Link has expired.");
    assert_eq!(FailureReason::Used.message(), "Link has already been used.");
    assert_eq!(
        FailureReason::ClientMismatch.message(),
        "Mismatch between generation IP address and consumption IP address."
    );
    assert_eq!(
        FailureReason::Used.to_string(),
        FailureReason::Used.message()
    );
}

//! The pending cookie on the wire: read from a request's `Cookie` headers
//! strictly, written as a `Set-Cookie` value, with the `cookie` crate.

use std::time::Duration;

use cookie::{Cookie, SameSite};

/// The value of the cookie `name` in `headers` (each a `Cookie` header's
/// value), or `None`: also when a header does not parse, is not text, or
/// names the cookie twice (one planted by a sibling domain, say), so a
/// value is taken only from a header read whole.
pub(crate) fn read<'a>(headers: impl Iterator<Item = &'a [u8]>, name: &str) -> Option<String> {
    let mut found = None;
    for header in headers {
        let header = std::str::from_utf8(header).ok()?;
        for cookie in Cookie::split_parse(header) {
            let cookie = cookie.ok()?;
            if cookie.name() == name && found.replace(cookie.value().to_owned()).is_some() {
                return None;
            }
        }
    }
    found
}

/// The `Set-Cookie` value that gives the browser `value` under `name`,
/// for `path` and what is under it, for `max_age`: `HttpOnly`,
/// `SameSite=Lax` (the mailed link is a top-level navigation from another
/// site, which must carry it), and `Secure` unless `secure` is off.
pub(crate) fn set(name: &str, value: &str, path: &str, max_age: Duration, secure: bool) -> String {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that removes the cookie `name` at `path`.
pub(crate) fn clear(name: &str, path: &str, secure: bool) -> String {
    set(name, "", path, Duration::ZERO, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(values: &'a [&'a str]) -> impl Iterator<Item = &'a [u8]> {
        values.iter().map(|value| value.as_bytes())
    }

    #[test]
    fn reads_one_cookie_from_headers_read_whole() {
        assert_eq!(
            read(headers(&["a=1; p=xyz; b=2"]), "p").as_deref(),
            Some("xyz")
        );
        assert_eq!(
            read(headers(&["a=1", "p=xyz"]), "p").as_deref(),
            Some("xyz")
        );
        assert_eq!(read(headers(&["a=1"]), "p"), None);
        // Twice, or next to a header that does not parse: nothing.
        assert_eq!(read(headers(&["p=1; p=2"]), "p"), None);
        assert_eq!(read(headers(&["p=1", "p=2"]), "p"), None);
        assert_eq!(read(headers(&["p=1; =bad"]), "p"), None);
        assert_eq!(read([b"p=\xff".as_slice()].into_iter(), "p"), None);
    }

    #[test]
    fn writes_the_flags_the_design_asks_for() {
        let value = set(
            "authlink_pending",
            "abc",
            "/login/email",
            Duration::from_secs(900),
            true,
        );
        for part in [
            "authlink_pending=abc",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/login/email",
            "Max-Age=900",
        ] {
            assert!(value.contains(part), "{part} in {value}");
        }
        assert!(!set("p", "v", "/", Duration::from_secs(1), false).contains("Secure"));
        assert!(clear("p", "/", true).contains("Max-Age=0"));
    }
}

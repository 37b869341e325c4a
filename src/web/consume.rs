//! What the consume endpoint does with a request, decided from its method
//! and a few header values, the same for every framework.
//!
//! # What a `GET` cannot check
//!
//! A link opened from an e-mail or a chat is a top-level navigation from
//! another site: it is cross-site by nature, so a `GET` consume cannot tell a
//! person's click from a page that sends the browser to a link it obtained
//! (login CSRF, which logs the victim into the attacker's account). Exact
//! client-address binding narrows this: the link must be opened from the
//! address it was issued to. In [`ConsumeMode::PrefetchSafe`], only the
//! confirmation page's own same-origin `POST` consumes, and a cross-site
//! `POST` is refused with [`FailureReason::CrossSite`]. The page submits
//! itself ([`ConfirmPage::AutoSubmit`]) only when the browser says the `GET`
//! was not brought by another site (`Sec-Fetch-Site: none` or
//! `same-origin`: a webview, a typed or pasted link); after any other
//! navigation it waits for a person's click ([`ConfirmPage::ButtonOnly`]),
//! so a page elsewhere cannot send a browser to a link and have the page's
//! own script log it in.

use super::confirm::ConfirmPage;
use crate::error::FailureReason;

/// How the endpoint answers a `GET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsumeMode {
    /// `GET` consumes the link and logs in (the default). For links opened
    /// in a webview by the app that asked for them, where nothing else sees
    /// the link first.
    #[default]
    Direct,
    /// `GET` answers a confirmation page whose form posts back to the same
    /// URL; only a same-origin `POST` consumes. For links sent by e-mail or
    /// chat, whose scanners fetch links before the person does and would
    /// otherwise use up a single-use link.
    PrefetchSafe,
}

/// What a request to the consume endpoint gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum ConsumeStep {
    /// Verify the link and log its user in.
    Consume,
    /// Answer this confirmation page; use nothing.
    Confirm(ConfirmPage),
    /// A `HEAD` from a link checker: answer an empty page, use nothing.
    Probe,
    /// Refuse without looking at the link: no session, the failure answer.
    Refuse(FailureReason),
    /// 405 with `Allow: GET, HEAD, POST`.
    MethodNotAllowed,
}

/// The request facts [`consume_step`] needs, as text from any framework.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ConsumeRequest<'a> {
    /// The method, upper case (`GET`, `POST`…).
    pub method: &'a str,
    /// The `Sec-Fetch-Site` header.
    pub sec_fetch_site: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Host` header, or the request URI's authority.
    pub host: Option<&'a str>,
}

/// The value of the `Allow` header of a 405 from the consume endpoint.
pub(crate) const CONSUME_ALLOW: &str = "GET, HEAD, POST";

/// Decides what the consume endpoint does with `request` in `mode`, with
/// `confirm` the confirmation page configured for prefetch-safe links.
///
/// A prefetch-safe `GET` gets `confirm` only when `Sec-Fetch-Site` is `none`
/// or `same-origin`; after a cross-site or same-site navigation, or from a
/// browser that does not say, it gets [`ConfirmPage::ButtonOnly`].
///
/// A `POST` is refused as [`FailureReason::CrossSite`] when the browser
/// says it came from another site (`Sec-Fetch-Site` other than
/// `same-origin` or `none`), or, from browsers that do not send
/// `Sec-Fetch-Site`, when `Origin` is present and names another host than
/// the request's (`null` included). A `POST` with neither header (a client
/// that is not a browser) is let through: browsers send one of them on every
/// cross-site `POST`.
#[must_use]
pub(crate) fn consume_step(
    mode: ConsumeMode,
    confirm: ConfirmPage,
    request: &ConsumeRequest<'_>,
) -> ConsumeStep {
    match request.method {
        "POST" if is_cross_site(request) => ConsumeStep::Refuse(FailureReason::CrossSite),
        "POST" => ConsumeStep::Consume,
        "GET" if mode == ConsumeMode::Direct => ConsumeStep::Consume,
        "GET" if is_own_navigation(request) => ConsumeStep::Confirm(confirm),
        "GET" => ConsumeStep::Confirm(ConfirmPage::ButtonOnly),
        "HEAD" => ConsumeStep::Probe,
        _ => ConsumeStep::MethodNotAllowed,
    }
}

/// Whether the browser says the request was not brought by another site:
/// `Sec-Fetch-Site` is `same-origin`, or `none` (typed, pasted, opened by a
/// webview's host app).
fn is_own_navigation(request: &ConsumeRequest<'_>) -> bool {
    request.sec_fetch_site.map(str::trim).is_some_and(|site| {
        site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none")
    })
}

pub(crate) fn is_cross_site(request: &ConsumeRequest<'_>) -> bool {
    if request.sec_fetch_site.is_some() {
        return !is_own_navigation(request);
    }
    match request.origin.map(str::trim) {
        None => false,
        Some(origin) => {
            let authority = origin
                .split_once("://")
                .map(|(_, rest)| rest.trim_end_matches('/'));
            match (authority, request.host.map(str::trim)) {
                (Some(authority), Some(host)) => !authority.eq_ignore_ascii_case(host),
                // `null`, garbage, or no host to compare with: not provably ours.
                _ => true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mode, method, `Sec-Fetch-Site`, `Origin`, and the step expected.
    type Case = (
        ConsumeMode,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        ConsumeStep,
    );

    #[test]
    fn consume_steps() {
        use ConsumeMode::{Direct, PrefetchSafe};
        use ConsumeStep::{Confirm, Consume, MethodNotAllowed, Probe, Refuse};
        let cross = Refuse(FailureReason::CrossSite);
        let host = Some("app.example");
        let submits = Confirm(ConfirmPage::AutoSubmit);
        let waits = Confirm(ConfirmPage::ButtonOnly);
        #[rustfmt::skip]
        let cases: [Case; 21] = [
            (Direct, "GET", None, None, Consume),
            // A GET is a navigation: cross-site by nature when it comes from a mail.
            (Direct, "GET", Some("cross-site"), None, Consume),
            // The confirmation page submits itself only for a navigation no
            // other site brought: a webview, a typed link, the app's own page.
            (PrefetchSafe, "GET", Some("none"), None, submits),
            (PrefetchSafe, "GET", Some("same-origin"), None, submits),
            (PrefetchSafe, "GET", Some("cross-site"), None, waits),
            (PrefetchSafe, "GET", Some("same-site"), None, waits),
            (PrefetchSafe, "GET", Some("bogus"), None, waits),
            (PrefetchSafe, "GET", None, None, waits),
            (PrefetchSafe, "HEAD", None, None, Probe),
            (Direct, "HEAD", None, None, Probe),
            (PrefetchSafe, "PUT", None, None, MethodNotAllowed),
            (PrefetchSafe, "POST", Some("same-origin"), Some("https://app.example"), Consume),
            (PrefetchSafe, "POST", Some("none"), None, Consume),
            (PrefetchSafe, "POST", Some("cross-site"), None, cross),
            (PrefetchSafe, "POST", Some("same-site"), None, cross),
            (Direct, "POST", Some("cross-site"), None, cross),
            // Without Sec-Fetch-Site, Origin decides.
            (PrefetchSafe, "POST", None, Some("https://app.example"), Consume),
            (PrefetchSafe, "POST", None, Some("https://evil.example"), cross),
            (PrefetchSafe, "POST", None, Some("null"), cross),
            (PrefetchSafe, "POST", None, Some("garbage"), cross),
            // Neither header: not a browser, nothing to forge a login with.
            (PrefetchSafe, "POST", None, None, Consume),
        ];
        for (mode, method, site, origin, expected) in cases {
            let request = ConsumeRequest {
                method,
                sec_fetch_site: site,
                origin,
                host,
            };
            assert_eq!(
                consume_step(mode, ConfirmPage::AutoSubmit, &request),
                expected,
                "{mode:?} {method} {site:?} {origin:?}"
            );
        }
        // Configured button-only, the page never submits itself.
        let webview = ConsumeRequest {
            method: "GET",
            sec_fetch_site: Some("none"),
            ..ConsumeRequest::default()
        };
        assert_eq!(
            consume_step(PrefetchSafe, ConfirmPage::ButtonOnly, &webview),
            waits
        );
    }
}

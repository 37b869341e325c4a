//! The prefetch-safe confirmation page, as text any framework can send.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use super::messages::Messages;
use crate::mail::escape_html;

/// Which confirmation page a prefetch-safe `GET` gets.
///
/// Both pages consume the link only through their own same-origin `POST`,
/// so a prefetcher that only fetches (a chat preview, a link checker) uses
/// nothing, and a cross-site `POST` is refused. They differ in who may
/// press the button:
///
/// | page | protects against | does not protect against |
/// |---|---|---|
/// | [`AutoSubmit`](Self::AutoSubmit) | prefetchers that fetch without running script | scanners that run script; it is therefore shown only to a `GET` the browser marks `Sec-Fetch-Site: none` or `same-origin` |
/// | [`ButtonOnly`](Self::ButtonOnly) | scanners that run script, and another site sending the browser to a link (login CSRF): a person must click | a scanner that presses buttons |
///
/// Whatever is configured, a `GET` brought by another site (cross-site or
/// same-site navigation, or a browser that does not send `Sec-Fetch-Site`)
/// gets the button-only page, so that a page elsewhere cannot navigate a
/// browser to a link and have the script log it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConfirmPage {
    /// A form that one line of script submits at once, and its button when
    /// script is off (the default): one page load more than a direct link,
    /// for links a webview or a person opens directly.
    #[default]
    AutoSubmit,
    /// The form and its button, no script: the person presses it. For
    /// links sent where scanners run script, which would otherwise submit
    /// the form themselves.
    ButtonOnly,
}

/// The script that submits the confirmation form.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

static AUTO_SUBMIT_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
});

const BUTTON_ONLY_CSP: &str =
    "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

impl ConfirmPage {
    /// The page's HTML: a form posting to the same URL (no `action`), with
    /// the texts of `messages` (HTML-escaped).
    #[must_use]
    pub fn html(self, messages: &Messages) -> String {
        let (text, script) = match self {
            Self::AutoSubmit => (
                &messages.confirm_text,
                format!("\n<script>{SUBMIT_SCRIPT}</script>"),
            ),
            Self::ButtonOnly => (&messages.confirm_button_text, String::new()),
        };
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
             <meta name=\"robots\" content=\"noindex\"><title>{title}</title></head>\n<body>\
             <form method=\"post\"><p>{text}</p><button type=\"submit\">{button}</button></form>{script}</body></html>\n",
            title = escape_html(&messages.confirm_title),
            text = escape_html(text),
            button = escape_html(&messages.confirm_button),
        )
    }

    /// The `Content-Security-Policy` the page is sent with: only its own
    /// script (by hash) or none, no framing, forms only to this origin.
    #[must_use]
    pub fn content_security_policy(self) -> &'static str {
        match self {
            Self::AutoSubmit => &AUTO_SUBMIT_CSP,
            Self::ButtonOnly => BUTTON_ONLY_CSP,
        }
    }
}

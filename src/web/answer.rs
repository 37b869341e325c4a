//! [`Answer`]: a response as the endpoints and the guard decide it, before
//! any framework's types; and [`Responses`], through which an app replaces
//! one.

use serde_json::Value;

use super::create::{CreateRefusal, RETRY_AFTER_SECONDS, created_body};
use super::messages::Messages;
use crate::error::FailureReason;

/// A response as the endpoints and the guard decide it: status, headers,
/// body, and why a link logged no one in. Each framework's adapter turns it
/// into its own response (the reason into the response's extensions), so an
/// app's [`Responses`] apply to every stack alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    reason: Option<FailureReason>,
}

impl Answer {
    /// `status` with no header and an empty body.
    #[must_use]
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            reason: None,
        }
    }

    /// `status` with a `text/plain` body.
    #[must_use]
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::new(status).with_body("text/plain; charset=utf-8", body.into())
    }

    /// `status` with a `text/html` body.
    #[must_use]
    pub fn html(status: u16, body: impl Into<String>) -> Self {
        Self::new(status).with_body("text/html; charset=utf-8", body.into())
    }

    /// `status` with an `application/json` body.
    #[must_use]
    pub fn json(status: u16, value: &Value) -> Self {
        Self::new(status).with_body("application/json", value.to_string())
    }

    /// `303 See Other` to `location`: a redirect no cache keeps, which turns
    /// a `POST` into a `GET`. A `location` that is not a header value leads
    /// to `/`.
    #[must_use]
    pub fn see_other(location: &str) -> Self {
        let location = if is_header_value(location) {
            location
        } else {
            "/"
        };
        Self::new(303).with_header("location", location)
    }

    /// Sets the header `name` (any case), replacing a value it had; a value
    /// that is not a header value (a line break, a control character) is
    /// left out.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.set_header(name, value.into());
        self
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, to send.
    #[must_use]
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// Why a link logged no one in, for the response's extensions.
    #[must_use]
    pub fn reason(&self) -> Option<FailureReason> {
        self.reason
    }

    pub(crate) fn with_reason(mut self, reason: FailureReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets `name`, replacing a value it had.
    pub(crate) fn set_header(&mut self, name: &'static str, value: String) {
        if !is_header_value(&value) {
            return;
        }
        self.headers
            .retain(|(have, _)| !have.eq_ignore_ascii_case(name));
        self.headers.push((name, value));
    }

    fn with_body(mut self, content_type: &'static str, body: String) -> Self {
        self.set_header("content-type", content_type.to_owned());
        self.body = body.into_bytes();
        self
    }
}

/// Visible ASCII, spaces and tabs: what every framework sends as a header
/// value.
pub(crate) fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The answers of the endpoints and the guard, on every stack. Every method
/// has a default that keeps django-authlink's contract; override the ones to
/// change and give the value to
/// [`Settings::responses`](super::Settings::responses). The texts come from
/// [`Messages`], replaceable without touching this.
///
/// ```
/// use authlink::FailureReason;
/// use authlink::web::{Answer, Messages, Responses};
///
/// struct JsonFailures;
///
/// impl Responses for JsonFailures {
///     fn failure(&self, reason: FailureReason, _url: &str, messages: &Messages) -> Answer {
///         let body = serde_json::json!({ "error": reason.code(), "message": messages.failure(reason) });
///         Answer::json(401, &body)
///     }
/// }
/// ```
///
/// Whatever they return, the consume endpoint adds `Cache-Control: no-store`
/// and `Referrer-Policy: no-referrer` and the failure's reason, and the
/// create endpoint adds `Cache-Control: no-store` (and `Location` to a
/// `201`).
pub trait Responses: Send + Sync + 'static {
    /// A link was issued: `201 Created`, JSON `{"url": target, "link": link}`.
    fn created(&self, target: &str, link: &str) -> Answer {
        Answer::json(201, &created_body(target, link))
    }

    /// The create endpoint refused: the refusal's status and JSON body,
    /// `Allow: POST` on a 405, `WWW-Authenticate: Bearer` on a 401 and
    /// `Retry-After` on a 429 and a 503.
    fn create_refused(&self, refusal: &CreateRefusal, messages: &Messages) -> Answer {
        let answer = Answer::json(refusal.status(), &refusal.body(messages));
        match refusal.header() {
            Some((name, value)) => answer.with_header(name, value),
            None => answer,
        }
    }

    /// A link logged its user in: `303 See Other` to the link's target.
    fn success(&self, target: &str) -> Answer {
        Answer::see_other(target)
    }

    /// A link logged no one in. `failure_url` is the failure URL with
    /// `{reason}` replaced by the reason's code. Default: `503` with
    /// `Retry-After` for [`FailureReason::Unavailable`] (the link was not
    /// used, a retry may work), otherwise `303 See Other` to `failure_url`.
    fn failure(&self, reason: FailureReason, failure_url: &str, messages: &Messages) -> Answer {
        if reason == FailureReason::Unavailable {
            Answer::text(503, messages.failure(reason))
                .with_header("retry-after", RETRY_AFTER_SECONDS)
        } else {
            Answer::see_other(failure_url)
        }
    }

    /// A page that needs a signed-in user, asked for by no one signed in
    /// (the `CurrentUser` and `PasswordUser` extractors): 401 with
    /// [`Messages::signed_out`]. An app with a login page redirects there.
    fn signed_out(&self, messages: &Messages) -> Answer {
        Answer::text(401, messages.signed_out.clone())
    }

    /// The `PasswordUser` extractor's answer to a link session, and by
    /// default the guard's: 403 with [`Messages::forbidden`].
    fn forbidden(&self, messages: &Messages) -> Answer {
        Answer::text(403, messages.forbidden.clone())
    }

    /// The guard's answer to a link session asking for `page` (its path as
    /// received), which is off the whitelist; `login_url` is
    /// [`Settings::login_url`](super::Settings::login_url)'s. Default:
    /// [`forbidden`](Self::forbidden).
    fn off_whitelist(&self, page: &str, login_url: Option<&str>, messages: &Messages) -> Answer {
        let _ = (page, login_url);
        self.forbidden(messages)
    }
}

/// Answers that send a link session asking for a page off the whitelist
/// to the app's login page (`303` to `/login?next=/admin`, with
/// [`Settings::login_url`](super::Settings::login_url)) instead of a 403,
/// so the user can log in with a password and come back; the rest are the
/// defaults. The login handler checks `next` with
/// [`next_page`](super::next_page) before it redirects there.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendToLogin;

impl Responses for SendToLogin {
    fn off_whitelist(&self, page: &str, login_url: Option<&str>, messages: &Messages) -> Answer {
        match login_url {
            Some(url) => {
                let join = if url.contains('?') { '&' } else { '?' };
                Answer::see_other(&format!("{url}{join}next={}", query_value(page)))
            }
            None => self.forbidden(messages),
        }
    }
}

/// `text` for a query value: what would end it or change its meaning is
/// percent-encoded.
fn query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The defaults of every [`Responses`] method.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponses;

impl Responses for DefaultResponses {}

//! Every sentence a user or an API caller may see, replaceable as a whole
//! (translations) or one by one.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::FailureReason;

/// The texts of the endpoints, the guard and the confirmation page.
///
/// [`Messages::default`] holds django-authlink's wording where it has one.
/// Replace any field, and any failure's sentence with
/// [`with_failure`](Self::with_failure):
///
/// ```
/// use authlink::FailureReason;
/// use authlink::web::Messages;
///
/// let mut messages = Messages::default();
/// messages.forbidden = "Diese Seite ist für Link-Anmeldungen gesperrt.".into();
/// let messages = messages.with_failure(FailureReason::Used, "Der Link wurde schon benutzt.");
/// assert_eq!(messages.failure(FailureReason::Used), "Der Link wurde schon benutzt.");
/// assert_eq!(messages.failure(FailureReason::Expired), "Link has expired.");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Messages {
    /// The guard's 403 to a link session off the whitelist.
    pub forbidden: Cow<'static, str>,
    /// The consume endpoint's 500 when the request has no session (a
    /// misplaced session layer).
    pub sign_in_failed: Cow<'static, str>,
    /// 405 from either endpoint.
    pub method_not_allowed: Cow<'static, str>,
    /// Create: 401 without an authenticated caller.
    pub unauthenticated: Cow<'static, str>,
    /// Create: 401 for credentials the app did not accept.
    pub invalid_credentials: Cow<'static, str>,
    /// A page that needs a signed-in user, asked for by no one signed in
    /// (the `CurrentUser` extractors' 401).
    pub signed_out: Cow<'static, str>,
    /// Create: 415 for a body that is not JSON.
    pub unsupported_media_type: Cow<'static, str>,
    /// Create: 413.
    pub too_large: Cow<'static, str>,
    /// Create: 400 for malformed JSON; `{error}` is replaced by the parser's
    /// account of it.
    pub malformed_json: Cow<'static, str>,
    /// Create: 400 for JSON that is not an object.
    pub not_an_object: Cow<'static, str>,
    /// Create: 400 when the body could not be read.
    pub unreadable_body: Cow<'static, str>,
    /// Create: the `url` field is missing.
    pub url_required: Cow<'static, str>,
    /// Create: the `url` field is not a string.
    pub url_not_a_string: Cow<'static, str>,
    /// Create: the target matches no whitelist pattern.
    pub url_not_whitelisted: Cow<'static, str>,
    /// Create: the target is not a safe URL; `{reason}` is replaced by why.
    pub url_invalid: Cow<'static, str>,
    /// Create: the link would be too long.
    pub url_too_long: Cow<'static, str>,
    /// Create: the caller's address could not be told.
    pub no_client_address: Cow<'static, str>,
    /// Create: 503, the user's stamp could not be read.
    pub try_again: Cow<'static, str>,
    /// Create: 429, the caller or its network asked for links too fast.
    pub too_many_links: Cow<'static, str>,
    /// Create: 500, the link could not be made.
    pub issue_failed: Cow<'static, str>,
    /// The confirmation page's title.
    pub confirm_title: Cow<'static, str>,
    /// The confirmation page's text while it submits itself.
    pub confirm_text: Cow<'static, str>,
    /// The confirmation page's text in its button-only variant.
    pub confirm_button_text: Cow<'static, str>,
    /// The confirmation page's button.
    pub confirm_button: Cow<'static, str>,
    failures: HashMap<FailureReason, Cow<'static, str>>,
}

impl Messages {
    /// Replaces the sentence shown for `reason`.
    #[must_use]
    pub fn with_failure(
        mut self,
        reason: FailureReason,
        text: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.failures.insert(reason, text.into());
        self
    }

    /// The sentence for `reason`: the replacement if one was given, else
    /// [`FailureReason::message`](crate::FailureReason::message).
    #[must_use]
    pub fn failure(&self, reason: FailureReason) -> &str {
        self.failures
            .get(&reason)
            .map_or(reason.message(), |text| text)
    }
}

impl Default for Messages {
    fn default() -> Self {
        Self {
            forbidden: "That URL is not whitelisted for your authentication method.".into(),
            sign_in_failed: "Sign-in failed.".into(),
            method_not_allowed: "Method not allowed.".into(),
            unauthenticated: "Authentication credentials were not provided.".into(),
            invalid_credentials: "Invalid token.".into(),
            signed_out: "Please sign in.".into(),
            unsupported_media_type: "Content-Type must be application/json.".into(),
            too_large: "Request body is too large.".into(),
            malformed_json: "JSON parse error: {error}.".into(),
            not_an_object: "Expected a JSON object.".into(),
            unreadable_body: "Request body could not be read.".into(),
            url_required: "This field is required.".into(),
            url_not_a_string: "Not a valid string.".into(),
            url_not_whitelisted: "URL specified is not whitelisted".into(),
            url_invalid: "URL specified is invalid: {reason}".into(),
            url_too_long: "URL specified is too long".into(),
            no_client_address: "The client address could not be determined.".into(),
            try_again: "Try again later.".into(),
            too_many_links: "Too many links requested. Try again later.".into(),
            issue_failed: "The link could not be issued.".into(),
            confirm_title: "Sign in".into(),
            confirm_text: "Signing you in…".into(),
            confirm_button_text: "Press the button to sign in.".into(),
            confirm_button: "Continue".into(),
            failures: HashMap::new(),
        }
    }
}

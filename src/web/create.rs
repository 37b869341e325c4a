//! The create endpoint's rules (django-authlink's `AuthLinkCreateView`):
//! what a body must hold, and what each refusal answers, the same for every
//! framework.

use serde_json::{Value, json};

use super::messages::Messages;
use crate::error::IssueError;
use crate::error::TargetError;

/// Seconds a client is asked to wait after a 503 before it retries.
pub(crate) const RETRY_AFTER_SECONDS: &str = "5";

/// The default limit on a create request's body: 8 KiB.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 8 * 1024;

/// Why the create endpoint issued no link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateRefusal {
    /// Not a `POST`: 405 with `Allow: POST`.
    MethodNotAllowed,
    /// No credentials: 401 with `WWW-Authenticate: Bearer`.
    Unauthenticated,
    /// Credentials (an `Authorization` header) the app did not accept: 401
    /// with `WWW-Authenticate: Bearer error="invalid_token"`.
    InvalidCredentials,
    /// Not `application/json`: 415.
    UnsupportedMediaType,
    /// The body is over the limit: 413.
    TooLarge,
    /// The body could not be read: 400.
    UnreadableBody,
    /// The body is not JSON: 400, with the parser's account of it.
    MalformedJson(String),
    /// The JSON is not an object: 400.
    NotAnObject,
    /// No `url` field: 400.
    UrlRequired,
    /// `url` is not a string: 400.
    UrlNotAString,
    /// The target matches no whitelist pattern: 400.
    NotWhitelisted,
    /// The target is not a safe URL: 400.
    InvalidUrl(TargetError),
    /// The link would be too long: 400.
    TooLong,
    /// The caller's address could not be told: 400.
    NoClientAddress,
    /// The caller or its network is past its rate: 429 with `Retry-After`
    /// (the seconds held).
    RateLimited(u64),
    /// The user's stamp could not be read: 503 with `Retry-After`.
    Unavailable,
    /// The link could not be made: 500.
    Internal,
}

impl CreateRefusal {
    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MethodNotAllowed => 405,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::UnsupportedMediaType => 415,
            Self::TooLarge => 413,
            Self::RateLimited(_) => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
            _ => 400,
        }
    }

    /// The JSON body, shaped as django-authlink's (Django REST framework's)
    /// errors: `{"url": [why]}` for the field, `{"detail": why}` otherwise.
    #[must_use]
    pub fn body(&self, messages: &Messages) -> Value {
        let field = |text: &str| json!({ "url": [text] });
        let detail = |text: &str| json!({ "detail": text });
        match self {
            Self::MethodNotAllowed => detail(&messages.method_not_allowed),
            Self::Unauthenticated => detail(&messages.unauthenticated),
            Self::InvalidCredentials => detail(&messages.invalid_credentials),
            Self::UnsupportedMediaType => detail(&messages.unsupported_media_type),
            Self::TooLarge => detail(&messages.too_large),
            Self::UnreadableBody => detail(&messages.unreadable_body),
            Self::MalformedJson(error) => {
                detail(&messages.malformed_json.replace("{error}", error))
            }
            Self::NotAnObject => detail(&messages.not_an_object),
            Self::UrlRequired => field(&messages.url_required),
            Self::UrlNotAString => field(&messages.url_not_a_string),
            Self::NotWhitelisted => field(&messages.url_not_whitelisted),
            Self::InvalidUrl(reason) => field(
                &messages
                    .url_invalid
                    .replace("{reason}", &reason.to_string()),
            ),
            Self::TooLong => field(&messages.url_too_long),
            Self::NoClientAddress => detail(&messages.no_client_address),
            Self::RateLimited(_) => detail(&messages.too_many_links),
            Self::Unavailable => detail(&messages.try_again),
            Self::Internal => detail(&messages.issue_failed),
        }
    }

    /// The header the answer carries besides its body: `Allow: POST` on a
    /// 405, `WWW-Authenticate: Bearer` on a 401, `Retry-After` on a 429 (the
    /// seconds held) and a 503.
    #[must_use]
    pub fn header(&self) -> Option<(&'static str, String)> {
        match self {
            Self::MethodNotAllowed => Some(("allow", "POST".to_owned())),
            Self::Unauthenticated => Some(("www-authenticate", "Bearer".to_owned())),
            Self::InvalidCredentials => Some((
                "www-authenticate",
                "Bearer error=\"invalid_token\"".to_owned(),
            )),
            Self::Unavailable => Some(("retry-after", RETRY_AFTER_SECONDS.to_owned())),
            Self::RateLimited(seconds) => Some(("retry-after", seconds.to_string())),
            _ => None,
        }
    }

    /// A short code for log events.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthenticated | Self::InvalidCredentials => "unauthenticated",
            Self::UnsupportedMediaType
            | Self::TooLarge
            | Self::UnreadableBody
            | Self::MalformedJson(_)
            | Self::NotAnObject
            | Self::UrlRequired
            | Self::UrlNotAString => "bad_request",
            Self::NotWhitelisted => "not_whitelisted",
            Self::InvalidUrl(_) => "invalid_url",
            Self::TooLong => "too_long",
            Self::NoClientAddress => "no_client_address",
            Self::RateLimited(_) => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

impl From<IssueError> for CreateRefusal {
    fn from(err: IssueError) -> Self {
        match err {
            IssueError::TargetNotAllowed => Self::NotWhitelisted,
            IssueError::TargetInvalid(reason) => Self::InvalidUrl(reason),
            IssueError::TooLong => Self::TooLong,
            _ => Self::Internal,
        }
    }
}

/// Whether a `Content-Type` value is `application/json`, with or without
/// parameters.
#[must_use]
pub(crate) fn is_json(content_type: Option<&[u8]>) -> bool {
    content_type
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether a `Content-Length` value announces more than `limit` bytes, so
/// the body need not be read at all.
#[must_use]
pub(crate) fn declared_too_large(content_length: Option<&[u8]>, limit: usize) -> bool {
    content_length
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64)
}

/// The target in a create body, `{"url": "/account"}`.
///
/// # Errors
/// The [`CreateRefusal`] for malformed JSON, a body that is not an object, or
/// a `url` that is missing or not a string.
pub(crate) fn target_from_body(body: &[u8]) -> Result<String, CreateRefusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| CreateRefusal::MalformedJson(err.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(CreateRefusal::NotAnObject);
    };
    match object.remove("url") {
        Some(Value::String(url)) => Ok(url),
        Some(_) => Err(CreateRefusal::UrlNotAString),
        None => Err(CreateRefusal::UrlRequired),
    }
}

/// The `201 Created` body: the target as sent under `url` (the serializer's
/// data, as django-authlink answers), and the link under `link`. The link
/// also travels in `Location`.
#[must_use]
pub(crate) fn created_body(target: &str, link: &str) -> Value {
    json!({ "url": target, "link": link })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies() {
        assert_eq!(target_from_body(br#"{"url": "/a"}"#), Ok("/a".to_owned()));
        assert_eq!(target_from_body(b"{}"), Err(CreateRefusal::UrlRequired));
        assert_eq!(
            target_from_body(br#"{"url": 1}"#),
            Err(CreateRefusal::UrlNotAString)
        );
        assert_eq!(target_from_body(b"[]"), Err(CreateRefusal::NotAnObject));
        assert!(matches!(
            target_from_body(b"{"),
            Err(CreateRefusal::MalformedJson(_))
        ));
        assert_eq!(CreateRefusal::TooLarge.status(), 413);
        assert_eq!(
            CreateRefusal::NotWhitelisted.body(&Messages::default()),
            serde_json::json!({ "url": ["URL specified is not whitelisted"] })
        );
    }
}

//! The errors of configuring, issuing and verifying, and the failure reasons
//! a user may be shown. Below every module that reports them: it uses only
//! the key id and the replay cache's error, which use nothing of it.
//! Messages name what went wrong and never carry a secret, a token or a
//! client address.

use std::error::Error as StdError;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::key::KeyId;

/// The configuration given to [`Authlink::new`](crate::Authlink::new), or
/// one of its parts, cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The purpose string is empty.
    #[error("purpose must not be empty")]
    EmptyPurpose,
    /// A whitelist pattern is not a valid regular expression.
    #[error("whitelist pattern {pattern:?} is invalid: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// Why the regex engine refused it.
        reason: String,
    },
    /// An allowed origin is not of the form `scheme://host[:port]`.
    #[error("allowed origin {0:?} is not of the form scheme://host[:port]")]
    InvalidOrigin(String),
    /// The time to live is outside 1 second ..= 1 day.
    #[error("ttl must be between 1 second and 1 day")]
    TtlOutOfRange,
    /// The clock-skew leeway is over 30 seconds.
    #[error("leeway must be at most 30 seconds")]
    LeewayOutOfRange,
    /// An IP prefix length is longer than the address.
    #[error("ip prefix lengths must be at most 32 (IPv4) and 128 (IPv6)")]
    PrefixOutOfRange,
    /// Two keys in one ring have the same id.
    #[error("key id {0} appears twice in the key ring")]
    DuplicateKeyId(KeyId),
    /// The link URL template does not contain `{key}` exactly once.
    #[error("url template must contain {{key}} exactly once")]
    UrlTemplate,
}

/// Why a target URL was refused before the whitelist was consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target is empty.
    #[error("it is empty")]
    Empty,
    /// Longer than 512 bytes.
    #[error("it is longer than 512 bytes")]
    TooLong,
    /// Not a path starting with exactly one `/` (`//host`, `path`, `javascript:` …).
    #[error("it must be a path starting with a single '/'")]
    NotRootRelative,
    /// An absolute URL whose origin is not in the allowed list.
    #[error("its origin is not allowed")]
    OriginNotAllowed,
    /// Contains a backslash, which browsers may read as `/`.
    #[error("it contains a backslash")]
    Backslash,
    /// Contains a space, a control character or a non-ASCII byte.
    #[error("it contains a space, a control character or a non-ASCII byte")]
    BadCharacter,
    /// A `%` not followed by two hex digits, or an escape of `/`, `\`, `.`,
    /// `%` or a control character.
    #[error("it contains a malformed or disallowed percent-escape")]
    BadEscape,
    /// A `.` or `..` path segment.
    #[error("it contains a '.' or '..' path segment")]
    DotSegment,
    /// A `#fragment`.
    #[error("it contains a fragment")]
    Fragment,
}

/// Why a link could not be issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The target is not a safe same-site URL.
    #[error("target URL is invalid: {0}")]
    TargetInvalid(#[from] TargetError),
    /// The target is well-formed but matches no whitelist pattern.
    #[error("target URL is not whitelisted")]
    TargetNotAllowed,
    /// The encoded link would be longer than [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN).
    #[error("link would be longer than the maximum token length")]
    TooLong,
    /// The user id could not be serialized.
    #[error("user id could not be serialized")]
    UserEncoding,
    /// The clock reads a time a link cannot carry (before 1970).
    #[error("the clock is outside the range a link can carry")]
    ClockOutOfRange,
}

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a link did not verify or could not be consumed. Match on
/// [`VerifyError::kind`].
#[derive(Debug, Error)]
#[error("{kind}")]
pub struct VerifyError {
    kind: VerifyErrorKind,
    #[source]
    source: Option<BoxError>,
}

impl VerifyError {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> VerifyErrorKind {
        self.kind
    }

    /// What the user may be told: [`FailureReason::from`] the kind.
    #[must_use]
    pub fn reason(&self) -> FailureReason {
        self.kind.into()
    }

    /// The replay cache's own error, for
    /// [`VerifyErrorKind::ReplayCacheUnavailable`].
    #[must_use]
    pub fn replay_error(&self) -> Option<&crate::replay::ReplayError> {
        self.source.as_deref()?.downcast_ref()
    }

    /// How long until the user may try again, for
    /// [`VerifyErrorKind::RateLimited`].
    #[must_use]
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        let limited: &crate::limit::Limited = self.source.as_deref()?.downcast_ref()?;
        Some(limited.retry_after())
    }

    pub(crate) fn with_source(kind: VerifyErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }
}

impl From<VerifyErrorKind> for VerifyError {
    fn from(kind: VerifyErrorKind) -> Self {
        Self { kind, source: None }
    }
}

/// The kinds of [`VerifyError`], in the order verification checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerifyErrorKind {
    /// Not a token: wrong length, not canonical base64url, cut short, or
    /// claims not in their one canonical encoding.
    Malformed,
    /// A token format version this release does not read.
    UnsupportedVersion,
    /// Signed with a key id the key ring does not hold.
    UnknownKey,
    /// The tag does not match: forged, altered, signed for another purpose,
    /// or verified as another user id type than it was issued for.
    BadSignature,
    /// Past its expiry (issue time + ttl).
    Expired,
    /// Issued further in the future than the clock-skew leeway allows.
    IssuedInFuture,
    /// Its target is not one the policy allows (the whitelist or the allowed
    /// origins changed since it was issued).
    TargetNotAllowed,
    /// Opened from a client address other than the one it was issued to.
    ClientMismatch,
    /// The link's user opened more links than their rate allows (checked
    /// after verification, before the stamp lookup and single use; the link
    /// is not used up).
    RateLimited,
    /// The user's stamp changed since the link was issued.
    Revoked,
    /// The user's current stamp could not be looked up (fail closed).
    StampUnavailable,
    /// Already consumed once.
    AlreadyUsed,
    /// The replay cache could not say whether the link was used (fail closed).
    ReplayCacheUnavailable,
    /// A mailed link opened in a browser other than the one that asked for
    /// it (no pending cookie, or another's): a mail scanner, another device
    /// or a forwarded mail. The link is not used up.
    OtherBrowser,
    /// A code typed for a mailed sign-in is not its code, or the address
    /// typed with it is not the one the sign-in was asked for.
    WrongCode,
}

impl fmt::Display for VerifyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "link is malformed",
            Self::UnsupportedVersion => "link format version is not supported",
            Self::UnknownKey => "link was signed with an unknown key",
            Self::BadSignature => "link signature is invalid",
            Self::Expired => "link has expired",
            Self::IssuedInFuture => "link was issued in the future",
            Self::TargetNotAllowed => "link target is not allowed by the policy",
            Self::ClientMismatch => "link was issued to a different client address",
            Self::RateLimited => "too many links opened for this user",
            Self::Revoked => "link was revoked",
            Self::StampUnavailable => "user stamp lookup failed",
            Self::AlreadyUsed => "link has already been used",
            Self::ReplayCacheUnavailable => "replay cache is unavailable",
            Self::OtherBrowser => "link was opened in another browser than the one that asked",
            Self::WrongCode => "code is not the sign-in's code",
        })
    }
}

/// Why a link did not log anyone in, as a user may be told: the one
/// vocabulary of failures, for the core and every web integration.
///
/// Every [`VerifyErrorKind`] maps to one reason. Malformed, forged,
/// unknown-key and off-policy links are all [`Invalid`](Self::Invalid), so a
/// caller learns nothing about which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// Not a link this app issued, or altered.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Opened from another client address than the one it was issued to, or
    /// from an address that could not be told.
    ClientMismatch,
    /// The user's stamp changed since it was issued.
    Revoked,
    /// Consumed before.
    Used,
    /// The link's user opened more links than their rate allows; the link
    /// was not used and may work once the rate allows.
    RateLimited,
    /// A backend the check depends on (replay cache, stamp lookup) did not
    /// answer; the link was not used and may work on a retry.
    Unavailable,
    /// The confirming `POST` came from another site (`Sec-Fetch-Site` or
    /// `Origin`): a page elsewhere tried to log this browser in (login
    /// CSRF). No verify error maps here; the web layer refuses such a request
    /// before looking at the link, which is not used.
    CrossSite,
    /// A mailed link opened somewhere else than the browser that asked for
    /// it; the link was not used, and the sign-in can be finished there, by
    /// link or by code.
    OtherBrowser,
    /// A code that is not the sign-in's.
    WrongCode,
}

impl FailureReason {
    /// Every reason, in declaration order.
    const ALL: [Self; 10] = [
        Self::Invalid,
        Self::Expired,
        Self::ClientMismatch,
        Self::Revoked,
        Self::Used,
        Self::RateLimited,
        Self::Unavailable,
        Self::CrossSite,
        Self::OtherBrowser,
        Self::WrongCode,
    ];

    /// A short stable code, fit for a query string or a metric label:
    /// `invalid`, `expired`, `client_mismatch`, `revoked`, `used`,
    /// `rate_limited`, `unavailable`, `cross_site`, `other_browser` or
    /// `wrong_code`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Expired => "expired",
            Self::ClientMismatch => "client_mismatch",
            Self::Revoked => "revoked",
            Self::Used => "used",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::CrossSite => "cross_site",
            Self::OtherBrowser => "other_browser",
            Self::WrongCode => "wrong_code",
        }
    }

    /// A sentence for the user, as django-authlink words it where it has one.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Link is invalid.",
            Self::Expired => "Link has expired.",
            Self::ClientMismatch => {
                "Mismatch between generation IP address and consumption IP address."
            }
            Self::Revoked => "Link is no longer valid.",
            Self::Used => "Link has already been used.",
            Self::RateLimited => "Too many sign-in attempts. Please try again later.",
            Self::Unavailable => "Sign-in is unavailable right now. Please try again.",
            Self::CrossSite => "This sign-in was started from another site. Open the link itself.",
            Self::OtherBrowser => {
                "Finish signing in on the device where you asked for the link: open the link \
                 there, or type the code from the mail there."
            }
            Self::WrongCode => "That code is not right. Check the mail and try again.",
        }
    }
}

impl From<VerifyErrorKind> for FailureReason {
    fn from(kind: VerifyErrorKind) -> Self {
        match kind {
            VerifyErrorKind::Malformed
            | VerifyErrorKind::UnsupportedVersion
            | VerifyErrorKind::UnknownKey
            | VerifyErrorKind::BadSignature
            | VerifyErrorKind::IssuedInFuture
            | VerifyErrorKind::TargetNotAllowed => Self::Invalid,
            VerifyErrorKind::Expired => Self::Expired,
            VerifyErrorKind::ClientMismatch => Self::ClientMismatch,
            VerifyErrorKind::Revoked => Self::Revoked,
            VerifyErrorKind::AlreadyUsed => Self::Used,
            VerifyErrorKind::RateLimited => Self::RateLimited,
            VerifyErrorKind::StampUnavailable | VerifyErrorKind::ReplayCacheUnavailable => {
                Self::Unavailable
            }
            VerifyErrorKind::OtherBrowser => Self::OtherBrowser,
            VerifyErrorKind::WrongCode => Self::WrongCode,
        }
    }
}

/// Parses a [`code`](FailureReason::code), e.g. from the failure page's query.
impl FromStr for FailureReason {
    type Err = UnknownReason;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.code() == code)
            .ok_or(UnknownReason)
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A text is not a [`FailureReason`] code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("not a link failure reason code")]
pub struct UnknownReason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_code_parses_back_and_codes_are_distinct() {
        for reason in FailureReason::ALL {
            assert_eq!(reason.code().parse(), Ok(reason));
            assert_eq!(reason.to_string(), reason.message());
        }
        let mut codes: Vec<_> = FailureReason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FailureReason::ALL.len());
        assert_eq!("nope".parse::<FailureReason>(), Err(UnknownReason));
    }

    #[test]
    fn rate_limited_has_its_own_reason() {
        let reason = FailureReason::from(VerifyErrorKind::RateLimited);
        assert_eq!(reason, FailureReason::RateLimited);
        assert_eq!(reason.code(), "rate_limited");
        assert_eq!(
            reason.message(),
            "Too many sign-in attempts. Please try again later."
        );
        let limited = crate::limit::Limited::new(std::time::Duration::from_secs(4));
        let err = VerifyError::with_source(VerifyErrorKind::RateLimited, limited);
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(4)));
        assert_eq!(err.reason(), FailureReason::RateLimited);
        assert_eq!(
            VerifyError::from(VerifyErrorKind::Expired).retry_after(),
            None
        );
    }
}

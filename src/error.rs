//! Every error the crate returns. Messages name what went wrong and never
//! carry a secret, a token or a client address.

use std::fmt;

use thiserror::Error;

use crate::key::KeyId;
use crate::replay::ReplayError;
use crate::target::TargetError;

/// A secret key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key has fewer than [`MIN_KEY_LEN`](crate::MIN_KEY_LEN) bytes.
    #[error("secret key is too short: {0} bytes, at least 32 are required")]
    TooShort(usize),
    /// The key has more than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN) bytes.
    #[error("secret key is too long: {0} bytes, at most 256 are accepted")]
    TooLong(usize),
    /// The text is not valid base64.
    #[error("secret key is not valid base64")]
    Base64,
    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Rng,
}

/// The configuration given to [`Authlink::new`](crate::Authlink::new) or a
/// builder cannot be used.
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
    /// The clock-skew leeway is outside 0 ..= 30 seconds.
    #[error("leeway must be between 0 and 30 seconds")]
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
    /// A value outside the range this setting accepts.
    #[error("{0}")]
    Invalid(&'static str),
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

/// Why a link did not verify. Match on [`VerifyError::kind`].
#[derive(Debug, Error)]
#[error("{kind}")]
pub struct VerifyError {
    kind: VerifyErrorKind,
    #[source]
    source: Option<ReplayError>,
}

impl VerifyError {
    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> VerifyErrorKind {
        self.kind
    }

    /// The replay cache's own error, for [`VerifyErrorKind::ReplayCacheUnavailable`].
    #[must_use]
    pub fn replay_error(&self) -> Option<&ReplayError> {
        self.source.as_ref()
    }

    pub(crate) fn cache(err: ReplayError) -> Self {
        Self {
            kind: VerifyErrorKind::ReplayCacheUnavailable,
            source: Some(err),
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
    /// Not a token: wrong length, not canonical base64url, or cut short.
    Malformed,
    /// A token format version this release does not read.
    UnsupportedVersion,
    /// Signed with a key id the key ring does not hold.
    UnknownKey,
    /// The tag does not match: forged, altered, or signed for another purpose.
    BadSignature,
    /// Past its expiry (issue time + ttl).
    Expired,
    /// Issued further in the future than the clock-skew leeway allows.
    IssuedInFuture,
    /// Opened from a client address other than the one it was issued to.
    ClientMismatch,
    /// The user's stamp changed since the link was issued.
    Revoked,
    /// Already consumed once.
    AlreadyUsed,
    /// The replay cache could not say whether the link was used (fail closed).
    ReplayCacheUnavailable,
}

impl VerifyErrorKind {
    /// A short stable code, fit for a query string or a metric label:
    /// `invalid`, `expired`, `client_mismatch`, `revoked`, `used` or
    /// `unavailable`. Malformed, forged and unknown-key links all read
    /// `invalid`, so a caller learns nothing about which check failed.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed
            | Self::UnsupportedVersion
            | Self::UnknownKey
            | Self::BadSignature
            | Self::IssuedInFuture => "invalid",
            Self::Expired => "expired",
            Self::ClientMismatch => "client_mismatch",
            Self::Revoked => "revoked",
            Self::AlreadyUsed => "used",
            Self::ReplayCacheUnavailable => "unavailable",
        }
    }
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
            Self::ClientMismatch => "link was issued to a different client address",
            Self::Revoked => "link was revoked",
            Self::AlreadyUsed => "link has already been used",
            Self::ReplayCacheUnavailable => "replay cache is unavailable",
        })
    }
}

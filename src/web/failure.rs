//! Why a link logged no one in: one vocabulary for every framework.

use std::fmt;
use std::str::FromStr;

use crate::error::VerifyErrorKind;

/// Why a link did not log anyone in, in the words an app shows its users.
///
/// The consume endpoint puts it in the failure response's extensions and
/// passes it to the failure response; its [`code`](Self::code) replaces
/// `{reason}` in the failure URL.
/// Malformed, forged and unknown-key links are all [`Invalid`](Self::Invalid).
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
    /// A backend the check depends on (replay cache, user lookup) did not
    /// answer; the link was not used and may work on a retry.
    Unavailable,
    /// The confirming `POST` came from another site (`Sec-Fetch-Site` or
    /// `Origin`): someone else's page tried to log this browser in (login
    /// CSRF). The link was not used.
    CrossSite,
}

impl FailureReason {
    /// The stable code: `invalid`, `expired`, `client_mismatch`, `revoked`,
    /// `used` or `unavailable` (as [`VerifyErrorKind::code`]), or
    /// `cross_site`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Expired => "expired",
            Self::ClientMismatch => "client_mismatch",
            Self::Revoked => "revoked",
            Self::Used => "used",
            Self::Unavailable => "unavailable",
            Self::CrossSite => "cross_site",
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
            Self::Unavailable => "Sign-in is unavailable right now. Please try again.",
            Self::CrossSite => "This sign-in was started from another site. Open the link itself.",
        }
    }
}

impl From<VerifyErrorKind> for FailureReason {
    fn from(kind: VerifyErrorKind) -> Self {
        // The grouping of kinds into codes is the core's: follow it.
        kind.code().parse().unwrap_or(Self::Invalid)
    }
}

/// Parses a [`code`](FailureReason::code), e.g. from the failure page's query.
impl FromStr for FailureReason {
    type Err = UnknownReason;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        [
            Self::Invalid,
            Self::Expired,
            Self::ClientMismatch,
            Self::Revoked,
            Self::Used,
            Self::Unavailable,
            Self::CrossSite,
        ]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a link failure reason code")]
pub struct UnknownReason;

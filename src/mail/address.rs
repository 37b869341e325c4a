//! An email address as the sign-in reads it: trimmed, the domain's case
//! folded, nothing else changed.

use std::fmt;

use thiserror::Error;

/// The longest address accepted, in bytes: RFC 5321's path limit of 256
/// less the angle brackets.
const MAX_LEN: usize = 254;

/// The longest local part, in bytes (RFC 5321).
const MAX_LOCAL_LEN: usize = 64;

/// An email address, normalised the one way the crate does it, so that the
/// same mailbox always gives the same limiter key and pending binding:
///
/// - leading and trailing whitespace is removed;
/// - the domain (after the last `@`) is lowercased, since domains are
///   case-insensitive;
/// - the local part is kept as typed: RFC 5321 lets a mail server tell
///   `Alice` from `alice`. An app whose users are found by address in
///   any case folds the local part itself in
///   `user_for_email`; the limits then count `Alice@x` and `alice@x` apart.
///
/// Refused: no `@`, an empty local part or domain, whitespace or control
/// characters inside, more than 254 bytes, a local part over 64.
///
/// `Debug` does not show the address: it is personal data, and logs, metric
/// labels and limiter keys only ever see a keyed hash of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Address(String);

/// Why a text is not an [`Address`]. The text itself is never carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Empty once trimmed.
    #[error("the email address is empty")]
    Empty,
    /// Longer than 254 bytes, or a local part over 64.
    #[error("the email address is too long")]
    TooLong,
    /// No `@`, or nothing before or after it.
    #[error("the email address needs a name, an @ and a domain")]
    NoAt,
    /// Whitespace or a control character inside.
    #[error("the email address contains a space or a control character")]
    BadCharacter,
}

impl Address {
    /// Reads `text` as an address (see the type's rules).
    ///
    /// ```
    /// use authlink::mail::Address;
    /// let address = Address::parse("  Alice@Example.COM ")?;
    /// assert_eq!(address.as_str(), "Alice@example.com");
    /// # Ok::<(), authlink::mail::AddressError>(())
    /// ```
    ///
    /// # Errors
    /// An [`AddressError`] naming the rule `text` breaks.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        if text.len() > MAX_LEN {
            return Err(AddressError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AddressError::BadCharacter);
        }
        let (local, domain) = text.rsplit_once('@').ok_or(AddressError::NoAt)?;
        if local.is_empty() || domain.is_empty() {
            return Err(AddressError::NoAt);
        }
        if local.len() > MAX_LOCAL_LEN {
            return Err(AddressError::TooLong);
        }
        let domain = domain.to_lowercase();
        // Lowercasing can lengthen a few non-ASCII letters.
        if local.len() + 1 + domain.len() > MAX_LEN {
            return Err(AddressError::TooLong);
        }
        Ok(Self(format!("{local}@{domain}")))
    }

    /// The normalised address, to send the mail to.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_domain_only() {
        let address = Address::parse("\tBob.Smith@Mail.Example.ORG\n").unwrap();
        assert_eq!(address.as_str(), "Bob.Smith@mail.example.org");
        // The last `@` separates: a quoted local part may hold one.
        let quoted = Address::parse("\"a@b\"@X.org").unwrap();
        assert_eq!(quoted.as_str(), "\"a@b\"@x.org");
    }

    #[test]
    fn refuses_with_a_typed_error() {
        for (text, err) in [
            ("", AddressError::Empty),
            ("   ", AddressError::Empty),
            ("alice", AddressError::NoAt),
            ("@example.com", AddressError::NoAt),
            ("alice@", AddressError::NoAt),
            ("al ice@example.com", AddressError::BadCharacter),
            ("alice@exa\u{0}mple.com", AddressError::BadCharacter),
        ] {
            assert_eq!(Address::parse(text), Err(err), "{text:?}");
        }
        let long_local = format!("{}@x.org", "a".repeat(65));
        assert_eq!(Address::parse(&long_local), Err(AddressError::TooLong));
        let long = format!("a@{}.org", "b".repeat(260));
        assert_eq!(Address::parse(&long), Err(AddressError::TooLong));
    }

    #[test]
    fn debug_hides_the_address() {
        let address = Address::parse("secret.person@example.com").unwrap();
        assert!(!format!("{address:?}").contains("secret"));
    }
}

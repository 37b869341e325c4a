//! Target URL validation: what may stand behind a link, before the whitelist
//! is asked. Only same-site paths pass, plus absolute URLs on origins the app
//! names; everything a browser might resolve to another site is refused.

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, TargetError};

/// The longest target accepted, in bytes.
const MAX_TARGET_LEN: usize = 512;

/// A target that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The target as given (relative, or absolute on an allowed origin).
    pub full: &'a str,
    /// Its path, without origin and query: what the whitelist matches.
    pub path: &'a str,
}

/// An origin that absolute targets may name: `scheme://host[:port]`,
/// kept in lowercase.
///
/// ```
/// use authlink::Origin;
///
/// let origin: Origin = "https://App.Example:8443".parse()?;
/// assert_eq!(origin.as_str(), "https://app.example:8443");
/// assert!("https://app.example/path".parse::<Origin>().is_err());
/// # Ok::<(), authlink::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// The origin as `scheme://host[:port]`, lowercase.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches(&self, scheme: &str, authority: &str) -> bool {
        self.0.len() == scheme.len() + 3 + authority.len()
            && self.0[..scheme.len()].eq_ignore_ascii_case(scheme)
            && self.0[scheme.len() + 3..].eq_ignore_ascii_case(authority)
    }
}

impl FromStr for Origin {
    type Err = ConfigError;

    /// # Errors
    /// [`ConfigError::InvalidOrigin`] for anything but `scheme://host[:port]`.
    fn from_str(origin: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidOrigin(origin.to_owned());
        let (scheme, authority, rest) = split_absolute(origin).ok_or_else(invalid)?;
        let valid = rest.is_empty()
            && !authority.is_empty()
            && !authority.contains('@')
            && authority.bytes().all(is_plain_byte);
        if valid {
            Ok(Self(format!("{scheme}://{authority}").to_ascii_lowercase()))
        } else {
            Err(invalid())
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `target` is a safe same-site path, or an absolute URL on one
/// of `origins`: what issuing and verifying check before the whitelist is
/// asked. [`Policy::check_target`](crate::Policy::check_target) does both.
///
/// # Errors
/// The first [`TargetError`] the target breaks.
pub fn validate_target<'a>(target: &'a str, origins: &[Origin]) -> Result<Target<'a>, TargetError> {
    if target.is_empty() {
        return Err(TargetError::Empty);
    }
    if target.len() > MAX_TARGET_LEN {
        return Err(TargetError::TooLong);
    }
    // Verify runs this on every link: one pass the compiler can vectorise
    // answers for the usual target, and only a refused one is read again
    // byte by byte, to name its first fault.
    let plain = target.bytes().fold(true, |plain, byte| {
        plain & is_plain_byte(byte) & (byte != b'\\') & (byte != b'#')
    });
    if !plain {
        return Err(first_fault(target));
    }
    let path_and_query = if target.starts_with('/') {
        target
    } else {
        let (scheme, authority, rest) =
            split_absolute(target).ok_or(TargetError::NotRootRelative)?;
        if !origins
            .iter()
            .any(|origin| origin.matches(scheme, authority))
        {
            return Err(TargetError::OriginNotAllowed);
        }
        rest
    };
    let bytes = path_and_query.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return Err(TargetError::NotRootRelative);
    }
    if path_and_query.contains('%') {
        check_escapes(path_and_query)?;
    }
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path);
    // The path starts with `/`, so a dot segment always follows a `/.`.
    if path.contains("/.")
        && path
            .as_bytes()
            .split(|&byte| byte == b'/')
            .any(|segment| segment == b"." || segment == b"..")
    {
        return Err(TargetError::DotSegment);
    }
    Ok(Target { full: target, path })
}

/// The first byte of `target` a target may not hold, as its error.
fn first_fault(target: &str) -> TargetError {
    target
        .bytes()
        .find_map(|byte| match byte {
            b'\\' => Some(TargetError::Backslash),
            b'#' => Some(TargetError::Fragment),
            b if !is_plain_byte(b) => Some(TargetError::BadCharacter),
            _ => None,
        })
        .unwrap_or(TargetError::BadCharacter)
}

/// Printable ASCII other than space: everything else must be percent-encoded.
fn is_plain_byte(byte: u8) -> bool {
    (0x21..0x7f).contains(&byte)
}

/// Splits `scheme://authority/rest` into its parts; `rest` keeps its `/`.
fn split_absolute(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let mut chars = scheme.bytes();
    let scheme_ok = chars.next().is_some_and(|b| b.is_ascii_alphabetic())
        && chars.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let end = after.find(['/', '?']).unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// Every `%` starts a two-digit escape, and no escape hides a character the
/// plain-text checks refuse or one that changes how the path is resolved.
fn check_escapes(text: &str) -> Result<(), TargetError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| hex(*b));
            let lo = bytes.get(i + 2).and_then(|b| hex(*b));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(TargetError::BadEscape);
            };
            let decoded = hi << 4 | lo;
            if decoded < 0x20 || matches!(decoded, 0x7f | b'/' | b'\\' | b'.' | b'%') {
                return Err(TargetError::BadEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

//! Target URL validation: what may stand behind a link, before the whitelist
//! is asked. Only same-site paths pass, plus absolute URLs on origins the app
//! names; everything a browser might resolve to another site is refused.

use thiserror::Error;

use crate::error::ConfigError;

/// The longest target accepted, in bytes.
pub const MAX_TARGET_LEN: usize = 512;

/// Bytes of a verified target kept inline; longer ones are put on the heap.
/// 62 keeps a verified link within 128 bytes, which the compiler moves with
/// a few vector stores instead of a call to `memcpy` (measured: 20 ns less
/// per verify than at 126).
const INLINE_TARGET_LEN: usize = 62;

/// A verified link's target, owned. Held inline up to
/// [`INLINE_TARGET_LEN`] bytes, so verifying a link to a typical page
/// allocates nothing, and a verified link stays small enough to move cheaply.
#[derive(Clone)]
pub(crate) enum OwnedTarget {
    Inline {
        len: u8,
        bytes: [u8; INLINE_TARGET_LEN],
    },
    Heap(Box<str>),
}

impl OwnedTarget {
    pub(crate) fn new(target: &str) -> Self {
        match u8::try_from(target.len()) {
            Ok(len) if target.len() <= INLINE_TARGET_LEN => {
                let mut bytes = [0; INLINE_TARGET_LEN];
                bytes[..target.len()].copy_from_slice(target.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Heap(target.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a `&str`; the fallback is unreachable.
            Self::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or("/")
            }
            Self::Heap(target) => target,
        }
    }
}

/// Why a target URL was refused before the whitelist was consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target is empty.
    #[error("it is empty")]
    Empty,
    /// Longer than [`MAX_TARGET_LEN`].
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

/// A target that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The target as given (relative, or absolute on an allowed origin).
    pub full: &'a str,
    /// Its path, without origin and query: what the whitelist matches.
    pub path: &'a str,
}

/// Origins that absolute targets may name, normalized to lowercase
/// `scheme://host[:port]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    pub(crate) fn new(origins: &[String]) -> Result<Self, ConfigError> {
        origins
            .iter()
            .map(|origin| {
                let (scheme, authority, rest) = split_absolute(origin)
                    .ok_or_else(|| ConfigError::InvalidOrigin(origin.clone()))?;
                let valid = rest.is_empty()
                    && !authority.is_empty()
                    && !authority.contains('@')
                    && authority.bytes().all(is_plain_byte);
                if valid {
                    Ok(format!("{scheme}://{authority}").to_ascii_lowercase())
                } else {
                    Err(ConfigError::InvalidOrigin(origin.clone()))
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn contains(&self, scheme: &str, authority: &str) -> bool {
        self.0.iter().any(|allowed| {
            allowed.len() == scheme.len() + 3 + authority.len()
                && allowed[..scheme.len()].eq_ignore_ascii_case(scheme)
                && allowed[scheme.len() + 3..].eq_ignore_ascii_case(authority)
        })
    }
}

/// Checks that `target` is a safe same-site path, as issuing does before the
/// whitelist is asked; absolute URLs are refused here, since no origin is
/// allowed outside a [`Policy`](crate::Policy).
///
/// # Errors
/// The first [`TargetError`] the target breaks.
pub fn validate_target(target: &str) -> Result<Target<'_>, TargetError> {
    validate_target_with(target, &AllowedOrigins::default())
}

pub(crate) fn validate_target_with<'a>(
    target: &'a str,
    origins: &AllowedOrigins,
) -> Result<Target<'a>, TargetError> {
    if target.is_empty() {
        return Err(TargetError::Empty);
    }
    if target.len() > MAX_TARGET_LEN {
        return Err(TargetError::TooLong);
    }
    for byte in target.bytes() {
        match byte {
            b'\\' => return Err(TargetError::Backslash),
            b'#' => return Err(TargetError::Fragment),
            b if !is_plain_byte(b) => return Err(TargetError::BadCharacter),
            _ => {}
        }
    }
    let path_and_query = if target.starts_with('/') {
        target
    } else {
        let (scheme, authority, rest) =
            split_absolute(target).ok_or(TargetError::NotRootRelative)?;
        if !origins.contains(scheme, authority) {
            return Err(TargetError::OriginNotAllowed);
        }
        rest
    };
    let bytes = path_and_query.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return Err(TargetError::NotRootRelative);
    }
    check_escapes(path_and_query)?;
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path);
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(TargetError::DotSegment);
    }
    Ok(Target { full: target, path })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_targets_read_back_inline_and_on_the_heap() {
        for len in [
            1,
            24,
            INLINE_TARGET_LEN,
            INLINE_TARGET_LEN + 1,
            MAX_TARGET_LEN,
        ] {
            let target = format!("/{}", "a".repeat(len - 1));
            let owned = OwnedTarget::new(&target);
            assert_eq!(owned.as_str(), target);
            assert_eq!(
                matches!(owned, OwnedTarget::Inline { .. }),
                len <= INLINE_TARGET_LEN
            );
        }
    }
}

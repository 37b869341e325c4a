//! The code a mail carries next to its link, for finishing the sign-in in
//! the browser that asked when the link was opened elsewhere. Derived from
//! the link, so nothing is stored:
//!
//! ```text
//! mac  = HMAC-SHA256(code key, link_id || be64(issued_at)
//!                    || be64(len(kind)) || kind || be64(len(user)) || user)
//! code = be64(mac[0..8]) mod 10^6, as six digits with leading zeros
//! ```
//!
//! `user` is the user id's postcard bytes, as in the link. The modulo's bias
//! is below 2^-44.

use std::fmt;

use hmac::Mac as _;
use subtle::ConstantTimeEq as _;

use crate::claims::LINK_ID_LEN;
use crate::codec::HmacSha256;
use crate::user::UserId;

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;

/// The six-digit code of a mailed sign-in. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Code([u8; CODE_DIGITS]);

impl Code {
    /// The six digits, to put in the mail.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Reads a code as a person typed it: surrounding whitespace is
    /// ignored, and then it must be exactly six ASCII digits.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim().as_bytes();
        let digits: [u8; CODE_DIGITS] = text.try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(Self(digits))
    }

    /// Whether two codes are the same, in constant time.
    pub(crate) fn matches(&self, typed: &Self) -> bool {
        self.0.ct_eq(&typed.0).into()
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

/// The code of the link `link_id` issued at `issued_at` to `user`; `None`
/// when the user id does not serialize (issuing fails then too).
pub(crate) fn derive<U: UserId + ?Sized>(
    key: &HmacSha256,
    link_id: &[u8; LINK_ID_LEN],
    issued_at: u64,
    user: &U,
) -> Option<Code> {
    let user = postcard::to_allocvec(user).ok()?;
    let kind = U::KIND.as_bytes();
    let mut mac = key.clone();
    mac.update(link_id);
    mac.update(&issued_at.to_be_bytes());
    mac.update(&(kind.len() as u64).to_be_bytes());
    mac.update(kind);
    mac.update(&(user.len() as u64).to_be_bytes());
    mac.update(&user);
    let out = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&out[..8]);
    let mut value = u64::from_be_bytes(first) % 1_000_000;
    let mut digits = [b'0'; CODE_DIGITS];
    for digit in digits.iter_mut().rev() {
        // Below 10, so the cast keeps it whole.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
    Some(Code(digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_six_digits_and_nothing_else() {
        assert_eq!(
            Code::parse(" 012345\n").map(|c| c.as_str().to_owned()),
            Some("012345".into())
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "12 345",
            "12345a",
            "١٢٣٤٥٦",
            "+12345",
        ] {
            assert!(Code::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn codes_match_only_themselves() {
        let a = Code::parse("123456").unwrap();
        assert!(a.matches(&Code::parse("123456").unwrap()));
        assert!(!a.matches(&Code::parse("123457").unwrap()));
        assert!(!format!("{a:?}").contains("123456"));
    }
}

//! Secret keys and the ids that name them in a token.

use std::fmt;

use base64::Engine as _;
use base64::alphabet::{Alphabet, STANDARD, URL_SAFE};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use rand::TryRng as _;
use subtle::ConstantTimeEq as _;
use thiserror::Error;
use zeroize::Zeroizing;

/// A secret key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key has fewer than 32 bytes.
    #[error("secret key is too short: {0} bytes, at least 32 are required")]
    TooShort(usize),
    /// The key has more than 256 bytes.
    #[error("secret key is too long: {0} bytes, at most 256 are accepted")]
    TooLong(usize),
    /// The text is not valid base64.
    #[error("secret key is not valid base64")]
    Base64,
    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Rng,
}

/// The shortest secret accepted, in bytes (256 bits).
const MIN_KEY_LEN: usize = 32;

/// The longest secret accepted, in bytes. Longer input is almost certainly
/// not a key (a file read by mistake, say) and is refused.
const MAX_KEY_LEN: usize = 256;

/// A secret from which the link-signing keys are derived: 32 to 256 bytes.
///
/// The bytes are zeroed when the key is dropped, compared in constant time,
/// and never shown by `Debug`.
///
/// ```
/// use authlink::SecretKey;
///
/// let key = SecretKey::generate();
/// assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
/// let again = SecretKey::from_base64(&key.to_base64())?;
/// assert_eq!(key, again);
/// # Ok::<(), authlink::KeyError>(())
/// ```
#[derive(Clone)]
pub struct SecretKey(Zeroizing<Vec<u8>>);

impl SecretKey {
    /// A fresh 32-byte key from the operating system's random number generator.
    ///
    /// # Panics
    /// If the operating system has no random source to give; see
    /// [`SecretKey::try_generate`] for the fallible form.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn generate() -> Self {
        Self::try_generate().expect("the operating system random number generator failed")
    }

    /// A fresh 32-byte key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the random source fails.
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new(vec![0u8; MIN_KEY_LEN]);
        rand::rngs::SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| KeyError::Rng)?;
        Ok(Self(bytes))
    }

    /// Parses a key kept as base64 text, for example in an environment
    /// variable. Standard and URL-safe alphabets are accepted, padded or
    /// not, and surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`KeyError::Base64`] if the text is not base64, [`KeyError::TooShort`]
    /// or [`KeyError::TooLong`] if the decoded key has the wrong size.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let alphabet: &Alphabet = if text.contains(['-', '_']) {
            &URL_SAFE
        } else {
            &STANDARD
        };
        let config =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let bytes = Zeroizing::new(
            GeneralPurpose::new(alphabet, config)
                .decode(text)
                .map_err(|_| KeyError::Base64)?,
        );
        Self::try_from(bytes.as_slice())
    }

    /// The key as standard base64 (padded), the form [`SecretKey::from_base64`]
    /// reads. This reveals the secret: write it only where secrets belong.
    #[must_use]
    pub fn to_base64(&self) -> String {
        general_purpose::STANDARD.encode(self.0.as_slice())
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<&[u8]> for SecretKey {
    type Error = KeyError;

    fn try_from(bytes: &[u8]) -> Result<Self, KeyError> {
        match bytes.len() {
            n if n < MIN_KEY_LEN => Err(KeyError::TooShort(n)),
            n if n > MAX_KEY_LEN => Err(KeyError::TooLong(n)),
            _ => Ok(Self(Zeroizing::new(bytes.to_vec()))),
        }
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        // Lengths are public (they are bounded and not secret); contents are not.
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Names a key in a [`KeyRing`](crate::KeyRing); written into every token so
/// verification can pick the right key after a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u16);

impl KeyId {
    /// A key id. Any value works; ids only need to differ within one key ring.
    #[must_use]
    pub const fn new(id: u16) -> Self {
        Self(id)
    }

    /// The id as a number.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

//! The wire format, and nothing else: version, key id, claims bytes, tag,
//! in canonical base64url. No clock, no policy, no I/O. See DESIGN.md.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;

use crate::error::VerifyErrorKind;
use crate::key::KeyId;
use crate::keyring::HmacSha256;

/// The longest token accepted, in characters; longer input is refused before
/// any decoding.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Bytes behind a token of [`MAX_TOKEN_LEN`] characters.
pub(crate) const MAX_TOKEN_BYTES: usize = MAX_TOKEN_LEN / 4 * 3;

/// The format version this release writes and reads.
pub(crate) const VERSION: u8 = 1;

/// Version byte and big-endian key id.
pub(crate) const HEADER_LEN: usize = 3;

/// HMAC-SHA256 truncated to 128 bits.
pub(crate) const TAG_LEN: usize = 16;

/// Prefixed to every MAC input. Fixed-length, and the body after it is the
/// only variable part, so the input parses one way only.
const MAC_DOMAIN: &[u8; 16] = b"authlink/v1/link";

/// Header, at least one claims byte, tag.
const MIN_TOKEN_BYTES: usize = HEADER_LEN + 1 + TAG_LEN;

/// A token's bytes, held inline so verification never touches the heap.
#[derive(Clone)]
pub(crate) struct TokenBytes {
    buf: [u8; MAX_TOKEN_BYTES],
    len: usize,
}

impl TokenBytes {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Everything the tag covers: header and claims.
    fn body(&self) -> &[u8] {
        &self.buf[..self.len - TAG_LEN]
    }

    fn tag(&self) -> &[u8] {
        &self.buf[self.len - TAG_LEN..self.len]
    }

    /// The claims bytes; meaningful only once the tag has been checked.
    pub(crate) fn claims(&self) -> &[u8] {
        &self.buf[HEADER_LEN..self.len - TAG_LEN]
    }
}

/// A token decoded from text whose tag has not been checked. Only the header
/// can be read, to choose the key.
pub(crate) struct UnverifiedToken(TokenBytes);

impl UnverifiedToken {
    /// Length, alphabet, canonical form and version; nothing else.
    pub(crate) fn decode(text: &str) -> Result<Self, VerifyErrorKind> {
        if text.len() > MAX_TOKEN_LEN || text.len() < MIN_TOKEN_BYTES * 4 / 3 {
            return Err(VerifyErrorKind::Malformed);
        }
        let mut bytes = TokenBytes {
            buf: [0; MAX_TOKEN_BYTES],
            len: 0,
        };
        // The engine refuses padding, `+`, `/`, whitespace and non-zero
        // trailing bits, so each token has exactly one spelling.
        bytes.len = URL_SAFE_NO_PAD
            .decode_slice(text, &mut bytes.buf)
            .map_err(|_| VerifyErrorKind::Malformed)?;
        if bytes.len < MIN_TOKEN_BYTES {
            return Err(VerifyErrorKind::Malformed);
        }
        if bytes.buf[0] != VERSION {
            return Err(VerifyErrorKind::UnsupportedVersion);
        }
        Ok(Self(bytes))
    }

    pub(crate) fn key_id(&self) -> KeyId {
        KeyId::new(u16::from_be_bytes([self.0.buf[1], self.0.buf[2]]))
    }

    /// Checks the tag in constant time.
    pub(crate) fn authenticate(self, key: &HmacSha256) -> Result<TokenBytes, VerifyErrorKind> {
        let mut mac = key.clone();
        mac.update(MAC_DOMAIN);
        mac.update(self.0.body());
        mac.verify_truncated_left(self.0.tag())
            .map_err(|_| VerifyErrorKind::BadSignature)?;
        Ok(self.0)
    }
}

/// Builds a token: header, the claims written by `write_claims` into the
/// space it is given (returning how many bytes it used), tag.
pub(crate) fn encode<E>(
    key_id: KeyId,
    key: &HmacSha256,
    write_claims: impl FnOnce(&mut [u8]) -> Result<usize, E>,
) -> Result<String, E> {
    let mut bytes = TokenBytes {
        buf: [0; MAX_TOKEN_BYTES],
        len: 0,
    };
    bytes.buf[0] = VERSION;
    bytes.buf[1..HEADER_LEN].copy_from_slice(&key_id.get().to_be_bytes());
    let claims_len = write_claims(&mut bytes.buf[HEADER_LEN..MAX_TOKEN_BYTES - TAG_LEN])?;
    let body_len = HEADER_LEN + claims_len;
    let mut mac = key.clone();
    mac.update(MAC_DOMAIN);
    mac.update(&bytes.buf[..body_len]);
    let tag = mac.finalize().into_bytes();
    bytes.buf[body_len..body_len + TAG_LEN].copy_from_slice(&tag[..TAG_LEN]);
    bytes.len = body_len + TAG_LEN;
    Ok(URL_SAFE_NO_PAD.encode(bytes.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_token_bytes_holds_any_accepted_text() {
        let longest = "A".repeat(MAX_TOKEN_LEN);
        let mut buf = [0u8; MAX_TOKEN_BYTES];
        assert_eq!(
            URL_SAFE_NO_PAD.decode_slice(&longest, &mut buf),
            Ok(MAX_TOKEN_BYTES)
        );
        assert_eq!(URL_SAFE_NO_PAD.encode(buf).len(), MAX_TOKEN_LEN);
    }
}

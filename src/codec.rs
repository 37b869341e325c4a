//! The wire format, and nothing else: version, key id, claims bytes, tag,
//! in canonical base64url. No clock, no policy, no I/O. See DESIGN.md.

use std::mem::MaybeUninit;

use base64_simd::{Out, URL_SAFE_NO_PAD};
use hmac::Mac as _;

use crate::ct;
use crate::error::{IssueError, VerifyErrorKind};
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

/// The token MAC keyed once with the domain already absorbed: every token
/// then costs only its own bytes.
pub(crate) fn mac_state(keyed: HmacSha256) -> HmacSha256 {
    let mut mac = keyed;
    mac.update(MAC_DOMAIN);
    mac
}

/// Header, at least one claims byte, tag.
const MIN_TOKEN_BYTES: usize = HEADER_LEN + 1 + TAG_LEN;

/// Room for a token's bytes, on the verifier's stack: verification never
/// touches the heap, and the bytes are never moved. Left uninitialised:
/// zeroing room for the longest token would cost more than decoding a
/// typical one, and the decoder hands back only the bytes it wrote.
pub(crate) struct TokenBuf([MaybeUninit<u8>; MAX_TOKEN_BYTES]);

impl TokenBuf {
    pub(crate) fn new() -> Self {
        Self([const { MaybeUninit::uninit() }; MAX_TOKEN_BYTES])
    }
}

/// A token decoded from text whose tag has not been checked. Only the header
/// can be read, to choose the key.
pub(crate) struct UnverifiedToken<'b> {
    bytes: &'b [u8],
}

impl<'b> UnverifiedToken<'b> {
    /// Length, alphabet, canonical form and version; nothing else.
    pub(crate) fn decode(text: &str, buf: &'b mut TokenBuf) -> Result<Self, VerifyErrorKind> {
        if text.len() > MAX_TOKEN_LEN || text.len() < MIN_TOKEN_BYTES * 4 / 3 {
            return Err(VerifyErrorKind::Malformed);
        }
        // The engine refuses padding, `+`, `/`, whitespace and non-zero
        // trailing bits, so each token has exactly one spelling.
        let bytes: &[u8] = URL_SAFE_NO_PAD
            .decode(text.as_bytes(), Out::from_uninit_slice(&mut buf.0))
            .map_err(|_| VerifyErrorKind::Malformed)?;
        if bytes.len() < MIN_TOKEN_BYTES {
            return Err(VerifyErrorKind::Malformed);
        }
        if bytes[0] != VERSION {
            return Err(VerifyErrorKind::UnsupportedVersion);
        }
        Ok(Self { bytes })
    }

    pub(crate) fn key_id(&self) -> KeyId {
        KeyId::new(u16::from_be_bytes([self.bytes[1], self.bytes[2]]))
    }

    /// Checks the tag in constant time under `key` (from [`mac_state`]) and
    /// yields the claims bytes, the only way to reach them.
    pub(crate) fn authenticate(self, key: &HmacSha256) -> Result<&'b [u8], VerifyErrorKind> {
        let (body, tag) = self.bytes.split_at(self.bytes.len() - TAG_LEN);
        let mut mac = key.clone();
        mac.update(body);
        let computed = mac.finalize().into_bytes();
        let mut expected = [0u8; TAG_LEN];
        expected.copy_from_slice(&computed[..TAG_LEN]);
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| VerifyErrorKind::Malformed)?;
        if ct::bytes_eq(&expected, tag) {
            Ok(&body[HEADER_LEN..])
        } else {
            Err(VerifyErrorKind::BadSignature)
        }
    }
}

/// Builds a token: header, the claims written by `write_claims` into the
/// space it is given (returning how many bytes it used), tag under `key`
/// (from [`mac_state`]); and hands its text to `finish`.
pub(crate) fn encode<R>(
    key_id: KeyId,
    key: &HmacSha256,
    write_claims: impl FnOnce(&mut [u8]) -> Result<usize, IssueError>,
    finish: impl FnOnce(&str) -> R,
) -> Result<R, IssueError> {
    let mut buf = [0u8; MAX_TOKEN_BYTES];
    buf[0] = VERSION;
    buf[1..HEADER_LEN].copy_from_slice(&key_id.get().to_be_bytes());
    let claims_len = write_claims(&mut buf[HEADER_LEN..MAX_TOKEN_BYTES - TAG_LEN])?;
    let body_len = HEADER_LEN + claims_len;
    let mut mac = key.clone();
    mac.update(&buf[..body_len]);
    let tag = mac.finalize().into_bytes();
    buf[body_len..body_len + TAG_LEN].copy_from_slice(&tag[..TAG_LEN]);
    // MAX_TOKEN_LEN characters hold the base64 of MAX_TOKEN_BYTES bytes.
    let mut text = [const { MaybeUninit::uninit() }; MAX_TOKEN_LEN];
    let text = URL_SAFE_NO_PAD.encode_as_str(
        &buf[..body_len + TAG_LEN],
        Out::from_uninit_slice(&mut text),
    );
    Ok(finish(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_token_bytes_holds_any_accepted_text() {
        let longest = "A".repeat(MAX_TOKEN_LEN);
        let mut buf = TokenBuf::new();
        let token = UnverifiedToken::decode(&longest, &mut buf);
        // Decoded in full: all zero bytes, so the version check refuses it.
        assert!(matches!(token, Err(VerifyErrorKind::UnsupportedVersion)));
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode_to_vec(&longest)
                .ok()
                .map(|b| b.len()),
            Some(MAX_TOKEN_BYTES)
        );
        assert_eq!(
            URL_SAFE_NO_PAD.encoded_length(MAX_TOKEN_BYTES),
            MAX_TOKEN_LEN
        );
    }
}

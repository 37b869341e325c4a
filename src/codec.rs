//! The wire format, and nothing else: version, key id, claims bytes, tag,
//! in canonical base64url. No clock, no policy, no I/O. See DESIGN.md.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::key::KeyId;

/// The MAC that signs tokens.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The longest token accepted, in characters; longer input is refused before
/// any decoding.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Bytes behind a token of [`MAX_TOKEN_LEN`] characters.
pub(crate) const MAX_TOKEN_BYTES: usize = MAX_TOKEN_LEN / 4 * 3;

/// One kind of token: its version byte and the domain its MAC starts with.
/// Each kind has its own MAC key too (DESIGN.md), so the domain and the
/// version keep apart tokens under keys derived alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format {
    version: u8,
    domain: &'static [u8; 16],
}

/// The webview link (version 1).
pub(crate) const LINK: Format = Format {
    version: 1,
    domain: b"authlink/v1/link",
};

/// The link of a mailed sign-in (version 2): bound to the browser that
/// asked for it, not to an address.
pub(crate) const MAIL_LINK: Format = Format {
    version: 2,
    domain: b"authlink/v2/mail",
};

/// Version byte and big-endian key id.
const HEADER_LEN: usize = 3;

/// HMAC-SHA256 truncated to 128 bits.
const TAG_LEN: usize = 16;

/// The most claims bytes a token can carry.
pub(crate) const MAX_CLAIMS_LEN: usize = MAX_TOKEN_BYTES - HEADER_LEN - TAG_LEN;

/// Header, at least one claims byte, tag.
const MIN_TOKEN_BYTES: usize = HEADER_LEN + 1 + TAG_LEN;

/// Why token text is not a token this key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Wrong length, not canonical base64url, or too short.
    Malformed,
    /// A version byte other than the format's.
    UnsupportedVersion,
    /// The tag does not match the body under the key and context.
    BadTag,
}

/// The claims do not fit in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong;

/// The token MAC of `format` with its domain absorbed, so keying and the
/// domain are paid once per key rather than once per token.
pub(crate) fn mac_state(format: Format, keyed: HmacSha256) -> HmacSha256 {
    let mut mac = keyed;
    mac.update(format.domain);
    mac
}

/// The MAC over `context` (length-prefixed) and `body`, under `key` from
/// [`mac_state`]. The context (the user id kind) is authenticated but not
/// carried: the verifier supplies the one it expects.
fn mac(key: &HmacSha256, context: &[u8], body: &[u8]) -> HmacSha256 {
    let mut mac = key.clone();
    mac.update(&(context.len() as u64).to_be_bytes());
    mac.update(context);
    mac.update(body);
    mac
}

/// Room for a token's bytes, on the verifier's stack.
pub(crate) type TokenBuf = [u8; MAX_TOKEN_BYTES];

/// A token decoded from text whose tag has not been checked. Only the header
/// can be read, to choose the key.
pub(crate) struct UnverifiedToken<'b> {
    bytes: &'b [u8],
}

impl<'b> UnverifiedToken<'b> {
    /// Length, alphabet, canonical form and version; nothing else.
    pub(crate) fn decode(
        format: Format,
        text: &str,
        buf: &'b mut TokenBuf,
    ) -> Result<Self, DecodeError> {
        if text.len() > MAX_TOKEN_LEN {
            return Err(DecodeError::Malformed);
        }
        // The engine refuses padding, `+`, `/`, whitespace and non-zero
        // trailing bits, so each token has exactly one spelling.
        let len = URL_SAFE_NO_PAD
            .decode_slice(text, buf)
            .map_err(|_| DecodeError::Malformed)?;
        let bytes = &buf[..len];
        if len < MIN_TOKEN_BYTES {
            return Err(DecodeError::Malformed);
        }
        if bytes[0] != format.version {
            return Err(DecodeError::UnsupportedVersion);
        }
        Ok(Self { bytes })
    }

    pub(crate) fn key_id(&self) -> KeyId {
        KeyId::new(u16::from_be_bytes([self.bytes[1], self.bytes[2]]))
    }

    /// Checks the tag in constant time under `key` (from [`mac_state`]) and
    /// `context`, and yields the claims bytes: the only way to reach them.
    pub(crate) fn authenticate(
        &self,
        key: &HmacSha256,
        context: &[u8],
    ) -> Result<&'b [u8], DecodeError> {
        let (body, tag) = self.bytes.split_at(self.bytes.len() - TAG_LEN);
        mac(key, context, body)
            .verify_truncated_left(tag)
            .map_err(|_| DecodeError::BadTag)?;
        Ok(&body[HEADER_LEN..])
    }
}

/// The token text for `claims` under `key` (from [`mac_state`]) and
/// `context`, named by `key_id`.
pub(crate) fn encode(
    format: Format,
    key_id: KeyId,
    key: &HmacSha256,
    context: &[u8],
    claims: &[u8],
) -> Result<String, TooLong> {
    if claims.len() > MAX_CLAIMS_LEN {
        return Err(TooLong);
    }
    let mut token = Vec::with_capacity(HEADER_LEN + claims.len() + TAG_LEN);
    token.push(format.version);
    token.extend_from_slice(&key_id.get().to_be_bytes());
    token.extend_from_slice(claims);
    let tag = mac(key, context, &token).finalize().into_bytes();
    token.extend_from_slice(&tag[..TAG_LEN]);
    Ok(URL_SAFE_NO_PAD.encode(token))
}

#[cfg(test)]
mod tests {
    use hmac::KeyInit as _;

    use super::*;

    fn key() -> HmacSha256 {
        mac_state(LINK, HmacSha256::new_from_slice(&[7; 64]).unwrap())
    }

    #[test]
    fn the_longest_accepted_text_fills_the_buffer_exactly() {
        let mut buf = [0; MAX_TOKEN_BYTES];
        let longest = "A".repeat(MAX_TOKEN_LEN);
        // Decoded in full: all zero bytes, so the version check refuses it.
        assert_eq!(
            UnverifiedToken::decode(LINK, &longest, &mut buf).err(),
            Some(DecodeError::UnsupportedVersion)
        );
        let longer = "A".repeat(MAX_TOKEN_LEN + 4);
        assert_eq!(
            UnverifiedToken::decode(LINK, &longer, &mut buf).err(),
            Some(DecodeError::Malformed)
        );
    }

    #[test]
    fn round_trip_under_the_same_context_only() {
        let token = encode(LINK, KeyId::new(3), &key(), b"u64", b"claims").unwrap();
        let mut buf = [0; MAX_TOKEN_BYTES];
        let decoded = UnverifiedToken::decode(LINK, &token, &mut buf).unwrap();
        assert_eq!(decoded.key_id(), KeyId::new(3));
        assert_eq!(decoded.authenticate(&key(), b"u64"), Ok(&b"claims"[..]));
        assert_eq!(
            decoded.authenticate(&key(), b"string"),
            Err(DecodeError::BadTag)
        );
    }

    #[test]
    fn claims_longer_than_a_token_holds_are_refused() {
        let claims = vec![0; MAX_CLAIMS_LEN];
        let token = encode(LINK, KeyId::new(0), &key(), b"", &claims).unwrap();
        assert_eq!(token.len(), MAX_TOKEN_LEN);
        assert_eq!(
            encode(LINK, KeyId::new(0), &key(), b"", &[0; MAX_CLAIMS_LEN + 1]),
            Err(TooLong)
        );
    }
}

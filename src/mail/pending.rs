//! The pending cookie: what the browser that asked for a mailed link holds
//! until it signs in. A random nonce the mail never carries, the issue time
//! and a keyed hash of the address, signed.
//!
//! ```text
//! cookie = base64url_nopad( body || tag )                       (68 characters)
//! body   = version:u8 (=2) || key_id:u16 BE || nonce:[u8; 16]
//!          || issued_at:u64 BE || address:[u8; 8]
//! tag    = HMAC-SHA256(pending key, "authlink/v2/pend" || body)[0..16]
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;

use crate::codec::HmacSha256;
use crate::key::KeyId;
use crate::keyring::{DerivedKeys, MailKeys};

/// Bytes of the nonce: as many as a session id, never guessed.
pub(crate) const NONCE_LEN: usize = 16;

/// Bytes of the keyed address hash.
pub(crate) const ADDRESS_HASH_LEN: usize = 8;

const VERSION: u8 = 2;
const DOMAIN: &[u8; 16] = b"authlink/v2/pend";
const BODY_LEN: usize = 1 + 2 + NONCE_LEN + 8 + ADDRESS_HASH_LEN;
const TAG_LEN: usize = 16;
const LEN: usize = BODY_LEN + TAG_LEN;

/// Characters of an encoded pending cookie.
pub(crate) const TEXT_LEN: usize = (LEN * 8).div_ceil(6);

/// A pending sign-in as its cookie says, once the tag checked out.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) key_id: KeyId,
    pub(crate) nonce: [u8; NONCE_LEN],
    /// Unix seconds.
    pub(crate) issued_at: u64,
    pub(crate) address: [u8; ADDRESS_HASH_LEN],
}

fn tag(key: &HmacSha256, body: &[u8]) -> HmacSha256 {
    let mut mac = key.clone();
    mac.update(DOMAIN);
    mac.update(body);
    mac
}

fn body(pending: &Pending) -> [u8; BODY_LEN] {
    let mut body = [0u8; BODY_LEN];
    body[0] = VERSION;
    body[1..3].copy_from_slice(&pending.key_id.get().to_be_bytes());
    body[3..19].copy_from_slice(&pending.nonce);
    body[19..27].copy_from_slice(&pending.issued_at.to_be_bytes());
    body[27..].copy_from_slice(&pending.address);
    body
}

/// The cookie value of `pending`, signed with `keys` (those of
/// `pending.key_id`).
pub(crate) fn encode(keys: &MailKeys, pending: &Pending) -> String {
    let body = body(pending);
    let tag = tag(&keys.pending, &body).finalize().into_bytes();
    let mut bytes = [0u8; LEN];
    bytes[..BODY_LEN].copy_from_slice(&body);
    bytes[BODY_LEN..].copy_from_slice(&tag[..TAG_LEN]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a cookie value: exactly one length, canonical base64url, version
/// 2, a key the ring holds and a tag that checks out; anything else is
/// `None`, so no part of a cookie is read before it is known to be ours.
pub(crate) fn decode(keys: &DerivedKeys, text: &str) -> Option<Pending> {
    if text.len() != TEXT_LEN {
        return None;
    }
    let mut bytes = [0u8; LEN];
    // The decoder refuses padding and non-zero trailing bits, so each
    // cookie has one spelling.
    if URL_SAFE_NO_PAD.decode_slice(text, &mut bytes).ok()? != LEN || bytes[0] != VERSION {
        return None;
    }
    let (body, sent_tag) = bytes.split_at(BODY_LEN);
    let key_id = KeyId::new(u16::from_be_bytes([body[1], body[2]]));
    let key = keys.get(key_id)?;
    tag(&key.mail.pending, body)
        .verify_truncated_left(sent_tag)
        .ok()?;
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&body[3..19]);
    let mut issued_at = [0u8; 8];
    issued_at.copy_from_slice(&body[19..27]);
    let mut address = [0u8; ADDRESS_HASH_LEN];
    address.copy_from_slice(&body[27..]);
    Some(Pending {
        key_id,
        nonce,
        issued_at: u64::from_be_bytes(issued_at),
        address,
    })
}

//! User stamps: stateless revocation. A stamp is any value the app changes
//! to cut off a user's outstanding links (a hash of the password hash, a
//! security-stamp column, a logout-everywhere counter). Tokens carry only a
//! keyed hash of it.

use hmac::Mac as _;

use crate::claims::STAMP_HASH_LEN;
use crate::codec::HmacSha256;

fn stamp_mac(key: &HmacSha256, stamp: &[u8]) -> HmacSha256 {
    let mut mac = key.clone();
    mac.update(stamp);
    mac
}

pub(crate) fn stamp_hash(key: &HmacSha256, stamp: &[u8]) -> [u8; STAMP_HASH_LEN] {
    let mut out = [0u8; STAMP_HASH_LEN];
    out.copy_from_slice(&stamp_mac(key, stamp).finalize().into_bytes()[..STAMP_HASH_LEN]);
    out
}

/// Whether the stamp bound at issue matches the app's current one. A link
/// carries a stamp exactly when the app gives one, so a missing stamp on
/// either side is a mismatch.
pub(crate) fn stamp_matches(
    key: &HmacSha256,
    bound: Option<[u8; STAMP_HASH_LEN]>,
    current: Option<&[u8]>,
) -> bool {
    match (bound, current) {
        (None, None) => true,
        (Some(bound), Some(current)) => stamp_mac(key, current)
            .verify_truncated_left(&bound)
            .is_ok(),
        _ => false,
    }
}

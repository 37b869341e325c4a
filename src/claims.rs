//! What a token says, as postcard encodes it. Field order is part of the
//! format (DESIGN.md); append only, behind a new version.

use serde::{Deserialize, Serialize};

use crate::binding::CLIENT_HASH_LEN;

/// Bytes of the random per-link id.
pub(crate) const LINK_ID_LEN: usize = 8;

/// Bytes of the keyed user-stamp hash.
pub(crate) const STAMP_HASH_LEN: usize = 8;

/// The claims of one link. `U` is the app's user id type when decoding, or a
/// reference to it when encoding.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims<'a, U> {
    /// Random, unique per issued link; with the key id, the replay key.
    pub(crate) link_id: [u8; LINK_ID_LEN],
    /// Unix seconds.
    pub(crate) issued_at: u64,
    pub(crate) user: U,
    /// Path and query (or an absolute URL on an allowed origin).
    pub(crate) target: &'a str,
    /// Keyed hash of the client address, absent when binding is off.
    pub(crate) client: Option<[u8; CLIENT_HASH_LEN]>,
    /// Keyed hash of the user's stamp, absent when none was given.
    pub(crate) stamp: Option<[u8; STAMP_HASH_LEN]>,
}

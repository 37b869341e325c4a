//! What a token says, as postcard encodes it. Field order is part of the
//! format (DESIGN.md); append only, behind a new version.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codec::MAX_CLAIMS_LEN;

/// Bytes of the random per-link id.
pub(crate) const LINK_ID_LEN: usize = 8;

/// Bytes of the keyed client-address hash.
pub(crate) const CLIENT_HASH_LEN: usize = 8;

/// Bytes of the keyed user-stamp hash.
pub(crate) const STAMP_HASH_LEN: usize = 8;

/// The claims of one link. `U` is the app's user id (or a reference to it
/// when encoding); `T` the target, borrowed from the token when decoding.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims<U, T> {
    /// Random, unique per issued link; with the key id, the replay key.
    pub(crate) link_id: [u8; LINK_ID_LEN],
    /// Unix seconds.
    pub(crate) issued_at: u64,
    pub(crate) user: U,
    /// Path and query (or an absolute URL on an allowed origin).
    pub(crate) target: T,
    /// Keyed hash of the client address, absent when binding is off.
    pub(crate) client: Option<[u8; CLIENT_HASH_LEN]>,
    /// Keyed hash of the user's stamp, absent when none was given.
    pub(crate) stamp: Option<[u8; STAMP_HASH_LEN]>,
}

/// The claims bytes, in `buf`.
pub(crate) fn encode<'b, U, T>(
    claims: &Claims<U, T>,
    buf: &'b mut [u8; MAX_CLAIMS_LEN],
) -> Result<&'b [u8], postcard::Error>
where
    U: Serialize,
    T: Serialize,
{
    postcard::to_slice(claims, buf).map(|bytes| &*bytes)
}

/// Reads claims that fill `bytes` exactly, in their canonical encoding
/// only. postcard's decoder also takes overlong integers; everything else it
/// reads has one length, so claims are canonical exactly when encoding them
/// again takes as many bytes as were read. Counting those bytes is cheaper
/// than writing and comparing them. That keeps every token to one spelling
/// whatever the user id's type, as long as the type's `Deserialize` reads
/// only what its `Serialize` writes (DESIGN.md).
pub(crate) fn decode<U>(bytes: &[u8]) -> Option<Claims<U, &str>>
where
    U: Serialize + DeserializeOwned,
{
    decode_canonical(bytes)
}

/// [`decode`] for any claims type: the mailed link's too.
pub(crate) fn decode_canonical<'a, C>(bytes: &'a [u8]) -> Option<C>
where
    C: Serialize + Deserialize<'a>,
{
    let (claims, rest) = postcard::take_from_bytes::<C>(bytes).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let canonical_len =
        postcard::serialize_with_flavor(&claims, postcard::ser_flavors::Size::default()).ok()?;
    (canonical_len == bytes.len()).then_some(claims)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn claims(user: String, target: String) -> Claims<String, String> {
        Claims {
            link_id: [1; LINK_ID_LEN],
            issued_at: 1_793_491_200,
            user,
            target,
            client: Some([2; CLIENT_HASH_LEN]),
            stamp: None,
        }
    }

    fn bytes<U: Serialize, T: Serialize>(claims: &Claims<U, T>) -> Vec<u8> {
        let mut buf = [0; MAX_CLAIMS_LEN];
        encode(claims, &mut buf).unwrap().to_vec()
    }

    proptest! {
        #[test]
        fn what_is_encoded_decodes_to_the_same_claims(
            link_id in any::<[u8; 8]>(),
            issued_at in any::<u64>(),
            user in ".{0,40}",
            target in ".{0,300}",
            client in any::<Option<[u8; 8]>>(),
            stamp in any::<Option<[u8; 8]>>(),
        ) {
            let claims = Claims { link_id, issued_at, user, target, client, stamp };
            let encoded = bytes(&claims);
            prop_assert_eq!(&encoded, &postcard::to_allocvec(&claims).unwrap());
            let decoded = decode::<String>(&encoded).unwrap();
            prop_assert_eq!(decoded.link_id, claims.link_id);
            prop_assert_eq!(decoded.issued_at, claims.issued_at);
            prop_assert_eq!(&decoded.user, &claims.user);
            prop_assert_eq!(decoded.target, claims.target.as_str());
            prop_assert_eq!(decoded.client, claims.client);
            prop_assert_eq!(decoded.stamp, claims.stamp);
        }

        #[test]
        fn whatever_decodes_is_its_own_encoding(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Some(claims) = decode::<u64>(&bytes) {
                prop_assert_eq!(super::tests::bytes(&claims), bytes);
            }
        }
    }

    #[test]
    fn refuses_every_cut_and_any_extra_byte() {
        let encoded = bytes(&claims("alice".into(), "/account".into()));
        for len in 0..encoded.len() {
            assert!(decode::<String>(&encoded[..len]).is_none(), "cut at {len}");
        }
        let mut longer = encoded.clone();
        longer.push(0);
        assert!(decode::<String>(&longer).is_none());
    }

    #[test]
    fn overlong_integers_are_refused_in_every_field() {
        let canonical = bytes(&Claims {
            link_id: [0; 8],
            issued_at: 5,
            user: 19u64,
            target: "/a",
            client: None,
            stamp: None,
        });
        assert!(decode::<u64>(&canonical).is_some());
        // issued_at (byte 8) and user (byte 9) are one-byte varints: spell
        // each with a redundant continuation byte.
        for at in [8, 9] {
            let mut overlong = canonical.clone();
            overlong[at] |= 0x80;
            overlong.insert(at + 1, 0);
            assert!(
                postcard::from_bytes::<Claims<u64, &str>>(&overlong).is_ok(),
                "postcard itself reads byte {at} overlong"
            );
            assert!(decode::<u64>(&overlong).is_none(), "overlong at {at}");
        }
    }
}

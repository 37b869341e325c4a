//! What a token says, as postcard encodes it. Field order is part of the
//! format (DESIGN.md); append only, behind a new version.
//!
//! The fixed fields are written and read here directly, byte for byte as
//! postcard lays them out (a test holds the two equal); only the app's user
//! id goes through serde. Reading the claims this way costs a third of a
//! generic postcard decode, on the path every verification takes.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::binding::CLIENT_HASH_LEN;
use crate::error::{IssueError, VerifyErrorKind};

/// Bytes of the random per-link id.
pub(crate) const LINK_ID_LEN: usize = 8;

/// Bytes of the keyed user-stamp hash.
pub(crate) const STAMP_HASH_LEN: usize = 8;

/// The claims of one link. `U` is the app's user id type when decoding, or a
/// reference to it when encoding.
#[derive(Debug)]
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

impl<U: Serialize> Claims<'_, U> {
    /// Writes the claims at the start of `buf`; returns how many bytes.
    ///
    /// # Errors
    /// [`IssueError::TooLong`] when they do not fit,
    /// [`IssueError::UserEncoding`] when the user id does not serialize.
    pub(crate) fn encode(&self, buf: &mut [u8]) -> Result<usize, IssueError> {
        let mut out = Writer { buf, len: 0 };
        out.bytes(&self.link_id)?;
        out.varint(self.issued_at)?;
        let user =
            postcard::to_slice(&self.user, &mut out.buf[out.len..]).map_err(|err| match err {
                postcard::Error::SerializeBufferFull => IssueError::TooLong,
                _ => IssueError::UserEncoding,
            })?;
        out.len += user.len();
        out.varint(u64::try_from(self.target.len()).map_err(|_| IssueError::TooLong)?)?;
        out.bytes(self.target.as_bytes())?;
        out.option(self.client.as_ref())?;
        out.option(self.stamp.as_ref())?;
        Ok(out.len)
    }
}

impl<'a, U: DeserializeOwned> Claims<'a, U> {
    /// Reads claims that fill `bytes` exactly.
    ///
    /// # Errors
    /// [`VerifyErrorKind::Malformed`] for anything else.
    pub(crate) fn decode(bytes: &'a [u8]) -> Result<Self, VerifyErrorKind> {
        Self::read(bytes).ok_or(VerifyErrorKind::Malformed)
    }

    // Inlined into verify, so the fields stay in registers rather than
    // making a round trip through memory on every verification.
    #[inline]
    fn read(bytes: &'a [u8]) -> Option<Self> {
        let mut input = Reader(bytes);
        let link_id = input.array()?;
        let issued_at = input.varint()?;
        let (user, rest) = postcard::take_from_bytes::<U>(input.0).ok()?;
        input.0 = rest;
        let target_len = usize::try_from(input.varint()?).ok()?;
        let (target, rest) = input.0.split_at_checked(target_len)?;
        input.0 = rest;
        let target = std::str::from_utf8(target).ok()?;
        let client = input.option()?;
        let stamp = input.option()?;
        input.0.is_empty().then_some(Self {
            link_id,
            issued_at,
            user,
            target,
            client,
            stamp,
        })
    }
}

struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, bytes: &[u8]) -> Result<(), IssueError> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(IssueError::TooLong)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// LEB128, as postcard writes every integer wider than a byte.
    fn varint(&mut self, mut value: u64) -> Result<(), IssueError> {
        let mut encoded = [0u8; 10];
        let mut len = 0;
        while value >= 0x80 {
            encoded[len] = (value as u8) | 0x80;
            value >>= 7;
            len += 1;
        }
        encoded[len] = value as u8;
        self.bytes(&encoded[..=len])
    }

    fn option<const N: usize>(&mut self, value: Option<&[u8; N]>) -> Result<(), IssueError> {
        match value {
            None => self.bytes(&[0]),
            Some(value) => {
                self.bytes(&[1])?;
                self.bytes(value)
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (array, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*array)
    }

    /// LEB128 of at most 64 bits, in its shortest form only.
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for (i, &byte) in self.0.iter().enumerate().take(10) {
            let bits = u64::from(byte & 0x7f);
            // The tenth byte carries the 64th bit and nothing above it.
            if i == 9 && byte > 1 {
                return None;
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                // A zero last byte after others is an overlong spelling.
                if byte == 0 && i > 0 {
                    return None;
                }
                self.0 = &self.0[i + 1..];
                return Some(value);
            }
        }
        None
    }

    fn option<const N: usize>(&mut self) -> Option<Option<[u8; N]>> {
        let (&tag, rest) = self.0.split_first()?;
        self.0 = rest;
        match tag {
            0 => Some(None),
            1 => self.array().map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    use super::*;

    /// The claims as serde derives them: what postcard would write.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Mirror {
        link_id: [u8; LINK_ID_LEN],
        issued_at: u64,
        user: String,
        target: String,
        client: Option<[u8; CLIENT_HASH_LEN]>,
        stamp: Option<[u8; STAMP_HASH_LEN]>,
    }

    fn encode(mirror: &Mirror) -> Vec<u8> {
        let claims = Claims {
            link_id: mirror.link_id,
            issued_at: mirror.issued_at,
            user: &mirror.user,
            target: &mirror.target,
            client: mirror.client,
            stamp: mirror.stamp,
        };
        let mut buf = [0u8; 1024];
        let len = claims.encode(&mut buf).unwrap();
        buf[..len].to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Mirror, VerifyErrorKind> {
        let claims = Claims::<String>::decode(bytes)?;
        Ok(Mirror {
            link_id: claims.link_id,
            issued_at: claims.issued_at,
            user: claims.user,
            target: claims.target.to_owned(),
            client: claims.client,
            stamp: claims.stamp,
        })
    }

    proptest! {
        #[test]
        fn same_bytes_as_postcard_both_ways(
            link_id in any::<[u8; 8]>(),
            issued_at in any::<u64>(),
            user in ".{0,40}",
            target in ".{0,300}",
            client in any::<Option<[u8; 8]>>(),
            stamp in any::<Option<[u8; 8]>>(),
        ) {
            let mirror = Mirror { link_id, issued_at, user, target, client, stamp };
            let ours = encode(&mirror);
            prop_assert_eq!(&ours, &postcard::to_allocvec(&mirror).unwrap());
            prop_assert_eq!(decode(&ours).unwrap(), mirror);
        }

        #[test]
        fn reads_what_postcard_reads_and_nothing_else(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(ours) = decode(&bytes) {
                // Whatever we accept, postcard reads the same way, whole.
                let (theirs, rest) = postcard::take_from_bytes::<Mirror>(&bytes).unwrap();
                prop_assert!(rest.is_empty());
                prop_assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn refuses_every_cut_and_any_extra_byte() {
        let bytes = encode(&Mirror {
            link_id: [1; 8],
            issued_at: 1_793_491_200,
            user: "alice".into(),
            target: "/account".into(),
            client: Some([2; 8]),
            stamp: None,
        });
        for len in 0..bytes.len() {
            assert_eq!(
                decode(&bytes[..len]),
                Err(VerifyErrorKind::Malformed),
                "cut at {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(VerifyErrorKind::Malformed));
    }

    #[test]
    fn varints_are_shortest_form_and_at_most_64_bits() {
        let read = |bytes: &[u8]| Reader(bytes).varint();
        assert_eq!(read(&[0]), Some(0));
        assert_eq!(read(&[0x7f]), Some(127));
        assert_eq!(read(&[0x80, 0x01]), Some(128));
        assert_eq!(
            read(&[0xff; 9].iter().copied().chain([1]).collect::<Vec<_>>()),
            Some(u64::MAX)
        );
        // Overlong, overflowing, unterminated.
        assert_eq!(read(&[0x80, 0x00]), None);
        assert_eq!(
            read(&[0xff; 9].iter().copied().chain([2]).collect::<Vec<_>>()),
            None
        );
        assert_eq!(read(&[0x80; 10]), None);
        assert_eq!(read(&[0x80]), None);
    }

    #[test]
    fn option_tags_other_than_0_and_1_are_refused() {
        assert_eq!(Reader(&[2, 0, 0, 0, 0, 0, 0, 0, 0]).option::<8>(), None);
        assert_eq!(Reader(&[1, 0, 0]).option::<8>(), None);
        assert_eq!(Reader(&[0]).option::<8>(), Some(None));
    }
}

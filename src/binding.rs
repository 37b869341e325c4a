//! Binding a link to the client address it was issued to, through a keyed
//! hash so the token never carries the address itself.

use std::net::IpAddr;

use aes::cipher::{BlockCipherEncrypt as _, KeyInit as _};
use aes::{Aes128Enc, Block};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::claims::CLIENT_HASH_LEN;
use crate::error::ConfigError;

/// How a link is tied to the client address that asked for it.
///
/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) count as the IPv4 address
/// in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IpBinding {
    /// The link opens only from the exact address it was issued to (the
    /// default, as in django-authlink).
    #[default]
    Exact,
    /// The link opens from any address in the same network: the first `v4`
    /// bits of an IPv4 address, or `v6` bits of an IPv6 address, must match.
    /// For clients whose address changes within a network (mobile carriers,
    /// IPv6 privacy addresses). [`IpBinding::prefix`] gives /24 and /64.
    Prefix {
        /// IPv4 prefix length, 0 ..= 32.
        v4: u8,
        /// IPv6 prefix length, 0 ..= 128.
        v6: u8,
    },
    /// No binding: the link opens from anywhere. Named so a reader of the
    /// configuration sees the protection was turned off on purpose.
    Off,
}

impl IpBinding {
    /// Prefix binding to the client's IPv4 /24 or IPv6 /64.
    #[must_use]
    pub const fn prefix() -> Self {
        Self::Prefix { v4: 24, v6: 64 }
    }

    pub(crate) fn validate(self) -> Result<(), ConfigError> {
        match self {
            Self::Prefix { v4, v6 } if v4 > 32 || v6 > 128 => Err(ConfigError::PrefixOutOfRange),
            _ => Ok(()),
        }
    }

    /// The prefix lengths kept, IPv4 then IPv6, or `None` when unbound.
    fn kept_bits(self) -> Option<(u8, u8)> {
        match self {
            Self::Exact => Some((32, 128)),
            Self::Prefix { v4, v6 } => Some((v4.min(32), v6.min(128))),
            Self::Off => None,
        }
    }
}

/// The client-address keys of one binding mode: AES-128 keyed once per
/// address family, each key derived for that family and prefix length.
///
/// The client hash is AES-128 of one block, the masked address, truncated
/// to 64 bits: on a single fixed-length block a block cipher is a
/// pseudorandom function, so no mode around it is needed (DESIGN.md says
/// why not HMAC or CMAC). Family and prefix length are in the key, not the
/// block, so a masked address reads one way only.
#[derive(Clone)]
pub(crate) struct ClientKey {
    v4: Aes128Enc,
    v6: Aes128Enc,
    v4_mask: u32,
    v6_mask: u128,
}

impl ClientKey {
    /// The keys for `binding`, each 16 bytes from `derive(label)`; `None`
    /// when the binding is off.
    pub(crate) fn new(
        binding: IpBinding,
        mut derive: impl FnMut(&[u8]) -> Zeroizing<[u8; 16]>,
    ) -> Option<Self> {
        let (v4_bits, v6_bits) = binding.kept_bits()?;
        let mut key = |family: u8, bits: u8| {
            // Its own label, NUL-terminated, then the two fixed-size bytes
            // these keys differ by: they never key anything else.
            let mut label = [0; 9];
            label[..7].copy_from_slice(b"client\0");
            label[7..].copy_from_slice(&[family, bits]);
            let key = derive(&label);
            Aes128Enc::new(&(*key).into())
        };
        Some(Self {
            v4: key(4, v4_bits),
            v6: key(6, v6_bits),
            v4_mask: u32::MAX.checked_shl(32 - u32::from(v4_bits)).unwrap_or(0),
            v6_mask: u128::MAX.checked_shl(128 - u32::from(v6_bits)).unwrap_or(0),
        })
    }

    /// The keyed hash of `ip`'s kept prefix.
    pub(crate) fn hash(&self, ip: IpAddr) -> [u8; CLIENT_HASH_LEN] {
        let mut block = Block::default();
        let key = match ip.to_canonical() {
            IpAddr::V4(v4) => {
                block[..4].copy_from_slice(&(u32::from(v4) & self.v4_mask).to_be_bytes());
                &self.v4
            }
            IpAddr::V6(v6) => {
                block.copy_from_slice(&(u128::from(v6) & self.v6_mask).to_be_bytes());
                &self.v6
            }
        };
        key.encrypt_block(&mut block);
        let mut out = [0u8; CLIENT_HASH_LEN];
        out.copy_from_slice(&block[..CLIENT_HASH_LEN]);
        out
    }

    /// Whether `bound`, the hash a link carries, is `ip`'s; in constant time.
    pub(crate) fn matches(&self, ip: IpAddr, bound: &[u8; CLIENT_HASH_LEN]) -> bool {
        self.hash(ip).ct_eq(bound).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key per label, as HKDF would give: distinct labels, distinct keys.
    fn by_label(label: &[u8]) -> Zeroizing<[u8; 16]> {
        let mut key = [0u8; 16];
        for (i, byte) in label.iter().enumerate() {
            key[i % 16] ^= byte.rotate_left(u32::try_from(i).unwrap());
        }
        Zeroizing::new(key)
    }

    #[test]
    fn hash_is_aes_128_of_the_masked_address_fips_197() {
        // FIPS-197 appendix C.1: key 00..0f, plaintext 00112233..ff.
        let key = ClientKey::new(IpBinding::Exact, |_| {
            Zeroizing::new(std::array::from_fn(|i| u8::try_from(i).unwrap()))
        })
        .unwrap();
        let plaintext = "11:2233:4455:6677:8899:aabb:ccdd:eeff".parse().unwrap();
        assert_eq!(
            key.hash(plaintext),
            [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30]
        );
    }

    #[test]
    fn each_family_and_prefix_length_has_its_own_key_label() {
        let mut labels = Vec::new();
        let _ = ClientKey::new(IpBinding::Prefix { v4: 24, v6: 56 }, |label| {
            labels.push(label.to_vec());
            by_label(label)
        });
        assert_eq!(
            labels,
            [b"client\0\x04\x18".to_vec(), b"client\0\x06\x38".to_vec()]
        );
        assert!(ClientKey::new(IpBinding::Off, by_label).is_none());
    }

    #[test]
    fn hash_depends_on_mode_and_masked_address_only() {
        let exact = ClientKey::new(IpBinding::Exact, by_label).unwrap();
        let prefix = ClientKey::new(IpBinding::prefix(), by_label).unwrap();
        let hash = |key: &ClientKey, ip: &str| key.hash(ip.parse().unwrap());
        assert_eq!(hash(&prefix, "192.0.2.1"), hash(&prefix, "192.0.2.200"));
        assert_ne!(hash(&prefix, "192.0.2.1"), hash(&prefix, "192.0.3.1"));
        assert_ne!(hash(&exact, "192.0.2.1"), hash(&exact, "192.0.2.2"));
        // The prefix length is part of the key.
        assert_ne!(hash(&exact, "192.0.2.0"), hash(&prefix, "192.0.2.0"));
        // So is the family: 0.0.0.0 and :: fill the same block.
        assert_ne!(hash(&exact, "0.0.0.0"), hash(&exact, "::"));
        // IPv4-mapped IPv6 is the IPv4 address.
        assert_eq!(hash(&exact, "::ffff:192.0.2.1"), hash(&exact, "192.0.2.1"));
        assert_eq!(
            hash(&prefix, "2001:db8:1:2::1"),
            hash(&prefix, "2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            hash(&prefix, "2001:db8:1:2::1"),
            hash(&prefix, "2001:db8:1:3::1")
        );
        let zero = ClientKey::new(IpBinding::Prefix { v4: 0, v6: 0 }, by_label).unwrap();
        assert_eq!(hash(&zero, "192.0.2.1"), hash(&zero, "198.51.100.7"));
    }
}

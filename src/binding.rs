//! Binding a link to the client address it was issued to, through a keyed
//! hash so the token never carries the address itself.

use std::net::IpAddr;

use aes::Aes128;
use cmac::{Cmac, KeyInit, Mac as _};

use crate::error::ConfigError;

/// Bytes of the keyed client hash carried in a token.
pub(crate) const CLIENT_HASH_LEN: usize = 8;

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

    /// The keyed hash of the (masked) address, or `None` when unbound.
    pub(crate) fn client_hash(self, key: &ClientKey, ip: IpAddr) -> Option<[u8; CLIENT_HASH_LEN]> {
        let (v4_bits, v6_bits) = match self {
            Self::Exact => (32, 128),
            Self::Prefix { v4, v6 } => (v4.min(32), v6.min(128)),
            Self::Off => return None,
        };
        // Family, prefix length, masked address: one reading only. An IPv4
        // input fits one AES block.
        let mut input = [0u8; 18];
        let len = match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(v4_bits)).unwrap_or(0);
                input[..2].copy_from_slice(&[4, v4_bits]);
                input[2..6].copy_from_slice(&(u32::from(v4) & mask).to_be_bytes());
                6
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(v6_bits)).unwrap_or(0);
                input[..2].copy_from_slice(&[6, v6_bits]);
                input[2..].copy_from_slice(&(u128::from(v6) & mask).to_be_bytes());
                18
            }
        };
        let mut out = [0u8; CLIENT_HASH_LEN];
        out.copy_from_slice(&key.cmac(&input[..len])[..CLIENT_HASH_LEN]);
        Some(out)
    }
}

/// The client-address key: an AES-CMAC state keyed once.
///
/// The client hash is AES-CMAC (NIST SP 800-38B, RFC 4493), a standard PRF,
/// truncated to 64 bits, from RustCrypto's `cmac` and `aes`. For these one-
/// or two-block inputs it costs a few AES block encryptions where
/// HMAC-SHA256 costs two SHA-256 compressions; the AES key schedule is
/// expanded once, here, and each hash works on a copy of the keyed state.
#[derive(Clone)]
pub(crate) struct ClientKey(Cmac<Aes128>);

impl ClientKey {
    pub(crate) fn new(key: &[u8; 16]) -> Self {
        Self(<Cmac<Aes128> as KeyInit>::new(key.into()))
    }

    /// AES-CMAC of `msg`.
    fn cmac(&self, msg: &[u8]) -> [u8; 16] {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key(text: &str) -> [u8; 16] {
        hex(text).try_into().unwrap()
    }

    const RFC_KEY: &str = "2b7e1516 28aed2a6 abf71588 09cf4f3c";
    const RFC_MSG: &str = "6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51
                           30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710";

    #[test]
    fn matches_rfc_4493() {
        let key = ClientKey::new(&key(RFC_KEY));
        let msg = hex(RFC_MSG);
        for (len, tag) in [
            (0, "bb1d6929 e9593728 7fa37d12 9b756746"),
            (16, "070a16b4 6b4d4144 f79bdd9d d04a287c"),
            (40, "dfa66747 de9ae630 30ca3261 1497c827"),
            (64, "51f0bebf 7e3b9d92 fc497417 79363cfe"),
        ] {
            assert_eq!(key.cmac(&msg[..len]).to_vec(), hex(tag), "length {len}");
        }
    }

    #[test]
    fn hash_depends_on_mode_and_masked_address_only() {
        let key = ClientKey::new(&[7; 16]);
        let hash = |binding: IpBinding, ip: &str| binding.client_hash(&key, ip.parse().unwrap());
        let prefix = IpBinding::prefix();
        assert_eq!(hash(IpBinding::Off, "192.0.2.1"), None);
        assert_eq!(hash(prefix, "192.0.2.1"), hash(prefix, "192.0.2.200"));
        assert_ne!(hash(prefix, "192.0.2.1"), hash(prefix, "192.0.3.1"));
        assert_ne!(
            hash(IpBinding::Exact, "192.0.2.1"),
            hash(IpBinding::Exact, "192.0.2.2")
        );
        // The prefix length is part of the input.
        assert_ne!(
            hash(IpBinding::Exact, "192.0.2.0"),
            hash(prefix, "192.0.2.0")
        );
        // IPv4-mapped IPv6 is the IPv4 address.
        assert_eq!(
            hash(IpBinding::Exact, "::ffff:192.0.2.1"),
            hash(IpBinding::Exact, "192.0.2.1")
        );
        assert_eq!(
            hash(prefix, "2001:db8:1:2::1"),
            hash(prefix, "2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            hash(prefix, "2001:db8:1:2::1"),
            hash(prefix, "2001:db8:1:3::1")
        );
    }
}

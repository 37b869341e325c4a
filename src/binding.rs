//! Binding a link to the client address it was issued to, through a keyed
//! hash so the token never carries the address itself.

use std::net::IpAddr;

use hmac::Mac as _;

use crate::error::ConfigError;
use crate::keyring::HmacSha256;

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
    pub(crate) fn client_hash(self, key: &HmacSha256, ip: IpAddr) -> Option<[u8; CLIENT_HASH_LEN]> {
        let (v4_bits, v6_bits) = match self {
            Self::Exact => (32, 128),
            Self::Prefix { v4, v6 } => (v4.min(32), v6.min(128)),
            Self::Off => return None,
        };
        let mut mac = key.clone();
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(v4_bits)).unwrap_or(0);
                mac.update(&[4, v4_bits]);
                mac.update(&(u32::from(v4) & mask).to_be_bytes());
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(v6_bits)).unwrap_or(0);
                mac.update(&[6, v6_bits]);
                mac.update(&(u128::from(v6) & mask).to_be_bytes());
            }
        }
        let mut out = [0u8; CLIENT_HASH_LEN];
        out.copy_from_slice(&mac.finalize().into_bytes()[..CLIENT_HASH_LEN]);
        Some(out)
    }
}

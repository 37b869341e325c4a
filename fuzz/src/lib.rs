//! What the fuzz targets share: the golden key and engines, and a signer
//! that makes tokens over arbitrary claim bytes under a key the fuzzer
//! knows, to reach every check behind the tag. Engines, clocks and the
//! signer come from the fixtures the tests and benches use.

use std::net::IpAddr;

#[path = "../../tests/fixtures/mod.rs"]
pub mod fixtures;

use authlink::{Authlink, IpBinding, ManualClock, Origin, Policy, Whitelist};

/// The key the golden tokens (seeds/decode_verify) were issued under.
pub const SECRET: [u8; 32] = [0x42; 32];
/// A key no golden token was made with; the one foreign seed was.
pub const OTHER_SECRET: [u8; 32] = [0x24; 32];
/// A key no token at all, golden or seed, was made with.
pub const UNUSED_SECRET: [u8; 32] = [0x99; 32];
pub const PURPOSE: &str = "authlink fuzz golden";
pub const KEY_ID: u16 = 7;
/// 2026-11-01T00:00:00Z: when the golden tokens were issued.
pub const T0: i64 = 1_793_491_200;

/// The golden tokens, one per line, as examples/golden.rs wrote them.
pub const GOLDEN: &str = include_str!("../golden.txt");

/// Every target that passes validation is whitelisted.
pub fn policy(binding: IpBinding) -> Policy {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new([".*"]).unwrap_or_else(|err| panic!("{err}"));
    policy.allowed_origins = vec![origin()];
    policy.ip_binding = binding;
    policy
}

/// The one origin absolute targets may name.
pub fn origin() -> Origin {
    "https://app.example"
        .parse()
        .unwrap_or_else(|err| panic!("{err}"))
}

pub fn engine_with(
    secret: [u8; 32],
    purpose: &str,
    policy: Policy,
    clock: &ManualClock,
) -> Authlink {
    fixtures::engine_on(fixtures::ring(secret, KEY_ID), purpose, policy, clock)
}

pub use fixtures::clock_at;

/// A token of format version 1 whose claims are `claims`, tagged under
/// `SECRET` for `PURPOSE` and the user id kind `kind` (`UserId::KIND`: the
/// tag covers it, so the token verifies only as that type), by the
/// reference encoder the tests check the crate against.
pub fn sign(kind: &str, claims: &[u8]) -> String {
    fixtures::reference::sign(&SECRET, PURPOSE, 1, KEY_ID, kind, claims)
}

/// The address as the binding sees it: IPv4-mapped IPv6 as IPv4, masked to
/// the mode's prefix. `None` when unbound. An oracle independent of
/// src/binding.rs, for the round trip.
pub fn bound_network(binding: IpBinding, ip: IpAddr) -> Option<(u8, u128)> {
    let (v4_bits, v6_bits) = match binding {
        IpBinding::Exact => (32, 128),
        IpBinding::Prefix { v4, v6 } => (v4, v6),
        _ => return None,
    };
    Some(match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4_bits);
            let keep = if bits == 0 {
                0
            } else {
                u32::from(v4) >> (32 - bits) << (32 - bits)
            };
            (4, u128::from(keep))
        }
        IpAddr::V6(v6) => {
            let bits = u32::from(v6_bits);
            let keep = if bits == 0 {
                0
            } else {
                u128::from(v6) >> (128 - bits) << (128 - bits)
            };
            (6, keep)
        }
    })
}

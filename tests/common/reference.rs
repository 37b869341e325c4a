//! An independent encoder written from DESIGN.md, not from src/: tests use it
//! to make tokens the public API cannot (any issue time, version, key id or
//! trailing bytes) and to check that what the crate writes is what the spec
//! says.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::Serialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const DOMAIN: &[u8] = b"authlink/v1/link";

/// HKDF-SHA256(salt "authlink/v1/kdf", ikm secret, info label || be64(len purpose) || purpose), 64 bytes.
pub fn derive(secret: &[u8], purpose: &str, label: &str) -> HmacSha256 {
    let mut okm = [0u8; 64];
    expand(secret, purpose, label, &mut okm);
    HmacSha256::new_from_slice(&okm).unwrap()
}

fn mac8(key: HmacSha256, parts: &[&[u8]]) -> [u8; 8] {
    let mut mac = key;
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes()[..8].try_into().unwrap()
}

/// HKDF-expanded bytes for `label` (as `derive`, any length).
fn expand(secret: &[u8], purpose: &str, label: &str, okm: &mut [u8]) {
    let mut label = label.as_bytes().to_vec();
    label.push(0);
    expand_info(secret, purpose, &label, okm);
}

/// HKDF-expanded bytes for a label that carries its own terminator.
fn expand_info(secret: &[u8], purpose: &str, label: &[u8], okm: &mut [u8]) {
    let hkdf = Hkdf::<Sha256>::new(Some(b"authlink/v1/kdf"), secret);
    let mut info = label.to_vec();
    info.extend_from_slice(&(purpose.len() as u64).to_be_bytes());
    info.extend_from_slice(purpose.as_bytes());
    hkdf.expand(&info, okm).unwrap();
}

/// AES-128(16-byte key "client" || family || bits, masked address in one zero-padded block)[..8].
pub fn client_hash(secret: &[u8], purpose: &str, ip: IpAddr, bits: u8) -> [u8; 8] {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let (family, address) = match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            (4, (u32::from(v4) & mask).to_be_bytes().to_vec())
        }
        IpAddr::V6(v6) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            (6, (u128::from(v6) & mask).to_be_bytes().to_vec())
        }
    };
    let mut label = b"client\0".to_vec();
    label.extend_from_slice(&[family, bits]);
    let mut key = [0u8; 16];
    expand_info(secret, purpose, &label, &mut key);
    let mut block = [0u8; 16];
    block[..address.len()].copy_from_slice(&address);
    let mut block = aes::Block::from(block);
    aes::Aes128::new(&key.into()).encrypt_block(&mut block);
    block[..8].try_into().unwrap()
}

pub fn stamp_hash(secret: &[u8], purpose: &str, stamp: &[u8]) -> [u8; 8] {
    mac8(derive(secret, purpose, "stamp"), &[stamp])
}

/// The claims in their wire order.
#[derive(Serialize)]
pub struct Claims<'a, U> {
    pub link_id: [u8; 8],
    pub issued_at: u64,
    pub user: U,
    pub target: &'a str,
    pub client: Option<[u8; 8]>,
    pub stamp: Option<[u8; 8]>,
}

pub fn claims_bytes<U: Serialize>(claims: &Claims<'_, U>) -> Vec<u8> {
    postcard::to_allocvec(claims).unwrap()
}

/// version || be16(key id) || claims ||
/// HMAC(mac key, DOMAIN || be64(len kind) || kind || body)[..16], base64url.
pub fn sign(
    secret: &[u8],
    purpose: &str,
    version: u8,
    key_id: u16,
    kind: &str,
    claims: &[u8],
) -> String {
    let mut body = vec![version];
    body.extend_from_slice(&key_id.to_be_bytes());
    body.extend_from_slice(claims);
    let mut mac = derive(secret, purpose, "mac");
    mac.update(DOMAIN);
    mac.update(&(kind.len() as u64).to_be_bytes());
    mac.update(kind.as_bytes());
    mac.update(&body);
    body.extend_from_slice(&mac.finalize().into_bytes()[..16]);
    URL_SAFE_NO_PAD.encode(body)
}

/// The token's bytes.
pub fn decode(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(token).unwrap()
}

//! The typical link every bench and measurement uses, and the pieces that
//! reproduce what a token signs, so the floor is computed over exactly those
//! bytes.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll, Waker};

use authlink::{
    Authlink, Clock, IpBinding, KeyId, KeyRing, Policy, SecretKey, SystemClock, Whitelist,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

pub type HmacSha256 = Hmac<Sha256>;

pub const SECRET: [u8; 32] = [0x5a; 32];
pub const PURPOSE: &str = "bench.example webview login";
pub const KEY_ID: u16 = 1;

/// A user id in the range of a 32-bit database sequence.
pub const USER: u64 = 1_234_567_890;
/// A 24-byte path.
pub const TARGET: &str = "/account/settings/emails";
pub const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

/// The longest typical token allowed: the README promises at most 100.
pub const TYPICAL_MAX_LEN: usize = 100;

/// The MAC input's domain prefix (`MAC_DOMAIN` in src/codec.rs).
pub const MAC_DOMAIN: &[u8] = b"authlink/v1/link";
/// The user id kind the MAC authenticates for a `u64` user.
pub const USER_KIND: &[u8] = b"u64";
pub const TAG_LEN: usize = 16;

pub fn policy(binding: IpBinding) -> Policy {
    let mut policy = Policy::default();
    policy.whitelist =
        Whitelist::new(["/account/settings/[a-z]+"]).unwrap_or_else(|err| panic!("{err}"));
    policy.ip_binding = binding;
    policy
}

pub fn ring() -> KeyRing {
    let secret = SecretKey::try_from(SECRET.as_slice()).unwrap_or_else(|err| panic!("{err}"));
    KeyRing::new(KeyId::new(KEY_ID), secret)
}

/// An engine on the system clock.
pub fn engine(binding: IpBinding) -> Authlink {
    Authlink::new(ring(), PURPOSE, policy(binding)).unwrap_or_else(|err| panic!("{err}"))
}

/// The system clock moved forward by a settable number of seconds, so a
/// long run can let links expire (and replay entries be evicted) on demand
/// while costing what the system clock costs.
#[derive(Clone, Default)]
pub struct SkipClock(Arc<AtomicI64>);

impl SkipClock {
    pub fn skip(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::Relaxed);
    }
}

impl Clock for SkipClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + Duration::seconds(self.0.load(Ordering::Relaxed))
    }
}

pub fn engine_on(binding: IpBinding, clock: &SkipClock) -> Authlink {
    engine(binding).with_clock(clock.clone())
}

/// Issues the typical link and checks it is as short as promised.
pub fn typical_token(engine: &Authlink) -> String {
    let link = engine
        .issue(&USER, TARGET, CLIENT)
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(
        link.key.len() <= TYPICAL_MAX_LEN,
        "typical token is {} characters, more than {TYPICAL_MAX_LEN}",
        link.key.len()
    );
    link.key
}

/// The MAC key a ring's key derives for `PURPOSE`, as src/keyring.rs does
/// it (HKDF-SHA256, salt `authlink/v1/kdf`, info `mac\0 || len(purpose) ||
/// purpose`, 64 bytes), keyed once.
pub fn floor_key() -> HmacSha256 {
    let hkdf = Hkdf::<Sha256>::new(Some(b"authlink/v1/kdf"), &SECRET);
    let mut okm = [0u8; 64];
    let purpose_len = (PURPOSE.len() as u64).to_be_bytes();
    hkdf.expand_multi_info(&[b"mac\0", &purpose_len, PURPOSE.as_bytes()], &mut okm)
        .unwrap_or_else(|err| panic!("{err}"));
    let key: &hmac::digest::Key<HmacSha256> = (&okm).into();
    HmacSha256::new(key)
}

/// What `token` signs: the domain, the length-prefixed user id kind, then
/// the token body (its bytes without the tag). Panics unless the floor key over these bytes reproduces the
/// token's tag, which proves the floor hashes exactly what verify hashes.
pub fn signed_bytes(token: &str) -> Vec<u8> {
    use hmac::Mac as _;
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_else(|err| panic!("{err}"));
    let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
    let mut input = MAC_DOMAIN.to_vec();
    input.extend_from_slice(&(USER_KIND.len() as u64).to_be_bytes());
    input.extend_from_slice(USER_KIND);
    input.extend_from_slice(body);
    let mut mac = floor_key();
    mac.update(&input);
    assert_eq!(
        &mac.finalize().into_bytes()[..TAG_LEN],
        tag,
        "the floor does not reproduce the token's tag: src/codec.rs or src/keyring.rs changed"
    );
    input
}

/// Runs a future that completes on first poll, as the in-memory replay
/// cache's do, without the cost of an executor.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future was not ready"),
    }
}

//! Key rotation: one signing key and older keys that still verify, each named
//! by the [`KeyId`] written into its tokens.

use std::fmt;

use hkdf::Hkdf;
use hmac::KeyInit as _;
use sha2::Sha256;

use crate::binding::{ClientKey, IpBinding};
use crate::codec::{self, HmacSha256};
use crate::error::ConfigError;
use crate::key::{KeyId, SecretKey};

/// HKDF salt: fixes the derivation to this format version.
pub(crate) const KDF_SALT: &[u8] = b"authlink/v1/kdf";

/// The keys an [`Authlink`](crate::Authlink) signs and verifies with.
///
/// ```
/// use authlink::{KeyId, KeyRing, SecretKey};
///
/// // Rotation: sign with key 2, still accept links made under key 1.
/// let ring = KeyRing::new(KeyId::new(2), SecretKey::generate())
///     .with_verification_key(KeyId::new(1), SecretKey::generate())?;
/// assert_eq!(ring.signing_key_id(), KeyId::new(2));
/// # Ok::<(), authlink::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    signing: KeyId,
    keys: Vec<(KeyId, SecretKey)>,
}

impl KeyRing {
    /// A ring whose only key signs and verifies.
    #[must_use]
    pub fn new(id: KeyId, key: SecretKey) -> Self {
        Self {
            signing: id,
            keys: vec![(id, key)],
        }
    }

    /// Adds a key that verifies links but signs none (an older key during
    /// rotation).
    ///
    /// # Errors
    /// [`ConfigError::DuplicateKeyId`] if the ring already holds `id`.
    pub fn with_verification_key(mut self, id: KeyId, key: SecretKey) -> Result<Self, ConfigError> {
        if self.keys.iter().any(|(existing, _)| *existing == id) {
            return Err(ConfigError::DuplicateKeyId(id));
        }
        self.keys.push((id, key));
        Ok(self)
    }

    /// The id of the key that signs new links.
    #[must_use]
    pub fn signing_key_id(&self) -> KeyId {
        self.signing
    }

    /// The ids of every key that verifies, the signing key first.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.iter().map(|(id, _)| *id)
    }

    /// Every key of the ring derived for `purpose`, and for `binding`'s
    /// client hash.
    pub(crate) fn derive(&self, purpose: &str, binding: IpBinding) -> DerivedKeys {
        DerivedKeys {
            keys: self
                .keys
                .iter()
                .map(|(id, secret)| DerivedKey::new(*id, secret, purpose, binding))
                .collect(),
        }
    }
}

impl From<SecretKey> for KeyRing {
    /// A ring of one key with id 0.
    fn from(key: SecretKey) -> Self {
        Self::new(KeyId::new(0), key)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("signing", &self.signing)
            .field(
                "keys",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The per-purpose keys derived from one secret, with their HMAC states
/// keyed once so each token costs only its own bytes.
#[derive(Clone)]
pub(crate) struct DerivedKey {
    pub(crate) id: KeyId,
    /// Signs and checks the token; the MAC domain is already absorbed
    /// ([`codec::mac_state`]).
    pub(crate) mac: HmacSha256,
    /// Hashes the client address under the policy's binding; `None` when
    /// binding is off.
    pub(crate) client: Option<ClientKey>,
    /// Hashes the user stamp.
    pub(crate) stamp: HmacSha256,
    /// The keys of email sign-in.
    pub(crate) mail: MailKeys,
}

/// The keys of email sign-in (`crate::mail`), each derived under its own
/// label, none shared with the webview link.
#[derive(Clone)]
pub(crate) struct MailKeys {
    /// Signs and checks the mailed link; its domain is absorbed.
    pub(crate) link: HmacSha256,
    /// Signs and checks the pending cookie.
    pub(crate) pending: HmacSha256,
    /// Turns the pending cookie's nonce into the link's id.
    pub(crate) browser: HmacSha256,
    /// Derives the code a mail carries from its link.
    pub(crate) code: HmacSha256,
    /// Hashes an address, for the pending cookie and for limiter keys.
    pub(crate) address: HmacSha256,
}

impl DerivedKey {
    fn new(id: KeyId, secret: &SecretKey, purpose: &str, binding: IpBinding) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(KDF_SALT), secret.expose());
        let expand = |label: &[u8], okm: &mut [u8]| {
            // Length-prefixed so no (label, purpose) pair can spell another.
            let purpose_len = u64::try_from(purpose.len())
                .unwrap_or(u64::MAX)
                .to_be_bytes();
            let info: [&[u8]; 3] = [label, &purpose_len, purpose.as_bytes()];
            // Fails only for outputs over 255 * 32 bytes; ours are far below.
            let _ = hkdf.expand_multi_info(&info, okm);
        };
        let derive = |label: &[u8]| {
            // 64 bytes, HMAC-SHA256's block size: the key is used as is.
            let mut okm = zeroize::Zeroizing::new([0u8; 64]);
            expand(label, okm.as_mut_slice());
            let key: &hmac::digest::Key<HmacSha256> = (&*okm).into();
            HmacSha256::new(key)
        };
        Self {
            id,
            mac: codec::mac_state(codec::LINK, derive(b"mac\0")),
            client: ClientKey::new(binding, |label| {
                let mut key = zeroize::Zeroizing::new([0u8; 16]);
                expand(label, key.as_mut_slice());
                key
            }),
            stamp: derive(b"stamp\0"),
            mail: MailKeys {
                link: codec::mac_state(codec::MAIL_LINK, derive(b"mail\0")),
                pending: derive(b"pending\0"),
                browser: derive(b"browser\0"),
                code: derive(b"code\0"),
                address: derive(b"address\0"),
            },
        }
    }
}

/// Every key of a ring, derived for one purpose.
#[derive(Clone)]
pub(crate) struct DerivedKeys {
    keys: Vec<DerivedKey>,
}

impl DerivedKeys {
    /// The signing key: the ring is never empty and signs with its first key.
    pub(crate) fn signing(&self) -> &DerivedKey {
        &self.keys[0]
    }

    pub(crate) fn get(&self, id: KeyId) -> Option<&DerivedKey> {
        self.keys.iter().find(|key| key.id == id)
    }
}

//! Loading the policy and the key ring from an app's settings, through serde
//! (feature `config`), in whatever format the app already reads: TOML,
//! YAML, JSON, environment layers through `config` or `figment`.
//!
//! Secrets are given as base64 and never serialized back: `SecretKey` and
//! `KeyRing` implement `Deserialize` only. A bad value is an error that
//! names the setting.
//!
//! ```
//! use authlink::{Authlink, KeyRing, Policy};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Settings {
//!     purpose: String,
//!     keys: KeyRing,
//!     policy: Policy,
//! }
//!
//! let settings: Settings = serde_json::from_str(
//!     r#"{
//!         "purpose": "example.com webview login",
//!         "keys": {
//!             "signing": 2,
//!             "keys": [
//!                 { "id": 2, "secret": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" },
//!                 { "id": 1, "secret": "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=" }
//!             ]
//!         },
//!         "policy": {
//!             "ttl_seconds": 30,
//!             "ip_binding": { "prefix": { "v4": 24, "v6": 64 } },
//!             "whitelist": ["^/account$", "^/account/settings$"],
//!             "allowed_origins": ["https://app.example.com"],
//!             "url_template": "https://app.example.com/authlink/{key}"
//!         }
//!     }"#,
//! )?;
//! let authlink = Authlink::new(settings.keys, &settings.purpose, settings.policy)?;
//! assert_eq!(authlink.policy().ttl.as_secs(), 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! | policy setting | type | default |
//! |---|---|---|
//! | `ttl_seconds` | integer, 1 ..= 86400 | 60 |
//! | `leeway_seconds` | integer, 0 ..= 30 | 5 |
//! | `ip_binding` | `"exact"`, `"off"` or `{ "prefix": { "v4": 24, "v6": 64 } }` | `"exact"` |
//! | `whitelist` | list of patterns | empty: no link allowed |
//! | `allowed_origins` | list of `scheme://host[:port]` | empty |
//! | `url_template` | text with `{key}` once | `/authlink/{key}` |
//!
//! The key ring is `{ "signing": id, "keys": [{ "id": id, "secret": base64 }, …] }`; the
//! signing id must be one of the keys.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::binding::IpBinding;
use crate::error::ConfigError;
use crate::key::{KeyId, SecretKey};
use crate::keyring::KeyRing;
use crate::policy::{Policy, UrlTemplate};
use crate::target::Origin;
use crate::whitelist::Whitelist;

/// A setting that failed, named, with why.
fn setting<E: de::Error>(name: &str, err: impl fmt::Display) -> E {
    E::custom(format_args!("authlink setting `{name}`: {err}"))
}

/// A secret key as base64 text (standard or URL-safe, padded or not).
impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = zeroize::Zeroizing::new(String::deserialize(deserializer)?);
        Self::from_base64(&text).map_err(de::Error::custom)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeyRing {
    signing: u16,
    keys: Vec<RawKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    id: u16,
    secret: SecretKey,
}

/// `{ "signing": id, "keys": [{ "id": id, "secret": base64 }, …] }`.
impl<'de> Deserialize<'de> for KeyRing {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawKeyRing::deserialize(deserializer)?;
        let mut signing = None;
        let mut others = Vec::new();
        for key in raw.keys {
            if key.id == raw.signing && signing.is_none() {
                signing = Some(key.secret);
            } else {
                others.push(key);
            }
        }
        let secret = signing.ok_or_else(|| {
            setting::<D::Error>(
                "keys.signing",
                format_args!("no key has id {}", raw.signing),
            )
        })?;
        others.into_iter().try_fold(
            KeyRing::new(KeyId::new(raw.signing), secret),
            |ring, key| {
                ring.with_verification_key(KeyId::new(key.id), key.secret)
                    .map_err(|err| setting("keys.keys", err))
            },
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPolicy {
    ttl_seconds: u64,
    leeway_seconds: u64,
    ip_binding: RawBinding,
    whitelist: Vec<String>,
    allowed_origins: Vec<String>,
    url_template: Option<String>,
}

impl Default for RawPolicy {
    fn default() -> Self {
        let policy = Policy::default();
        Self {
            ttl_seconds: policy.ttl.as_secs(),
            leeway_seconds: policy.leeway.as_secs(),
            ip_binding: RawBinding::Exact,
            whitelist: Vec::new(),
            allowed_origins: Vec::new(),
            url_template: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawBinding {
    Exact,
    Off,
    Prefix { v4: u8, v6: u8 },
}

/// The settings in the [module docs](self); unset ones keep
/// [`Policy::default`]'s values.
impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawPolicy::deserialize(deserializer)?;
        let url_template = match raw.url_template {
            Some(template) => template
                .parse::<UrlTemplate>()
                .map_err(|err| setting("url_template", err))?,
            None => UrlTemplate::default(),
        };
        let policy = Policy {
            ttl: Duration::from_secs(raw.ttl_seconds),
            leeway: Duration::from_secs(raw.leeway_seconds),
            ip_binding: match raw.ip_binding {
                RawBinding::Exact => IpBinding::Exact,
                RawBinding::Off => IpBinding::Off,
                RawBinding::Prefix { v4, v6 } => IpBinding::Prefix { v4, v6 },
            },
            whitelist: Whitelist::new(&raw.whitelist).map_err(|err| setting("whitelist", err))?,
            allowed_origins: raw
                .allowed_origins
                .iter()
                .map(|origin| origin.parse::<Origin>())
                .collect::<Result<_, _>>()
                .map_err(|err| setting("allowed_origins", err))?,
            url_template,
        };
        policy.validate().map_err(|err| {
            let name = match err {
                ConfigError::TtlOutOfRange => "ttl_seconds",
                ConfigError::LeewayOutOfRange => "leeway_seconds",
                _ => "ip_binding",
            };
            setting(name, err)
        })?;
        Ok(policy)
    }
}

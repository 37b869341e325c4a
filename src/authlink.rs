//! The engine: keys, policy and clock, ready to issue and verify.

use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::keyring::{DerivedKeys, KeyRing};
use crate::policy::{Policy, URL_KEY};
use crate::target::AllowedOrigins;

/// Issues and verifies links for one purpose under one policy.
///
/// Build it once at start-up and share it (it is `Send + Sync`; wrap it in an
/// `Arc`): construction derives and prepares every key, so issuing and
/// verifying do no key setup.
pub struct Authlink {
    pub(crate) keys: DerivedKeys,
    pub(crate) ring: KeyRing,
    pub(crate) policy: Policy,
    pub(crate) origins: AllowedOrigins,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where `{key}` stands in the policy's URL template.
    url_key_at: usize,
}

impl Authlink {
    /// An engine signing with `keys` for `purpose`.
    ///
    /// The purpose names the app and the use (`"example.com webview login"`);
    /// it enters key derivation, so a link made for one purpose never
    /// verifies for another, even under the same secret.
    ///
    /// # Errors
    /// A [`ConfigError`] when the purpose is empty or the policy is out of range.
    pub fn new(keys: KeyRing, purpose: &str, policy: Policy) -> Result<Self, ConfigError> {
        if purpose.is_empty() {
            return Err(ConfigError::EmptyPurpose);
        }
        policy.validate()?;
        let url_key_at = policy
            .url_template
            .find(URL_KEY)
            .ok_or(ConfigError::UrlTemplate)?;
        Ok(Self {
            url_key_at,
            keys: keys.derive(purpose, policy.ip_binding),
            origins: AllowedOrigins::new(&policy.allowed_origins)?,
            ring: keys,
            policy,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the system clock, for tests and simulations.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The URL template around `{key}`.
    pub(crate) fn url_template(&self) -> (&str, &str) {
        let template = &self.policy.url_template;
        (
            &template[..self.url_key_at],
            &template[self.url_key_at + URL_KEY.len()..],
        )
    }

    /// The current time by this engine's clock.
    #[must_use]
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }
}

impl fmt::Debug for Authlink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authlink")
            .field("keys", &self.ring)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

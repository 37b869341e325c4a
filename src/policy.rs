//! What links may do: how long they live, where they lead, whom they bind to.
//! Secure by default; every opt-out is a named value.

use time::Duration;

use crate::binding::IpBinding;
use crate::error::ConfigError;
use crate::whitelist::Whitelist;

/// The default time to live: 60 seconds.
pub const DEFAULT_TTL: Duration = Duration::seconds(60);

/// The default clock-skew leeway: 5 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(5);

/// The largest leeway accepted: 30 seconds.
pub const MAX_LEEWAY: Duration = Duration::seconds(30);

/// The longest time to live accepted: one day.
pub const MAX_TTL: Duration = Duration::days(1);

/// The default link URL template.
pub const DEFAULT_URL_TEMPLATE: &str = "/authlink/{key}";

/// What the URL template's key placeholder reads.
pub(crate) const URL_KEY: &str = "{key}";

/// The rules links are issued and verified under.
///
/// Start from [`Policy::default`] and change what you need; the defaults
/// allow no link at all until the whitelist names a page.
///
/// ```
/// use authlink::{IpBinding, Policy, Whitelist};
/// use time::Duration;
///
/// let mut policy = Policy::default();
/// policy.whitelist = Whitelist::new(["^/account$", "^/account/settings$"])?;
/// policy.ttl = Duration::seconds(30);
/// policy.ip_binding = IpBinding::prefix();
/// # Ok::<(), authlink::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Policy {
    /// How long a link lives. A link issued at `t` is expired from exactly
    /// `t + ttl`. Default [`DEFAULT_TTL`] (60 s); 1 s ..= 1 day.
    pub ttl: Duration,
    /// How far in the future a link's issue time may lie, for clock skew
    /// between nodes; later ones are refused. Replay entries are also kept
    /// this much longer than the link lives. Default [`DEFAULT_LEEWAY`] (5 s);
    /// 0 ..= 30 s.
    pub leeway: Duration,
    /// How a link is tied to the client address that asked for it. Default
    /// [`IpBinding::Exact`].
    pub ip_binding: IpBinding,
    /// The paths links may lead to. Default: empty, which allows none.
    pub whitelist: Whitelist,
    /// Origins (`https://app.example.com`) that absolute targets may name.
    /// Default: none, so only same-site paths (`/account`) are accepted.
    pub allowed_origins: Vec<String>,
    /// How a link's URL is built from its key: `{key}` is replaced by the
    /// token. May be absolute (`https://app.example.com/authlink/{key}`).
    /// Default [`DEFAULT_URL_TEMPLATE`] (`/authlink/{key}`).
    pub url_template: String,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            leeway: DEFAULT_LEEWAY,
            ip_binding: IpBinding::Exact,
            whitelist: Whitelist::deny_all(),
            allowed_origins: Vec::new(),
            url_template: DEFAULT_URL_TEMPLATE.to_owned(),
        }
    }
}

impl Policy {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.ttl < Duration::SECOND || self.ttl > MAX_TTL {
            return Err(ConfigError::TtlOutOfRange);
        }
        if self.leeway.is_negative() || self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayOutOfRange);
        }
        self.ip_binding.validate()?;
        if self.url_template.matches(URL_KEY).count() != 1 {
            return Err(ConfigError::UrlTemplate);
        }
        Ok(())
    }
}

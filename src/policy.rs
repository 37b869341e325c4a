//! What links may do: how long they live, where they lead, whom they bind to.
//! Secure by default; every opt-out is a named value.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::binding::IpBinding;
use crate::error::{ConfigError, IssueError};
use crate::target::{Origin, Target, validate_target};
use crate::whitelist::Whitelist;

const DEFAULT_TTL: Duration = Duration::from_secs(60);
const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);
const MAX_LEEWAY: Duration = Duration::from_secs(30);
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The rules links are issued and verified under.
///
/// Start from [`Policy::default`] and change what you need; the defaults
/// allow no link at all until the whitelist names a page.
///
/// ```
/// use std::time::Duration;
///
/// use authlink::{IpBinding, Policy, Whitelist};
///
/// let mut policy = Policy::default();
/// policy.whitelist = Whitelist::new(["^/account$", "^/account/settings$"])?;
/// policy.ttl = Duration::from_secs(30);
/// policy.ip_binding = IpBinding::prefix();
/// policy.allowed_origins = vec!["https://app.example.com".parse()?];
/// policy.url_template = "https://app.example.com/authlink/{key}".parse()?;
/// # Ok::<(), authlink::ConfigError>(())
/// ```
///
/// # Targets
///
/// Targets are checked before the whitelist. A target must be a path that
/// starts with exactly one `/`. It must not contain a backslash, control
/// characters, spaces, non-ASCII bytes, `.` or `..` segments, or a fragment,
/// nor a percent-escape of `/`, `\`, `.`, `%` or a control character.
/// Absolute URLs pass only on an allowed origin. This refuses the
/// open-redirect forms `//host`, `/\host`, `javascript:`, `/%2F/host` and
/// similar. A target is at most 512 bytes.
///
/// # Fixed limits
///
/// A link key is at most [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) (1024)
/// characters; longer keys are refused before decoding. A secret is 32 ..=
/// 256 bytes ([`SecretKey::generate`](crate::SecretKey::generate) makes 32).
/// The purpose, an argument of [`Authlink::new`](crate::Authlink::new), is
/// required, non-empty, and part of the key derivation. The in-memory replay
/// cache holds at most 1,000,000 live entries by default (about 34 bytes
/// each) and refuses when full of unexpired ones (fail closed).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Policy {
    /// How long a link lives. A link issued at `t` is expired from exactly
    /// `t + ttl`. Default 60 s; 1 s ..= 1 day.
    pub ttl: Duration,
    /// How far in the future a link's issue time may lie, for clock skew
    /// between nodes; later ones are refused. Replay entries are also kept
    /// this much longer than the link lives. Default 5 s; at most 30 s.
    pub leeway: Duration,
    /// How a link is tied to the client address that asked for it. Default
    /// [`IpBinding::Exact`]; [`IpBinding::prefix()`] keeps IPv4 /24 and IPv6
    /// /64, `Prefix { v4, v6 }` other lengths, and [`IpBinding::Off`] none.
    /// An IPv4-mapped IPv6 address counts as IPv4.
    pub ip_binding: IpBinding,
    /// The paths links may lead to: anchored regexes over the target's path
    /// (no query), so `"/account"` matches `/account` only. Default: empty,
    /// which allows none.
    pub whitelist: Whitelist,
    /// Origins that absolute targets may name. Default: none, so only
    /// same-site paths (`/account`) are accepted.
    pub allowed_origins: Vec<Origin>,
    /// How a link's URL is built from its key. Default `/authlink/{key}`;
    /// may be absolute (`https://app.example/authlink/{key}`).
    pub url_template: UrlTemplate,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            leeway: DEFAULT_LEEWAY,
            ip_binding: IpBinding::Exact,
            whitelist: Whitelist::deny_all(),
            allowed_origins: Vec::new(),
            url_template: UrlTemplate::default(),
        }
    }
}

impl Policy {
    /// Checks a target as issuing and verifying do: the URL checks
    /// ([`validate_target`] with the allowed origins), then the whitelist.
    ///
    /// # Errors
    /// [`IssueError::TargetInvalid`] or [`IssueError::TargetNotAllowed`].
    pub fn check_target<'a>(&self, target: &'a str) -> Result<Target<'a>, IssueError> {
        let target = validate_target(target, &self.allowed_origins)?;
        if self.whitelist.allows(target.path) {
            Ok(target)
        } else {
            Err(IssueError::TargetNotAllowed)
        }
    }

    /// The ranges the types cannot hold.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.ttl < Duration::from_secs(1) || self.ttl > MAX_TTL {
            return Err(ConfigError::TtlOutOfRange);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayOutOfRange);
        }
        self.ip_binding.validate()
    }
}

/// A link URL with one `{key}` placeholder, where the token goes:
/// `/authlink/{key}` (the default) or an absolute URL such as
/// `https://app.example.com/authlink/{key}`.
///
/// ```
/// use authlink::UrlTemplate;
///
/// let template: UrlTemplate = "https://app.example.com/l/{key}?via=app".parse()?;
/// assert_eq!(template.render("abc"), "https://app.example.com/l/abc?via=app");
/// assert!("/authlink".parse::<UrlTemplate>().is_err());
/// # Ok::<(), authlink::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    before: String,
    after: String,
}

impl UrlTemplate {
    const KEY: &str = "{key}";

    /// The URL with `key` in place of `{key}`.
    #[must_use]
    pub fn render(&self, key: &str) -> String {
        [self.before.as_str(), key, self.after.as_str()].concat()
    }
}

impl Default for UrlTemplate {
    fn default() -> Self {
        Self {
            before: "/authlink/".to_owned(),
            after: String::new(),
        }
    }
}

impl FromStr for UrlTemplate {
    type Err = ConfigError;

    /// # Errors
    /// [`ConfigError::UrlTemplate`] unless `{key}` appears exactly once.
    fn from_str(template: &str) -> Result<Self, ConfigError> {
        match template.split_once(Self::KEY) {
            Some((before, after)) if !after.contains(Self::KEY) => Ok(Self {
                before: before.to_owned(),
                after: after.to_owned(),
            }),
            _ => Err(ConfigError::UrlTemplate),
        }
    }
}

impl fmt::Display for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.before, Self::KEY, self.after)
    }
}

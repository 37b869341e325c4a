//! The URL whitelist: which paths a link may lead to, and which paths a
//! session opened through a link may visit. Deny by default.

use regex::RegexSet;

use crate::error::ConfigError;

/// Anchored regular expressions over the path of a URL (no origin, no query).
///
/// Each pattern must match the whole path: `"/account"` is read as
/// `^(?:/account)$`, so it matches `/account` and not `/account/delete`.
/// Patterns written with their own `^…$` work as well. The empty whitelist
/// (the default) allows nothing.
///
/// ```
/// use authlink::Whitelist;
///
/// let list = Whitelist::new(["^/account$", "/account/settings"])?;
/// assert!(list.allows("/account"));
/// assert!(list.allows("/account/settings"));
/// assert!(!list.allows("/account/delete"));
/// assert!(!Whitelist::deny_all().allows("/"));
/// # Ok::<(), authlink::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Whitelist {
    set: RegexSet,
}

impl Whitelist {
    /// The whitelist that allows nothing (the default).
    #[must_use]
    pub fn deny_all() -> Self {
        Self {
            set: RegexSet::empty(),
        }
    }

    /// A whitelist of the given patterns.
    ///
    /// # Errors
    /// [`ConfigError::InvalidPattern`] naming the first pattern the regex
    /// engine refuses.
    pub fn new<I, S>(patterns: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut anchored = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let wrapped = format!("^(?:{pattern})$");
            regex::Regex::new(&wrapped).map_err(|err| ConfigError::InvalidPattern {
                pattern: pattern.to_owned(),
                reason: err.to_string(),
            })?;
            anchored.push(wrapped);
        }
        let set = RegexSet::new(&anchored).map_err(|err| ConfigError::InvalidPattern {
            pattern: anchored.join(" | "),
            reason: err.to_string(),
        })?;
        Ok(Self { set })
    }

    /// Whether `path` (a URL path, without query) matches a pattern.
    #[must_use]
    pub fn allows(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Whether the whitelist allows nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl Default for Whitelist {
    fn default() -> Self {
        Self::deny_all()
    }
}

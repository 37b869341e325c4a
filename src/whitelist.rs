//! The URL whitelist: which paths a link may lead to, and which paths a
//! session opened through a link may visit. Deny by default.

use regex::Regex;

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
    /// One regex of all the anchored patterns as alternatives, `None` when
    /// there are none: a set would also tell which pattern matched, which
    /// nothing needs, and costs more per byte of path.
    any: Option<Regex>,
}

impl Whitelist {
    /// The whitelist that allows nothing (the default).
    #[must_use]
    pub fn deny_all() -> Self {
        Self { any: None }
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
            // Compiled on its own first: a pattern such as `a)|(b` only
            // parses once wrapped, and would then escape its anchors.
            let invalid = |err: regex::Error| ConfigError::InvalidPattern {
                pattern: pattern.to_owned(),
                reason: err.to_string(),
            };
            Regex::new(pattern).map_err(invalid)?;
            let wrapped = format!("^(?:{pattern})$");
            Regex::new(&wrapped).map_err(invalid)?;
            anchored.push(wrapped);
        }
        if anchored.is_empty() {
            return Ok(Self::deny_all());
        }
        let any = anchored.join("|");
        let any = Regex::new(&any).map_err(|err| ConfigError::InvalidPattern {
            pattern: any,
            reason: err.to_string(),
        })?;
        Ok(Self { any: Some(any) })
    }

    /// Whether `path` (a URL path, without query) matches a pattern.
    #[must_use]
    pub fn allows(&self, path: &str) -> bool {
        self.any.as_ref().is_some_and(|any| any.is_match(path))
    }

    /// Whether the whitelist allows nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.any.is_none()
    }
}

impl Default for Whitelist {
    fn default() -> Self {
        Self::deny_all()
    }
}

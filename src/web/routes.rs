//! Which paths are whose: the consume endpoint's path from the policy's URL
//! template, the failure URL, and what the guard lets a link session see.

use crate::authlink::Authlink;
use crate::error::FailureReason;
use crate::target::validate_target;
use crate::whitelist::Whitelist;

/// The path the consume endpoint serves, the key being its next and last
/// segment (`/authlink/` for `https://app.example/authlink/{key}?via=app`),
/// or `None` when the policy's URL template has no such path: `{key}` inside
/// a segment (`/a{key}`, which would also let `/admin` pass for a consume
/// path), in the query, before more path, or right under `/`, where its
/// route would take every page's.
pub(crate) fn consume_prefix(authlink: &Authlink) -> Option<String> {
    // Rendered with a key no URL holds, to find where the key goes.
    let rendered = authlink.policy().url_template.render("\0");
    let (before, after) = rendered.split_once('\0')?;
    let prefix = path_of(before);
    let mountable = prefix.starts_with('/')
        && !prefix.starts_with("//")
        && prefix.ends_with('/')
        && prefix != "/"
        && !prefix.contains(['{', '}', '*'])
        && !before.contains(['?', '#'])
        && (after.is_empty() || after.starts_with(['?', '#']));
    mountable.then(|| prefix.to_owned())
}

/// Whether the policy's URL template is absolute (`https://…`).
pub(crate) fn is_absolute(authlink: &Authlink) -> bool {
    authlink.policy().url_template.render("").contains("://")
}

/// The page to return to after a login, `next` as the login form received
/// it, if it is a same-site path (anything else would be an open redirect):
/// for the login handler of an app whose guard sends link sessions there
/// ([`SendToLogin`](super::SendToLogin)).
///
/// ```
/// use authlink::web::next_page;
///
/// assert_eq!(next_page("/admin?tab=2"), Some("/admin?tab=2"));
/// assert_eq!(next_page("//evil.example/"), None);
/// assert_eq!(next_page("https://evil.example/"), None);
/// ```
#[must_use]
pub fn next_page(next: &str) -> Option<&str> {
    (next.starts_with('/') && validate_target(next, &[]).is_ok()).then_some(next)
}

/// Whether `url` (with `{reason}`) is a same-site path, not an open
/// redirect.
pub(crate) fn is_safe_failure_url(url: &str) -> bool {
    validate_target(&url.replace("{reason}", "reason"), &[]).is_ok()
}

/// The failure URL for `reason`.
pub(crate) fn failure_location(url: &str, reason: FailureReason) -> String {
    url.replace("{reason}", reason.code())
}

/// The path of an absolute or relative URL.
pub(crate) fn path_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// The failure URL's path, without its query.
pub(crate) fn failure_path(failure_url: &str) -> &str {
    let url = path_of(failure_url);
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Where link sessions may go besides the whitelist.
pub(crate) struct GuardPaths<'a> {
    pub(crate) whitelist: &'a Whitelist,
    pub(crate) also_allow: &'a Whitelist,
    pub(crate) failure_url: &'a str,
    pub(crate) create_path: &'a str,
    /// The consume endpoint's path before the key ([`consume_prefix`]).
    pub(crate) consume_prefix: &'a str,
    /// The app's login page, where a link session may log in otherwise.
    pub(crate) login_url: Option<&'a str>,
}

impl GuardPaths<'_> {
    /// Whether `path` is the app's login page ([`Settings::login_url`](super::Settings::login_url)).
    pub(crate) fn is_login(&self, path: &str) -> bool {
        self.login_url.is_some_and(|url| path == failure_path(url))
    }

    /// Whether a link session may see `path`: the policy's whitelist, the
    /// app's extra paths, the failure URL's path, and the endpoints' own
    /// paths (so that a link session can open another link). `path` is
    /// matched as received, without decoding, so an encoded or dotted
    /// variant of a whitelisted path is refused.
    pub(crate) fn allows(&self, path: &str) -> bool {
        self.whitelist.allows(path)
            || self.also_allow.allows(path)
            || path == failure_path(self.failure_url)
            || path == self.create_path
            || self.is_login(path)
            || path
                .strip_prefix(self.consume_prefix)
                .is_some_and(|key| !key.contains('/'))
    }
}

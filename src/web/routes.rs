//! Which paths are whose: the consume endpoint's path from the policy's URL
//! template, the failure URL, and what the guard lets a link session see.

use crate::authlink::Authlink;
use crate::error::FailureReason;
use crate::target::validate_target;
use crate::whitelist::Whitelist;

/// The URL template's text before and after `{key}`.
pub(crate) fn template_parts(authlink: &Authlink) -> (String, String) {
    // Rendered with a key no URL holds, to find where the key goes.
    let rendered = authlink.policy().url_template.render("\0");
    let (before, after) = rendered.split_once('\0').unwrap_or((&rendered, ""));
    (before.to_owned(), after.to_owned())
}

/// The path a router mounts the consume endpoint under (`/authlink/`, with
/// the key as the next segment), or `None` when `{key}` is not the last path
/// segment of the template, or sits right under `/`, where its route would
/// take every page's.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) fn consume_route_prefix(template: &(String, String)) -> Option<&str> {
    let (before, after) = template;
    let prefix = path_of(before);
    let mountable =
        after.is_empty() && prefix.ends_with('/') && prefix != "/" && !before.contains('?');
    mountable.then_some(prefix)
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
    /// The URL template before `{key}`.
    pub(crate) template_prefix: &'a str,
}

impl GuardPaths<'_> {
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
            || is_consume_path(path_of(self.template_prefix), path)
    }
}

/// Whether `path` is the consume endpoint's: the template's prefix and one
/// more segment. A template whose key sits right under `/` names no path of
/// its own, so nothing passes for it.
fn is_consume_path(prefix: &str, path: &str) -> bool {
    prefix.len() > 1
        && path
            .strip_prefix(prefix)
            .is_some_and(|key| !key.contains('/'))
}

//! The session keys the crate owns, the same in every framework's sessions.

/// The session key under which the logged-in user is stored.
pub(crate) const USER_KEY: &str = "authlink.user";
/// The session key marking a session established through a link.
pub(crate) const VIA_LINK_KEY: &str = "authlink.via_link";

//! Issuing: claims in, signed link out.

use std::fmt;
use std::net::IpAddr;

use rand::Rng as _;
use serde::Serialize;
use time::OffsetDateTime;

use crate::authlink::Authlink;
use crate::claims::{Claims, LINK_ID_LEN};
use crate::clock::unix_seconds;
use crate::codec;
use crate::error::IssueError;
use crate::stamp::stamp_hash;
use crate::target::{Target, validate_target_with};

/// A freshly issued link.
///
/// Whoever holds it holds the account until it expires: its `Debug` output
/// hides the key and URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// The token, URL-safe: the `{key}` of the URL template.
    pub key: String,
    /// The link to hand out, built from the policy's URL template.
    pub url: String,
    /// When the link stops working (issue time + ttl).
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("key", &"<redacted>")
            .field("url", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Authlink {
    /// Issues a link that logs `user` in and leads to `target`, for the
    /// client at `client_ip` (the address of the request asking for it).
    ///
    /// `user` is any serde type (`u64`, `String`, `Uuid`, …); verify with
    /// the same type.
    ///
    /// # Errors
    /// [`IssueError::TargetInvalid`] or [`IssueError::TargetNotAllowed`] for a
    /// target the policy refuses, [`IssueError::TooLong`] when the link would
    /// exceed the maximum token length.
    pub fn issue<U>(&self, user: &U, target: &str, client_ip: IpAddr) -> Result<Link, IssueError>
    where
        U: Serialize + ?Sized,
    {
        self.issue_inner(user, target, client_ip, None)
    }

    /// Like [`Authlink::issue`], and binds the user's current `stamp`: once
    /// the app's stamp for the user changes, the link is revoked.
    ///
    /// # Errors
    /// As [`Authlink::issue`].
    pub fn issue_with_stamp<U>(
        &self,
        user: &U,
        target: &str,
        client_ip: IpAddr,
        stamp: &[u8],
    ) -> Result<Link, IssueError>
    where
        U: Serialize + ?Sized,
    {
        self.issue_inner(user, target, client_ip, Some(stamp))
    }

    /// Checks a target as [`Authlink::issue`] would, without issuing: the
    /// URL checks, then the whitelist.
    ///
    /// # Errors
    /// [`IssueError::TargetInvalid`] or [`IssueError::TargetNotAllowed`].
    pub fn check_target<'a>(&self, target: &'a str) -> Result<Target<'a>, IssueError> {
        let target = validate_target_with(target, &self.origins)?;
        if self.policy.whitelist.allows(target.path) {
            Ok(target)
        } else {
            Err(IssueError::TargetNotAllowed)
        }
    }

    fn issue_inner<U>(
        &self,
        user: &U,
        target: &str,
        client_ip: IpAddr,
        stamp: Option<&[u8]>,
    ) -> Result<Link, IssueError>
    where
        U: Serialize + ?Sized,
    {
        let target = self.check_target(target)?;
        let issued_at = unix_seconds(self.clock.unix_nanos());
        let expires_at = OffsetDateTime::from_unix_timestamp(issued_at)
            .ok()
            .and_then(|issued| issued.checked_add(self.policy.ttl))
            .ok_or(IssueError::ClockOutOfRange)?;
        // Links carry no time before 1970.
        let issued_at = u64::try_from(issued_at).map_err(|_| IssueError::ClockOutOfRange)?;
        let key = self.keys.signing();
        let mut link_id = [0u8; LINK_ID_LEN];
        // The thread-local CSPRNG: seeded from the OS, no syscall per link.
        rand::rng().fill_bytes(&mut link_id);
        let claims = Claims {
            link_id,
            issued_at,
            user,
            target: target.full,
            client: key.client.as_ref().map(|client| client.hash(client_ip)),
            stamp: stamp.map(|stamp| stamp_hash(&key.stamp, stamp)),
        };
        let (before, after) = self.url_template();
        let (key, url) = codec::encode(
            key.id,
            &key.mac,
            |buf| claims.encode(buf),
            |token| {
                let mut url = String::with_capacity(before.len() + token.len() + after.len());
                url.push_str(before);
                url.push_str(token);
                url.push_str(after);
                (token.to_owned(), url)
            },
        )?;
        Ok(Link {
            key,
            url,
            expires_at,
        })
    }
}

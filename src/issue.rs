//! Issuing: claims in, signed link out.

use std::fmt;
use std::net::IpAddr;

use rand::Rng as _;
use time::OffsetDateTime;

use crate::claims::{self, Claims, LINK_ID_LEN};
use crate::codec::{self, MAX_CLAIMS_LEN};
use crate::error::IssueError;
use crate::keyring::DerivedKey;
use crate::policy::Policy;
use crate::stamp::stamp_hash;
use crate::user::UserId;

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

/// What a link is issued for.
pub(crate) struct Request<'a, U: ?Sized> {
    pub(crate) user: &'a U,
    pub(crate) target: &'a str,
    pub(crate) client_ip: IpAddr,
    pub(crate) stamp: Option<&'a [u8]>,
}

/// Signs a link for `request` under `key` and `policy`, issued at `now`.
pub(crate) fn issue<U>(
    key: &DerivedKey,
    policy: &Policy,
    now: OffsetDateTime,
    request: &Request<'_, U>,
) -> Result<Link, IssueError>
where
    U: UserId + ?Sized,
{
    let target = policy.check_target(request.target)?;
    // Links carry whole seconds since 1970.
    let issued_at = u64::try_from(now.unix_timestamp()).map_err(|_| IssueError::ClockOutOfRange)?;
    let expires_at = OffsetDateTime::from_unix_timestamp(now.unix_timestamp())
        .ok()
        .and_then(|issued| issued.checked_add(policy.ttl.try_into().ok()?))
        .ok_or(IssueError::ClockOutOfRange)?;
    let mut link_id = [0u8; LINK_ID_LEN];
    // The thread-local CSPRNG: seeded from the OS, no syscall per link.
    rand::rng().fill_bytes(&mut link_id);
    let claims = Claims {
        link_id,
        issued_at,
        user: request.user,
        target: target.full,
        client: key
            .client
            .as_ref()
            .map(|client| client.hash(request.client_ip)),
        stamp: request.stamp.map(|stamp| stamp_hash(&key.stamp, stamp)),
    };
    let mut buf = [0u8; MAX_CLAIMS_LEN];
    let claims = claims::encode(&claims, &mut buf).map_err(|err| match err {
        postcard::Error::SerializeBufferFull => IssueError::TooLong,
        _ => IssueError::UserEncoding,
    })?;
    let token = codec::encode(codec::LINK, key.id, &key.mac, U::KIND.as_bytes(), claims)
        .map_err(|codec::TooLong| IssueError::TooLong)?;
    Ok(Link {
        url: policy.url_template.render(&token),
        key: token,
        expires_at,
    })
}

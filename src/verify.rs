//! Verifying: token text in, trusted claims out, in a fixed order: size and
//! format, key, tag, claims, time, target, client; then the user stamp, and
//! last single use. Each step's result is its own type, so no step can be
//! skipped.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::claims::{self, LINK_ID_LEN, STAMP_HASH_LEN};
use crate::codec::{self, DecodeError, MAX_TOKEN_BYTES, TokenBuf, UnverifiedToken};
use crate::error::{VerifyError, VerifyErrorKind};
use crate::key::KeyId;
use crate::keyring::{DerivedKey, DerivedKeys};
use crate::policy::Policy;
use crate::replay::{Freshness, ReplayCache, ReplayKey};
use crate::stamp::stamp_matches;
use crate::user::UserId;

/// A link whose tag, times, target and client address checked out; its
/// user stamp is next. Produced only by [`Authlink::verify`](crate::Authlink::verify).
///
/// Look up the user's current stamp with [`Authenticated::user`] (from a
/// database, asynchronously if need be), then call
/// [`Authenticated::check_stamp`]. Apps that bind no stamps pass `None`.
pub struct Authenticated<'k, U> {
    key: &'k DerivedKey,
    stamp: Option<[u8; STAMP_HASH_LEN]>,
    link: Claimed<U>,
}

impl<'k, U> Authenticated<'k, U> {
    /// A link of another kind than the webview's (a mailed one) that
    /// checked out as far as its own checks go; it carries no stamp.
    pub(crate) fn checked(
        key: &'k DerivedKey,
        user: U,
        target: String,
        link_id: [u8; LINK_ID_LEN],
        issued_at: i64,
        ttl: Duration,
    ) -> Self {
        Self {
            key,
            stamp: None,
            link: Claimed {
                user,
                target,
                key_id: key.id,
                link_id,
                issued_at,
                ttl,
            },
        }
    }

    /// The user the link logs in.
    pub fn user(&self) -> &U {
        &self.link.user
    }

    /// Checks the stamp bound at issue against the user's `current` one and
    /// yields the verified link.
    ///
    /// # Errors
    /// [`VerifyErrorKind::Revoked`] when they differ, or when exactly one of
    /// the two is absent.
    pub fn check_stamp(self, current: Option<&[u8]>) -> Result<VerifiedLink<U>, VerifyError> {
        if stamp_matches(&self.key.stamp, self.stamp, current) {
            Ok(VerifiedLink(self.link))
        } else {
            Err(VerifyErrorKind::Revoked.into())
        }
    }
}

impl<U: fmt::Debug> fmt::Debug for Authenticated<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

/// A link that passed every check but single use. Produced only by
/// [`Authenticated::check_stamp`]; consumed by
/// [`Authlink::consume`](crate::Authlink::consume).
#[derive(Clone)]
pub struct VerifiedLink<U>(Claimed<U>);

/// A link that passed every check and was marked used: the only proof that
/// a link may log its user in. Produced only by
/// [`Authlink::consume`](crate::Authlink::consume) and
/// [`Authlink::verify_and_consume`](crate::Authlink::verify_and_consume).
#[derive(Clone)]
pub struct ConsumedLink<U>(Claimed<U>);

/// What a checked link says.
#[derive(Clone)]
struct Claimed<U> {
    user: U,
    target: String,
    key_id: KeyId,
    link_id: [u8; LINK_ID_LEN],
    /// Unix seconds; [`check_time`] checked that these and the expiry are
    /// times `OffsetDateTime` holds.
    issued_at: i64,
    ttl: Duration,
}

impl<U> Claimed<U> {
    fn issued_at(&self) -> OffsetDateTime {
        // In range, as checked: the fallback is unreachable.
        OffsetDateTime::from_unix_timestamp(self.issued_at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn expires_at(&self) -> OffsetDateTime {
        self.issued_at()
            .saturating_add(self.ttl.try_into().unwrap_or(time::Duration::MAX))
    }
}

impl<U: fmt::Debug> fmt::Debug for Claimed<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("user", &self.user)
            .field("target", &self.target)
            .field("key_id", &self.key_id)
            .field("issued_at", &self.issued_at())
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

macro_rules! link_accessors {
    ($name:ident) => {
        impl<U> $name<U> {
            /// The user the link logs in.
            pub fn user(&self) -> &U {
                &self.0.user
            }

            /// The user the link logs in, by value.
            pub fn into_user(self) -> U {
                self.0.user
            }

            /// Where the link leads: a same-site path and query, or an
            /// absolute URL on an allowed origin, checked against the policy.
            pub fn target(&self) -> &str {
                &self.0.target
            }

            /// When the link was issued (whole seconds).
            pub fn issued_at(&self) -> OffsetDateTime {
                self.0.issued_at()
            }

            /// When the link expires.
            pub fn expires_at(&self) -> OffsetDateTime {
                self.0.expires_at()
            }

            /// The key id the link was signed with.
            pub fn key_id(&self) -> KeyId {
                self.0.key_id
            }

            /// The link's identity for single use.
            pub fn replay_key(&self) -> ReplayKey {
                ReplayKey::new(self.0.key_id, self.0.link_id)
            }
        }

        impl<U: fmt::Debug> fmt::Debug for $name<U> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
}

link_accessors!(VerifiedLink);
link_accessors!(ConsumedLink);

pub(crate) fn decode_error(err: DecodeError) -> VerifyErrorKind {
    match err {
        DecodeError::Malformed => VerifyErrorKind::Malformed,
        DecodeError::UnsupportedVersion => VerifyErrorKind::UnsupportedVersion,
        DecodeError::BadTag => VerifyErrorKind::BadSignature,
    }
}

/// Verifies `token` at `now` for a request from `client_ip`. Nothing is
/// read from the claims before the tag checks out.
pub(crate) fn verify<'k, U>(
    keys: &'k DerivedKeys,
    policy: &Policy,
    now: OffsetDateTime,
    token: &str,
    client_ip: IpAddr,
) -> Result<Authenticated<'k, U>, VerifyErrorKind>
where
    U: UserId + DeserializeOwned,
{
    let mut buf: TokenBuf = [0; MAX_TOKEN_BYTES];
    let token = UnverifiedToken::decode(codec::LINK, token, &mut buf).map_err(decode_error)?;
    let key = keys
        .get(token.key_id())
        .ok_or(VerifyErrorKind::UnknownKey)?;
    let claims = token
        .authenticate(&key.mac, U::KIND.as_bytes())
        .map_err(decode_error)?;
    let claims = claims::decode::<U>(claims).ok_or(VerifyErrorKind::Malformed)?;
    let issued_at = check_time(policy.ttl, policy.leeway, claims.issued_at, now)?;
    // Whatever issued the link, it never leads where the policy does not
    // allow today.
    policy
        .check_target(claims.target)
        .map_err(|_| VerifyErrorKind::TargetNotAllowed)?;
    if let Some(client) = &key.client {
        if !claims
            .client
            .is_some_and(|bound| client.matches(client_ip, &bound))
        {
            return Err(VerifyErrorKind::ClientMismatch);
        }
    }
    Ok(Authenticated {
        key,
        stamp: claims.stamp,
        link: Claimed {
            target: claims.target.to_owned(),
            user: claims.user,
            key_id: key.id,
            link_id: claims.link_id,
            issued_at,
            ttl: policy.ttl,
        },
    })
}

/// The issue time of a link issued at `issued_at` (Unix seconds), if it is
/// valid at `now`. In `i128` nanoseconds, where no `u64` issue time
/// overflows.
pub(crate) fn check_time(
    ttl: Duration,
    leeway: Duration,
    issued_at: u64,
    now: OffsetDateTime,
) -> Result<i64, VerifyErrorKind> {
    const NANOS: i128 = 1_000_000_000;
    // The last second an `OffsetDateTime` holds: 9999-12-31T23:59:59Z.
    const LAST_SECOND: i128 = 253_402_300_799;
    let now = now.unix_timestamp_nanos();
    let issued = i128::from(issued_at) * NANOS;
    if issued > now + i128::try_from(leeway.as_nanos()).unwrap_or(i128::MAX) {
        return Err(VerifyErrorKind::IssuedInFuture);
    }
    let expires = issued + i128::try_from(ttl.as_nanos()).unwrap_or(i128::MAX);
    if now >= expires {
        return Err(VerifyErrorKind::Expired);
    }
    if expires > (LAST_SECOND + 1) * NANOS {
        return Err(VerifyErrorKind::IssuedInFuture);
    }
    i64::try_from(issued_at).map_err(|_| VerifyErrorKind::IssuedInFuture)
}

/// Marks `link` used in `cache` at `now`, keeping the entry until the link
/// expires plus `leeway`, so a node whose clock runs up to `leeway` behind
/// still finds it.
///
/// `now` must be read right before this call, not at verification: a
/// replay verified just before expiry could otherwise reach the cache after
/// the first use's entry was dropped.
pub(crate) async fn consume<U, C>(
    link: VerifiedLink<U>,
    cache: &C,
    leeway: Duration,
    now: OffsetDateTime,
) -> Result<ConsumedLink<U>, VerifyError>
where
    C: ReplayCache + ?Sized,
{
    let expires_at = link.expires_at();
    if now >= expires_at {
        return Err(VerifyErrorKind::Expired.into());
    }
    let retain_until = expires_at.saturating_add(leeway.try_into().unwrap_or(time::Duration::MAX));
    match cache.mark_used(link.replay_key(), retain_until, now).await {
        Ok(Freshness::Fresh) => Ok(ConsumedLink(link.0)),
        Ok(Freshness::Used) => Err(VerifyErrorKind::AlreadyUsed.into()),
        Err(err) => Err(VerifyError::with_source(
            VerifyErrorKind::ReplayCacheUnavailable,
            err,
        )),
    }
}

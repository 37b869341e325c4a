//! Verifying: token text in, trusted claims out, in a fixed order: size and
//! format, key, tag, then time, client, stamp, and last single use.

use std::fmt;
use std::net::IpAddr;

use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::authlink::Authlink;
use crate::claims::{Claims, LINK_ID_LEN, STAMP_HASH_LEN};
use crate::clock::unix_seconds;
use crate::codec::{TokenBuf, UnverifiedToken};
use crate::ct;
use crate::error::{VerifyError, VerifyErrorKind};
use crate::key::KeyId;
use crate::keyring::DerivedKey;
use crate::replay::{Freshness, ReplayCache, ReplayKey};
use crate::stamp::stamp_matches;
use crate::target::OwnedTarget;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The last second `OffsetDateTime` represents: 9999-12-31T23:59:59Z.
const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// A link whose tag, times and client address checked out; its user stamp
/// is next. Produced only by [`Authlink::verify`].
///
/// Look up the user's current stamp with [`Authenticated::user`] (from a
/// database, asynchronously if need be), then call
/// [`Authenticated::check_stamp`]. Apps that bind no stamps pass `None`.
pub struct Authenticated<'a, U> {
    key: &'a DerivedKey,
    stamp: Option<[u8; STAMP_HASH_LEN]>,
    link: VerifiedLink<U>,
}

impl<'a, U> Authenticated<'a, U> {
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
            Ok(self.link)
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
/// [`Authenticated::check_stamp`].
#[derive(Clone)]
pub struct VerifiedLink<U> {
    target: OwnedTarget,
    user: U,
    key_id: KeyId,
    link_id: [u8; LINK_ID_LEN],
    /// Unix seconds. Verification checked that this and the expiry are
    /// times `OffsetDateTime` represents; they are built only when asked for.
    issued_at: i64,
    ttl: Duration,
    /// Unix seconds when verified: the replay cache's "now".
    verified_at: i64,
}

impl<U> VerifiedLink<U> {
    /// The user the link logs in.
    pub fn user(&self) -> &U {
        &self.user
    }

    /// The user the link logs in, by value.
    pub fn into_user(self) -> U {
        self.user
    }

    /// Where the link leads: a same-site path and query, or an absolute URL
    /// on an allowed origin, as checked at issue.
    pub fn target(&self) -> &str {
        self.target.as_str()
    }

    /// When the link was issued (whole seconds).
    pub fn issued_at(&self) -> OffsetDateTime {
        // In range (checked by verify): the fallback, a past time, is unreachable.
        OffsetDateTime::from_unix_timestamp(self.issued_at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// When the link expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.issued_at()
            .checked_add(self.ttl)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The key id the link was signed with.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The link's identity for single use.
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey::new(self.key_id, self.link_id)
    }
}

impl<U: fmt::Debug> fmt::Debug for VerifiedLink<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedLink")
            .field("user", &self.user)
            .field("target", &self.target())
            .field("key_id", &self.key_id)
            .field("issued_at", &self.issued_at())
            .field("expires_at", &self.expires_at())
            .finish()
    }
}

impl Authlink {
    /// Verifies `token` for a request from `client_ip`: format, key, tag in
    /// constant time, expiry, issue time and client address. Nothing is read
    /// from the claims before the tag checks out.
    ///
    /// The user stamp comes next ([`Authenticated::check_stamp`]), and single
    /// use last ([`Authlink::consume`]).
    ///
    /// # Errors
    /// A [`VerifyError`] naming the first check that failed.
    pub fn verify<U>(
        &self,
        token: &str,
        client_ip: IpAddr,
    ) -> Result<Authenticated<'_, U>, VerifyError>
    where
        U: DeserializeOwned,
    {
        let mut buf = TokenBuf::new();
        let unverified = UnverifiedToken::decode(token, &mut buf)?;
        let key = self
            .keys
            .get(unverified.key_id())
            .ok_or(VerifyErrorKind::UnknownKey)?;
        // Hashed before the tag is checked, so the AES rounds overlap the
        // SHA-256 ones; compared only after the claims are authenticated.
        let expected_client = key.client.as_ref().map(|client| client.hash(client_ip));
        let claims = unverified.authenticate(&key.mac)?;

        let Claims {
            link_id,
            issued_at,
            user,
            target,
            client,
            stamp,
        } = Claims::decode(claims)?;

        let now = self.clock.unix_nanos();
        let issued_at = self.check_time(issued_at, now)?;
        if let Some(expected) = expected_client {
            if !client.is_some_and(|bound| ct::bytes_eq(&bound, &expected)) {
                return Err(VerifyErrorKind::ClientMismatch.into());
            }
        }
        Ok(Authenticated {
            key,
            stamp,
            link: VerifiedLink {
                target: OwnedTarget::new(target),
                user,
                key_id: key.id,
                link_id,
                issued_at,
                ttl: self.policy.ttl,
                verified_at: unix_seconds(now),
            },
        })
    }

    /// Marks a verified link as used in `cache`: the first call for a link
    /// returns it, every later one fails with [`VerifyErrorKind::AlreadyUsed`].
    /// The entry is kept until the link expires plus the leeway.
    ///
    /// # Errors
    /// [`VerifyErrorKind::AlreadyUsed`], or
    /// [`VerifyErrorKind::ReplayCacheUnavailable`] when the cache cannot tell
    /// (the link is refused: fail closed).
    pub async fn consume<U, C>(
        &self,
        link: VerifiedLink<U>,
        cache: &C,
    ) -> Result<VerifiedLink<U>, VerifyError>
    where
        C: ReplayCache + ?Sized,
    {
        let retain_until = link
            .issued_at()
            .saturating_add(link.ttl + self.policy.leeway);
        // The time of verification, not a second clock read: the cache uses
        // it only to evict, and an earlier time can only evict less. It is
        // in range, as verify checked the link's times around it.
        let now = OffsetDateTime::from_unix_timestamp(link.verified_at)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        match cache.mark_used(link.replay_key(), retain_until, now).await {
            Ok(Freshness::Fresh) => Ok(link),
            Ok(Freshness::Used) => Err(VerifyErrorKind::AlreadyUsed.into()),
            Err(err) => Err(VerifyError::cache(err)),
        }
    }

    /// Issue time not beyond `now` + leeway, `now` (Unix nanoseconds) before
    /// issue time + ttl, and
    /// both times within what `OffsetDateTime` represents; yields the issue
    /// time in seconds. Computed in `i128` nanoseconds, where no `u64` issue
    /// time overflows, with no division.
    fn check_time(&self, issued_at: u64, now: i128) -> Result<i64, VerifyErrorKind> {
        let issued = i128::from(issued_at) * NANOS_PER_SECOND;
        if issued > now + self.policy.leeway.whole_nanoseconds() {
            return Err(VerifyErrorKind::IssuedInFuture);
        }
        let expires = issued + self.policy.ttl.whole_nanoseconds();
        if now >= expires {
            return Err(VerifyErrorKind::Expired);
        }
        if expires > (i128::from(MAX_UNIX_SECONDS) + 1) * NANOS_PER_SECOND {
            return Err(VerifyErrorKind::Malformed);
        }
        i64::try_from(issued_at).map_err(|_| VerifyErrorKind::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_unix_seconds_is_the_last_representable_second() {
        let last = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT);
        assert_eq!(last.unix_timestamp() + 86_399, MAX_UNIX_SECONDS);
        assert!(OffsetDateTime::from_unix_timestamp(MAX_UNIX_SECONDS).is_ok());
        assert!(OffsetDateTime::from_unix_timestamp(MAX_UNIX_SECONDS + 1).is_err());
    }
}

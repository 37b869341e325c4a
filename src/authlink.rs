//! The engine and its whole public API: build it once, then issue links and
//! verify and consume them.

use std::error::Error as StdError;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, IssueError, VerifyError, VerifyErrorKind};
use crate::issue::{self, Link, Request};
use crate::keyring::{DerivedKeys, KeyRing};
use crate::limit::{LimitKey, RateLimiter};
use crate::policy::Policy;
use crate::replay::{ReplayCache, ReplayError};
use crate::user::UserId;
use crate::verify::{self, Authenticated, ConsumedLink, VerifiedLink};

/// Issues and verifies links for one purpose under one policy.
///
/// Build it once at start-up and share it (it is `Send + Sync`; wrap it in an
/// `Arc`): construction derives and prepares every key, so issuing and
/// verifying do no key setup.
///
/// The whole check of an opened link is one call,
/// [`verify_and_consume`](Self::verify_and_consume). The steps it takes are
/// public too, for apps that need to act between them: [`verify`](Self::verify),
/// [`Authenticated::check_stamp`], [`consume`](Self::consume).
pub struct Authlink {
    keys: DerivedKeys,
    ring: KeyRing,
    policy: Policy,
    clock: Arc<dyn Clock>,
}

impl Authlink {
    /// An engine signing with `keys` for `purpose`.
    ///
    /// The purpose names the app and the use (`"example.com webview login"`);
    /// it enters key derivation, so a link made for one purpose never
    /// verifies for another, even under the same secret.
    ///
    /// # Errors
    /// A [`ConfigError`] when the purpose is empty or the policy is out of range.
    pub fn new(keys: KeyRing, purpose: &str, policy: Policy) -> Result<Self, ConfigError> {
        if purpose.is_empty() {
            return Err(ConfigError::EmptyPurpose);
        }
        policy.validate()?;
        Ok(Self {
            keys: keys.derive(purpose, policy.ip_binding),
            ring: keys,
            policy,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the system clock, for tests and simulations.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The derived keys, for the other kinds of link (`crate::mail`).
    pub(crate) fn keys(&self) -> &DerivedKeys {
        &self.keys
    }

    /// The clock's time now.
    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Issues a link that logs `user` in and leads to `target`, for the
    /// client at `client_ip` (the address of the request asking for it).
    ///
    /// # Errors
    /// [`IssueError::TargetInvalid`] or [`IssueError::TargetNotAllowed`] for a
    /// target the policy refuses, [`IssueError::TooLong`] when the link would
    /// exceed [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN).
    pub fn issue<U>(&self, user: &U, target: &str, client_ip: IpAddr) -> Result<Link, IssueError>
    where
        U: UserId + ?Sized,
    {
        self.issue_request(&Request {
            user,
            target,
            client_ip,
            stamp: None,
        })
    }

    /// Like [`Authlink::issue`], and binds the user's current `stamp`: once
    /// the app's stamp for the user changes, the link is revoked. A stamp
    /// that changes with the user's credentials (a hash of the password
    /// hash, a "log out everywhere" counter) revokes every outstanding link,
    /// with nothing stored:
    ///
    /// ```
    /// # use authlink::*;
    /// # let mut policy = Policy::default();
    /// # policy.whitelist = Whitelist::new(["^/account$"])?;
    /// # let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "app", policy)?;
    /// # let ip: std::net::IpAddr = "192.0.2.1".parse()?;
    /// let link = authlink.issue_with_stamp(&7u64, "/account", ip, b"password-hash-v1")?;
    /// let pending = authlink.verify::<u64>(&link.key, ip)?;
    /// let current: &[u8] = b"password-hash-v2"; // the password changed meanwhile
    /// let err = pending.check_stamp(Some(current)).unwrap_err();
    /// assert_eq!(err.kind(), VerifyErrorKind::Revoked);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
        U: UserId + ?Sized,
    {
        self.issue_request(&Request {
            user,
            target,
            client_ip,
            stamp: Some(stamp),
        })
    }

    fn issue_request<U: UserId + ?Sized>(
        &self,
        request: &Request<'_, U>,
    ) -> Result<Link, IssueError> {
        issue::issue(self.keys.signing(), &self.policy, self.clock.now(), request)
    }

    /// Verifies, checks the stamp and consumes an opened link in one call:
    /// the whole check, returning the only type that proves a link may log
    /// its user in.
    ///
    /// `stamp_of` looks up the user's current stamp (see
    /// [`Authlink::issue_with_stamp`]); apps that bind none pass
    /// [`no_stamp`](crate::no_stamp). A lookup error fails closed with
    /// [`VerifyErrorKind::StampUnavailable`], and the link is not used up.
    /// Pass [`ReusableLinks`](crate::replay::ReusableLinks) as `cache` to
    /// let links work until they expire.
    ///
    /// ```
    /// # use authlink::{Authlink, ConsumedLink, KeyRing, Policy, SecretKey, Whitelist, no_stamp};
    /// # use authlink::replay::MemoryReplayCache;
    /// # let mut policy = Policy::default();
    /// # policy.whitelist = Whitelist::new(["/account"])?;
    /// # let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "docs", policy)?;
    /// let cache = MemoryReplayCache::new();
    /// let ip = "192.0.2.7".parse()?;
    /// let link = authlink.issue(&42u64, "/account", ip)?;
    ///
    /// let opened: ConsumedLink<u64> =
    ///     pollster::block_on(authlink.verify_and_consume(&link.key, ip, no_stamp, &cache))?;
    /// assert_eq!((*opened.user(), opened.target()), (42, "/account"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`VerifyError`] naming the first check that failed.
    pub async fn verify_and_consume<U, C, F, S, E>(
        &self,
        token: &str,
        client_ip: IpAddr,
        stamp_of: F,
        cache: &C,
    ) -> Result<ConsumedLink<U>, VerifyError>
    where
        U: UserId + DeserializeOwned,
        C: ReplayCache + ?Sized,
        F: AsyncFnOnce(&U) -> Result<Option<S>, E>,
        S: AsRef<[u8]>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let authenticated = self.verify::<U>(token, client_ip)?;
        self.gate_consume(authenticated, async |_| Ok(()), stamp_of, cache)
            .await
    }

    /// [`verify_and_consume`](Self::verify_and_consume) with a per-user
    /// limit: once the link verified, its user is counted in `limiter`
    /// (under [`LimitKey::user`]) before the stamp lookup and single use. A
    /// user past their rate is refused with
    /// [`VerifyErrorKind::RateLimited`] (reason `rate_limited`,
    /// [`VerifyError::retry_after`]), and the link is not used up. This
    /// bounds the replay-cache entries one user can hold; see
    /// [`limit`](crate::limit) for the defaults.
    ///
    /// ```
    /// # use authlink::{Authlink, KeyRing, Policy, SecretKey, VerifyErrorKind, Whitelist, no_stamp};
    /// # use authlink::replay::MemoryReplayCache;
    /// # use authlink::limit::{LimitKey, Limited, RateLimiter};
    /// # let mut policy = Policy::default();
    /// # policy.whitelist = Whitelist::new(["/account"])?;
    /// # let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "docs", policy)?;
    /// /// Refuses everyone: a stand-in for a user past their rate.
    /// struct Closed;
    /// impl RateLimiter for Closed {
    ///     async fn check(&self, _: &LimitKey) -> Result<(), Limited> {
    ///         Err(Limited::new(std::time::Duration::from_secs(3)))
    ///     }
    /// }
    /// let ip = "192.0.2.7".parse()?;
    /// let link = authlink.issue(&42u64, "/account", ip)?;
    /// let cache = MemoryReplayCache::new();
    /// let err = pollster::block_on(authlink.verify_and_consume_limited::<u64, _, _, _, _, _>(
    ///     &link.key, ip, no_stamp, &cache, &Closed,
    /// ))
    /// .unwrap_err();
    /// assert_eq!(err.kind(), VerifyErrorKind::RateLimited);
    /// assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`VerifyError`] naming the first check that failed.
    pub async fn verify_and_consume_limited<U, C, L, F, S, E>(
        &self,
        token: &str,
        client_ip: IpAddr,
        stamp_of: F,
        cache: &C,
        limiter: &L,
    ) -> Result<ConsumedLink<U>, VerifyError>
    where
        U: UserId + DeserializeOwned,
        C: ReplayCache + ?Sized,
        L: RateLimiter + ?Sized,
        F: AsyncFnOnce(&U) -> Result<Option<S>, E>,
        S: AsRef<[u8]>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let authenticated = self.verify::<U>(token, client_ip)?;
        self.consume_limited(authenticated, stamp_of, cache, limiter)
            .await
    }

    /// The steps of [`verify_and_consume_limited`](Self::verify_and_consume_limited)
    /// after verify, for a caller that verified first.
    pub(crate) async fn consume_limited<U, C, L, F, S, E>(
        &self,
        authenticated: Authenticated<'_, U>,
        stamp_of: F,
        cache: &C,
        limiter: &L,
    ) -> Result<ConsumedLink<U>, VerifyError>
    where
        U: UserId + DeserializeOwned,
        C: ReplayCache + ?Sized,
        L: RateLimiter + ?Sized,
        F: AsyncFnOnce(&U) -> Result<Option<S>, E>,
        S: AsRef<[u8]>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        let gate = async |user: &U| {
            limiter
                .check(&LimitKey::user(user))
                .await
                .map_err(|limited| VerifyError::with_source(VerifyErrorKind::RateLimited, limited))
        };
        self.gate_consume(authenticated, gate, stamp_of, cache)
            .await
    }

    /// The pipeline both public forms run after verify: `gate` (the
    /// per-user limit, or nothing), stamp, single use.
    async fn gate_consume<U, C, G, F, S, E>(
        &self,
        authenticated: Authenticated<'_, U>,
        gate: G,
        stamp_of: F,
        cache: &C,
    ) -> Result<ConsumedLink<U>, VerifyError>
    where
        U: UserId + DeserializeOwned,
        C: ReplayCache + ?Sized,
        G: AsyncFnOnce(&U) -> Result<(), VerifyError>,
        F: AsyncFnOnce(&U) -> Result<Option<S>, E>,
        S: AsRef<[u8]>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        gate(authenticated.user()).await?;
        let stamp = stamp_of(authenticated.user())
            .await
            .map_err(|err| VerifyError::with_source(VerifyErrorKind::StampUnavailable, err))?;
        let link = authenticated.check_stamp(stamp.as_ref().map(AsRef::as_ref))?;
        self.consume(link, cache).await
    }

    /// The first step: verifies `token` for a request from `client_ip`:
    /// format, key, tag in constant time, expiry, issue time, target and
    /// client address. Nothing is read from the claims before the tag checks
    /// out, and a link verifies only as the [`UserId`] kind it was issued for.
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
        U: UserId + DeserializeOwned,
    {
        Ok(verify::verify(
            &self.keys,
            &self.policy,
            self.clock.now(),
            token,
            client_ip,
        )?)
    }

    /// The last step: marks a verified link as used in `cache`. The first
    /// call for a link succeeds, every later one fails with
    /// [`VerifyErrorKind::AlreadyUsed`]. The clock is read again here, so a
    /// link that expired since it was verified is refused.
    ///
    /// # Errors
    /// [`VerifyErrorKind::Expired`], [`VerifyErrorKind::AlreadyUsed`], or
    /// [`VerifyErrorKind::ReplayCacheUnavailable`] when the cache cannot tell
    /// (the link is refused: fail closed).
    pub async fn consume<U, C>(
        &self,
        link: VerifiedLink<U>,
        cache: &C,
    ) -> Result<ConsumedLink<U>, VerifyError>
    where
        C: ReplayCache + ?Sized,
    {
        verify::consume(link, cache, self.policy.leeway, self.clock.now()).await
    }

    /// Undoes [`consume`](Self::consume) for a link whose login could not
    /// be completed (a session store that failed), so that the failure burns
    /// no link: it works again until it expires. Only the one consumer that
    /// holds its [`ConsumedLink`] can.
    ///
    /// # Errors
    /// The cache's [`ReplayError`] when it cannot forget; the link then
    /// stays used.
    pub async fn release<U, C>(&self, link: ConsumedLink<U>, cache: &C) -> Result<(), ReplayError>
    where
        C: ReplayCache + ?Sized,
    {
        cache.release(link.replay_key()).await
    }
}

/// The stamp lookup of an app that binds no stamps, for
/// [`Authlink::verify_and_consume`].
///
/// # Errors
/// Never.
pub async fn no_stamp<U>(_user: &U) -> Result<Option<[u8; 0]>, std::convert::Infallible> {
    Ok(None)
}

impl fmt::Debug for Authlink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authlink")
            .field("keys", &self.ring)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

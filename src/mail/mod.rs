//! Email sign-in without a database: a browser asks for a link by address,
//! the mail's link signs in only that browser, and a code in the same mail
//! finishes the sign-in there when the link was opened on another device.
//!
//! The framework-free core. [`MailSignIn::start`] makes, for one request,
//! the **pending cookie** the asking browser keeps (a random nonce, the
//! issue time and a keyed hash of the address, signed) and, when the
//! address belongs to a user, the **mail**: a link and a six-digit code.
//! The cookie looks the same whether or not the address has a user, and
//! the mail never carries the nonce.
//!
//! - [`MailSignIn::verify_link`]: the link, opened by a browser that sends
//!   the pending cookie it was issued with. Anywhere else (a mail scanner,
//!   another device, a forwarded mail) it fails with
//!   [`OtherBrowser`](crate::VerifyErrorKind::OtherBrowser)
//!   and is not used up.
//! - [`MailSignIn::verify_code`]: the code, typed into the browser that
//!   holds the pending cookie, with the address it was asked for.
//!
//! Both give an [`Authenticated`] link with the same
//! [`replay_key`](crate::VerifiedLink::replay_key): link and code are one
//! credential, used up together by [`Authlink::consume`]. The token and
//! cookie formats are in DESIGN.md ("Email sign-in").
//!
//! ```
//! use authlink::mail::{Address, MailPolicy, MailSignIn};
//! use authlink::replay::MemoryReplayCache;
//! use authlink::{Authlink, KeyRing, Policy, SecretKey, VerifyErrorKind, Whitelist};
//!
//! let mut policy = Policy::default();
//! policy.whitelist = Whitelist::new(["/account"])?;
//! let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "docs", policy)?;
//! let mail = MailSignIn::new(authlink, MailPolicy::default())?;
//! let cache = MemoryReplayCache::new();
//!
//! let address = Address::parse("alice@example.com")?;
//! let started = mail.start(&address, Some(&42u64), "/account")?;
//! let sent = started.mail.expect("the address has a user");
//!
//! // A mail scanner opens the link: no pending cookie, nothing happens.
//! let scanner = mail.verify_link::<u64>(&sent.key, None).unwrap_err();
//! assert_eq!(scanner.kind(), VerifyErrorKind::OtherBrowser);
//!
//! // The browser that asked opens it and is signed in.
//! let link = mail.verify_link::<u64>(&sent.key, Some(&started.pending))?;
//! let link = pollster::block_on(mail.authlink().consume(link.check_stamp(None)?, &cache))?;
//! assert_eq!(*link.user(), 42);
//!
//! // The code is the same credential: used up with the link.
//! let code = mail.verify_code(&started.pending, &address, 42u64, sent.code.as_str(), "/account")?;
//! let again = pollster::block_on(mail.authlink().consume(code.check_stamp(None)?, &cache));
//! assert_eq!(again.unwrap_err().kind(), VerifyErrorKind::AlreadyUsed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod code;
mod link;
mod mailer;
mod pending;
#[cfg(feature = "smtp")]
mod smtp;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::Mac as _;
use rand::Rng as _;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

pub use self::address::{Address, AddressError};
pub use self::code::{CODE_DIGITS, Code};
pub use self::mailer::{DefaultMailText, MailText, Mailer, MailerError, Outgoing, escape_html};
#[cfg(feature = "smtp")]
#[cfg_attr(docsrs, doc(cfg(feature = "smtp")))]
pub use self::smtp::SmtpMailer;

use self::link::MailClaims;
use self::pending::{ADDRESS_HASH_LEN, NONCE_LEN, Pending};
use crate::authlink::Authlink;
use crate::error::{ConfigError, IssueError, VerifyError, VerifyErrorKind};
use crate::keyring::MailKeys;
use crate::limit::LimitKey;
use crate::policy::UrlTemplate;
use crate::replay::ReplayKey;
use crate::user::UserId;
use crate::verify::{Authenticated, check_time};

/// How long a mailed link lives by default: long enough for a mail to
/// arrive and be read, short enough that an old mail is worth nothing.
const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
const MIN_TTL: Duration = Duration::from_secs(60);
const MAX_TTL: Duration = Duration::from_secs(60 * 60);

/// What mailed links may do, next to the engine's [`Policy`](crate::Policy)
/// (whose whitelist, allowed origins and leeway they share).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MailPolicy {
    /// How long a mailed link, its code and the pending cookie live:
    /// 1 to 60 minutes, default 15.
    pub ttl: Duration,
    /// The mailed link's URL, with `{key}` where the token goes; default
    /// `/login/email/{key}`. Make it absolute for a mail
    /// (`https://app.example/login/email/{key}`): a mail has no page to be
    /// relative to.
    pub url_template: UrlTemplate,
}

impl Default for MailPolicy {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            url_template: "/login/email/{key}"
                .parse()
                .unwrap_or_else(|_| UrlTemplate::default()),
        }
    }
}

/// The email sign-in engine: an [`Authlink`] and a [`MailPolicy`].
#[derive(Debug)]
pub struct MailSignIn {
    authlink: Arc<Authlink>,
    policy: MailPolicy,
}

/// What [`MailSignIn::start`] made for one request.
#[non_exhaustive]
pub struct Started {
    /// The pending cookie's value, for the browser that asked (68
    /// characters, the same shape for every address).
    pub pending: String,
    /// When the sign-in, its cookie, link and code expire.
    pub expires_at: OffsetDateTime,
    /// The mail to send, when the address belongs to a user; `None`
    /// otherwise, and then no mail goes out.
    pub mail: Option<Mail>,
}

/// The mail of one sign-in: its link and its code.
#[non_exhaustive]
pub struct Mail {
    /// The link as the mail shows it: the policy's URL template with the
    /// token in place of `{key}`.
    pub url: String,
    /// The token alone.
    pub key: String,
    /// The code, for finishing on the device that asked.
    pub code: Code,
    /// When link and code expire.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for Started {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Started")
            .field("pending", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("mail", &self.mail)
            .finish()
    }
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("url", &"<redacted>")
            .field("key", &"<redacted>")
            .field("code", &self.code)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl MailSignIn {
    /// An engine for mailed sign-in on `authlink`'s keys and policy.
    ///
    /// # Errors
    /// [`ConfigError::TtlOutOfRange`] unless the ttl is 1 to 60 minutes.
    pub fn new(
        authlink: impl Into<Arc<Authlink>>,
        policy: MailPolicy,
    ) -> Result<Self, ConfigError> {
        if policy.ttl < MIN_TTL || policy.ttl > MAX_TTL {
            return Err(ConfigError::TtlOutOfRange);
        }
        Ok(Self {
            authlink: authlink.into(),
            policy,
        })
    }

    /// The engine whose keys sign mailed links, and whose
    /// [`consume`](Authlink::consume) uses them up.
    #[must_use]
    pub fn authlink(&self) -> &Authlink {
        &self.authlink
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &MailPolicy {
        &self.policy
    }

    /// Starts a sign-in for `address`, whose user is `user` (`None` when no
    /// user has that address), leading to `target`. The pending cookie is
    /// made either way, and the mail only for a user, so an answer built
    /// from the cookie alone is the same for every address.
    ///
    /// # Errors
    /// An [`IssueError`] for a target the policy does not allow (checked for
    /// every address alike) or a user id that does not encode.
    pub fn start<U>(
        &self,
        address: &Address,
        user: Option<&U>,
        target: &str,
    ) -> Result<Started, IssueError>
    where
        U: UserId + ?Sized,
    {
        let target = self.authlink.policy().check_target(target)?;
        let now = self.authlink.now();
        let issued_at =
            u64::try_from(now.unix_timestamp()).map_err(|_| IssueError::ClockOutOfRange)?;
        let expires_at = OffsetDateTime::from_unix_timestamp(now.unix_timestamp())
            .ok()
            .and_then(|issued| issued.checked_add(self.policy.ttl.try_into().ok()?))
            .ok_or(IssueError::ClockOutOfRange)?;
        let key = self.authlink.keys().signing();
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let pending = Pending {
            key_id: key.id,
            nonce,
            issued_at,
            address: address_hash(&key.mail, address),
        };
        let mail = user
            .map(|user| {
                let link_id = link::link_id(&key.mail, &nonce);
                let token = link::encode(
                    key,
                    &MailClaims {
                        link_id,
                        issued_at,
                        user,
                        target: target.full,
                    },
                )?;
                let code = code::derive(&key.mail.code, &link_id, issued_at, user)
                    .ok_or(IssueError::UserEncoding)?;
                Ok::<_, IssueError>(Mail {
                    url: self.policy.url_template.render(&token),
                    key: token,
                    code,
                    expires_at,
                })
            })
            .transpose()?;
        Ok(Started {
            pending: pending::encode(&key.mail, &pending),
            expires_at,
            mail,
        })
    }

    /// Verifies a mailed link opened by a browser that sent `pending` (the
    /// value of its pending cookie, if it sent one): tag, time and target as
    /// for any link, then that this browser is the one that asked. The
    /// stamp check (none: mailed links carry no stamp) and single use come
    /// next, as for a webview link.
    ///
    /// # Errors
    /// A [`VerifyError`] naming the first check that failed;
    /// [`VerifyErrorKind::OtherBrowser`] when the browser is not the one that
    /// asked.
    pub fn verify_link<U>(
        &self,
        token: &str,
        pending: Option<&str>,
    ) -> Result<Authenticated<'_, U>, VerifyError>
    where
        U: UserId + DeserializeOwned,
    {
        let keys = self.authlink.keys();
        let pending = pending.and_then(|text| pending::decode(keys, text));
        Ok(link::verify(
            keys,
            self.authlink.policy(),
            self.policy.ttl,
            self.authlink.now(),
            token,
            pending.as_ref(),
        )?)
    }

    /// Verifies a code typed into the browser holding `pending`, with the
    /// `address` it asked for, whose user the app says is `user`, to go to
    /// `target`. Yields the same link as the mailed one: consuming either
    /// uses up both.
    ///
    /// # Errors
    /// [`VerifyErrorKind::Malformed`] for a pending cookie that is not
    /// ours or a code that is not six digits; `Expired`;
    /// `TargetNotAllowed`; [`VerifyErrorKind::WrongCode`] when the address
    /// is not the one asked for or the code is not its code. Count wrong
    /// codes where the client cannot rewind them (the web layer does), and
    /// burn the sign-in past the limit ([`MailSignIn::pending_key`]).
    pub fn verify_code<U>(
        &self,
        pending: &str,
        address: &Address,
        user: U,
        code: &str,
        target: &str,
    ) -> Result<Authenticated<'_, U>, VerifyError>
    where
        U: UserId,
    {
        let keys = self.authlink.keys();
        let pending = pending::decode(keys, pending).ok_or(VerifyErrorKind::Malformed)?;
        let key = keys
            .get(pending.key_id)
            .ok_or(VerifyErrorKind::UnknownKey)?;
        let issued_at = check_time(
            self.policy.ttl,
            self.authlink.policy().leeway,
            pending.issued_at,
            self.authlink.now(),
        )?;
        let typed = Code::parse(code).ok_or(VerifyErrorKind::Malformed)?;
        let target = self
            .authlink
            .policy()
            .check_target(target)
            .map_err(|_| VerifyErrorKind::TargetNotAllowed)?;
        let link_id = link::link_id(&key.mail, &pending.nonce);
        let same_address: bool = address_hash(&key.mail, address)
            .ct_eq(&pending.address)
            .into();
        let expected = code::derive(&key.mail.code, &link_id, pending.issued_at, &user);
        // Both are checked, so a wrong address takes as long as a wrong code.
        let right_code = expected.is_some_and(|expected| expected.matches(&typed));
        if !(same_address & right_code) {
            return Err(VerifyErrorKind::WrongCode.into());
        }
        Ok(Authenticated::checked(
            key,
            user,
            target.full.to_owned(),
            link_id,
            issued_at,
            self.policy.ttl,
        ))
    }

    /// The replay key of the sign-in `pending` started, if the cookie is
    /// ours: mark it used to void the sign-in, link and code together (after
    /// too many wrong codes).
    #[must_use]
    pub fn pending_key(&self, pending: &str) -> Option<ReplayKey> {
        let keys = self.authlink.keys();
        let pending = pending::decode(keys, pending)?;
        let key = keys.get(pending.key_id)?;
        Some(ReplayKey::new(
            pending.key_id,
            link::link_id(&key.mail, &pending.nonce),
        ))
    }

    /// The limiter key of `address`: a keyed hash, never the address.
    #[must_use]
    pub fn address_key(&self, address: &Address) -> LimitKey {
        LimitKey::address(address_hash(&self.authlink.keys().signing().mail, address))
    }
}

/// The keyed hash of an address, as the pending cookie and the limits
/// carry it.
fn address_hash(keys: &MailKeys, address: &Address) -> [u8; ADDRESS_HASH_LEN] {
    let mut mac = keys.address.clone();
    mac.update(address.as_str().as_bytes());
    let out = mac.finalize().into_bytes();
    let mut hash = [0u8; ADDRESS_HASH_LEN];
    hash.copy_from_slice(&out[..ADDRESS_HASH_LEN]);
    hash
}

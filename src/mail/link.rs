//! The mailed link (token version 2): like the webview link, but bound to
//! the browser that asked for it instead of a client address. Its id is a
//! keyed hash of the nonce in that browser's pending cookie, so only that
//! browser can show it is the one, and the mail never carries the nonce.
//!
//! ```text
//! token   = base64url_nopad( body || tag )
//! body    = version:u8 (=2) || key_id:u16 BE || claims
//! claims  = postcard( link_id, issued_at, user, target )
//! link_id = HMAC-SHA256(browser key, nonce)[0..8]
//! tag     = HMAC-SHA256(mail key, "authlink/v2/mail" || be64(len(kind)) || kind || body)[0..16]
//! ```

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use hmac::Mac as _;

use super::pending::{NONCE_LEN, Pending};
use crate::claims::{self, LINK_ID_LEN};
use crate::codec::{self, MAX_CLAIMS_LEN, MAX_TOKEN_BYTES, TokenBuf, UnverifiedToken};
use crate::error::{IssueError, VerifyErrorKind};
use crate::keyring::{DerivedKey, DerivedKeys, MailKeys};
use crate::policy::Policy;
use crate::user::UserId;
use crate::verify::{Authenticated, check_time, decode_error};

/// What a mailed link says. Field order is part of the format.
#[derive(Serialize, Deserialize)]
pub(crate) struct MailClaims<U, T> {
    pub(crate) link_id: [u8; LINK_ID_LEN],
    /// Unix seconds.
    pub(crate) issued_at: u64,
    pub(crate) user: U,
    pub(crate) target: T,
}

/// The link id of the sign-in whose pending cookie holds `nonce`.
pub(crate) fn link_id(keys: &MailKeys, nonce: &[u8; NONCE_LEN]) -> [u8; LINK_ID_LEN] {
    let mut mac = keys.browser.clone();
    mac.update(nonce);
    let out = mac.finalize().into_bytes();
    let mut id = [0u8; LINK_ID_LEN];
    id.copy_from_slice(&out[..LINK_ID_LEN]);
    id
}

/// The token of a mailed link; `target` was checked by the caller.
pub(crate) fn encode<U: UserId + ?Sized>(
    key: &DerivedKey,
    claims: &MailClaims<&U, &str>,
) -> Result<String, IssueError> {
    let mut buf = [0u8; MAX_CLAIMS_LEN];
    let claims = postcard::to_slice(claims, &mut buf).map_err(|err| match err {
        postcard::Error::SerializeBufferFull => IssueError::TooLong,
        _ => IssueError::UserEncoding,
    })?;
    codec::encode(
        codec::MAIL_LINK,
        key.id,
        &key.mail.link,
        U::KIND.as_bytes(),
        claims,
    )
    .map_err(|codec::TooLong| IssueError::TooLong)
}

/// Verifies a mailed link opened at `now` by a browser holding `pending`
/// (its pending cookie, if it sent one that checked out): format, key, tag,
/// claims, time, target, then the browser. A link opened anywhere else
/// fails with [`VerifyErrorKind::OtherBrowser`] and is not used up.
pub(crate) fn verify<'k, U>(
    keys: &'k DerivedKeys,
    policy: &Policy,
    ttl: Duration,
    now: OffsetDateTime,
    token: &str,
    pending: Option<&Pending>,
) -> Result<Authenticated<'k, U>, VerifyErrorKind>
where
    U: UserId + DeserializeOwned,
{
    let mut buf: TokenBuf = [0; MAX_TOKEN_BYTES];
    let token = UnverifiedToken::decode(codec::MAIL_LINK, token, &mut buf).map_err(decode_error)?;
    let key = keys
        .get(token.key_id())
        .ok_or(VerifyErrorKind::UnknownKey)?;
    let claims = token
        .authenticate(&key.mail.link, U::KIND.as_bytes())
        .map_err(decode_error)?;
    let claims: MailClaims<U, &str> =
        claims::decode_canonical(claims).ok_or(VerifyErrorKind::Malformed)?;
    let issued_at = check_time(ttl, policy.leeway, claims.issued_at, now)?;
    policy
        .check_target(claims.target)
        .map_err(|_| VerifyErrorKind::TargetNotAllowed)?;
    // The pending cookie is signed under its own key id; the link's id is
    // the nonce's hash under the link's key, so a rotation between the two
    // makes the browser ask again rather than guess which key to use.
    let same_browser = pending.is_some_and(|pending| {
        pending.key_id == key.id
            && bool::from(link_id(&key.mail, &pending.nonce).ct_eq(&claims.link_id))
    });
    if !same_browser {
        return Err(VerifyErrorKind::OtherBrowser);
    }
    Ok(Authenticated::checked(
        key,
        claims.user,
        claims.target.to_owned(),
        claims.link_id,
        issued_at,
        ttl,
    ))
}

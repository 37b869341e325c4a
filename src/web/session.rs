//! [`CurrentUser`]: who a session belongs to, on every stack, and the app's
//! own logins and logouts on the crate's session keys.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use std::borrow::Cow;

use super::answer::{Answer, DefaultResponses, Responses};
use super::app_error::AppError;
use super::messages::Messages;
use super::settings::Settings;
use super::user::LinkUser;

/// Who a session belongs to, and whether it was established through a
/// link (then the guard keeps it to the whitelist).
///
/// Its functions take the session of the app's framework:
/// tower-sessions' `Session` (feature `tower-sessions`) or actix-session's
/// `Session` (feature `actix`).
///
/// ```
/// # async fn page(session: tower_sessions::Session) -> Result<String, authlink::web::AppError> {
/// use authlink::web::CurrentUser;
///
/// Ok(match CurrentUser::<String>::of(&session).await? {
///     Some(current) if current.via_link => format!("Hello, {} (through a link)", current.user),
///     Some(current) => format!("Hello, {}", current.user),
///     None => "Hello, stranger".to_owned(),
/// })
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrentUser<U> {
    /// Who is logged in.
    pub user: U,
    /// Whether the session was established by consuming a link.
    pub via_link: bool,
}

impl<U: LinkUser> CurrentUser<U> {
    /// Who `session` belongs to, if anyone, and whether through a link.
    ///
    /// # Errors
    /// The session store's error, or values that do not deserialize.
    pub async fn of(session: &impl AppSession) -> Result<Option<Self>, AppError> {
        Ok(session
            .read::<U>()
            .await?
            .map(|(user, via_link)| Self { user, via_link }))
    }

    /// Logs `user` in by the app's own means (a password, single sign-on):
    /// whatever the session held, a link session included, is dropped, the
    /// session id is renewed, and the new session is not kept to the
    /// whitelist.
    ///
    /// # Errors
    /// The session store's error, or a user that does not serialize.
    pub async fn log_in_unrestricted(session: &impl AppSession, user: &U) -> Result<(), AppError> {
        session.start(user, false).await
    }

    /// Logs the session out: its data is dropped, and the stored session
    /// with it.
    ///
    /// # Errors
    /// The session store's error.
    pub async fn log_out(session: &impl AppSession) -> Result<(), AppError> {
        session.end().await
    }
}

/// A user signed in by the app's own login (a password, single sign-on),
/// not through a link: the extractor for pages a link session may not
/// see, whatever the whitelist says (changing the password, the e-mail).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordUser<U> {
    /// Who is logged in.
    pub user: U,
}

/// Who `session` belongs to, or the answer for a page that needs someone
/// (and, with `password_only`, someone not signed in through a link). The
/// answers are `settings`' [`Responses`](super::Responses), or the
/// defaults where the request carries none (a page outside the guard).
pub(crate) async fn signed_in<U: LinkUser>(
    session: &impl AppSession,
    settings: Option<&Settings>,
    password_only: bool,
) -> Result<CurrentUser<U>, Answer> {
    let messages = || {
        settings.map_or_else(
            || Cow::Owned(Messages::default()),
            |s| Cow::Borrowed(&s.messages),
        )
    };
    let responses: &dyn Responses = settings.map_or(&DefaultResponses, |s| &*s.responses);
    match CurrentUser::of(session).await {
        Ok(Some(current)) if password_only && current.via_link => {
            Err(responses.forbidden(&messages()))
        }
        Ok(Some(current)) => Ok(current),
        Ok(None) => Err(responses.signed_out(&messages())),
        Err(err) => {
            tracing::error!(target: "authlink", error = %err, "session unreadable");
            Err(Answer::text(500, messages().sign_in_failed.clone()))
        }
    }
}

/// A framework's session, as [`CurrentUser`] reads and writes it: the user
/// under `authlink.user`, the link marker under `authlink.via_link`.
/// Implemented for tower-sessions' and actix-session's `Session`; sealed.
pub trait AppSession: sealed::Sealed {
    /// The user and the link marker, if a user is logged in.
    #[doc(hidden)]
    fn read<U: DeserializeOwned>(
        &self,
    ) -> impl Future<Output = Result<Option<(U, bool)>, AppError>>;

    /// Drops whatever the session held, renews its id, and logs `user` in,
    /// marked as established through a link or not.
    #[doc(hidden)]
    fn start<U: Serialize + Sync>(
        &self,
        user: &U,
        via_link: bool,
    ) -> impl Future<Output = Result<(), AppError>>;

    /// Drops the session's data and the stored session.
    #[doc(hidden)]
    fn end(&self) -> impl Future<Output = Result<(), AppError>>;
}

pub(crate) mod sealed {
    /// Only the session types this crate knows implement
    /// [`AppSession`](super::AppSession).
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

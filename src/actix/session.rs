//! Link sessions on actix-session's [`Session`].

use actix_session::Session;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::web::flow::LoginSession;
use crate::web::{AppError, USER_KEY, VIA_LINK_KEY};

/// Who an actix-session belongs to, and the app's side of the crate's
/// session keys: read who is logged in, log in by other means, log out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrentUser<U> {
    /// Who is logged in.
    pub user: U,
    /// Whether the session was established by consuming a link.
    pub via_link: bool,
}

impl<U: Serialize + DeserializeOwned> CurrentUser<U> {
    /// Who `session` belongs to, if anyone, and whether through a link.
    ///
    /// # Errors
    /// An [`AppError`] when the session's values do not deserialize.
    pub fn current(session: &Session) -> Result<Option<Self>, AppError> {
        let Some(user) = session.get::<U>(USER_KEY).map_err(AppError::new)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            user,
            via_link: via_link(session)?,
        }))
    }

    /// Logs `user` in by other means than a link (a password, single
    /// sign-on): whatever the session held is dropped and its id renewed.
    ///
    /// # Errors
    /// An [`AppError`] when `user` does not serialize.
    pub fn log_in_other(session: &Session, user: &U) -> Result<(), AppError> {
        start(session, user, false)
    }

    /// Logs the session out: its data is dropped and its cookie removed.
    pub fn log_out(session: &Session) {
        session.purge();
    }
}

pub(super) fn via_link(session: &Session) -> Result<bool, AppError> {
    Ok(session
        .get::<bool>(VIA_LINK_KEY)
        .map_err(AppError::new)?
        .unwrap_or(false))
}

/// A new login: renew and clear, never purge, after which actix-session
/// would drop the inserts.
fn start<U: Serialize>(session: &Session, user: &U, via_link: bool) -> Result<(), AppError> {
    session.renew();
    session.clear();
    session.insert(USER_KEY, user).map_err(AppError::new)?;
    if via_link {
        session.insert(VIA_LINK_KEY, true).map_err(AppError::new)?;
    }
    Ok(())
}

/// The request's session as the shared consume step sees it.
pub(super) struct ActixLogin(pub(super) Session);

impl<U: Serialize> LoginSession<U> for ActixLogin {
    async fn is_link_session(&mut self) -> Result<bool, AppError> {
        via_link(&self.0)
    }

    async fn log_in(&mut self, user: &U) -> Result<(), AppError> {
        start(&self.0, user, true)
    }

    async fn discard(&mut self) {
        self.0.purge();
    }
}

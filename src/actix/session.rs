//! Link sessions on actix-session's [`Session`].

use actix_session::Session;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::web::flow::LoginSession;
use crate::web::session::sealed::Sealed;
use crate::web::{AppError, AppSession, USER_KEY, VIA_LINK_KEY};

/// actix-session's `Session` as [`CurrentUser`](crate::web::CurrentUser)
/// reads and writes it.
impl AppSession for Session {
    async fn read<U: DeserializeOwned>(&self) -> Result<Option<(U, bool)>, AppError> {
        let Some(user) = self.get::<U>(USER_KEY).map_err(AppError::new)? else {
            return Ok(None);
        };
        Ok(Some((user, via_link(self)?)))
    }

    async fn start<U: Serialize + Sync>(&self, user: &U, via_link: bool) -> Result<(), AppError> {
        start(self, user, via_link)
    }

    async fn end(&self) -> Result<(), AppError> {
        self.purge();
        Ok(())
    }
}

impl Sealed for Session {}

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
}

//! Link sessions on actix-session's [`Session`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::identity;
use super::response::into_response;
use super::sessions::{InSessions, MISSING, missing, unguarded_identity};
use crate::replay::ReplayKey;
use crate::web::flow::LoginSession;
use crate::web::pipeline::misconfigured;
use crate::web::session::sealed::Sealed;
use crate::web::session::signed_in;
use crate::web::{
    Answer, AppError, AppSession, CurrentUser, LinkUser, Messages, PasswordUser, Settings,
    USER_KEY, VIA_LINK_KEY,
};

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

/// Whether the session of `request` is a link session; with actix-identity
/// inside the sessions, only while the identity is the link's user.
pub(super) fn is_link_session(
    request: &HttpRequest,
    session: &Session,
    marker: &InSessions,
) -> Result<bool, AppError> {
    let via_link = via_link(session)?;
    if marker.identity {
        identity::settle(request, session, via_link)
    } else {
        Ok(via_link)
    }
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

/// The request's session as the shared consume step sees it, with the
/// marker of [`ActixSessions`](super::ActixSessions) that keeps the link a
/// sign-in used up until the session is stored.
pub(super) struct ActixLogin {
    request: HttpRequest,
    session: Session,
    marker: Rc<InSessions>,
}

impl ActixLogin {
    /// The session of `request`, or `None` when it did not pass
    /// [`ActixSessions`](super::ActixSessions).
    pub(super) fn of(request: &HttpRequest) -> Option<Self> {
        let marker = InSessions::of(request)?;
        Some(Self {
            request: request.clone(),
            session: request.get_session(),
            marker,
        })
    }
}

impl ActixLogin {
    /// Whether this sign-in missed the guard it needs with an identity;
    /// said with the fix.
    pub(super) fn unguarded(&self) -> bool {
        unguarded_identity(&self.marker)
    }
}

impl<U: Serialize> LoginSession<U> for ActixLogin {
    const MISSING: &'static str = MISSING;

    async fn is_link_session(&mut self) -> Result<bool, AppError> {
        is_link_session(&self.request, &self.session, &self.marker)
    }

    async fn log_in(&mut self, user: &U, spent: ReplayKey) -> Result<(), AppError> {
        // The identity's text first: nothing is touched when it fails.
        let id = if self.marker.identity {
            Some(identity::text_of(user)?)
        } else {
            None
        };
        start(&self.session, user, true)?;
        if let Some(id) = id {
            identity::log_in(&self.request, id)?;
        }
        self.marker.spent(spent);
        Ok(())
    }
}

/// Why a user extractor gave no user: its answer, from the app's
/// [`Responses`](crate::web::Responses).
pub struct Rejection(Answer);

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rejection").field(&self.0.status()).finish()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no user for this page ({})", self.0.status())
    }
}

impl ResponseError for Rejection {
    fn error_response(&self) -> HttpResponse {
        into_response(self.0.clone())
    }
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

/// The signed-in user, for an actix handler: the answer of
/// [`Responses::signed_out`](crate::web::Responses::signed_out) (default
/// 401) when no one is.
impl<U: LinkUser> FromRequest for CurrentUser<U> {
    type Error = Rejection;
    type Future = Extracted<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        extract(request, false)
    }
}

/// The user signed in by the app's own login, for an actix handler: the
/// answer of [`Responses::forbidden`](crate::web::Responses::forbidden)
/// (default 403) to a link session.
impl<U: LinkUser> FromRequest for PasswordUser<U> {
    type Error = Rejection;
    type Future = Extracted<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let current = extract::<U>(request, true);
        Box::pin(async move {
            Ok(Self {
                user: current.await?.user,
            })
        })
    }
}

fn extract<U: LinkUser>(request: &HttpRequest, password_only: bool) -> Extracted<CurrentUser<U>> {
    let settings = request.extensions().get::<Arc<Settings>>().cloned();
    if InSessions::of(request).is_none() {
        missing(request);
        let answer = match settings.as_deref() {
            Some(settings) => misconfigured(settings),
            None => Answer::text(500, Messages::default().sign_in_failed),
        };
        return Box::pin(std::future::ready(Err(Rejection(answer))));
    }
    let session = request.get_session();
    if let Some(marker) = InSessions::of(request).filter(|marker| marker.identity) {
        // Drops authlink's keys when the identity has left them behind.
        if let Err(err) = is_link_session(request, &session, &marker) {
            tracing::error!(target: "authlink", error = %err, "session unreadable");
        }
    }
    Box::pin(async move {
        signed_in(&session, settings.as_deref(), password_only)
            .await
            .map_err(Rejection)
    })
}

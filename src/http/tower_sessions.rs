//! Link sessions on tower-sessions' [`Session`].

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use http::{Extensions, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::util::BoxCloneSyncService;
use tower_layer::Layer as _;
use tower_service::Service;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Session, SessionManagerLayer, SessionStore};

use super::response::{ResponseBody, into_response};
use super::sessions::{Ensure, LinkSessions, SessionService};
use crate::web::session::sealed::Sealed;
use crate::web::session::signed_in;
use crate::web::{
    Answer, AppError, AppSession, CurrentUser, LinkUser, Messages, PasswordUser, Settings,
    USER_KEY, VIA_LINK_KEY,
};

/// Link sessions in tower-sessions: the user under `authlink.user`, the link
/// marker under `authlink.via_link`, the session id cycled on every login.
///
/// It owns the session cookie's layer, so the cookie's attributes are set
/// once here and never derived from a request: `HttpOnly`, `Path=/`,
/// `SameSite=Lax` (the [module docs](super#cookies-secure-and-samesitelax)
/// say why) and `Secure` unless turned off with
/// [`insecure_cookie`](Self::insecure_cookie).
///
/// ```
/// use authlink::http::TowerSessions;
/// use tower_sessions::MemoryStore;
///
/// let sessions = TowerSessions::<String, _>::new(MemoryStore::default()).cookie_name("session");
/// // Wrap the app's other routes in the same layer to read the session there.
/// let layer = sessions.layer();
/// # let _ = layer;
/// ```
pub struct TowerSessions<U, Store: SessionStore + Clone> {
    layer: SessionManagerLayer<Store>,
    user: PhantomData<fn() -> U>,
}

impl<U, Store: SessionStore + Clone> TowerSessions<U, Store> {
    /// Sessions in `store`, under the cookie `id`, `Secure`, `SameSite=Lax`.
    pub fn new(store: Store) -> Self {
        Self::from_layer(SessionManagerLayer::new(store))
    }

    /// Sessions through the app's own layer, with `SameSite=Lax` set on it.
    /// Its other settings (`Secure`, expiry, domain) are kept.
    pub fn from_layer(layer: SessionManagerLayer<Store>) -> Self {
        Self {
            layer: layer.with_same_site(SameSite::Lax),
            user: PhantomData,
        }
    }

    /// Names the session cookie.
    #[must_use]
    pub fn cookie_name(mut self, name: &'static str) -> Self {
        self.layer = self.layer.with_name(name);
        self
    }

    /// Drops `Secure` from the session cookie, for plain HTTP on a loopback
    /// address during development, where browsers would otherwise not send
    /// it back. Never turn it off for a site reached over a network.
    #[must_use]
    pub fn insecure_cookie(mut self) -> Self {
        self.layer = self.layer.with_secure(false);
        self
    }

    /// Sets any other setting of the layer (expiry, domain…).
    #[must_use]
    pub fn configure(
        mut self,
        f: impl FnOnce(SessionManagerLayer<Store>) -> SessionManagerLayer<Store>,
    ) -> Self {
        self.layer = f(self.layer).with_same_site(SameSite::Lax);
        self
    }

    /// The session layer, to put around the app's own pages as well.
    #[must_use]
    pub fn layer(&self) -> SessionManagerLayer<Store> {
        self.layer.clone()
    }
}

/// tower-sessions' `Session` as [`CurrentUser`](crate::web::CurrentUser)
/// reads and writes it.
impl AppSession for Session {
    async fn read<U: DeserializeOwned>(&self) -> Result<Option<(U, bool)>, AppError> {
        let Some(user) = self.get::<U>(USER_KEY).await.map_err(AppError::new)? else {
            return Ok(None);
        };
        Ok(Some((user, via_link(self).await?)))
    }

    async fn start<U: Serialize + Sync>(&self, user: &U, via_link: bool) -> Result<(), AppError> {
        start(self, user, via_link).await
    }

    async fn end(&self) -> Result<(), AppError> {
        end(self).await
    }
}

impl Sealed for Session {}

async fn via_link(session: &Session) -> Result<bool, AppError> {
    Ok(session
        .get::<bool>(VIA_LINK_KEY)
        .await
        .map_err(AppError::new)?
        .unwrap_or(false))
}

/// Drops the session's data, and the stored session if there is one.
async fn end(session: &Session) -> Result<(), AppError> {
    if session.id().is_some() {
        session.flush().await.map_err(AppError::new)
    } else {
        session.clear().await;
        Ok(())
    }
}

async fn start<U: Serialize + Sync>(
    session: &Session,
    user: &U,
    via_link: bool,
) -> Result<(), AppError> {
    // Nothing of the old session survives, and the new one has a new id:
    // a store may hand a deleted session's id out again, so cycle it.
    end(session).await?;
    session.cycle_id().await.map_err(AppError::new)?;
    session
        .insert(USER_KEY, user)
        .await
        .map_err(AppError::new)?;
    if via_link {
        session
            .insert(VIA_LINK_KEY, true)
            .await
            .map_err(AppError::new)?;
    }
    session.save().await.map_err(AppError::new)
}

impl<U, Store> LinkSessions for TowerSessions<U, Store>
where
    U: LinkUser,
    Store: SessionStore + Clone,
{
    type User = U;
    type Handle = Session;

    fn handle(&self, extensions: &Extensions) -> Option<Session> {
        extensions.get::<Session>().cloned()
    }

    async fn is_link_session(&self, session: &Session) -> Result<bool, AppError> {
        via_link(session).await
    }

    async fn log_in(&self, session: &mut Session, user: &U) -> Result<(), AppError> {
        start(session, user, true).await
    }

    fn provide<S, B, R>(&self, service: S) -> SessionService<B, R>
    where
        S: Service<Request<B>, Response = Response<R>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: Send + 'static,
        R: Default + Send + 'static,
    {
        BoxCloneSyncService::new(Ensure {
            present: |extensions| extensions.get::<Session>().is_some(),
            managed: self.layer.layer(service.clone()),
            inner: service,
        })
    }
}

impl<U, Store: SessionStore + Clone> Clone for TowerSessions<U, Store> {
    fn clone(&self) -> Self {
        Self {
            layer: self.layer.clone(),
            user: PhantomData,
        }
    }
}

impl<U, Store: SessionStore + Clone> fmt::Debug for TowerSessions<U, Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerSessions").finish_non_exhaustive()
    }
}

/// The signed-in user, for an axum handler: the answer of
/// [`Responses::signed_out`](crate::web::Responses::signed_out) (default
/// 401) when no one is.
impl<S: Send + Sync, U: LinkUser> axum::extract::FromRequestParts<S> for CurrentUser<U> {
    type Rejection = http::Response<ResponseBody>;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        extract(parts, false).await
    }
}

/// The user signed in by the app's own login, for an axum handler: the
/// answer of [`Responses::forbidden`](crate::web::Responses::forbidden)
/// (default 403) to a link session, of
/// [`Responses::signed_out`](crate::web::Responses::signed_out) when no one
/// is signed in.
impl<S: Send + Sync, U: LinkUser> axum::extract::FromRequestParts<S> for PasswordUser<U> {
    type Rejection = http::Response<ResponseBody>;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let current: CurrentUser<U> = extract(parts, true).await?;
        Ok(Self { user: current.user })
    }
}

async fn extract<U: LinkUser>(
    parts: &http::request::Parts,
    password_only: bool,
) -> Result<CurrentUser<U>, http::Response<ResponseBody>> {
    let settings = parts
        .extensions
        .get::<Arc<Settings>>()
        .map(|settings| &**settings);
    let Some(session) = parts.extensions.get::<Session>() else {
        tracing::error!(
            target: "authlink",
            outcome = "misconfigured",
            "no session in the request: read the user in pages given to Endpoints::router, \
             or under the sessions' layer()",
        );
        let messages = settings.map_or_else(Messages::default, |s| s.texts().clone());
        return Err(into_response(Answer::text(500, messages.sign_in_failed)));
    };
    signed_in(session, settings, password_only)
        .await
        .map_err(into_response)
}

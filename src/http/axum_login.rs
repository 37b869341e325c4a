//! Link sessions through axum-login's [`AuthSession`], so its
//! `login_required!` and `AuthSession::user` see link logins.

use std::convert::Infallible;
use std::fmt;

use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend};
use http::{Extensions, Request, Response};
use tower::util::BoxCloneSyncService;
use tower_layer::Layer as _;
use tower_service::Service;
use tower_sessions::cookie::SameSite;
use tower_sessions::{SessionManagerLayer, SessionStore};

use super::sessions::{Ensure, LinkSessions, SessionService};
use crate::web::AppError;
use crate::web::VIA_LINK_KEY;

/// Link sessions in axum-login: a link logs its user in through
/// [`AuthSession::login`] (which cycles the session id) after
/// [`AuthSession::logout`], and marks the session under
/// `authlink.via_link` so the guard keeps it to the
/// whitelist. Links carry the user's [`AuthUser::Id`]; the user is loaded
/// with the backend's `get_user`.
///
/// Like [`TowerSessions`](super::TowerSessions) it owns the layers
/// (`SameSite=Lax`, `Secure` unless [`insecure_cookie`](Self::insecure_cookie)).
/// A password login over a link session keeps the link marker unless the
/// app logs out first (`auth_session.logout()` then `login`): the session
/// stays on the whitelist, the safe side.
pub struct AxumLogin<B: AuthnBackend, Store: SessionStore + Clone> {
    backend: B,
    sessions: SessionManagerLayer<Store>,
}

impl<B: AuthnBackend, Store: SessionStore + Clone> AxumLogin<B, Store> {
    /// Users from `backend`, sessions in `store`, cookie `id`, `Secure`,
    /// `SameSite=Lax`.
    pub fn new(backend: B, store: Store) -> Self {
        Self::from_layer(backend, SessionManagerLayer::new(store))
    }

    /// Sessions through the app's own session layer, with `SameSite=Lax`
    /// set on it.
    pub fn from_layer(backend: B, sessions: SessionManagerLayer<Store>) -> Self {
        Self {
            backend,
            sessions: sessions.with_same_site(SameSite::Lax),
        }
    }

    /// Names the session cookie.
    #[must_use]
    pub fn cookie_name(mut self, name: &'static str) -> Self {
        self.sessions = self.sessions.with_name(name);
        self
    }

    /// Drops `Secure` from the session cookie, for plain HTTP on a loopback
    /// address during development. Never for a site reached over a network.
    #[must_use]
    pub fn insecure_cookie(mut self) -> Self {
        self.sessions = self.sessions.with_secure(false);
        self
    }

    /// axum-login's layer (the session layer inside), for the app's own
    /// routes.
    #[must_use]
    pub fn layer(&self) -> AuthManagerLayer<B, Store> {
        AuthManagerLayerBuilder::new(self.backend.clone(), self.sessions.clone()).build()
    }
}

impl<B, Store> LinkSessions for AxumLogin<B, Store>
where
    B: AuthnBackend + 'static,
    <B::User as AuthUser>::Id: crate::UserId + fmt::Debug + 'static,
    Store: SessionStore + Clone,
{
    type User = <B::User as AuthUser>::Id;
    type Handle = AuthSession<B>;

    fn handle(&self, extensions: &Extensions) -> Option<AuthSession<B>> {
        extensions.get::<AuthSession<B>>().cloned()
    }

    async fn is_link_session(&self, auth: &AuthSession<B>) -> Result<bool, AppError> {
        if auth.user.is_none() {
            return Ok(false);
        }
        Ok(auth
            .session
            .get::<bool>(VIA_LINK_KEY)
            .await
            .map_err(AppError::new)?
            .unwrap_or(false))
    }

    async fn log_in(&self, auth: &mut AuthSession<B>, id: &Self::User) -> Result<(), AppError> {
        let user = auth
            .backend
            .get_user(id)
            .await
            .map_err(AppError::new)?
            .ok_or_else(|| AppError::new("the link's user is not in the backend"))?;
        if auth.session.id().is_some() {
            auth.logout()
                .await
                .map_err(|err| AppError::new(err.to_string()))?;
        }
        auth.login(&user)
            .await
            .map_err(|err| AppError::new(err.to_string()))?;
        // After a logout axum-login keeps the id (the store may reuse it):
        // cycle it.
        auth.session.cycle_id().await.map_err(AppError::new)?;
        auth.session
            .insert(VIA_LINK_KEY, true)
            .await
            .map_err(AppError::new)?;
        auth.session.save().await.map_err(AppError::new)
    }

    fn provide<S, Body, R>(&self, service: S) -> SessionService<Body, R>
    where
        S: Service<Request<Body>, Response = Response<R>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        Body: Send + 'static,
        R: Default + Send + 'static,
    {
        BoxCloneSyncService::new(Ensure {
            present: |extensions| extensions.get::<AuthSession<B>>().is_some(),
            managed: self.layer().layer(service.clone()),
            inner: service,
        })
    }
}

impl<B: AuthnBackend, Store: SessionStore + Clone> Clone for AxumLogin<B, Store> {
    fn clone(&self) -> Self {
        Self {
            backend: self.backend.clone(),
            sessions: self.sessions.clone(),
        }
    }
}

impl<B: AuthnBackend, Store: SessionStore + Clone> fmt::Debug for AxumLogin<B, Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AxumLogin").finish_non_exhaustive()
    }
}

//! [`Endpoints`]: the one place the web face is configured.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::request;

use super::app::LinkApp;
use super::consume::ConsumeService;
use super::create::CreateService;
use super::email::EmailService;
use super::guard::GuardLayer;
use super::sessions::LinkSessions;
use super::shared::Shared;
use crate::issue::Link;
use crate::web::pipeline;
use crate::web::{CreateRefusal, Settings};

/// The create endpoint, the consume endpoint and the session guard, on one
/// [`Settings`] value.
///
/// Trusted proxies, the failure URL, the mode and the replay cache are in
/// the settings, once, for all three, so the create and consume endpoints
/// cannot disagree on a client's address. The guard's whitelist is the
/// policy's; [`Settings::also_allow`] adds to it, and the failure URL's path
/// is always open to link sessions, so that a link session whose next link
/// fails is told why.
///
/// Sessions come from `sessions` ([`TowerSessions`](super::TowerSessions),
/// `AxumLogin` (feature `axum-login`) or another [`LinkSessions`]). The
/// consume endpoint and the guard put the session layer around themselves
/// when the app has not, so a missing session layer cannot happen; and the
/// guard always lets the consume endpoint's and the create endpoint's paths
/// through, so mounting them inside it does no harm.
pub struct Endpoints<A, S> {
    shared: Shared<A, S>,
}

impl<A, S> Clone for Endpoints<A, S>
where
    S: Clone,
{
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<A, S> fmt::Debug for Endpoints<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoints")
            .field("settings", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<A, S> Endpoints<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
{
    /// The endpoints of `settings`, asking `app` who API callers are, and
    /// logging browsers in through `sessions`.
    pub fn new(settings: Settings, app: A, sessions: S) -> Self {
        Self {
            shared: Shared {
                config: Arc::new(settings),
                app: Arc::new(app),
                sessions,
            },
        }
    }

    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.shared.config
    }

    /// The create endpoint as a tower service.
    #[must_use]
    pub fn create_service(&self) -> CreateService<A, S> {
        CreateService::new(self.shared.clone())
    }

    /// The email sign-in endpoints, for the three paths
    /// [`EmailSettings`](crate::web::EmailSettings) names; they answer 404
    /// when the settings have no email sign-in.
    #[must_use]
    pub fn email_service(&self) -> EmailService<A, S> {
        EmailService::new(self.shared.clone())
    }

    /// The consume endpoint as a tower service. Mount it at the URL
    /// template's path; the key is the path's last segment.
    #[must_use]
    pub fn consume_service(&self) -> ConsumeService<A, S> {
        ConsumeService::new(self.shared.clone())
    }

    /// The session guard, to wrap the app's pages.
    #[must_use]
    pub fn guard_layer(&self) -> GuardLayer<S> {
        GuardLayer::new(
            Arc::clone(&self.shared.config),
            self.shared.sessions.clone(),
        )
    }

    /// Issues a link for `user` to `target`, bound to the client address of
    /// `request` (through the trusted proxies) and the user's stamp: the
    /// create endpoint's work, for an app's own handler with its own error
    /// format.
    ///
    /// # Errors
    /// [`CreateRefusal::NoClientAddress`], [`CreateRefusal::RateLimited`]
    /// (see [`Settings::create_limits`]),
    /// [`CreateRefusal::Unavailable`] (the stamp could not be read), or the
    /// target's refusal.
    pub fn issue<'a>(
        &'a self,
        request: &'a request::Parts,
        user: &'a A::User,
        target: &'a str,
    ) -> impl Future<Output = Result<Link, CreateRefusal>> + Send + 'a {
        let app = &*self.shared.app;
        let stamp_of = async |user: &A::User| app.user_stamp(user).await;
        pipeline::issue(&self.shared.config, request, user, target, stamp_of)
    }
}

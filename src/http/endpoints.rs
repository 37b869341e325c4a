//! [`Endpoints`]: the one place the web face is configured.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::request;

use super::app::LinkApp;
use super::consume::ConsumeService;
use super::create::CreateService;
use super::guard::GuardLayer;
use super::peer::request_client_ip;
use super::response::{DefaultResponses, Responses};
use super::sessions::LinkSessions;
use crate::authlink::Authlink;
use crate::issue::Link;
use crate::limit::{BoxRateLimiter, CreateLimits, NoLimit, RateLimiter};
use crate::replay::{BoxReplayCache, MemoryReplayCache, ReplayCache};
use crate::web::flow::{self, IssueContext};
use crate::web::routes::{self, GuardPaths};
use crate::web::{
    ConfirmPage, ConsumeMode, CreateRefusal, DEFAULT_BODY_LIMIT, Messages, TrustedProxies,
};
use crate::whitelist::Whitelist;

/// The [`Endpoints`] configuration cannot work; the message says what to
/// change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointsError {
    /// The failure URL is not a same-site path: it would be an open
    /// redirect.
    #[error("the failure URL must be a same-site path such as /?error={{reason}}")]
    FailureUrl,
    /// `{key}` is not the last path segment of the policy's URL template, or
    /// sits right under `/`, so no route of its own can serve the consume
    /// endpoint.
    #[error(
        "to mount the consume endpoint, make {{key}} the last path segment of the url template, \
         under a path of its own (/authlink/{{key}}), or mount consume_service() yourself"
    )]
    ConsumeRoute,
}

/// The default failure URL.
pub const DEFAULT_FAILURE_URL: &str = "/";

/// The default path of the create endpoint in [`Endpoints::router`].
pub const DEFAULT_CREATE_PATH: &str = "/api/authlink";

/// Everything the create endpoint, the consume endpoint and the guard share.
pub(crate) struct Shared<A, S> {
    pub(crate) authlink: Arc<Authlink>,
    pub(crate) app: Arc<A>,
    pub(crate) sessions: S,
    pub(crate) replay: BoxReplayCache,
    pub(crate) create_limits: CreateLimits,
    pub(crate) consume_limit: BoxRateLimiter,
    pub(crate) trusted: TrustedProxies,
    pub(crate) failure_url: String,
    pub(crate) mode: ConsumeMode,
    pub(crate) confirm: ConfirmPage,
    pub(crate) body_limit: usize,
    pub(crate) also_allow: Arc<Whitelist>,
    pub(crate) responses: Arc<dyn Responses>,
    pub(crate) messages: Arc<Messages>,
    pub(crate) create_path: String,
    /// The URL template up to `{key}`, and after it.
    pub(crate) template: Arc<(String, String)>,
}

impl<A, S: Clone> Clone for Shared<A, S> {
    fn clone(&self) -> Self {
        Self {
            authlink: Arc::clone(&self.authlink),
            app: Arc::clone(&self.app),
            sessions: self.sessions.clone(),
            replay: self.replay.clone(),
            create_limits: self.create_limits.clone(),
            consume_limit: self.consume_limit.clone(),
            trusted: self.trusted.clone(),
            failure_url: self.failure_url.clone(),
            mode: self.mode,
            confirm: self.confirm,
            body_limit: self.body_limit,
            also_allow: Arc::clone(&self.also_allow),
            responses: Arc::clone(&self.responses),
            messages: Arc::clone(&self.messages),
            create_path: self.create_path.clone(),
            template: Arc::clone(&self.template),
        }
    }
}

impl<A, S> Shared<A, S> {
    /// What the guard lets link sessions see.
    pub(crate) fn guard_paths(&self) -> GuardPaths<'_> {
        GuardPaths {
            whitelist: &self.authlink.policy().whitelist,
            also_allow: &self.also_allow,
            failure_url: &self.failure_url,
            create_path: &self.create_path,
            template_prefix: &self.template.0,
        }
    }
}

/// The create endpoint, the consume endpoint and the session guard,
/// configured once.
///
/// Trusted proxies, the failure URL, the mode and the replay cache are set
/// here, once, for all three, so the create and consume endpoints cannot
/// disagree on a client's address. The guard's whitelist is the policy's;
/// [`also_allow`](Self::also_allow) adds to it, and the failure URL's path is
/// always open to link sessions, so that a link session whose next link
/// fails is told why.
///
/// Sessions come from `sessions` ([`TowerSessions`](super::TowerSessions),
/// [`AxumLogin`](super::AxumLogin) or another [`LinkSessions`]). The
/// consume endpoint and the guard put the session layer around themselves
/// when the app has not, so a missing session layer cannot happen; and the
/// guard always lets the consume endpoint's and the create endpoint's paths
/// through, so mounting them inside it does no harm.
///
/// Defaults: single use in a [`MemoryReplayCache`] (one process; share a
/// [`RedisReplayCache`](crate::replay) across nodes), no trusted proxy,
/// failure URL `/`, [`ConsumeMode::Direct`], [`ConfirmPage::AutoSubmit`],
/// bodies up to 8 KiB, [`DefaultResponses`], [`Messages::default`].
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
            .field("authlink", &self.shared.authlink)
            .field("trusted", &self.shared.trusted)
            .field("failure_url", &self.shared.failure_url)
            .field("mode", &self.shared.mode)
            .field("confirm", &self.shared.confirm)
            .field("body_limit", &self.shared.body_limit)
            .finish_non_exhaustive()
    }
}

impl<A, S> Endpoints<A, S>
where
    A: LinkApp,
    S: LinkSessions<User = A::User>,
{
    /// Endpoints issuing and verifying links with `authlink`, asking `app`
    /// who API callers are, and logging browsers in through `sessions`.
    pub fn new(authlink: impl Into<Arc<Authlink>>, app: A, sessions: S) -> Self {
        let authlink = authlink.into();
        let template = Arc::new(routes::template_parts(&authlink));
        Self {
            shared: Shared {
                template,
                authlink,
                app: Arc::new(app),
                sessions,
                replay: BoxReplayCache::new(MemoryReplayCache::new()),
                create_limits: CreateLimits::off(),
                consume_limit: BoxRateLimiter::new(NoLimit),
                trusted: TrustedProxies::none(),
                failure_url: DEFAULT_FAILURE_URL.to_owned(),
                mode: ConsumeMode::Direct,
                confirm: ConfirmPage::AutoSubmit,
                body_limit: DEFAULT_BODY_LIMIT,
                also_allow: Arc::new(Whitelist::deny_all()),
                responses: Arc::new(DefaultResponses),
                messages: Arc::new(Messages::default()),
                create_path: DEFAULT_CREATE_PATH.to_owned(),
            },
        }
    }

    /// Makes links single-use through `cache` (a shared one across nodes),
    /// or [`ReusableLinks`](crate::replay::ReusableLinks) to let a link
    /// work until it expires.
    #[must_use]
    pub fn replay_cache<C: ReplayCache + 'static>(mut self, cache: C) -> Self {
        self.shared.replay = BoxReplayCache::new(cache);
        self
    }

    /// Limits how fast each API user and each client network may create
    /// links (`429` with `Retry-After` past the rate). Default: no limit.
    #[must_use]
    pub fn create_limits(mut self, limits: CreateLimits) -> Self {
        self.shared.create_limits = limits;
        self
    }

    /// Limits how fast each user's links may be consumed, checked after
    /// verification and before the stamp lookup and single use, so one
    /// user cannot fill the replay cache; past the rate the link is not
    /// used and the answer is the failure with
    /// [`FailureReason::RateLimited`](crate::FailureReason::RateLimited).
    /// Default: no limit.
    #[must_use]
    pub fn consume_limit(mut self, limiter: impl RateLimiter + 'static) -> Self {
        self.shared.consume_limit = BoxRateLimiter::new(limiter);
        self
    }

    /// Reads client addresses through these proxies, at create and at
    /// consume alike.
    #[must_use]
    pub fn trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.shared.trusted = trusted;
        self
    }

    /// Where failures lead; `{reason}` is replaced by the
    /// [`FailureReason::code`](crate::FailureReason::code)
    /// (`"/?error={reason}"`).
    ///
    /// # Errors
    /// [`EndpointsError::FailureUrl`] when the URL is not a same-site path
    /// (an open redirect).
    pub fn failure_url(mut self, url: impl Into<String>) -> Result<Self, EndpointsError> {
        let url = url.into();
        if !routes::is_safe_failure_url(&url) {
            return Err(EndpointsError::FailureUrl);
        }
        self.shared.failure_url = url;
        Ok(self)
    }

    /// Answers `GET` on the consume endpoint as `mode` says.
    #[must_use]
    pub fn mode(mut self, mode: ConsumeMode) -> Self {
        self.shared.mode = mode;
        self
    }

    /// The confirmation page of [`ConsumeMode::PrefetchSafe`].
    #[must_use]
    pub fn confirm_page(mut self, page: ConfirmPage) -> Self {
        self.shared.confirm = page;
        self
    }

    /// Refuses create bodies longer than `limit` bytes with 413.
    #[must_use]
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.shared.body_limit = limit;
        self
    }

    /// Also lets link sessions through to `paths`, which no link may lead
    /// to: a logout page, static assets.
    #[must_use]
    pub fn also_allow(mut self, paths: Whitelist) -> Self {
        self.shared.also_allow = Arc::new(paths);
        self
    }

    /// Replaces the endpoints' and the guard's answers.
    #[must_use]
    pub fn responses(mut self, responses: impl Responses) -> Self {
        self.shared.responses = Arc::new(responses);
        self
    }

    /// Replaces the texts users and API callers see.
    #[must_use]
    pub fn messages(mut self, messages: Messages) -> Self {
        self.shared.messages = Arc::new(messages);
        self
    }

    /// The create endpoint's path in [`router`](Self::router), which the
    /// guard also lets through. Default `/api/authlink`.
    #[must_use]
    pub fn create_path(mut self, path: impl Into<String>) -> Self {
        self.shared.create_path = path.into();
        self
    }

    /// The create endpoint as a tower service.
    #[must_use]
    pub fn create_service(&self) -> CreateService<A, S> {
        CreateService::new(self.shared.clone())
    }

    /// The consume endpoint as a tower service. Mount it at the URL
    /// template's path; the key is the path's last segment.
    #[must_use]
    pub fn consume_service(&self) -> ConsumeService<A, S> {
        ConsumeService::new(self.shared.clone())
    }

    /// The session guard, to wrap the app's pages.
    #[must_use]
    pub fn guard_layer(&self) -> GuardLayer<A, S> {
        GuardLayer::new(self.shared.clone())
    }

    /// The engine.
    #[must_use]
    pub fn authlink(&self) -> &Authlink {
        &self.shared.authlink
    }

    /// The texts in force.
    #[must_use]
    pub fn texts(&self) -> &Messages {
        &self.shared.messages
    }

    /// Issues a link for `user` to `target`, bound to the client address of
    /// `request` (through the trusted proxies) and the user's stamp: the
    /// create endpoint's work, for an app's own handler with its own error
    /// format.
    ///
    /// # Errors
    /// [`CreateRefusal::NoClientAddress`], [`CreateRefusal::RateLimited`]
    /// (see [`create_limits`](Self::create_limits)),
    /// [`CreateRefusal::Unavailable`] (the stamp could not be read), or the
    /// target's refusal.
    pub fn issue<'a>(
        &'a self,
        request: &'a request::Parts,
        user: &'a A::User,
        target: &'a str,
    ) -> impl Future<Output = Result<Link, CreateRefusal>> + Send + 'a {
        issue(&self.shared, request, user, target)
    }

    #[cfg(feature = "axum")]
    pub(crate) fn shared(&self) -> &Shared<A, S> {
        &self.shared
    }
}

pub(crate) async fn issue<A, S>(
    shared: &Shared<A, S>,
    request: &request::Parts,
    user: &A::User,
    target: &str,
) -> Result<Link, CreateRefusal>
where
    A: LinkApp,
{
    let context = IssueContext {
        authlink: &shared.authlink,
        limits: &shared.create_limits,
    };
    let ip = request_client_ip(request, &shared.trusted);
    let app = &*shared.app;
    flow::issue_link(context, ip, user, target, async |user: &A::User| {
        app.user_stamp(user).await
    })
    .await
}

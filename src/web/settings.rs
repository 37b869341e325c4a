//! [`Settings`]: what the endpoints and the guard do, whatever the
//! framework, as one plain value checked when it is built.

use std::sync::Arc;

use super::answer::{DefaultResponses, Responses};
use super::client_ip::TrustedProxies;
use super::confirm::ConfirmPage;
use super::consume::ConsumeMode;
use super::create::DEFAULT_BODY_LIMIT;
use super::email::EmailSettings;
use super::messages::Messages;
use super::routes::{self, GuardPaths};
use crate::authlink::Authlink;
use crate::error::FailureReason;
use crate::limit::{
    BoxRateLimiter, CreateLimits, DEFAULT_CLIENT_QUOTA, DEFAULT_USER_QUOTA, MemoryRateLimiter,
    NoLimit, RateLimiter,
};
use crate::replay::{BoxReplayCache, MemoryReplayCache, ReplayCache};
use crate::target::Origin;
use crate::whitelist::Whitelist;

/// The endpoints' configuration cannot work; the message says what to
/// change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointsError {
    /// The failure URL is not a same-site path: it would be an open
    /// redirect.
    #[error("the failure URL must be a same-site path such as /?error={{reason}}")]
    FailureUrl,
    /// `{key}` is not the last path segment of the policy's URL template
    /// under a path of its own, so neither a route nor the guard can tell
    /// the consume endpoint's paths from the app's pages.
    #[error(
        "make {{key}} the last path segment of the url template, under a path of its own \
         (/authlink/{{key}})"
    )]
    ConsumeRoute,
    /// The policy's URL template is relative and no public origin was
    /// given: the links would be relative, and an app cannot open one.
    #[error(
        "links would be relative, which an app cannot open: give the app's public origin with \
         Settings::with_origin(authlink, \"https://app.example\"), or make the policy's \
         url_template absolute"
    )]
    RelativeLinks,
    /// The public origin is not `scheme://host[:port]`, or is given twice
    /// (in an absolute URL template and to [`Settings::with_origin`]).
    #[error(
        "the public origin must be scheme://host[:port] (https://app.example), given once: to \
         Settings::with_origin for a relative url_template, or in an absolute url_template"
    )]
    Origin,
    /// The email sign-in's default page is not one the policy allows.
    #[error("the email sign-in's default page must be one the policy's whitelist allows")]
    EmailTarget,
}

/// The default failure URL.
pub(crate) const DEFAULT_FAILURE_URL: &str = "/";

/// The default path of the create endpoint.
pub(crate) const DEFAULT_CREATE_PATH: &str = "/api/authlink";

/// The settings of the create endpoint, the consume endpoint and the guard,
/// on any framework: give one value to
/// `http::Endpoints::new` (feature `http`) or `actix::ActixEndpoints::new`
/// (feature `actix`), and a setting means the same on every stack.
///
/// ```
/// # use authlink::*;
/// use authlink::web::{ConsumeMode, Settings};
///
/// # let mut policy = Policy::default();
/// # policy.whitelist = Whitelist::new(["^/account$"])?;
/// # let authlink = Authlink::new(KeyRing::from(SecretKey::generate()), "app", policy)?;
/// let settings = Settings::with_origin(authlink, "https://app.example")?
///     .failure_url("/?error={reason}")?
///     .trusted_proxies("10.0.0.0/8".parse()?)
///     .mode(ConsumeMode::PrefetchSafe);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Defaults: single use in a [`MemoryReplayCache`] (one process; share a
/// Redis cache across nodes), limits in memory (per API user
/// [`DEFAULT_USER_QUOTA`] and per client network [`DEFAULT_CLIENT_QUOTA`] on
/// create, per link user [`DEFAULT_USER_QUOTA`] on consume; share Redis
/// limiters across nodes), no trusted proxy, failure URL `/`,
/// [`ConsumeMode::Direct`], [`ConfirmPage::AutoSubmit`], bodies up to 8
/// KiB, nothing more for the guard to let through, [`Messages::default`],
/// create path `/api/authlink`, [`DefaultResponses`].
#[derive(Clone)]
pub struct Settings {
    pub(crate) authlink: Arc<Authlink>,
    pub(crate) replay: BoxReplayCache,
    pub(crate) create_limits: CreateLimits,
    pub(crate) consume_limit: BoxRateLimiter,
    pub(crate) trusted: TrustedProxies,
    failure_url: String,
    pub(crate) mode: ConsumeMode,
    pub(crate) confirm: ConfirmPage,
    pub(crate) body_limit: usize,
    pub(crate) also_allow: Whitelist,
    pub(crate) messages: Messages,
    pub(crate) create_path: String,
    pub(crate) responses: Arc<dyn Responses>,
    /// Completes a relative URL template into absolute links.
    origin: Option<Origin>,
    /// The app's own login page, open to link sessions.
    login_url: Option<String>,
    /// The consume endpoint's path before the key.
    consume_prefix: String,
    /// Email sign-in, when the app turned it on.
    pub(crate) email: Option<EmailSettings>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("authlink", &self.authlink)
            .field("trusted", &self.trusted)
            .field("failure_url", &self.failure_url)
            .field("mode", &self.mode)
            .field("confirm", &self.confirm)
            .field("body_limit", &self.body_limit)
            .field("create_path", &self.create_path)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The defaults, for links of `authlink`, whose URL template is
    /// absolute (`https://app.example/authlink/{key}`).
    ///
    /// # Errors
    /// [`EndpointsError::ConsumeRoute`] when `{key}` is not the last path
    /// segment of the policy's URL template under a path of its own
    /// (`/authlink/{key}`): the consume endpoint needs that path for its
    /// route, and the guard to tell it from the app's pages.
    /// [`EndpointsError::RelativeLinks`] when the template is relative:
    /// use [`with_origin`](Self::with_origin).
    pub fn new(authlink: impl Into<Arc<Authlink>>) -> Result<Self, EndpointsError> {
        let settings = Self::defaults(authlink.into())?;
        if !routes::is_absolute(&settings.authlink) {
            return Err(EndpointsError::RelativeLinks);
        }
        Ok(settings)
    }

    /// The defaults, for links of `authlink` whose relative URL template
    /// (`/authlink/{key}`, the default) is completed with `origin`, the
    /// app's public origin (`https://app.example`): the endpoints hand out
    /// absolute links, which a mobile app can open. The origin is this
    /// setting, never read from a request's `Host`.
    ///
    /// # Errors
    /// [`EndpointsError::Origin`] when `origin` is not `scheme://host[:port]`
    /// or the template is absolute already; the errors of [`new`](Self::new)
    /// otherwise.
    pub fn with_origin(
        authlink: impl Into<Arc<Authlink>>,
        origin: &str,
    ) -> Result<Self, EndpointsError> {
        let mut settings = Self::defaults(authlink.into())?;
        if routes::is_absolute(&settings.authlink) {
            return Err(EndpointsError::Origin);
        }
        settings.origin = Some(origin.parse().map_err(|_| EndpointsError::Origin)?);
        Ok(settings)
    }

    fn defaults(authlink: Arc<Authlink>) -> Result<Self, EndpointsError> {
        Ok(Self {
            email: None,
            origin: None,
            login_url: None,
            consume_prefix: routes::consume_prefix(&authlink)
                .ok_or(EndpointsError::ConsumeRoute)?,
            authlink,
            replay: BoxReplayCache::new(MemoryReplayCache::new()),
            create_limits: CreateLimits::new(
                MemoryRateLimiter::new(DEFAULT_USER_QUOTA),
                MemoryRateLimiter::new(DEFAULT_CLIENT_QUOTA),
            ),
            consume_limit: BoxRateLimiter::new(MemoryRateLimiter::new(DEFAULT_USER_QUOTA)),
            trusted: TrustedProxies::none(),
            failure_url: DEFAULT_FAILURE_URL.to_owned(),
            mode: ConsumeMode::Direct,
            confirm: ConfirmPage::AutoSubmit,
            body_limit: DEFAULT_BODY_LIMIT,
            also_allow: Whitelist::deny_all(),
            messages: Messages::default(),
            create_path: DEFAULT_CREATE_PATH.to_owned(),
            responses: Arc::new(DefaultResponses),
        })
    }

    /// Turns on email sign-in ([`EmailSettings`]): the adapters mount its
    /// endpoints next to the others.
    #[must_use]
    pub fn email(mut self, email: EmailSettings) -> Self {
        self.email = Some(email);
        self
    }

    /// Makes links single-use through `cache` (a shared one across nodes),
    /// or [`ReusableLinks`](crate::replay::ReusableLinks) to let a link work
    /// until it expires.
    #[must_use]
    pub fn replay_cache<C: ReplayCache + 'static>(mut self, cache: C) -> Self {
        self.replay = BoxReplayCache::new(cache);
        self
    }

    /// Limits how fast each API user (`per_user`) and each client network
    /// (`per_network`) may create links (`429` with `Retry-After` past the
    /// rate). Default: [`DEFAULT_USER_QUOTA`] and [`DEFAULT_CLIENT_QUOTA`],
    /// in this process's memory.
    #[must_use]
    pub fn create_limits(
        mut self,
        per_user: impl RateLimiter + 'static,
        per_network: impl RateLimiter + 'static,
    ) -> Self {
        self.create_limits = CreateLimits::new(per_user, per_network);
        self
    }

    /// Limits how fast each user's links may be consumed, checked after
    /// verification and before the stamp lookup and single use, so one
    /// user cannot fill the replay cache; past the rate the link is not
    /// used and the answer is the failure with
    /// [`FailureReason::RateLimited`]. Default: [`DEFAULT_USER_QUOTA`], in
    /// this process's memory.
    #[must_use]
    pub fn consume_limit(mut self, per_user: impl RateLimiter + 'static) -> Self {
        self.consume_limit = BoxRateLimiter::new(per_user);
        self
    }

    /// Turns every limit off: the named opt-out, for an app that limits
    /// callers in front of the endpoints. It re-opens the attack the limits
    /// stop: one account that creates and consumes links in a loop fills the
    /// replay cache, after which every other user's link is refused (see
    /// [`crate::limit`], "The defaults, and the attack they stop").
    #[must_use]
    pub fn without_limits(self) -> Self {
        self.create_limits(NoLimit, NoLimit).consume_limit(NoLimit)
    }

    /// Reads client addresses through these proxies, at create and at
    /// consume alike.
    #[must_use]
    pub fn trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.trusted = trusted;
        self
    }

    /// Where failures lead; `{reason}` is replaced by the
    /// [`FailureReason::code`] (`"/?error={reason}"`).
    ///
    /// # Errors
    /// [`EndpointsError::FailureUrl`] when the URL is not a same-site path
    /// (an open redirect).
    pub fn failure_url(mut self, url: impl Into<String>) -> Result<Self, EndpointsError> {
        let url = url.into();
        if !routes::is_safe_failure_url(&url) {
            return Err(EndpointsError::FailureUrl);
        }
        self.failure_url = url;
        Ok(self)
    }

    /// The app's own login page (`/login`): link sessions may reach it, so
    /// a user who arrived by link can log in with a password, which ends
    /// the link session ([`CurrentUser::log_in_unrestricted`](super::CurrentUser)).
    /// With [`SendToLogin`](super::SendToLogin) answers, the guard sends a
    /// link session asking for a page off the whitelist there.
    ///
    /// # Errors
    /// [`EndpointsError::FailureUrl`] when the URL is not a same-site path.
    pub fn login_url(mut self, url: impl Into<String>) -> Result<Self, EndpointsError> {
        let url = url.into();
        if !routes::is_safe_failure_url(&url) {
            return Err(EndpointsError::FailureUrl);
        }
        self.login_url = Some(url);
        Ok(self)
    }

    /// Answers `GET` on the consume endpoint as `mode` says.
    #[must_use]
    pub fn mode(mut self, mode: ConsumeMode) -> Self {
        self.mode = mode;
        self
    }

    /// The confirmation page of [`ConsumeMode::PrefetchSafe`].
    #[must_use]
    pub fn confirm_page(mut self, page: ConfirmPage) -> Self {
        self.confirm = page;
        self
    }

    /// Refuses create bodies longer than `limit` bytes with 413.
    #[must_use]
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Also lets link sessions through to `paths`, which no link may lead
    /// to: a logout page, static assets.
    #[must_use]
    pub fn also_allow(mut self, paths: Whitelist) -> Self {
        self.also_allow = paths;
        self
    }

    /// Replaces the texts users and API callers see.
    #[must_use]
    pub fn messages(mut self, messages: Messages) -> Self {
        self.messages = messages;
        self
    }

    /// The create endpoint's path, where the adapter's router mounts it and
    /// which the guard also lets through. Default `/api/authlink`.
    #[must_use]
    pub fn create_path(mut self, path: impl Into<String>) -> Self {
        self.create_path = path.into();
        self
    }

    /// Replaces the endpoints' and the guard's answers, on every stack.
    #[must_use]
    pub fn responses(mut self, responses: impl Responses) -> Self {
        self.responses = Arc::new(responses);
        self
    }

    /// The engine.
    #[must_use]
    pub fn authlink(&self) -> &Authlink {
        &self.authlink
    }

    /// The texts in force.
    #[must_use]
    pub fn texts(&self) -> &Messages {
        &self.messages
    }

    /// `url` as handed out: absolute, with the public origin when the
    /// template is relative.
    pub(crate) fn absolute(&self, url: String) -> String {
        match &self.origin {
            Some(origin) => format!("{origin}{url}"),
            None => url,
        }
    }

    /// Where a failure for `reason` leads.
    pub(crate) fn failure_location(&self, reason: FailureReason) -> String {
        routes::failure_location(&self.failure_url, reason)
    }

    /// The path a router mounts the consume endpoint under, the key being
    /// the next segment.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn consume_prefix(&self) -> &str {
        &self.consume_prefix
    }

    /// What the guard lets link sessions see.
    pub(crate) fn guard_paths(&self) -> GuardPaths<'_> {
        GuardPaths {
            whitelist: &self.authlink.policy().whitelist,
            also_allow: &self.also_allow,
            failure_url: &self.failure_url,
            create_path: &self.create_path,
            consume_prefix: &self.consume_prefix,
            login_url: self.login_url.as_deref(),
        }
    }
}

//! The endpoints' settings, whatever the framework: the replay cache, the
//! limits, trusted proxies, the failure URL, the consume mode, the
//! confirmation page, the body limit, the guard's extra paths, the texts and
//! the create path. Each adapter holds one [`EndpointConfig`] beside its own
//! app, session and response types, and gets its builder setters from
//! [`endpoint_setters!`], so a setting means the same on every stack.

use std::sync::Arc;

use super::client_ip::TrustedProxies;
use super::confirm::ConfirmPage;
use super::consume::ConsumeMode;
use super::create::DEFAULT_BODY_LIMIT;
use super::messages::Messages;
use super::routes::{self, GuardPaths};
use crate::authlink::Authlink;
use crate::error::FailureReason;
use crate::limit::{BoxRateLimiter, CreateLimits, NoLimit};
use crate::replay::{BoxReplayCache, MemoryReplayCache};
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
}

/// The default failure URL.
pub const DEFAULT_FAILURE_URL: &str = "/";

/// The default path of the create endpoint.
pub const DEFAULT_CREATE_PATH: &str = "/api/authlink";

/// Everything the create endpoint, the consume endpoint and the guard share,
/// on any framework.
#[derive(Clone)]
pub(crate) struct EndpointConfig {
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
    /// The consume endpoint's path before the key.
    consume_prefix: String,
}

impl EndpointConfig {
    /// The defaults: single use in a [`MemoryReplayCache`], no limits, no
    /// trusted proxy, failure URL `/`, [`ConsumeMode::Direct`],
    /// [`ConfirmPage::AutoSubmit`], bodies up to 8 KiB, nothing more for the
    /// guard to let through, [`Messages::default`], create path
    /// `/api/authlink`.
    ///
    /// Refused ([`EndpointsError::ConsumeRoute`]) when the policy's URL
    /// template gives the consume endpoint no path of its own.
    pub(crate) fn new(authlink: Arc<Authlink>) -> Result<Self, EndpointsError> {
        Ok(Self {
            consume_prefix: routes::consume_prefix(&authlink)
                .ok_or(EndpointsError::ConsumeRoute)?,
            authlink,
            replay: BoxReplayCache::new(MemoryReplayCache::new()),
            create_limits: CreateLimits::off(),
            consume_limit: BoxRateLimiter::new(NoLimit),
            trusted: TrustedProxies::none(),
            failure_url: DEFAULT_FAILURE_URL.to_owned(),
            mode: ConsumeMode::Direct,
            confirm: ConfirmPage::AutoSubmit,
            body_limit: DEFAULT_BODY_LIMIT,
            also_allow: Whitelist::deny_all(),
            messages: Messages::default(),
            create_path: DEFAULT_CREATE_PATH.to_owned(),
        })
    }

    /// Sets the failure URL, refused when it is not a same-site path (an
    /// open redirect), so that a bad one stops the app at start-up.
    pub(crate) fn set_failure_url(&mut self, url: String) -> Result<(), EndpointsError> {
        if !routes::is_safe_failure_url(&url) {
            return Err(EndpointsError::FailureUrl);
        }
        self.failure_url = url;
        Ok(())
    }

    /// The failure URL as configured, `{reason}` unreplaced.
    pub(crate) fn failure_url(&self) -> &str {
        &self.failure_url
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
        }
    }
}

/// The builder setters every framework's endpoints share, written once:
/// expanded in an adapter's `impl` block that has
/// `fn config_mut(&mut self) -> &mut EndpointConfig`.
macro_rules! endpoint_setters {
    () => {
        /// Makes links single-use through `cache` (a shared one across
        /// nodes), or [`ReusableLinks`](crate::replay::ReusableLinks) to let
        /// a link work until it expires.
        #[must_use]
        pub fn replay_cache<C: $crate::replay::ReplayCache + 'static>(mut self, cache: C) -> Self {
            self.config_mut().replay = $crate::replay::BoxReplayCache::new(cache);
            self
        }

        /// Limits how fast each API user and each client network may create
        /// links (`429` with `Retry-After` past the rate). Default: no limit.
        #[must_use]
        pub fn create_limits(mut self, limits: $crate::limit::CreateLimits) -> Self {
            self.config_mut().create_limits = limits;
            self
        }

        /// Limits how fast each user's links may be consumed, checked after
        /// verification and before the stamp lookup and single use, so one
        /// user cannot fill the replay cache; past the rate the link is not
        /// used and the answer is the failure with
        /// [`FailureReason::RateLimited`](crate::FailureReason::RateLimited).
        /// Default: no limit.
        #[must_use]
        pub fn consume_limit(mut self, limiter: impl $crate::limit::RateLimiter + 'static) -> Self {
            self.config_mut().consume_limit = $crate::limit::BoxRateLimiter::new(limiter);
            self
        }

        /// Reads client addresses through these proxies, at create and at
        /// consume alike.
        #[must_use]
        pub fn trusted_proxies(mut self, trusted: $crate::web::TrustedProxies) -> Self {
            self.config_mut().trusted = trusted;
            self
        }

        /// Where failures lead; `{reason}` is replaced by the
        /// [`FailureReason::code`](crate::FailureReason::code)
        /// (`"/?error={reason}"`).
        ///
        /// # Errors
        /// [`EndpointsError::FailureUrl`](crate::web::EndpointsError::FailureUrl)
        /// when the URL is not a same-site path (an open redirect).
        pub fn failure_url(
            mut self,
            url: impl Into<String>,
        ) -> Result<Self, $crate::web::EndpointsError> {
            self.config_mut().set_failure_url(url.into())?;
            Ok(self)
        }

        /// Answers `GET` on the consume endpoint as `mode` says.
        #[must_use]
        pub fn mode(mut self, mode: $crate::web::ConsumeMode) -> Self {
            self.config_mut().mode = mode;
            self
        }

        /// The confirmation page of
        /// [`ConsumeMode::PrefetchSafe`](crate::web::ConsumeMode::PrefetchSafe).
        #[must_use]
        pub fn confirm_page(mut self, page: $crate::web::ConfirmPage) -> Self {
            self.config_mut().confirm = page;
            self
        }

        /// Refuses create bodies longer than `limit` bytes with 413.
        #[must_use]
        pub fn body_limit(mut self, limit: usize) -> Self {
            self.config_mut().body_limit = limit;
            self
        }

        /// Also lets link sessions through to `paths`, which no link may
        /// lead to: a logout page, static assets.
        #[must_use]
        pub fn also_allow(mut self, paths: $crate::Whitelist) -> Self {
            self.config_mut().also_allow = paths;
            self
        }

        /// Replaces the texts users and API callers see.
        #[must_use]
        pub fn messages(mut self, messages: $crate::web::Messages) -> Self {
            self.config_mut().messages = messages;
            self
        }

        /// The create endpoint's path, where the adapter's router mounts it
        /// and which the guard also lets through. Default
        /// [`DEFAULT_CREATE_PATH`](crate::web::DEFAULT_CREATE_PATH).
        #[must_use]
        pub fn create_path(mut self, path: impl Into<String>) -> Self {
            self.config_mut().create_path = path.into();
            self
        }

        /// The engine.
        #[must_use]
        pub fn authlink(&self) -> &$crate::Authlink {
            &self.config().authlink
        }
    };
}

pub(crate) use endpoint_setters;

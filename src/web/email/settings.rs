//! [`EmailSettings`]: what the email sign-in endpoints do, as one plain
//! value, added to the endpoints' [`Settings`](crate::web::Settings).

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::limit::{BoxRateLimiter, MemoryRateLimiter, Quota, RateLimiter};
use crate::mail::{MailSignIn, Mailer, MailerError, Outgoing};
use crate::web::EndpointsError;

/// Where the email endpoints live by default: the request form posts here.
pub(crate) const DEFAULT_REQUEST_PATH: &str = "/login/email";
/// The pending cookie's default name.
pub(crate) const DEFAULT_COOKIE: &str = "authlink_pending";
/// After a mail could not be sent, how long every request is answered with
/// the retry page, whatever its address.
pub(crate) const MAIL_OUTAGE: Duration = Duration::from_secs(60);

/// A burst of `burst`, then one more every `one_per`.
fn quota(burst: u32, one_per: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per(NonZeroU32::MIN, one_per).with_burst(burst)
}

/// Email sign-in for the endpoints: the engine, the mailer, the page a
/// sign-in leads to by default, and the limits (on by default).
///
/// | limit | default | stops |
/// |---|---|---|
/// | sign-ins asked, per address | 5 per 15 minutes | mail bombing one inbox; starting sign-ins to guess codes |
/// | sign-ins asked, per client network | 20 per 15 minutes | one network mailing many inboxes |
/// | codes tried, per address | 100, then one an hour | guessing codes (DESIGN.md: under 1 % a year) |
/// | wrong codes, per sign-in | the fifth voids it | guessing one sign-in's code |
///
/// Past a limit the answer is `429` with `Retry-After`, the same for every
/// address; the code limit pauses only the code path, so the owner still
/// signs in by link.
///
/// A sign-in by mail opens a link session, as a webview link does: the
/// guard keeps it to the whitelist (and [`Settings::also_allow`](crate::web::Settings::also_allow)),
/// and the app's own login at [`Settings::login_url`](crate::web::Settings::login_url)
/// steps it up. List there the pages a user signed in by mail may see.
#[derive(Clone)]
pub struct EmailSettings {
    pub(crate) mail: Arc<MailSignIn>,
    pub(crate) mailer: Arc<dyn DynMailer>,
    pub(crate) default_target: String,
    pub(crate) request_path: String,
    pub(crate) cookie_name: String,
    pub(crate) secure_cookie: bool,
    pub(crate) per_address: BoxRateLimiter,
    pub(crate) per_network: BoxRateLimiter,
    pub(crate) codes_per_address: BoxRateLimiter,
    pub(crate) wrong_codes_per_sign_in: BoxRateLimiter,
    pub(crate) mail_failed_at: Arc<AtomicI64>,
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("default_target", &self.default_target)
            .field("request_path", &self.request_path)
            .field("cookie_name", &self.cookie_name)
            .field("secure_cookie", &self.secure_cookie)
            .finish_non_exhaustive()
    }
}

impl EmailSettings {
    /// Email sign-in with `mail`'s links, sent by `mailer`, leading to
    /// `default_target` unless the form names another page the whitelist
    /// allows (`next`).
    ///
    /// # Errors
    /// [`EndpointsError::EmailTarget`] when the policy does not allow
    /// `default_target`.
    pub fn new(
        mail: MailSignIn,
        mailer: impl Mailer,
        default_target: &str,
    ) -> Result<Self, EndpointsError> {
        mail.authlink()
            .policy()
            .check_target(default_target)
            .map_err(|_| EndpointsError::EmailTarget)?;
        let ttl = mail.policy().ttl;
        Ok(Self {
            mail: Arc::new(mail),
            mailer: Arc::new(mailer),
            default_target: default_target.to_owned(),
            request_path: DEFAULT_REQUEST_PATH.to_owned(),
            cookie_name: DEFAULT_COOKIE.to_owned(),
            secure_cookie: true,
            per_address: BoxRateLimiter::new(MemoryRateLimiter::new(quota(
                5,
                Duration::from_secs(3 * 60),
            ))),
            per_network: BoxRateLimiter::new(MemoryRateLimiter::new(quota(
                20,
                Duration::from_secs(45),
            ))),
            codes_per_address: BoxRateLimiter::new(MemoryRateLimiter::new(quota(
                100,
                Duration::from_secs(60 * 60),
            ))),
            // Four wrong codes pass; the fifth finds the sign-in past its
            // rate and voids it. One more a ttl: by then it has expired.
            wrong_codes_per_sign_in: BoxRateLimiter::new(MemoryRateLimiter::new(quota(4, ttl))),
            mail_failed_at: Arc::new(AtomicI64::new(i64::MIN)),
        })
    }

    /// Sends the pending cookie without `Secure`, for a development server
    /// on plain `http://` only: over HTTP on a network, anyone on the path
    /// reads it.
    #[must_use]
    pub fn insecure_cookie(mut self) -> Self {
        self.secure_cookie = false;
        self
    }

    /// The limits on asking for sign-ins: per address (keyed by the
    /// address's keyed hash) and per client network. Put shared limiters
    /// (`limit::RedisRateLimiter`) here when the app runs on several nodes.
    #[must_use]
    pub fn request_limits(
        mut self,
        per_address: impl RateLimiter + 'static,
        per_network: impl RateLimiter + 'static,
    ) -> Self {
        self.per_address = BoxRateLimiter::new(per_address);
        self.per_network = BoxRateLimiter::new(per_network);
        self
    }

    /// The limits on codes: tries per address, and wrong codes per sign-in
    /// (the first refusal voids the sign-in). Shared limiters on several
    /// nodes: a count a node forgets is a guess given back.
    #[must_use]
    pub fn code_limits(
        mut self,
        per_address: impl RateLimiter + 'static,
        wrong_per_sign_in: impl RateLimiter + 'static,
    ) -> Self {
        self.codes_per_address = BoxRateLimiter::new(per_address);
        self.wrong_codes_per_sign_in = BoxRateLimiter::new(wrong_per_sign_in);
        self
    }

    /// The path the request form posts to (default `/login/email`); the
    /// code form posts to it with `/code` added.
    ///
    /// # Errors
    /// [`EndpointsError::FailureUrl`] unless `path` is a same-site path.
    pub fn request_path(mut self, path: &str) -> Result<Self, EndpointsError> {
        if !crate::web::routes::is_safe_failure_url(path) || path.contains('?') {
            return Err(EndpointsError::FailureUrl);
        }
        self.request_path = path.trim_end_matches('/').to_owned();
        Ok(self)
    }

    /// The path the code form posts to.
    #[must_use]
    pub fn code_path(&self) -> String {
        format!("{}/code", self.request_path)
    }

    /// The path the pending cookie is sent to: the email endpoints and the
    /// mailed links under them.
    pub(crate) fn cookie_path(&self) -> &str {
        &self.request_path
    }

    /// Whether a mail failed to go out within the last minute.
    pub(crate) fn mail_is_failing(&self, now_unix: i64) -> bool {
        let failed_at = self.mail_failed_at.load(Ordering::Relaxed);
        now_unix.saturating_sub(failed_at) < i64::try_from(MAIL_OUTAGE.as_secs()).unwrap_or(60)
    }
}

/// A [`Mailer`] behind a pointer: its future boxed.
pub(crate) trait DynMailer: Send + Sync {
    fn send_boxed(
        &self,
        mail: Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailerError>> + Send + '_>>;
}

impl<M: Mailer> DynMailer for M {
    fn send_boxed(
        &self,
        mail: Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailerError>> + Send + '_>> {
        Box::pin(self.send(mail))
    }
}

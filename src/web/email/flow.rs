//! The three email endpoints from a request to an [`Answer`], written once
//! for every framework: ask for a link by address, open the mailed link,
//! finish with the code.

use std::time::Instant;

use super::cookie;
use super::form::{self, Fields, FormError};
use super::pages;
use super::settings::EmailSettings;
use crate::error::{FailureReason, VerifyErrorKind};
use crate::limit::{LimitKey, RateLimiter as _};
use crate::mail::{Address, Outgoing};
use crate::verify::Authenticated;
use crate::web::answer::Answer;
use crate::web::app_error::AppError;
use crate::web::consume::{ConsumeRequest, is_cross_site};
use crate::web::create::CreateRefusal;
use crate::web::flow::{self as web_flow, Consumed, LoginSession};
use crate::web::pipeline::{self, WebRequest};
use crate::web::settings::Settings;
use crate::web::user::LinkUser;

/// The most a form body may hold.
const BODY_LIMIT: usize = 4 * 1024;

/// A page of the email flow: never cached, never framed, no script.
fn page(status: u16, html: String) -> Answer {
    Answer::html(status, html)
        .with_header("content-security-policy", pages::CONTENT_SECURITY_POLICY)
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
}

fn ask_again(email: &EmailSettings, status: u16, title: &str, text: &str) -> Answer {
    page(status, pages::ask_again(&email.request_path, title, text))
}

fn too_many(email: &EmailSettings, retry_after: u64) -> Answer {
    ask_again(
        email,
        429,
        "Too many sign-in requests",
        "Too many sign-in requests. Please try again later.",
    )
    .with_header("retry-after", retry_after.max(1).to_string())
}

fn unavailable(email: &EmailSettings) -> Answer {
    ask_again(
        email,
        503,
        "Sign-in is unavailable",
        "We could not send sign-in mail just now. Please try again in a minute.",
    )
    .with_header("retry-after", "60")
}

fn facts<R: WebRequest>(request: &R) -> ConsumeRequest<'_> {
    ConsumeRequest {
        method: request.method(),
        sec_fetch_site: request.header("sec-fetch-site"),
        origin: request.header("origin"),
        host: request.header("host").or_else(|| request.authority()),
    }
}

/// Reads the form of a `POST`, refusing one another site sent (the code
/// form logs the browser in: a cross-site post would be login CSRF).
async fn read_form<R, B>(email: &EmailSettings, request: &R, read_body: B) -> Result<Fields, Answer>
where
    R: WebRequest,
    B: AsyncFnOnce(usize) -> Result<Vec<u8>, CreateRefusal>,
{
    if request.method() != "POST" {
        return Err(Answer::text(405, "Method not allowed.").with_header("allow", "POST"));
    }
    if is_cross_site(&facts(request)) {
        web_flow::refuse_request(FailureReason::CrossSite);
        return Err(ask_again(
            email,
            403,
            "Sign in from this site",
            "This sign-in was sent from another site. Ask for a link here.",
        ));
    }
    let body = read_body(BODY_LIMIT)
        .await
        .map_err(|refusal| match refusal {
            CreateRefusal::TooLarge => Answer::text(413, "The form is too large."),
            _ => Answer::text(400, "The form could not be read."),
        })?;
    form::read(request.header("content-type"), &body).map_err(|err| match err {
        FormError::UnsupportedMediaType => Answer::text(
            415,
            "Send the form as application/x-www-form-urlencoded or application/json.",
        ),
        FormError::Unreadable => Answer::text(400, "The form could not be read."),
    })
}

/// The page a sign-in leads to: the form's `next` if the policy allows it,
/// else the default.
fn target_of(
    settings: &Settings,
    email: &EmailSettings,
    next: Option<&str>,
) -> Result<String, Answer> {
    match next.filter(|next| !next.is_empty()) {
        None => Ok(email.default_target.clone()),
        Some(next) if settings.authlink.policy().check_target(next).is_ok() => Ok(next.to_owned()),
        Some(_) => Err(ask_again(
            email,
            400,
            "Ask for a sign-in link",
            "That page cannot be reached by email sign-in.",
        )),
    }
}

/// `POST /login/email`: a link asked for by address. The answer is the
/// same for every address (it echoes the address); the mail goes out off
/// the request path, only for an address the app knows.
pub(crate) async fn ask<U, R, B, F>(
    settings: &Settings,
    email: &EmailSettings,
    request: &R,
    read_body: B,
    user_for_email: F,
) -> Answer
where
    U: LinkUser,
    R: WebRequest,
    B: AsyncFnOnce(usize) -> Result<Vec<u8>, CreateRefusal>,
    F: AsyncFnOnce(&Address) -> Result<Option<U>, AppError>,
{
    let fields = match read_form(email, request, read_body).await {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let Ok(address) = Address::parse(fields.email.as_deref().unwrap_or_default()) else {
        return ask_again(
            email,
            400,
            "Ask for a sign-in link",
            "Enter an email address such as name@example.com.",
        );
    };
    let target = match target_of(settings, email, fields.next.as_deref()) {
        Ok(target) => target,
        Err(answer) => return answer,
    };
    let now = settings.authlink.now();
    if email.mail_is_failing(now.unix_timestamp()) {
        return unavailable(email);
    }
    let Some(ip) = request.client_ip(&settings.trusted) else {
        return ask_again(
            email,
            400,
            "Ask for a sign-in link",
            "The client address could not be determined.",
        );
    };
    for (limiter, key) in [
        (&email.per_network, LimitKey::client(ip)),
        (&email.per_address, email.mail.address_key(&address)),
    ] {
        if let Err(limited) = limiter.check(&key).await {
            tracing::info!(target: "authlink", outcome = "refused", reason = "rate_limited", "sign-in mail refused");
            return too_many(email, limited.retry_after_secs());
        }
    }
    let user = match lookup(email, user_for_email, &address).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let started = match email.mail.start(&address, user.as_ref(), &target) {
        Ok(started) => started,
        Err(err) => {
            tracing::error!(target: "authlink", outcome = "refused", error = %err, "sign-in not started");
            return Answer::text(500, settings.messages.sign_in_failed.clone());
        }
    };
    if let Some(mail) = started.mail {
        let outgoing = Outgoing::new(
            address.clone(),
            settings.absolute(mail.url),
            mail.code,
            mail.expires_at,
            email.mail.policy().ttl,
        );
        send(email, outgoing);
    }
    tracing::info!(target: "authlink", outcome = "asked", "sign-in mail asked for");
    page(
        200,
        pages::check_mail(&email.code_path(), address.as_str(), &target, None),
    )
    .with_header(
        "set-cookie",
        cookie::set(
            &email.cookie_name,
            &started.pending,
            email.cookie_path(),
            email.mail.policy().ttl,
            email.secure_cookie,
        ),
    )
}

/// The user of `address`, or the retry page when the app cannot tell.
async fn lookup<U, F>(
    email: &EmailSettings,
    user_for_email: F,
    address: &Address,
) -> Result<Option<U>, Answer>
where
    F: AsyncFnOnce(&Address) -> Result<Option<U>, AppError>,
{
    user_for_email(address).await.map_err(|err| {
        tracing::error!(target: "authlink", outcome = "unavailable", error = %err, "user lookup failed");
        unavailable(email)
    })
}

/// Hands `mail` to the mailer off the request path; a failure is logged,
/// counted, and answers the next requests with the retry page.
fn send(email: &EmailSettings, mail: Outgoing) {
    let mailer = std::sync::Arc::clone(&email.mailer);
    let failed_at = std::sync::Arc::clone(&email.mail_failed_at);
    let clock = std::sync::Arc::clone(&email.mail);
    tokio::spawn(async move {
        if let Err(err) = mailer.send_boxed(mail).await {
            if !err.is_rejected() {
                failed_at.store(
                    clock.authlink().now().unix_timestamp(),
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
            tracing::error!(
                target: "authlink",
                outcome = "mail_failed",
                rejected = err.is_rejected(),
                error = %err,
                cause = std::error::Error::source(&err).map(tracing::field::display),
                "sign-in mail not sent",
            );
            #[cfg(feature = "metrics")]
            crate::metrics::mail_failed();
        }
    });
}

/// The answer to a sign-in that logged someone in, or did not.
fn finished(settings: &Settings, email: &EmailSettings, consumed: Consumed) -> Answer {
    let answer = match consumed {
        Consumed::LoggedIn(target) => settings.responses.success(&target).with_header(
            "set-cookie",
            cookie::clear(&email.cookie_name, email.cookie_path(), email.secure_cookie),
        ),
        Consumed::Refused(reason) => {
            let url = settings.failure_location(reason);
            settings
                .responses
                .failure(reason, &url, &settings.messages)
                .with_reason(reason)
        }
        Consumed::SignInFailed => pipeline::misconfigured(settings),
    };
    answer
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
}

/// Uses up a checked mailed link (by link or by code: one credential) and
/// logs its user into `session`.
async fn sign_in<U, L>(
    settings: &Settings,
    email: &EmailSettings,
    link: Authenticated<'_, U>,
    session: Option<&mut L>,
    start: Instant,
) -> Answer
where
    U: LinkUser,
    L: LoginSession<U>,
{
    let Some(session) = session else {
        return finished(settings, email, no_session::<U, L>());
    };
    let consumed = match link.check_stamp(None) {
        Ok(link) => settings.authlink.consume(link, &settings.replay).await,
        Err(err) => Err(err),
    };
    let consumed = match consumed {
        Ok(link) => web_flow::log_in_consumed(settings, link, session, start).await,
        Err(err) => web_flow::refused(err, start),
    };
    finished(settings, email, consumed)
}

fn no_session<U, L: LoginSession<U>>() -> Consumed {
    web_flow::missing_session(L::MISSING);
    Consumed::SignInFailed
}

/// `GET /login/email/{key}`: the mailed link. Only the browser holding the
/// pending cookie signs in; anywhere else gets a page saying where to
/// finish, and nothing is used up.
pub(crate) async fn open<U, R, L>(
    settings: &Settings,
    email: &EmailSettings,
    request: &R,
    session: Option<&mut L>,
) -> Answer
where
    U: LinkUser,
    R: WebRequest,
    L: LoginSession<U>,
{
    match request.method() {
        "GET" => {}
        "HEAD" => return page(200, String::new()),
        _ => return Answer::text(405, "Method not allowed.").with_header("allow", "GET, HEAD"),
    }
    let start = Instant::now();
    let key = request.path().rsplit('/').next().unwrap_or_default();
    let pending = cookie::read(request.headers("cookie"), &email.cookie_name);
    let link = match email.mail.verify_link::<U>(key, pending.as_deref()) {
        Ok(link) => link,
        Err(err) if err.kind() == VerifyErrorKind::OtherBrowser => {
            tracing::info!(target: "authlink", outcome = "other_browser", "mailed link opened elsewhere");
            return page(200, pages::other_browser());
        }
        Err(err) => return finished(settings, email, web_flow::refused(err, start)),
    };
    sign_in(settings, email, link, session, start).await
}

/// `POST /login/email/code`: the mail's code, typed into the browser that
/// asked, with its address.
pub(crate) async fn code<U, R, B, F, L>(
    settings: &Settings,
    email: &EmailSettings,
    request: &R,
    read_body: B,
    user_for_email: F,
    session: Option<&mut L>,
) -> Answer
where
    U: LinkUser,
    R: WebRequest,
    B: AsyncFnOnce(usize) -> Result<Vec<u8>, CreateRefusal>,
    F: AsyncFnOnce(&Address) -> Result<Option<U>, AppError>,
    L: LoginSession<U>,
{
    let start = Instant::now();
    let fields = match read_form(email, request, read_body).await {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let ask_anew = |text: &str| ask_again(email, 400, "Ask for a new sign-in link", text);
    let Some(pending) = cookie::read(request.headers("cookie"), &email.cookie_name) else {
        return ask_anew("This browser has no sign-in waiting. Ask for a link here.");
    };
    let Ok(address) = Address::parse(fields.email.as_deref().unwrap_or_default()) else {
        return ask_anew("Enter an email address such as name@example.com.");
    };
    let target = match target_of(settings, email, fields.next.as_deref()) {
        Ok(target) => target,
        Err(answer) => return answer,
    };
    let typed = fields.code.unwrap_or_default();
    let retry = |notice: &str| {
        page(
            400,
            pages::check_mail(&email.code_path(), address.as_str(), &target, Some(notice)),
        )
    };
    // Every try counts for the address, right or wrong, before any code is
    // compared: past the bound no code is looked at, and the link still works.
    if let Err(limited) = email
        .codes_per_address
        .check(&email.mail.address_key(&address))
        .await
    {
        return too_many(email, limited.retry_after_secs());
    }
    let user = match lookup(email, user_for_email, &address).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let verified = match user {
        Some(user) => email
            .mail
            .verify_code(&pending, &address, user, &typed, &target),
        // An address with no user is answered as a wrong code.
        None => Err(VerifyErrorKind::WrongCode.into()),
    };
    let link = match verified {
        Ok(link) => link,
        Err(err) => match err.kind() {
            VerifyErrorKind::WrongCode => {
                return wrong_code(settings, email, &pending, retry).await;
            }
            VerifyErrorKind::Malformed => {
                return retry("Type the six digits of the code from the mail.");
            }
            VerifyErrorKind::Expired => {
                return ask_anew("This sign-in has expired. Ask for a new link.");
            }
            _ => return finished(settings, email, web_flow::refused(err, start)),
        },
    };
    sign_in(settings, email, link, session, start).await
}

/// A wrong code: counted for its sign-in, whose fifth wrong code voids it
/// (link and right code alike).
async fn wrong_code(
    settings: &Settings,
    email: &EmailSettings,
    pending: &str,
    retry: impl Fn(&str) -> Answer,
) -> Answer {
    tracing::info!(target: "authlink", outcome = "refused", reason = "wrong_code", "code refused");
    let Some(key) = email.mail.pending_key(pending) else {
        return retry("That code is not right. Check the mail and try again.");
    };
    if email
        .wrong_codes_per_sign_in
        .check(&LimitKey::sign_in(key))
        .await
        .is_ok()
    {
        return retry("That code is not right. Check the mail and try again.");
    }
    let now = settings.authlink.now();
    let until = now
        + time::Duration::seconds(
            i64::try_from(email.mail.policy().ttl.as_secs()).unwrap_or(i64::MAX) + 60,
        );
    if let Err(err) = crate::replay::ReplayCache::mark_used(&settings.replay, key, until, now).await
    {
        tracing::error!(target: "authlink", outcome = "void_failed", error = %err, "sign-in not voided");
    }
    tracing::warn!(target: "authlink", outcome = "voided", "sign-in voided after wrong codes");
    ask_again(
        email,
        400,
        "Ask for a new sign-in link",
        "Too many wrong codes: this sign-in no longer works. Ask for a new link.",
    )
}

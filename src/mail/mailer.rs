//! Sending the sign-in mail: the [`Mailer`] trait, and the texts a mail is
//! made of ([`MailText`], replaceable for another language or wording).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Address, Code};

/// One sign-in mail to send: to whom, the link, the code and how long both
/// live. `Debug` shows none of them.
#[non_exhaustive]
pub struct Outgoing {
    /// The address the sign-in was asked for.
    pub to: Address,
    /// The link, absolute.
    pub url: String,
    /// The code, for finishing in the browser that asked.
    pub code: Code,
    /// When link and code expire.
    pub expires_at: OffsetDateTime,
    /// How long they live from when the mail was made.
    pub ttl: Duration,
}

impl Outgoing {
    /// The mail of a sign-in to `to`.
    #[must_use]
    pub fn new(
        to: Address,
        url: String,
        code: Code,
        expires_at: OffsetDateTime,
        ttl: Duration,
    ) -> Self {
        Self {
            to,
            url,
            code,
            expires_at,
            ttl,
        }
    }
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A mail that could not be sent. Its message names no address, link or
/// code; the cause, if any, is its [`source`](StdError::source).
#[derive(Debug)]
pub struct MailerError {
    what: &'static str,
    rejected: bool,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl MailerError {
    /// The mail service could not be reached or did not answer: every mail
    /// would fail now. The endpoints answer every address with the retry
    /// page for a minute. `what` is a fixed text, caused by `source`.
    pub fn new(what: &'static str, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            what,
            rejected: false,
            source: Some(source.into()),
        }
    }

    /// As [`new`](Self::new), with no cause to carry.
    #[must_use]
    pub fn plain(what: &'static str) -> Self {
        Self {
            what,
            rejected: false,
            source: None,
        }
    }

    /// This one mail was refused (its recipient, its content), while the
    /// service works: logged and counted, but no reason to keep anyone
    /// else from signing in, so a user whose address bounces cannot shut
    /// email sign-in for everyone.
    #[must_use]
    pub fn rejected(mut self) -> Self {
        self.rejected = true;
        self
    }

    /// Whether only this mail was refused ([`rejected`](Self::rejected)).
    #[must_use]
    pub fn is_rejected(&self) -> bool {
        self.rejected
    }
}

impl fmt::Display for MailerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl StdError for MailerError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// Sends sign-in mails. `SmtpMailer` (feature `smtp`) sends them through
/// an SMTP server with lettre; implement it for a mail API or a queue.
///
/// The endpoints call it off the request path, so a slow server never
/// tells a known address from an unknown one by the response time.
pub trait Mailer: Send + Sync + 'static {
    /// Sends `mail`.
    ///
    /// # Errors
    /// A [`MailerError`] when the mail could not be handed over.
    fn send(&self, mail: Outgoing) -> impl Future<Output = Result<(), MailerError>> + Send;
}

/// The words of a sign-in mail: subject, text part and HTML part. The text
/// part must keep the code on a line of its own, where people and mail
/// clients find it.
pub trait MailText: Send + Sync + 'static {
    /// The subject line.
    fn subject(&self, mail: &Outgoing) -> String;
    /// The plain text part.
    fn text(&self, mail: &Outgoing) -> String;
    /// The HTML part; everything taken from `mail` must be escaped
    /// ([`escape_html`]).
    fn html(&self, mail: &Outgoing) -> String;
}

/// The default English texts.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultMailText;

fn minutes(ttl: Duration) -> u64 {
    ttl.as_secs().div_ceil(60)
}

impl MailText for DefaultMailText {
    fn subject(&self, _mail: &Outgoing) -> String {
        "Your sign-in link".to_owned()
    }

    fn text(&self, mail: &Outgoing) -> String {
        format!(
            "Open this link to sign in:\n\n{url}\n\nOr type this code in the browser where you \
             asked to sign in:\n\n{code}\n\nThe link and the code work once, for {minutes} \
             minutes. If you did not ask to sign in, ignore this mail.\n",
            url = mail.url,
            code = mail.code.as_str(),
            minutes = minutes(mail.ttl),
        )
    }

    fn html(&self, mail: &Outgoing) -> String {
        format!(
            "<!doctype html>\n<html><body>\n<p><a href=\"{url}\">Sign in</a></p>\n<p>Or type \
             this code in the browser where you asked to sign in:</p>\n<p style=\"font-size:1.5em;\
             letter-spacing:0.2em\"><strong>{code}</strong></p>\n<p>The link and the code work \
             once, for {minutes} minutes. If you did not ask to sign in, ignore this mail.</p>\n\
             </body></html>\n",
            url = escape_html(&mail.url),
            code = escape_html(mail.code.as_str()),
            minutes = minutes(mail.ttl),
        )
    }
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for HTML text and
/// attribute values.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

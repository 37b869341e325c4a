//! [`SmtpMailer`]: sign-in mails through an SMTP server, with lettre.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::mailer::{DefaultMailText, MailText, Mailer, MailerError, Outgoing};

/// Sends sign-in mails through an SMTP server (feature `smtp`), as a
/// multipart mail with a text and an HTML part.
///
/// The server is given as a URL, as lettre reads it:
///
/// | URL | connection |
/// |---|---|
/// | `smtps://user:pass@smtp.example.com` | TLS from the start (port 465) |
/// | `smtp://user:pass@smtp.example.com?tls=required` | STARTTLS, required (port 587) |
/// | `smtp://127.0.0.1:2525` | plain SMTP: only to a loopback address |
///
/// Plain SMTP to any other host, or STARTTLS only if offered
/// (`tls=opportunistic`), is refused: the mail carries a sign-in link.
///
/// ```
/// use authlink::mail::SmtpMailer;
/// let mailer = SmtpMailer::from_url("smtp://127.0.0.1:2525", "Sign-in <signin@app.example>")?;
/// assert!(SmtpMailer::from_url("smtp://mail.example.com", "signin@app.example").is_err());
/// # Ok::<(), authlink::mail::MailerError>(())
/// ```
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    text: Arc<dyn MailText>,
}

impl SmtpMailer {
    /// A mailer sending through the server at `url`, from `from`
    /// (`Name <address>` or an address), with [`DefaultMailText`].
    ///
    /// # Errors
    /// A [`MailerError`] for a URL lettre does not read, a connection that
    /// would send in the clear off the machine, or a `from` that is not an
    /// address. Nothing is connected yet: a server that is down shows when
    /// a mail is sent.
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailerError> {
        let parsed = url::Url::parse(url)
            .map_err(|err| MailerError::new("the SMTP URL is not a URL", err))?;
        let tls = parsed
            .query_pairs()
            .find(|(name, _)| name == "tls")
            .map(|(_, value)| value.into_owned());
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            // smtp is not a scheme the URL standard knows, so an IPv4
            // host comes as text.
            Some(url::Host::Domain(name)) => {
                name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            None => false,
        };
        match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None) | ("smtp", Some("required")) => {}
            ("smtp", None) if loopback => {}
            ("smtp", None) => {
                return Err(MailerError::plain(
                    "plain SMTP is for a server on this machine: use smtps:// or \
                     smtp://…?tls=required for any other",
                ));
            }
            _ => {
                return Err(MailerError::plain(
                    "the SMTP URL must be smtps://host, smtp://host?tls=required, or \
                     smtp://127.0.0.1:port",
                ));
            }
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|err| MailerError::new("the SMTP URL is not one lettre reads", err))?
            .build();
        let from = from
            .parse()
            .map_err(|err| MailerError::new("the sender is not a mail address", err))?;
        Ok(Self {
            transport,
            from,
            text: Arc::new(DefaultMailText),
        })
    }

    /// The same mailer with other words (another language, the app's name).
    #[must_use]
    pub fn with_text(mut self, text: impl MailText) -> Self {
        self.text = Arc::new(text);
        self
    }

    fn message(&self, mail: &Outgoing) -> Result<Message, MailerError> {
        let to: Mailbox =
            mail.to.as_str().parse().map_err(|err| {
                MailerError::new("the address is not one SMTP takes", err).rejected()
            })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(self.text.subject(mail))
            .multipart(MultiPart::alternative_plain_html(
                self.text.text(mail),
                self.text.html(mail),
            ))
            .map_err(|err| MailerError::new("the mail could not be made", err).rejected())
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, mail: Outgoing) -> Result<(), MailerError> {
        let message = self.message(&mail)?;
        self.transport.send(message).await.map(drop).map_err(|err| {
            // A 5xx answer refuses this mail (its recipient, say); a
            // connection, TLS or timeout failure, or a 4xx, is the
            // server's state, which every mail shares.
            let permanent = err.is_permanent();
            let err = MailerError::new("the SMTP server did not take the mail", err);
            if permanent { err.rejected() } else { err }
        })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The transport holds the server's credentials.
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

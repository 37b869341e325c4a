//! The SMTP mailer against a real SMTP server: aiosmtpd (from PyPI), started
//! on a free loopback port with a Maildir the test reads the mail from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod smtp;

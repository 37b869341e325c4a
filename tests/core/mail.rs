//! Email sign-in's core: the mailed link signs in only the browser that
//! asked, the code is the same credential, the pending cookie looks alike
//! for every address, and what the crate writes is what DESIGN.md says.

use crate::fixtures;

use std::time::Duration;

use authlink::mail::{Address, MailPolicy, MailSignIn, Started};
use authlink::replay::{MemoryReplayCache, ReplayCache};
use authlink::{Authenticated, Clock as _, ManualClock, VerifyError, VerifyErrorKind};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fixtures::reference::mail as reference;
use proptest::prelude::*;

fn mail(clock: &ManualClock) -> MailSignIn {
    MailSignIn::new(fixtures::engine(clock), MailPolicy::default()).unwrap()
}

fn alice() -> Address {
    Address::parse("alice@example.com").unwrap()
}

fn start(mail: &MailSignIn) -> Started {
    mail.start(&alice(), Some(&42u64), "/account").unwrap()
}

fn consume(
    mail: &MailSignIn,
    link: Authenticated<'_, u64>,
    cache: &MemoryReplayCache,
) -> Result<u64, VerifyError> {
    let link = link.check_stamp(None)?;
    pollster::block_on(mail.authlink().consume(link, cache)).map(|link| *link.user())
}

fn kind<T>(result: Result<T, VerifyError>) -> VerifyErrorKind {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(err) => err.kind(),
    }
}

#[test]
fn the_link_signs_in_only_the_browser_that_asked_and_burns_nothing_elsewhere() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let cache = MemoryReplayCache::new();
    let asked = start(&mail);
    let elsewhere = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    // A scanner (no cookie), another browser (its own pending cookie), a
    // cookie that is not ours: refused, and the link stays fresh.
    assert_eq!(
        kind(mail.verify_link::<u64>(&sent.key, None)),
        VerifyErrorKind::OtherBrowser
    );
    assert_eq!(
        kind(mail.verify_link::<u64>(&sent.key, Some(&elsewhere.pending))),
        VerifyErrorKind::OtherBrowser
    );
    assert_eq!(
        kind(mail.verify_link::<u64>(&sent.key, Some("not-a-cookie"))),
        VerifyErrorKind::OtherBrowser
    );
    assert!(cache.is_empty(), "a refused opening burnt nothing");
    // The browser that asked signs in, once.
    let link = mail
        .verify_link::<u64>(&sent.key, Some(&asked.pending))
        .unwrap();
    assert_eq!(link.user(), &42);
    assert_eq!(consume(&mail, link, &cache).unwrap(), 42);
    let again = mail
        .verify_link::<u64>(&sent.key, Some(&asked.pending))
        .unwrap();
    assert_eq!(
        kind(consume(&mail, again, &cache)),
        VerifyErrorKind::AlreadyUsed
    );
}

#[test]
fn the_code_finishes_in_the_browser_that_asked_and_is_the_same_credential() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let cache = MemoryReplayCache::new();
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    let code = sent.code.as_str();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    // The link was opened on a phone: nothing happened there.
    assert_eq!(
        kind(mail.verify_link::<u64>(&sent.key, None)),
        VerifyErrorKind::OtherBrowser
    );
    // Typed into the browser that asked, with surrounding spaces.
    let typed = format!(" {code}\n");
    let link = mail
        .verify_code(&asked.pending, &alice(), 42u64, &typed, "/account")
        .unwrap();
    assert_eq!(consume(&mail, link, &cache).unwrap(), 42);
    // The link is now used too, in the browser that asked or anywhere.
    let link = mail
        .verify_link::<u64>(&sent.key, Some(&asked.pending))
        .unwrap();
    assert_eq!(
        kind(consume(&mail, link, &cache)),
        VerifyErrorKind::AlreadyUsed
    );
}

#[test]
fn wrong_codes_addresses_and_cookies_are_typed_refusals() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let asked = start(&mail);
    let code = asked.mail.as_ref().unwrap().code.as_str().to_owned();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let bob = Address::parse("bob@example.com").unwrap();
    let verify = |pending: &str, address: &Address, user: u64, code: &str, target: &str| {
        kind(mail.verify_code(pending, address, user, code, target))
    };
    assert_eq!(
        verify(&asked.pending, &alice(), 42, &wrong, "/account"),
        VerifyErrorKind::WrongCode
    );
    // The right code with another address, or for another user.
    assert_eq!(
        verify(&asked.pending, &bob, 42, &code, "/account"),
        VerifyErrorKind::WrongCode
    );
    assert_eq!(
        verify(&asked.pending, &alice(), 43, &code, "/account"),
        VerifyErrorKind::WrongCode
    );
    assert_eq!(
        verify(&asked.pending, &alice(), 42, "12345", "/account"),
        VerifyErrorKind::Malformed
    );
    assert_eq!(
        verify("garbage", &alice(), 42, &code, "/account"),
        VerifyErrorKind::Malformed
    );
    assert_eq!(
        verify(&asked.pending, &alice(), 42, &code, "/admin"),
        VerifyErrorKind::TargetNotAllowed
    );
    // The domain's case does not matter; the address is normalised.
    let shouted = Address::parse(" alice@EXAMPLE.com ").unwrap();
    assert!(
        mail.verify_code(&asked.pending, &shouted, 42u64, &code, "/account")
            .is_ok()
    );
}

#[test]
fn a_voided_sign_in_refuses_its_link_and_its_right_code() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let cache = MemoryReplayCache::new();
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    let key = mail.pending_key(&asked.pending).unwrap();
    assert_eq!(mail.pending_key("garbage"), None);
    let now = clock.now();
    pollster::block_on(cache.mark_used(key, now + time::Duration::hours(1), now)).unwrap();
    let code = mail
        .verify_code(
            &asked.pending,
            &alice(),
            42u64,
            sent.code.as_str(),
            "/account",
        )
        .unwrap();
    assert_eq!(
        kind(consume(&mail, code, &cache)),
        VerifyErrorKind::AlreadyUsed
    );
    let link = mail
        .verify_link::<u64>(&sent.key, Some(&asked.pending))
        .unwrap();
    assert_eq!(
        kind(consume(&mail, link, &cache)),
        VerifyErrorKind::AlreadyUsed
    );
}

#[test]
fn link_code_and_cookie_expire_together() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    assert_eq!(sent.expires_at, asked.expires_at);
    clock.advance(Duration::from_secs(15 * 60 - 1));
    assert!(
        mail.verify_link::<u64>(&sent.key, Some(&asked.pending))
            .is_ok()
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        kind(mail.verify_link::<u64>(&sent.key, Some(&asked.pending))),
        VerifyErrorKind::Expired
    );
    assert_eq!(
        kind(mail.verify_code(
            &asked.pending,
            &alice(),
            42u64,
            sent.code.as_str(),
            "/account"
        )),
        VerifyErrorKind::Expired
    );
}

#[test]
fn known_and_unknown_addresses_get_cookies_alike_and_only_a_user_gets_mail() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let known = mail.start(&alice(), Some(&42u64), "/account").unwrap();
    let unknown = mail
        .start::<u64>(
            &Address::parse("nobody@example.com").unwrap(),
            None,
            "/account",
        )
        .unwrap();
    assert!(known.mail.is_some());
    assert!(unknown.mail.is_none());
    assert_eq!(known.pending.len(), unknown.pending.len());
    assert_eq!(known.expires_at, unknown.expires_at);
    // An unknown address's cookie finishes nothing.
    let code = known.mail.as_ref().unwrap().code.as_str();
    assert_eq!(
        kind(mail.verify_code(&unknown.pending, &alice(), 42u64, code, "/account")),
        VerifyErrorKind::WrongCode
    );
    // A target off the whitelist is refused for both alike.
    let off = |user: Option<&u64>, address: &Address| {
        mail.start(address, user, "/admin").unwrap_err().to_string()
    };
    assert_eq!(
        off(Some(&42), &alice()),
        off(None, &Address::parse("x@y.z").unwrap())
    );
}

#[test]
fn webview_and_mailed_links_never_cross() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    let client = fixtures::ip("192.0.2.1");
    assert_eq!(
        kind(mail.authlink().verify::<u64>(&sent.key, client)),
        VerifyErrorKind::UnsupportedVersion
    );
    let webview = mail.authlink().issue(&42u64, "/account", client).unwrap();
    assert_eq!(
        kind(mail.verify_link::<u64>(&webview.key, Some(&asked.pending))),
        VerifyErrorKind::UnsupportedVersion
    );
    // Read as another user id type, the tag does not check out.
    assert_eq!(
        kind(mail.verify_link::<String>(&sent.key, Some(&asked.pending))),
        VerifyErrorKind::BadSignature
    );
}

/// What the crate wrote, rebuilt by the reference encoder from the nonce
/// and time in its own cookie: cookie, link and code agree with DESIGN.md.
#[test]
fn what_the_crate_writes_is_what_the_spec_says() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    let cookie = URL_SAFE_NO_PAD.decode(&asked.pending).unwrap();
    assert_eq!(cookie.len(), 51);
    assert_eq!(cookie[0], 2, "version");
    assert_eq!(u16::from_be_bytes([cookie[1], cookie[2]]), 1, "key id");
    let nonce: [u8; 16] = cookie[3..19].try_into().unwrap();
    let issued_at = u64::from_be_bytes(cookie[19..27].try_into().unwrap());
    assert_eq!(issued_at, u64::try_from(fixtures::T0).unwrap());
    let secret = fixtures::SECRET;
    let purpose = fixtures::PURPOSE;
    assert_eq!(
        asked.pending,
        reference::pending(&secret, purpose, 1, &nonce, issued_at, "alice@example.com")
    );
    let link_id = reference::link_id(&secret, purpose, &nonce);
    let claims = reference::Claims {
        link_id,
        issued_at,
        user: 42u64,
        target: "/account",
    };
    assert_eq!(
        sent.key,
        reference::sign(&secret, purpose, 1, "u64", &claims)
    );
    assert_eq!(sent.url, format!("/login/email/{}", sent.key));
    assert_eq!(
        sent.code.as_str(),
        reference::code(&secret, purpose, &link_id, issued_at, "u64", &42u64)
    );
    // The mail never carries the nonce, in any form the cookie has it.
    let link_bytes = URL_SAFE_NO_PAD.decode(&sent.key).unwrap();
    assert!(!link_bytes.windows(16).any(|w| w == nonce));
}

#[test]
fn secrets_stay_out_of_debug() {
    let clock = fixtures::clock();
    let mail = mail(&clock);
    let asked = start(&mail);
    let sent = asked.mail.as_ref().unwrap();
    let shown = format!("{asked:?}");
    assert!(!shown.contains(&asked.pending));
    assert!(!shown.contains(&sent.key));
    assert!(!shown.contains(sent.code.as_str()));
    assert!(!format!("{mail:?}").contains("alice"));
}

proptest! {
    /// No change to a pending cookie is read as the browser that asked.
    #[test]
    fn an_altered_pending_cookie_never_opens_the_link(at in 0usize..68, by in 1u8..64) {
        let clock = fixtures::clock();
        let mail = mail(&clock);
        let asked = start(&mail);
        let sent = asked.mail.as_ref().unwrap();
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bytes = asked.pending.clone().into_bytes();
        let was = ALPHABET.iter().position(|c| *c == bytes[at]).unwrap();
        bytes[at] = ALPHABET[(was + usize::from(by)) % 64];
        let altered = String::from_utf8(bytes).unwrap();
        prop_assert_eq!(
            kind(mail.verify_link::<u64>(&sent.key, Some(&altered))),
            VerifyErrorKind::OtherBrowser
        );
        prop_assert!(mail.verify_code(&altered, &alice(), 42u64, sent.code.as_str(), "/account").is_err());
    }
}

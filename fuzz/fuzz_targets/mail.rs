//! Email sign-in's binding holds whatever a client sends: arbitrary link
//! text, pending cookies, codes and addresses never panic, and nothing
//! signs in but the browser that asked. A genuine mailed link opens only
//! with its own pending cookie, byte for byte; its code finishes only with
//! that cookie and the address it was asked for; a cookie or link the
//! fuzzer wrote opens nothing.
#![no_main]

use std::sync::LazyLock;

use authlink::IpBinding;
use authlink::mail::{Address, MailPolicy, MailSignIn, Started};
use authlink_fuzz::{PURPOSE, SECRET, T0, clock_at, engine_with, policy};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

static MAIL: LazyLock<MailSignIn> = LazyLock::new(|| {
    let clock = clock_at(T0);
    let authlink = engine_with(SECRET, PURPOSE, policy(IpBinding::Exact), &clock);
    MailSignIn::new(authlink, MailPolicy::default()).unwrap_or_else(|err| panic!("{err}"))
});

/// One genuine sign-in for alice, user 42.
static STARTED: LazyLock<Started> = LazyLock::new(|| {
    let address = Address::parse("alice@example.com").unwrap_or_else(|err| panic!("{err}"));
    MAIL.start(&address, Some(&42u64), "/account")
        .unwrap_or_else(|err| panic!("{err}"))
});

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Link text, or the genuine link when `None`.
    link: Option<&'a str>,
    /// A pending cookie, or the genuine one when `None`.
    pending: Option<&'a str>,
    code: &'a str,
    address: &'a str,
    target: &'a str,
    user: u64,
}

fuzz_target!(|input: Input<'_>| {
    let started = &*STARTED;
    let Some(sent) = started.mail.as_ref() else {
        panic!("alice has a user");
    };
    let link = input.link.unwrap_or(&sent.key);
    let pending = input.pending.unwrap_or(&started.pending);
    let genuine_link = link == sent.key;
    let genuine_pending = pending == started.pending;

    let opened = MAIL.verify_link::<u64>(link, Some(pending));
    if opened.is_ok() {
        assert!(genuine_link && genuine_pending, "{link:?} opened with {pending:?}");
    }
    if genuine_link && genuine_pending {
        assert!(opened.is_ok(), "the asking browser was refused");
    }
    let _ = MAIL.verify_link::<String>(link, Some(pending));
    assert!(MAIL.verify_link::<u64>(link, None).is_err(), "opened with no cookie");

    let Ok(address) = Address::parse(input.address) else {
        return;
    };
    let finished = MAIL.verify_code(pending, &address, input.user, input.code, input.target);
    if finished.is_ok() {
        assert!(genuine_pending, "a code finished with {pending:?}");
        assert_eq!(address.as_str(), "alice@example.com");
        assert_eq!(input.user, 42);
        assert_eq!(input.code.trim(), sent.code.as_str());
    }
    let _ = MAIL.pending_key(pending);
});

//! The target validator never panics, and whatever it accepts stays on the
//! site: the `url` crate, resolving the target against the app's origin as a
//! browser would, lands on the same origin.
#![no_main]

use std::sync::LazyLock;

use authlink::{Authlink, IpBinding};
use authlink_fuzz::{PURPOSE, SECRET, T0, clock_at, engine_with, policy};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| {
    Url::parse("https://app.example/authlink/key").unwrap_or_else(|e| panic!("{e}"))
});

/// Allows absolute targets on https://app.example, and every path.
static ENGINE: LazyLock<Authlink> =
    LazyLock::new(|| engine_with(SECRET, PURPOSE, policy(IpBinding::Exact), &clock_at(T0)));

fn assert_same_site(target: &str) {
    let resolved = BASE
        .join(target)
        .unwrap_or_else(|err| panic!("accepted {target:?}, which url cannot resolve: {err}"));
    assert_eq!(
        resolved.origin(),
        BASE.origin(),
        "accepted {target:?}, which leads to {resolved}"
    );
}

fuzz_target!(|target: &str| {
    if let Ok(valid) = authlink::validate_target(target) {
        assert!(
            valid.full.starts_with('/'),
            "accepted a non-relative target {target:?}"
        );
        assert_same_site(valid.full);
        assert!(valid.full.starts_with(valid.path) && !valid.path.contains('?'));
    }
    if let Ok(valid) = ENGINE.check_target(target) {
        assert_same_site(valid.full);
    }
});

//! The target validator never panics, and whatever it accepts stays on the
//! site: the `url` crate, resolving the target against the app's origin as a
//! browser would, lands on the same origin. Without allowed origins only
//! root-relative paths pass.
#![no_main]

use std::sync::LazyLock;

use authlink::{IpBinding, Origin, Policy, Target};
use authlink_fuzz::{origin, policy};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| {
    Url::parse("https://app.example/authlink/key").unwrap_or_else(|e| panic!("{e}"))
});

static ORIGINS: LazyLock<[Origin; 1]> = LazyLock::new(|| [origin()]);

/// Allows absolute targets on https://app.example, and every path.
static POLICY: LazyLock<Policy> = LazyLock::new(|| policy(IpBinding::Exact));

fn assert_same_site(target: &str, valid: Target<'_>) {
    assert_eq!(valid.full, target);
    // The path is the part of the target between the origin and the query.
    let start = (valid.path.as_ptr() as usize)
        .checked_sub(valid.full.as_ptr() as usize)
        .unwrap_or_else(|| panic!("path {:?} is not within {target:?}", valid.path));
    let (before, after) = (&target[..start], &target[start + valid.path.len()..]);
    assert!(before.is_empty() || before.eq_ignore_ascii_case("https://app.example"));
    assert!(after.is_empty() || after.starts_with('?'));
    assert!(valid.path.starts_with('/') && !valid.path.contains('?'));
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
    if let Ok(valid) = authlink::validate_target(target, &[]) {
        assert!(
            valid.full.starts_with('/'),
            "accepted a non-relative target {target:?}"
        );
        assert_same_site(target, valid);
    }
    let with_origin = authlink::validate_target(target, &*ORIGINS);
    if let Ok(valid) = with_origin {
        assert_same_site(target, valid);
    }
    // The policy adds only its whitelist (which allows every path here).
    assert_eq!(POLICY.check_target(target).ok(), with_origin.ok());
});

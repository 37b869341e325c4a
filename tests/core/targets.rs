//! Target validation: the open-redirect list, each refused at issue time.

use crate::fixtures;

use authlink::{IssueError, Policy, TargetError, Whitelist, validate_target};
use fixtures::{clock, engine_with, ip};

/// Allows every path, so only target validation can refuse.
fn permissive() -> Policy {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new([".*"]).unwrap();
    policy
}

#[track_caller]
fn refused(target: &str, why: TargetError) {
    let clock = clock();
    let authlink = engine_with(permissive(), &clock);
    assert_eq!(
        authlink.issue(&1u64, target, ip("192.0.2.1")).unwrap_err(),
        IssueError::TargetInvalid(why),
        "{target:?}"
    );
}

#[test]
fn open_redirects_are_refused_at_issue_time() {
    use TargetError::*;
    refused("", Empty);
    refused("account", NotRootRelative);
    refused("//evil.example", NotRootRelative);
    refused("//evil.example/account", NotRootRelative);
    refused("///evil.example", NotRootRelative);
    refused("/\\evil.example", Backslash);
    refused("\\\\evil.example", Backslash);
    refused("/account\\..\\admin", Backslash);
    refused("javascript:alert(1)", NotRootRelative);
    refused("JavaScript://%0aalert(1)", OriginNotAllowed);
    refused("data:text/html,<script>", NotRootRelative);
    refused("https://evil.example/account", OriginNotAllowed);
    refused("http:/evil.example", NotRootRelative);
    refused("/\tevil.example", BadCharacter);
    refused("/\n/evil.example", BadCharacter);
    refused("/\r\nLocation: https://evil.example", BadCharacter);
    refused("/account\0", BadCharacter);
    refused("/account\u{7f}", BadCharacter);
    refused("/caf\u{e9}", BadCharacter);
    refused("/ account", BadCharacter);
    refused("/%2F/evil.example", BadEscape);
    refused("/%2f%2fevil.example", BadEscape);
    refused("/%5Cevil.example", BadEscape);
    refused("/%5c%5cevil.example", BadEscape);
    refused("/%09/evil.example", BadEscape);
    refused("/%0d%0aSet-Cookie:x", BadEscape);
    refused("/%00", BadEscape);
    refused("/%252F/evil.example", BadEscape);
    refused("/%2e%2e/admin", BadEscape);
    refused("/%", BadEscape);
    refused("/%zz", BadEscape);
    refused("/%2", BadEscape);
    refused("/account/../admin", DotSegment);
    refused("/account/./x", DotSegment);
    refused("/..", DotSegment);
    refused("/account#https://evil.example", Fragment);
    refused(&format!("/{}", "a".repeat(512)), TooLong);
}

#[test]
fn ordinary_paths_pass() {
    for target in [
        "/",
        "/account",
        "/account/settings?tab=security&x=%20y",
        "/caf%C3%A9",
        "/a/b.c/d..e/...",
        "/search?q=http://example.com",
    ] {
        let checked = validate_target(target, &[]).unwrap_or_else(|err| panic!("{target}: {err}"));
        assert_eq!(checked.full, target);
        assert_eq!(checked.path, target.split('?').next().unwrap());
    }
}

#[test]
fn absolute_targets_only_on_allowed_origins() {
    let mut policy = permissive();
    policy.allowed_origins = vec!["https://App.Example:8443".parse().unwrap()];
    let clock = clock();
    let authlink = engine_with(policy, &clock);
    let link = authlink
        .issue(
            &1u64,
            "https://app.example:8443/account?x=1",
            ip("192.0.2.1"),
        )
        .unwrap();
    let verified = authlink
        .verify::<u64>(&link.key, ip("192.0.2.1"))
        .unwrap()
        .check_stamp(None)
        .unwrap();
    assert_eq!(verified.target(), "https://app.example:8443/account?x=1");

    for (target, why) in [
        ("https://app.example/account", TargetError::OriginNotAllowed),
        (
            "http://app.example:8443/account",
            TargetError::OriginNotAllowed,
        ),
        (
            "https://app.example:8443@evil.example/",
            TargetError::OriginNotAllowed,
        ),
        (
            "https://app.example:8443.evil.example/",
            TargetError::OriginNotAllowed,
        ),
        ("https://app.example:8443", TargetError::NotRootRelative),
        (
            "https://app.example:8443//evil.example",
            TargetError::NotRootRelative,
        ),
        (
            "https://app.example:8443/%2F%2Fevil",
            TargetError::BadEscape,
        ),
    ] {
        assert_eq!(
            authlink.issue(&1u64, target, ip("192.0.2.1")).unwrap_err(),
            IssueError::TargetInvalid(why),
            "{target}"
        );
    }
}

#[test]
fn whitelist_matches_the_path_of_absolute_targets() {
    let mut policy = Policy::default();
    policy.whitelist = Whitelist::new(["^/account$"]).unwrap();
    policy.allowed_origins = vec!["https://app.example".parse().unwrap()];
    let clock = clock();
    let authlink = engine_with(policy, &clock);
    assert!(
        authlink
            .issue(&1u64, "https://app.example/account?x", ip("192.0.2.1"))
            .is_ok()
    );
    assert_eq!(
        authlink
            .issue(&1u64, "https://app.example/admin", ip("192.0.2.1"))
            .unwrap_err(),
        IssueError::TargetNotAllowed
    );
}

#[test]
fn invalid_origins_and_patterns_are_configuration_errors() {
    for origin in [
        "app.example",
        "https://",
        "https://a.example/path",
        "https://u@a.example",
    ] {
        let err = origin.parse::<authlink::Origin>().unwrap_err();
        assert!(
            matches!(err, authlink::ConfigError::InvalidOrigin(_)),
            "{origin}: {err}"
        );
    }
    let err = Whitelist::new(["(unclosed"]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("whitelist pattern \"(unclosed\" is invalid"),
        "{err}"
    );
}

#[test]
fn a_pattern_cannot_escape_its_anchors() {
    // Balanced only once wrapped in a group: taken as is, it would allow
    // every path that starts with `/account`.
    let err = Whitelist::new(["/account)|(?:/x"]).unwrap_err();
    assert!(
        matches!(err, authlink::ConfigError::InvalidPattern { .. }),
        "{err}"
    );
    let whitelist = Whitelist::new(["/account", "/help/[a-z]+"]).unwrap();
    assert!(whitelist.allows("/account"));
    assert!(whitelist.allows("/help/faq"));
    assert!(!whitelist.allows("/account/admin"));
    assert!(!whitelist.allows("/x/account"));
    assert!(!whitelist.allows("/help/faq/2"));
}

#[test]
fn verify_checks_the_target_again_whatever_signed_the_link() {
    use authlink::VerifyErrorKind;
    use fixtures::reference::{self, Claims};

    let clock = fixtures::clock();
    let ip = fixtures::ip("192.0.2.1");
    // Signed with the app's own key, but leading off-site or off the
    // whitelist: as a buggy or older issuer could have made it.
    for target in [
        "//evil.example/account",
        "/admin",
        "https://evil.example/account",
    ] {
        let claims = reference::claims_bytes(&Claims {
            link_id: [5; 8],
            issued_at: fixtures::T0 as u64,
            user: 1u64,
            target,
            client: None,
            stamp: None,
        });
        let token = reference::sign(&[7; 32], fixtures::PURPOSE, 1, 1, "u64", &claims);
        let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
        let err = engine.verify::<u64>(&token, ip).unwrap_err();
        assert_eq!(err.kind(), VerifyErrorKind::TargetNotAllowed, "{target}");
        assert_eq!(err.reason().code(), "invalid");
    }

    // A page taken off the whitelist after its link was issued.
    let mut before = fixtures::binding_off();
    before.whitelist = Whitelist::new(["^/account$", "^/old$"]).unwrap();
    let link = fixtures::engine_with(before, &clock)
        .issue(&1u64, "/old", ip)
        .unwrap();
    let after = fixtures::engine_with(fixtures::binding_off(), &clock);
    assert_eq!(
        after.verify::<u64>(&link.key, ip).unwrap_err().kind(),
        VerifyErrorKind::TargetNotAllowed
    );
}

//! Secret keys: sizes, parsing, redaction, comparison.

use authlink::{KeyError, SecretKey};

#[test]
fn short_and_long_keys_are_refused_with_typed_errors() {
    assert_eq!(
        SecretKey::try_from([0u8; 31].as_slice()).unwrap_err(),
        KeyError::TooShort(31)
    );
    assert_eq!(
        SecretKey::try_from([].as_slice()).unwrap_err(),
        KeyError::TooShort(0)
    );
    assert_eq!(
        SecretKey::try_from([0u8; 257].as_slice()).unwrap_err(),
        KeyError::TooLong(257)
    );
    assert!(SecretKey::try_from([0u8; 32].as_slice()).is_ok());
    assert!(SecretKey::try_from([0u8; 256].as_slice()).is_ok());
    assert_eq!(
        KeyError::TooShort(31).to_string(),
        "secret key is too short: 31 bytes, at least 32 are required"
    );
}

#[test]
fn debug_is_redacted() {
    let key = SecretKey::try_from([0x41u8; 32].as_slice()).unwrap();
    let shown = format!("{key:?} {key:#?}");
    assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    assert!(
        !shown.contains("65") && !shown.contains("AAAA") && !shown.contains("QUFB"),
        "{shown}"
    );
}

#[test]
fn base64_parsing_accepts_what_environment_variables_hold() {
    let key = SecretKey::generate();
    let text = key.to_base64();
    assert_eq!(SecretKey::from_base64(&text).unwrap(), key);
    assert_eq!(SecretKey::from_base64(&format!("  {text}\n")).unwrap(), key);
    assert_eq!(
        SecretKey::from_base64(text.trim_end_matches('=')).unwrap(),
        key
    );
    let url_safe = text.replace('+', "-").replace('/', "_");
    assert_eq!(SecretKey::from_base64(&url_safe).unwrap(), key);
    assert_eq!(
        SecretKey::from_base64("not base64!").unwrap_err(),
        KeyError::Base64
    );
    assert_eq!(
        SecretKey::from_base64("c2hvcnQ=").unwrap_err(),
        KeyError::TooShort(5)
    );
    let err = SecretKey::from_base64("").unwrap_err();
    assert_eq!(err, KeyError::TooShort(0));
}

#[test]
fn generated_keys_differ_and_compare_by_value() {
    let a = SecretKey::generate();
    let b = SecretKey::generate();
    assert_ne!(a, b);
    assert_eq!(a, a.clone());
    assert_ne!(
        SecretKey::try_from([1u8; 32].as_slice()).unwrap(),
        SecretKey::try_from([1u8; 33].as_slice()).unwrap()
    );
    assert_eq!(
        SecretKey::from_base64(&a.to_base64())
            .unwrap()
            .to_base64()
            .len(),
        44
    );
}

//! The token of an `Authorization: Bearer` value, read alike by every
//! adapter's `bearer_token`.

/// The token of the `Authorization` header value `value`: the scheme is
/// matched without regard to case (RFC 6750, RFC 9110); another scheme, an
/// empty token or a value that is not visible ASCII gives `None`.
#[cfg_attr(not(any(feature = "http", feature = "actix")), allow(dead_code))]
pub(crate) fn bearer_token(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok().filter(|value| {
        value
            .bytes()
            .all(|byte| byte == b'\t' || (b' '..0x7f).contains(&byte))
    })?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

//! The fields of the email sign-in forms, as a browser posts them
//! (`application/x-www-form-urlencoded`) or a script sends them (JSON).
//! Read strictly: a body that is not exactly one of those, a field given
//! twice, or a value that is not a string makes the whole body unreadable.

/// The fields the email endpoints read; others are ignored (a form may
/// carry the app's own, such as a CSRF token).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) email: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) next: Option<String>,
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormError {
    /// Neither a form nor JSON.
    UnsupportedMediaType,
    /// Not what its content type says, or a field twice.
    Unreadable,
}

/// The fields of `body`, sent with `content_type`.
pub(crate) fn read(content_type: Option<&str>, body: &[u8]) -> Result<Fields, FormError> {
    let media = content_type
        .and_then(|value| value.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase());
    let pairs = match media.as_deref() {
        Some("application/x-www-form-urlencoded") => form_pairs(body)?,
        Some("application/json") => json_pairs(body)?,
        _ => return Err(FormError::UnsupportedMediaType),
    };
    let mut fields = Fields::default();
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "email" => &mut fields.email,
            "code" => &mut fields.code,
            "next" => &mut fields.next,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(FormError::Unreadable);
        }
    }
    Ok(fields)
}

fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    // The decoder replaces bytes that are not UTF-8; refuse them instead,
    // so a value is never read other than as sent.
    let text = std::str::from_utf8(body).map_err(|_| FormError::Unreadable)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if pairs
        .iter()
        .any(|(name, value)| name.contains('\u{fffd}') || value.contains('\u{fffd}'))
    {
        return Err(FormError::Unreadable);
    }
    Ok(pairs)
}

/// The JSON form: an object whose known fields are strings. serde's derive
/// refuses a field given twice.
#[derive(serde::Deserialize)]
struct JsonFields {
    email: Option<String>,
    code: Option<String>,
    next: Option<String>,
}

fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let fields: JsonFields = serde_json::from_slice(body).map_err(|_| FormError::Unreadable)?;
    Ok([
        ("email", fields.email),
        ("code", fields.code),
        ("next", fields.next),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_owned(), value?)))
    .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=UTF-8");
    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn reads_forms_and_json_alike() {
        let form = read(FORM, b"email=alice%40example.com&next=%2Faccount&csrf=x").unwrap();
        let json = read(JSON, br#"{"email":"alice@example.com","next":"/account"}"#).unwrap();
        assert_eq!(form, json);
        assert_eq!(form.email.as_deref(), Some("alice@example.com"));
        assert_eq!(
            read(FORM, b"code=+123456+").unwrap().code.as_deref(),
            Some(" 123456 ")
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_whole() {
        assert_eq!(read(None, b"email=a"), Err(FormError::UnsupportedMediaType));
        assert_eq!(
            read(Some("text/plain"), b"email=a"),
            Err(FormError::UnsupportedMediaType)
        );
        assert_eq!(read(FORM, b"email=a&email=b"), Err(FormError::Unreadable));
        assert_eq!(read(FORM, b"email=%FF"), Err(FormError::Unreadable));
        assert_eq!(read(FORM, b"email=\xff"), Err(FormError::Unreadable));
        assert_eq!(read(JSON, br#"{"email":1}"#), Err(FormError::Unreadable));
        assert_eq!(
            read(JSON, br#"{"email":"a","email":"b"}"#),
            Err(FormError::Unreadable)
        );
        assert_eq!(read(JSON, b"[]"), Err(FormError::Unreadable));
    }
}

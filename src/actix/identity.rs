//! Link sessions alongside actix-identity (`ActixSessions::with_identity`,
//! feature `actix-identity`): a link logs its user in through
//! `Identity::login` too, and authlink's keys follow the identity, so that
//! the app's own `Identity::login` on its login page ends the link
//! restriction and `Identity::logout` ends both. The helpers compile
//! without the feature too, where nothing calls them with an identity.

use actix_session::{Session, SessionStatus};
use actix_web::HttpRequest;
use serde::Serialize;

use crate::web::{AppError, USER_KEY, VIA_LINK_KEY};

/// The identity text of a user id: a string as it is, a number in decimal,
/// anything else its JSON.
pub(super) fn text_of<U: Serialize>(user: &U) -> Result<String, AppError> {
    Ok(match serde_json::to_value(user).map_err(AppError::new)? {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    })
}

/// Logs the identity `id` in through `Identity::login`.
#[cfg(feature = "actix-identity")]
pub(super) fn log_in(request: &HttpRequest, id: String) -> Result<(), AppError> {
    use actix_web::HttpMessage as _;
    actix_identity::Identity::login(&request.extensions(), id)
        .map(drop)
        .map_err(AppError::new)
}

#[cfg(not(feature = "actix-identity"))]
pub(super) fn log_in(_request: &HttpRequest, _id: String) -> Result<(), AppError> {
    Ok(())
}

/// Settles authlink's keys with the identity, before and after the app's
/// handler, and says whether the session (marked `via_link` or not) is a
/// link session. authlink's user stays only while the identity agrees: a
/// link session whose identity logged out, expired or is another user's is
/// over, and so is a login of authlink's own that another identity
/// replaced.
pub(super) fn settle(
    request: &HttpRequest,
    session: &Session,
    via_link: bool,
) -> Result<bool, AppError> {
    let Some(user) = session
        .get::<serde_json::Value>(USER_KEY)
        .map_err(AppError::new)?
    else {
        return Ok(false);
    };
    let identity = identity_of(request);
    let agrees = identity.as_deref() == Some(text_of(&user)?.as_str());
    let keep = agrees || (!via_link && identity.is_none());
    if !keep {
        session.remove(USER_KEY);
        session.remove(VIA_LINK_KEY);
    }
    Ok(via_link && keep)
}

/// After the handler of the app's login page: a link session renewed
/// there (as `Identity::login` renews it) in a request that signed in no
/// link is the app's own login now, no longer a link session.
pub(super) fn after_login_page(session: &Session, via_link: bool) {
    if via_link && session.status() == SessionStatus::Renewed {
        session.remove(USER_KEY);
        session.remove(VIA_LINK_KEY);
    }
}

#[cfg(feature = "actix-identity")]
fn identity_of(request: &HttpRequest) -> Option<String> {
    use actix_identity::IdentityExt as _;
    request.get_identity().ok()?.id().ok()
}

#[cfg(not(feature = "actix-identity"))]
fn identity_of(_request: &HttpRequest) -> Option<String> {
    None
}

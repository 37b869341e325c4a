//! Link sessions alongside actix-identity (feature `actix-identity`): a
//! link logs its user in through `Identity::login` too, and authlink's keys
//! follow the identity, so that the app's own `Identity::login` on top of a
//! link session ends the link restriction and `Identity::logout` ends both.

use actix_session::{Session, SessionStatus};
use actix_web::HttpRequest;
use serde::Serialize;

use crate::web::{AppError, USER_KEY, VIA_LINK_KEY};

/// Logs `user` in through `Identity::login` as well, under the text of its
/// id (a string as it is, a number in decimal, anything else its JSON).
#[cfg(feature = "actix-identity")]
pub(super) fn log_in<U: Serialize>(request: &HttpRequest, user: &U) -> Result<(), AppError> {
    use actix_web::HttpMessage as _;
    actix_identity::Identity::login(&request.extensions(), text_of(user)?)
        .map(drop)
        .map_err(AppError::new)
}

#[cfg(not(feature = "actix-identity"))]
pub(super) fn log_in<U: Serialize>(_request: &HttpRequest, _user: &U) -> Result<(), AppError> {
    // Only `ActixSessions::with_identity`, behind the feature, asks for it.
    Ok(())
}

/// Whether the session of `request`, marked `via_link`, is a link session
/// while its identity is still the link's user. When the identity is gone
/// (`Identity::logout` keeping other keys) or is another user's,
/// authlink's keys are dropped: the link session is over.
pub(super) fn is_link_session(
    request: &HttpRequest,
    session: &Session,
    via_link: bool,
) -> Result<bool, AppError> {
    if !via_link {
        return Ok(false);
    }
    let user = session
        .get::<serde_json::Value>(USER_KEY)
        .map_err(AppError::new)?;
    let identity = identity_of(request);
    let same = match (&user, &identity) {
        (Some(user), Some(identity)) => text_of(user)? == *identity,
        _ => false,
    };
    if !same {
        session.remove(USER_KEY);
        session.remove(VIA_LINK_KEY);
    }
    Ok(same)
}

/// After the app's handler: a session it renewed (as `Identity::login`
/// does) in a request that signed in no link is the app's own login now,
/// no longer a link session.
pub(super) fn after_handler(session: &Session, signed_in_by_link: bool) {
    if !signed_in_by_link && session.status() == SessionStatus::Renewed {
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

/// The identity text of a user id.
fn text_of<U: Serialize>(user: &U) -> Result<String, AppError> {
    Ok(match serde_json::to_value(user).map_err(AppError::new)? {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    })
}

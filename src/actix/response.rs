//! The endpoints' [`Answer`]s as actix-web responses.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};

use crate::web::Answer;

/// `answer` as an actix-web response, its failure reason (if any) in the
/// extensions. A header an app's `Responses` named outside the header
/// grammar is left out.
pub(super) fn into_response(answer: Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.insert_header((name, value));
        }
    }
    let reason = answer.reason();
    let mut response = response.body(answer.into_body());
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    response
}

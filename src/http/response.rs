//! The endpoints' [`Answer`]s as `http` responses.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::web::Answer;

/// The body of every response the endpoints build.
pub type ResponseBody = Full<Bytes>;

/// `answer` as an `http` response, its failure reason (if any) in the
/// extensions. A header an app's `Responses` named outside the header
/// grammar is left out.
pub(crate) fn into_response(answer: Answer) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = answer.reason();
    let headers: Vec<(HeaderName, HeaderValue)> = answer
        .headers()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect();
    let mut response = Response::new(Full::new(Bytes::from(answer.into_body())));
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    response
}

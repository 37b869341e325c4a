//! The client address of an `http` request: the peer address the server
//! recorded, and the forwarding header's values, handed to
//! [`crate::web::client_ip`].

use std::fmt;
use std::net::IpAddr;

use http::{HeaderMap, request};

use crate::web::TrustedProxies;

/// The address of the connection a request arrived on.
///
/// Put it in the request's extensions where the server accepts connections;
/// the endpoints and the guard read it from there. With the `axum` feature,
/// axum's `ConnectInfo<SocketAddr>` is read as well.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// Raw addresses stay out of logs and panics.
impl fmt::Debug for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PeerAddr(<redacted>)")
    }
}

/// The client address of a request from `peer` with `headers`: see
/// [`crate::web::client_ip`], which this calls with the values of the
/// header `trusted` names.
#[must_use]
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let values: Vec<&[u8]> = headers
        .get_all(trusted.header_name())
        .iter()
        .map(http::HeaderValue::as_bytes)
        .collect();
    crate::web::client_ip(peer, values, trusted)
}

/// The client address of `request`, from its recorded peer address.
pub(crate) fn request_client_ip(
    request: &request::Parts,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    client_ip(peer_of(&request.extensions), &request.headers, trusted)
}

/// The peer address the server recorded in the request's extensions.
pub(crate) fn peer_of(extensions: &http::Extensions) -> Option<IpAddr> {
    if let Some(PeerAddr(ip)) = extensions.get::<PeerAddr>() {
        return Some(*ip);
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) =
        extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        return Some(addr.ip());
    }
    None
}

//! An `http` request as the endpoints read it: its peer address, as the
//! server recorded it, and its headers.

use std::fmt;
use std::net::IpAddr;

use http::{HeaderValue, request};

use crate::web::pipeline::WebRequest;

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

/// An `http` request as the endpoints read it.
impl WebRequest for request::Parts {
    #[cfg(feature = "axum")]
    const PEER_FIX: &'static str = "serve the router with \
        into_make_service_with_connect_info::<SocketAddr>(), or put a PeerAddr in each \
        request's extensions";
    #[cfg(not(feature = "axum"))]
    const PEER_FIX: &'static str = "put a PeerAddr in each request's extensions where the \
        server accepts the connection";

    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn authority(&self) -> Option<&str> {
        self.uri.authority().map(http::uri::Authority::as_str)
    }

    fn headers<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        self.headers.get_all(name).iter().map(HeaderValue::as_bytes)
    }

    fn peer(&self) -> Option<IpAddr> {
        peer_of(&self.extensions)
    }
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

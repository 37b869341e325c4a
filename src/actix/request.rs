//! An actix-web request as the endpoints read it.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderValue;

use crate::web::pipeline::WebRequest;

impl WebRequest for HttpRequest {
    const PEER_FIX: &'static str = "serve the app over TCP: actix-web knows no peer address \
        for a Unix socket";

    fn method(&self) -> &str {
        HttpRequest::method(self).as_str()
    }

    fn path(&self) -> &str {
        HttpRequest::path(self)
    }

    fn authority(&self) -> Option<&str> {
        self.uri().authority().map(|authority| authority.as_str())
    }

    fn headers<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        HttpRequest::headers(self)
            .get_all(name)
            .map(HeaderValue::as_bytes)
    }

    fn peer(&self) -> Option<IpAddr> {
        self.peer_addr().map(|addr| addr.ip())
    }
}

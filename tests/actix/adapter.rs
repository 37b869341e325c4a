//! The actix-web adapter in-process: the shared scenarios (the same as
//! the tower adapter's in tests/tower/endpoints.rs) against an actix server on
//! actix-session, and what only actix has.

use crate::actix_support;
use crate::http_support;
use crate::scenarios;

use std::net::SocketAddr;

use actix_support::ActixTestApp;
use authlink::ManualClock;
use authlink::replay::ReplayCache;
use http_support::{Client, Options, TestAdapter};
use scenarios::Server;

impl Server for ActixTestApp {
    async fn start(options: Options) -> Self {
        ActixTestApp::start(options).await
    }
    async fn start_with<C: ReplayCache + Send + Sync + 'static>(
        options: Options,
        cache: C,
    ) -> Self {
        ActixTestApp::start_with(options, cache).await
    }
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn adapter(&self) -> &TestAdapter {
        &self.adapter
    }
    fn client(&self) -> Client {
        ActixTestApp::client(self)
    }
    // Sessions live in the (encrypted) cookie: nothing on the server to ask.
    async fn has_session(&self, _id: &str) -> Option<bool> {
        None
    }
    const SESSION_ID_LEN: Option<usize> = None;
}

mod shared {
    crate::scenarios!(crate::actix_support::ActixTestApp);
}

//! The demo app (examples/demo/app.rs), started in-process on a free
//! loopback port with the environment a test gives it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../examples/demo/app.rs"]
pub mod app;

use std::net::SocketAddr;

use authlink::SecretKey;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running demo. Dropping it stops the server.
pub struct Demo {
    pub addr: SocketAddr,
    pub base: String,
    server: JoinHandle<Result<(), String>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The demo configured by `vars` (as if set in the environment; the address
/// is always a free port).
pub async fn start(vars: &[(&str, &str)]) -> Demo {
    let config = config(vars).unwrap();
    let secret = config.secret.clone().unwrap_or_else(SecretKey::generate);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        app::run(listener, &config, secret, |_, _| {}, std::future::pending()).await
    });
    Demo {
        addr,
        base: format!("http://{addr}"),
        server,
    }
}

pub fn config(vars: &[(&str, &str)]) -> Result<app::Config, String> {
    app::Config::from_vars(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

//! The demo app on either stack (examples/demo/axum_app.rs,
//! examples/demo_actix/actix_app.rs, both around examples/demo/app.rs),
//! started in-process on a free loopback port with the environment a test
//! gives it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "actix")]
#[path = "../../examples/demo_actix/actix_app.rs"]
pub mod actix_app;
#[path = "../../examples/demo/app.rs"]
pub mod app;
#[path = "../../examples/demo/axum_app.rs"]
pub mod axum_app;

use std::future::Future;
use std::net::SocketAddr;

use authlink::SecretKey;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Which demo: `cargo run --example demo` or `--example demo_actix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Axum,
    #[cfg(feature = "actix")]
    Actix,
}

impl Stack {
    /// The demo configured by `vars` (as if set in the environment; the
    /// address is always a free port).
    pub async fn start(self, vars: &[(&str, &str)]) -> Demo {
        let config = config(vars).unwrap();
        let secret = config.secret.clone().unwrap_or_else(SecretKey::generate);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let (up, is_up) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let ready = move |_: &str, _| {
                let _ = up.send(());
            };
            let shutdown = async move {
                let _ = stopped.await;
            };
            self.run(listener, &config, secret, ready, shutdown).await
        });
        // Serving once `ready` was told: no request meets a half-built app.
        if is_up.await.is_err() {
            panic!("the {self:?} demo did not start: {:?}", server.await);
        }
        Demo {
            addr,
            base: format!("http://{addr}"),
            stop: Some(stop),
            server,
        }
    }

    /// The demo's `run`: serves on `listener` until `shutdown`.
    pub async fn run(
        self,
        listener: TcpListener,
        config: &app::Config,
        secret: SecretKey,
        ready: impl FnOnce(&str, bool),
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), String> {
        match self {
            Self::Axum => axum_app::run(listener, config, secret, ready, shutdown).await,
            #[cfg(feature = "actix")]
            Self::Actix => actix_app::run(listener, config, secret, ready, shutdown).await,
        }
    }
}

/// A running demo. Dropping it stops the server.
pub struct Demo {
    pub addr: SocketAddr,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<Result<(), String>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        // actix's workers run on threads of their own: ask it to stop them.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The axum demo configured by `vars`.
pub async fn start(vars: &[(&str, &str)]) -> Demo {
    Stack::Axum.start(vars).await
}

pub fn config(vars: &[(&str, &str)]) -> Result<app::Config, String> {
    app::Config::from_vars(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

/// Runs each `async fn name(stack: Stack)` listed against both demos, as
/// the tests `name::axum` and `name::actix`.
#[macro_export]
macro_rules! on_both_demos {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn axum() {
                    super::$name($crate::demo_support::Stack::Axum).await;
                }

                #[cfg(feature = "actix")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn actix() {
                    super::$name($crate::demo_support::Stack::Actix).await;
                }
            }
        )*
    };
}

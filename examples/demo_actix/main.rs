//! The authlink demo on actix-web: the same app, routes, environment and
//! answers as `cargo run --example demo` (examples/demo/README.md), with
//! sessions in actix-session (a private cookie, or Redis with
//! `AUTHLINK_REDIS_URL`).
//!
//! ```text
//! cargo run --example demo_actix --features actix
//! ```

mod actix_app;
#[path = "../demo/app.rs"]
mod app;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    app::exit(
        async {
            let (config, secret, listener) = app::start().await?;
            actix_app::run(
                listener,
                &config,
                secret,
                app::ready(&config),
                app::ctrl_c(),
            )
            .await
        }
        .await,
    )
}

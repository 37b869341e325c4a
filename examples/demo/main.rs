//! The authlink demo: a small web app that hands out magic links to API
//! callers and logs browsers in with them.
//!
//! ```text
//! cargo run --example demo
//! ```
//!
//! Environment: `AUTHLINK_DEMO_ADDR` (default `127.0.0.1:8080`),
//! `AUTHLINK_SECRET` (base64 key; random when unset), `AUTHLINK_TTL_SECONDS`
//! (60), `AUTHLINK_SINGLE_USE` (1), `AUTHLINK_CONFIRM` (prefetch-safe mode,
//! 0), `AUTHLINK_TRUSTED_PROXIES` (comma-separated CIDRs, none),
//! `AUTHLINK_FORWARDED_HEADER` (what they write: `x-forwarded-for` or
//! RFC 7239 `forwarded`; `x-forwarded-for`),
//! `AUTHLINK_REDIS_URL` (a shared Redis for single use, sessions and rate
//! limits; needs `--features redis`), `AUTHLINK_REPLAY_CAPACITY` (live
//! entries of the in-memory replay cache, 1,000,000),
//! `AUTHLINK_LINKS_PER_MINUTE` (per user, on create and consume; 20;
//! 0 is off) and `AUTHLINK_SMTP_URL` (where sign-in mails go; printed
//! here when unset; needs `--features smtp`).

mod app;
mod axum_app;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    app::exit(
        async {
            let (config, secret, listener) = app::start().await?;
            axum_app::run(
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

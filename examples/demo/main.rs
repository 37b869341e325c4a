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

use std::process::ExitCode;

use authlink::SecretKey;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("authlink demo: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let config = app::Config::from_vars(|name| std::env::var(name).ok())?;
    let secret = match &config.secret {
        Some(secret) => secret.clone(),
        None => {
            eprintln!(
                "warning: AUTHLINK_SECRET is not set; using a random key, so links stop working \
                 when the demo restarts (set it to a base64 key of at least 32 bytes to keep them)"
            );
            SecretKey::generate()
        }
    };
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.addr))?;
    let shutdown = async {
        // If the signal handler cannot be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let ready = |base: &str, secure_cookie: bool| {
        println!("{}", instructions(&config, base));
        if secure_cookie {
            println!(
                "session cookie: Secure (serve the demo behind HTTPS, or browsers will not send it back)"
            );
        } else {
            println!(
                "session cookie: Secure is OFF, because the demo listens on a loopback address over \
                 plain HTTP; never do this for a site reached over a network"
            );
        }
    };
    app::run(listener, &config, secret, ready, shutdown).await?;
    println!("authlink demo: stopped");
    Ok(())
}

fn instructions(config: &app::Config, base: &str) -> String {
    let trusted = if config.trusted.is_empty() {
        "none".to_owned()
    } else {
        "set".to_owned()
    };
    format!(
        "authlink demo listening on {base}
  users: alice, bob (API tokens alice-api-token, bob-api-token)
  links live {ttl} s, single use: {single}, prefetch-safe: {confirm}, trusted proxies: {trusted}
  links per user a minute: {rate}
  link sessions may visit: {whitelist}

Try it:
  # 1. the app asks for a link (as alice)
  curl -si -X POST {base}/api/authlink \\
       -H 'Authorization: Bearer alice-api-token' \\
       -H 'Content-Type: application/json' -d '{{\"url\": \"/account\"}}'
  # 2. open the Location in a browser, or follow it with curl:
  curl -si -c jar.txt '<Location>'
  curl -s -b jar.txt {base}/account        # Hello, alice
  curl -si -b jar.txt {base}/admin          # 403 for link sessions
Or sign in by mail (alice@example.com, bob@example.com): open {base}/login,
  \"Email me a link\"; the mail is {mail}.
Stop with Ctrl-C.",
        ttl = config.ttl.as_secs(),
        // The Redis URL may hold a password: say only that it is in use.
        single = match (config.single_use, &config.redis_url) {
            (false, _) => "no",
            (true, None) => "yes (in memory)",
            (true, Some(_)) => "yes (Redis)",
        },
        confirm = if config.confirm { "yes" } else { "no" },
        rate = match config.links_per_minute {
            Some(rate) => rate.to_string(),
            None => "no limit".to_owned(),
        },
        whitelist = app::WHITELIST.join(" "),
        // The SMTP URL may hold a password: say only that it is in use.
        mail = if config.smtp_url.is_some() {
            "sent by SMTP"
        } else {
            "printed here"
        },
    )
}

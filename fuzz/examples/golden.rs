//! Adds golden tokens to fuzz/golden.txt (what decode_verify accepts as
//! genuine) and writes one seed file per token in fuzz/seeds/decode_verify.
//!
//! Each run draws new link ids, so it adds tokens and keeps the ones already
//! listed: those still verify under the golden key, and a corpus grown from
//! them would otherwise hold genuine tokens the target no longer knows.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example golden`

use std::fs;
use std::net::IpAddr;
use std::path::Path;

use authlink::IpBinding;
use authlink_fuzz::{OTHER_SECRET, PURPOSE, SECRET, T0, clock_at, engine_with, policy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let clock = clock_at(T0);
    let ip = |text: &str| text.parse::<IpAddr>();
    let mut tokens = Vec::new();
    for binding in [IpBinding::Exact, IpBinding::prefix(), IpBinding::Off] {
        let engine = engine_with(SECRET, PURPOSE, policy(binding), &clock);
        tokens.push(
            engine
                .issue(
                    &1_234_567_890u64,
                    "/account/settings/emails",
                    ip("203.0.113.7")?,
                )?
                .key,
        );
        tokens.push(engine.issue(&0u64, "/", ip("2001:db8::1")?)?.key);
        tokens.push(
            engine
                .issue(
                    "alice@example.com",
                    "/page/7?tab=a%20b&x=1",
                    ip("::ffff:192.0.2.1")?,
                )?
                .key,
        );
        tokens.push(
            engine
                .issue_with_stamp(
                    &u64::MAX,
                    "https://app.example/account",
                    ip("192.0.2.1")?,
                    b"stamp-1",
                )?
                .key,
        );
    }
    // Valid under another key: decode_verify must refuse it under SECRET.
    let other = engine_with(OTHER_SECRET, PURPOSE, policy(IpBinding::Exact), &clock);
    let foreign = other.issue(&42u64, "/account", ip("203.0.113.7")?)?.key;

    let listed = fs::read_to_string(dir.join("golden.txt")).unwrap_or_default();
    let mut all: Vec<String> = listed.lines().map(str::to_owned).collect();
    all.extend(tokens);
    let tokens = all;
    fs::write(dir.join("golden.txt"), tokens.join("\n") + "\n")?;
    let seeds = dir.join("seeds/decode_verify");
    fs::create_dir_all(&seeds)?;
    for (i, token) in tokens.iter().chain([&foreign]).enumerate() {
        fs::write(seeds.join(format!("token-{i:02}")), token)?;
    }
    println!(
        "wrote {} golden tokens and {} seeds",
        tokens.len(),
        tokens.len() + 1
    );
    Ok(())
}

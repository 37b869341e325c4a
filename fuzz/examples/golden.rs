//! Writes the golden tokens to fuzz/golden.txt (what decode_verify accepts
//! as genuine) and one seed per token in fuzz/seeds/decode_verify, plus one
//! token valid only under another key.
//!
//! Each run draws new link ids. Listed tokens that still verify under the
//! golden key are kept, since a corpus grown from them would otherwise hold
//! genuine tokens the target no longer knows; the ones that no longer verify
//! (after a format change) are dropped, as decode_verify checks that every
//! listed token verifies. Stale seeds are removed.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example golden`

use std::fs;
use std::net::IpAddr;
use std::path::Path;

use authlink::IpBinding;
use authlink_fuzz::{OTHER_SECRET, PURPOSE, SECRET, T0, clock_at, engine_with, policy};

/// How the fuzz input `Input::Text(token)` of decode_verify is spelled: its
/// variant is chosen by a little-endian u32 (here 1, giving the first of
/// two), then the text takes the rest. A bare token would lose its first
/// four characters to the variant choice.
fn as_text_input(token: &str) -> Vec<u8> {
    let mut input = 1u32.to_le_bytes().to_vec();
    input.extend_from_slice(token.as_bytes());
    input
}

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

    // decode_verify checks at T0 + 1, unbound.
    let verify_clock = clock_at(T0 + 1);
    let golden = engine_with(SECRET, PURPOSE, policy(IpBinding::Off), &verify_clock);
    let any_ip = ip("203.0.113.7")?;
    let still_genuine = |token: &str| {
        golden.verify::<u64>(token, any_ip).is_ok()
            || golden.verify::<String>(token, any_ip).is_ok()
    };
    let listed = fs::read_to_string(dir.join("golden.txt")).unwrap_or_default();
    let mut all: Vec<String> = listed
        .lines()
        .filter(|token| still_genuine(token))
        .map(str::to_owned)
        .collect();
    let kept = all.len();
    all.extend(tokens);
    let tokens = all;
    fs::write(dir.join("golden.txt"), tokens.join("\n") + "\n")?;

    let seeds = dir.join("seeds/decode_verify");
    fs::create_dir_all(&seeds)?;
    for entry in fs::read_dir(&seeds)? {
        let path = entry?.path();
        if path.is_file() {
            fs::remove_file(path)?;
        }
    }
    for (i, token) in tokens.iter().enumerate() {
        fs::write(seeds.join(format!("token-{i:02}")), as_text_input(token))?;
    }
    fs::write(seeds.join("foreign-token"), as_text_input(&foreign))?;
    println!(
        "kept {kept} golden tokens, wrote {} ({} in all) and {} seeds",
        tokens.len() - kept,
        tokens.len(),
        tokens.len() + 1
    );
    Ok(())
}

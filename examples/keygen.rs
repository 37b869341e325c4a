//! Prints a fresh secret key as base64, for `AUTHLINK_SECRET`.
//!
//! ```text
//! cargo run --example keygen
//! ```

fn main() {
    match authlink::SecretKey::try_generate() {
        Ok(key) => println!("{}", key.to_base64()),
        Err(err) => {
            eprintln!("keygen: {err}");
            std::process::exit(1);
        }
    }
}

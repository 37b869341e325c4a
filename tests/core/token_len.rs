//! Token length: the typical link (u64 user id, 24-byte path, IPv4 binding,
//! no stamp) stays within 100 characters, as the README promises.

use std::error::Error;
use std::net::IpAddr;

use authlink::{Authlink, IpBinding};

use crate::fixtures::typical::{CLIENT, MAX_LEN, TARGET, USER, engine};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn len(engine: &Authlink, user: u64, ip: &str) -> Result<usize> {
    let ip: IpAddr = ip.parse()?;
    Ok(engine.issue(&user, TARGET, ip)?.key.len())
}

#[test]
fn typical_token_is_at_most_100_characters() -> Result<()> {
    assert_eq!(TARGET.len(), 24);
    let engine = engine(IpBinding::Exact);
    // A 32-bit database sequence, as in the benches.
    assert_eq!(len(&engine, USER, &CLIENT.to_string())?, 96);
    // Postcard writes the id as a varint: the bound holds for every id
    // below 2^56.
    for user in [0, 1, 127, 128, u64::from(u32::MAX), (1 << 56) - 1] {
        let chars = len(&engine, user, "203.0.113.7")?;
        assert!(chars <= MAX_LEN, "user id {user} gives {chars} characters");
    }
    Ok(())
}

#[test]
fn binding_changes_length_as_documented() -> Result<()> {
    let exact = engine(IpBinding::Exact);
    let off = engine(IpBinding::Off);
    // An IPv6 client is hashed to the same 8 bytes as an IPv4 one.
    assert_eq!(
        len(&exact, 1_234_567_890, "2001:db8::7")?,
        len(&exact, 1_234_567_890, "203.0.113.7")?
    );
    // Off drops the 8-byte hash (its one-byte option tag stays): 72 bytes
    // become 64, 96 characters 86.
    assert_eq!(len(&off, 1_234_567_890, "203.0.113.7")?, 86);
    Ok(())
}

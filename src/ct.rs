//! Constant-time equality of the fixed-size secret-derived values a token
//! carries: its tag and its client and stamp hashes.

use subtle::ConstantTimeEq as _;

/// Whether `a` and `b` are equal, in time that does not depend on where they
/// differ. The bytes are XOR-folded into one word and that word is compared
/// once: `subtle` compares slices a byte at a time, each behind its own
/// optimisation barrier, which costs more than the hash it guards.
pub(crate) fn bytes_eq<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
    const { assert!(N % 8 == 0, "whole words only") };
    let word = |chunk: &[u8]| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        u64::from_ne_bytes(word)
    };
    let diff = a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .fold(0, |diff, (a, b)| diff | (word(a) ^ word(b)));
    diff.ct_eq(&0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_is() {
        let a = [7u8; 16];
        assert!(bytes_eq(&a, &a));
        for i in 0..16 {
            for bit in 0..8 {
                let mut b = a;
                b[i] ^= 1 << bit;
                assert!(!bytes_eq(&a, &b), "byte {i} bit {bit}");
            }
        }
        let word = [1, 2, 3, 4, 5, 6, 7, 8];
        assert!(bytes_eq(&word, &word));
        assert!(!bytes_eq(&word, &[1, 2, 3, 4, 5, 6, 7, 9]));
    }
}

//! Files of pseudo-random bytes for transfer tests: a seeded xorshift64 stream, so a test can
//! make distinct files (by seed) that no compression or deduplication shortens, and make the same
//! file again.

use std::io;
use std::path::Path;

/// `len` pseudo-random bytes from `seed` (the same seed gives the same bytes).
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    data
}

/// Writes `len` pseudo-random bytes from `seed` to `path` (created or truncated).
pub fn write(path: &Path, len: usize, seed: u64) -> io::Result<()> {
    std::fs::write(path, bytes(len, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_give_distinct_repeatable_bytes_of_the_asked_length() {
        assert_eq!(bytes(0, 7).len(), 0);
        assert_eq!(bytes(13, 7).len(), 13);
        assert_eq!(bytes(1000, 7), bytes(1000, 7));
        assert_ne!(bytes(1000, 7), bytes(1000, 9));
        // A prefix of a longer stream: the length only cuts it.
        assert_eq!(bytes(1000, 7)[..13], bytes(13, 7)[..]);
    }
}

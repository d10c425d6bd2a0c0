//! The exact output of a soak session, computed rather than stored.
//!
//! Every soak session runs [`PROGRAM`]: it turns terminal echo off, prints `ready`, then reads
//! one number `n` per input line and prints the next `n` integers, one per line. Through the
//! terminal (`onlcr`) each line ends in `\r\n`. Bursts continue the count where the previous one
//! stopped, so after bursts totalling `N` lines the whole output stream is
//! `ready\r\n1\r\n2\r\n…N\r\n`, whatever the burst sizes were. [`Expected`] knows `N` and gives
//! the expected bytes at any offset, so every byte a client receives, replays or reads can be
//! checked without keeping the output.

/// The first line every soak session prints, once terminal echo is off.
pub const READY: &[u8] = b"ready\r\n";

/// The session's program, run as `/bin/sh -c PROGRAM`. The input line `x` makes it exit with
/// status [`EXIT_CODE`].
pub const PROGRAM: &str = "stty -echo && printf 'ready\\n' && c=0 && \
     while read -r n; do case $n in x) exit 3;; esac; seq $((c+1)) $((c+n)); c=$((c+n)); done";

/// The exit status of [`PROGRAM`] after the input line `x`.
pub const EXIT_CODE: i32 = 3;

/// The expected output of one session: [`READY`], then the numbers `1..=numbers`.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    numbers: u64,
}

impl Expected {
    /// A session that has been asked for nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a burst of `count` more lines.
    pub fn push_burst(&mut self, count: u64) {
        self.numbers += count;
    }

    /// How many numbers have been asked for.
    pub fn numbers(&self) -> u64 {
        self.numbers
    }

    /// The length of the whole expected output.
    pub fn len(&self) -> u64 {
        offset_of(self.numbers + 1)
    }

    /// True when only [`READY`] is expected.
    pub fn is_empty(&self) -> bool {
        self.numbers == 0
    }

    /// Compares `data`, received at `offset`, with the expected output; describes the first
    /// difference, `None` when they match.
    pub fn mismatch(&self, offset: u64, data: &[u8]) -> Option<String> {
        let end = offset + data.len() as u64;
        if end > self.len() {
            return Some(format!(
                "{} bytes at {offset}..{end}, past the expected end {} ({} numbers asked for): {:?}",
                data.len(),
                self.len(),
                self.numbers,
                preview(data)
            ));
        }
        let want = bytes_at(offset, data.len());
        let at = want.iter().zip(data).position(|(a, b)| a != b)?;
        let from = at.saturating_sub(16);
        let to = (at + 16).min(data.len());
        Some(format!(
            "byte {} differs: expected {:?}, got {:?}",
            offset + at as u64,
            preview(&want[from..to]),
            preview(&data[from..to])
        ))
    }
}

/// `data` as short readable text, for failure messages.
fn preview(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(&data[..data.len().min(64)])
        .escape_debug()
        .to_string();
    if data.len() > 64 {
        format!("{text}…")
    } else {
        text
    }
}

/// The offset at which the line of number `n` (≥ 1) starts.
fn offset_of(n: u64) -> u64 {
    let mut offset = READY.len() as u64;
    let mut first = 1u64;
    let mut width = 1u64;
    while first < n {
        let last = (first * 10).min(n);
        offset += (last - first) * (width + 2);
        first *= 10;
        width += 1;
    }
    offset
}

/// The number whose line holds `offset` (≥ `READY.len()`), and how far into that line it is.
fn number_at(offset: u64) -> (u64, u64) {
    let mut rel = offset - READY.len() as u64;
    let mut first = 1u64;
    let mut width = 1u64;
    loop {
        let group = first * 9 * (width + 2);
        if rel < group {
            return (first + rel / (width + 2), rel % (width + 2));
        }
        rel -= group;
        first *= 10;
        width += 1;
    }
}

/// The `len` expected bytes from `offset` on (the stream of an unbounded session).
fn bytes_at(offset: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let ready = READY.len() as u64;
    if offset < ready {
        let from = offset as usize;
        out.extend_from_slice(&READY[from..(from + len).min(READY.len())]);
    }
    let pos = offset.max(ready);
    if out.len() < len {
        let (mut n, skip) = number_at(pos);
        let mut line = format!("{n}\r\n");
        out.extend_from_slice(&line.as_bytes()[skip as usize..]);
        while out.len() < len {
            n += 1;
            line.clear();
            line.push_str(&n.to_string());
            line.push_str("\r\n");
            out.extend_from_slice(line.as_bytes());
        }
        out.truncate(len);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(numbers: u64) -> Vec<u8> {
        let mut s = READY.to_vec();
        for n in 1..=numbers {
            s.extend_from_slice(format!("{n}\r\n").as_bytes());
        }
        s
    }

    #[test]
    fn every_offset_matches_the_literal_stream() {
        let mut e = Expected::new();
        assert_eq!(e.len(), READY.len() as u64);
        e.push_burst(7);
        e.push_burst(1200);
        let lit = literal(1207);
        assert_eq!(e.len(), lit.len() as u64);
        for offset in 0..lit.len() {
            for len in [1, 2, 5, 17] {
                let end = (offset + len).min(lit.len());
                assert_eq!(
                    e.mismatch(offset as u64, &lit[offset..end]),
                    None,
                    "{offset}+{len}"
                );
            }
        }
        assert_eq!(offset_of(100_001), literal(100_000).len() as u64);
    }

    #[test]
    fn differences_and_excess_are_named() {
        let mut e = Expected::new();
        e.push_burst(20);
        let mut lit = literal(20);
        lit[30] = b'#';
        let m = e.mismatch(0, &lit).expect("a difference");
        assert!(m.contains("byte 30 differs"), "{m}");
        let m = e.mismatch(0, &literal(21)).expect("too long");
        assert!(m.contains("past the expected end"), "{m}");
    }
}

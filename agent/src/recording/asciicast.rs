//! The asciicast v2 format, pure: the header line, event lines, and the UTF-8 carry that turns
//! a byte stream cut at arbitrary points into valid JSON strings.
//!
//! A file is one JSON header object, then one JSON array per line: `[time, code, data]` with the
//! time in seconds since the file's start, code `"o"` (output), `"i"` (input), `"r"` (resize,
//! data `"COLSxROWS"`) or `"m"` (a marker, data its label). `data` is a string, so output must be
//! valid UTF-8: [`Utf8Carry`] keeps an incomplete multi-byte sequence at the end of one read for
//! the next and replaces bytes that can never be valid with U+FFFD.

use std::time::Duration;

use serde_json::json;

/// An event's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Output.
    Output,
    /// Input.
    Input,
    /// A resize.
    Resize,
    /// A marker.
    Marker,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::Output => "o",
            Code::Input => "i",
            Code::Resize => "r",
            Code::Marker => "m",
        }
    }
}

/// The header line (with its newline) of a file started at `timestamp` (Unix seconds).
pub fn header(cols: u16, rows: u16, timestamp: i64, term: &str) -> String {
    let h = json!({
        "version": 2,
        "width": cols,
        "height": rows,
        "timestamp": timestamp,
        "env": {"TERM": term},
    });
    format!("{h}\n")
}

/// One event line (with its newline) at `t` since the file's start.
pub fn event(t: Duration, code: Code, data: &str) -> String {
    // Microseconds are as fine as asciicast players go; the value stays a plain decimal.
    let secs = t.as_micros() as f64 / 1e6;
    let line = json!([secs, code.as_str(), data]);
    format!("{line}\n")
}

/// The longest a UTF-8 sequence can be; a carry is always shorter.
const MAX_SEQ: usize = 4;

/// Bytes of an incomplete UTF-8 sequence kept from the end of one chunk for the next.
#[derive(Debug, Default)]
pub struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    /// Decodes `data` after what was carried: the longest valid text, with invalid bytes as
    /// U+FFFD, keeping an incomplete sequence at the end for the next call.
    pub fn decode(&mut self, data: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(data);
        let mut out = String::with_capacity(bytes.len());
        let mut rest = &bytes[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // Checked by from_utf8 just now.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[n..];
                        }
                        None => {
                            // An incomplete sequence at the very end: it may complete later.
                            debug_assert!(after.len() < MAX_SEQ);
                            self.pending.extend_from_slice(after);
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    /// What is carried, decoded as it stands (U+FFFD for an incomplete sequence): for the end of
    /// a stream or a gap in it.
    pub fn finish(&mut self) -> String {
        let p = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&p).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_and_events_are_json_lines() {
        let h: serde_json::Value = serde_json::from_str(&header(80, 24, 1_700_000_000, "xterm"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h["version"], 2);
        assert_eq!(h["width"], 80);
        assert_eq!(h["env"]["TERM"], "xterm");
        let e = event(
            Duration::from_micros(1_500_001),
            Code::Output,
            "a\u{1b}[0m\"",
        );
        assert_eq!(e, "[1.500001,\"o\",\"a\\u001b[0m\\\"\"]\n");
        assert_eq!(
            event(Duration::from_secs(2), Code::Resize, "100x30"),
            "[2.0,\"r\",\"100x30\"]\n"
        );
    }

    #[test]
    fn split_sequences_are_carried() {
        let text = "é€😀";
        let b = text.as_bytes();
        let mut c = Utf8Carry::default();
        let mut out = String::new();
        for byte in b {
            out.push_str(&c.decode(std::slice::from_ref(byte)));
        }
        assert_eq!(out, text);
        assert_eq!(c.finish(), "");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut c = Utf8Carry::default();
        assert_eq!(c.decode(b"a\xffb\xc3"), "a\u{fffd}b");
        assert_eq!(c.decode(b"("), "\u{fffd}(");
        assert_eq!(c.decode(b"\xe2\x82"), "");
        assert_eq!(c.finish(), "\u{fffd}");
    }

    proptest! {
        /// Valid text cut anywhere decodes to itself; any bytes decode to what a one-shot
        /// lossy decode gives.
        #[test]
        fn chunking_does_not_matter(text in ".{0,64}", junk in proptest::collection::vec(any::<u8>(), 0..64), cuts in proptest::collection::vec(0usize..128, 0..8)) {
            for bytes in [text.as_bytes().to_vec(), junk] {
                let mut cuts = cuts.iter().map(|&c| c.min(bytes.len())).collect::<Vec<_>>();
                cuts.push(0);
                cuts.push(bytes.len());
                cuts.sort_unstable();
                let mut c = Utf8Carry::default();
                let mut out = String::new();
                for w in cuts.windows(2) {
                    out.push_str(&c.decode(&bytes[w[0]..w[1]]));
                }
                out.push_str(&c.finish());
                prop_assert_eq!(out, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}

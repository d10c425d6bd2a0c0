//! Newline-delimited framing with a maximum line length.
//!
//! Each message is one line: a JSON object followed by `\n`. JSON encoders never emit a raw
//! newline inside a value, so the framing needs no escaping. A line longer than the limit is
//! reported once as [`CodecError::LineTooLong`] and then skipped up to its newline, so one bad
//! line never desynchronises the stream. A trailing `\r` is tolerated.

use serde::Serialize;

/// A framing failure.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// A line exceeded the limit; it is being discarded up to its newline.
    #[error("line longer than {max} bytes")]
    LineTooLong {
        /// The limit in force.
        max: usize,
    },
}

/// Splits a byte stream into lines of at most `max` bytes.
#[derive(Debug)]
pub struct LineDecoder {
    buf: Vec<u8>,
    /// Bytes before this index hold no newline.
    scanned: usize,
    max: usize,
    discarding: bool,
}

impl LineDecoder {
    /// A decoder for lines of at most `max` bytes (without the newline).
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            scanned: 0,
            max,
            discarding: false,
        }
    }

    /// The limit in force.
    pub fn max_len(&self) -> usize {
        self.max
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes held that do not yet end in a newline.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete line (without `\n` or a trailing `\r`), an error for an over-long line,
    /// or `None` when more input is needed. Empty lines are skipped.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, CodecError>> {
        loop {
            let found = self.buf[self.scanned..].iter().position(|&b| b == b'\n');
            match found {
                Some(rel) => {
                    let nl = self.scanned + rel;
                    let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
                    self.scanned = 0;
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    if line.len() > self.max {
                        return Some(Err(CodecError::LineTooLong { max: self.max }));
                    }
                    if line.is_empty() {
                        continue;
                    }
                    return Some(Ok(line));
                }
                None => {
                    self.scanned = self.buf.len();
                    if self.buf.len() > self.max + 1 {
                        // Keep nothing of an over-long line; report it once.
                        self.buf.clear();
                        self.scanned = 0;
                        if !self.discarding {
                            self.discarding = true;
                            return Some(Err(CodecError::LineTooLong { max: self.max }));
                        }
                    }
                    return None;
                }
            }
        }
    }

    /// What is left at end of stream: a final line with no newline, if any.
    pub fn finish(&mut self) -> Option<Result<Vec<u8>, CodecError>> {
        if self.discarding || self.buf.is_empty() {
            self.buf.clear();
            return None;
        }
        self.buf.push(b'\n');
        self.scanned = self.buf.len() - 1;
        self.next_line()
    }
}

/// Appends `msg` as one line (JSON and `\n`) to `out`.
pub fn encode_line<T: Serialize + ?Sized>(msg: &T, out: &mut Vec<u8>) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, msg)?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(d: &mut LineDecoder) -> Vec<Result<Vec<u8>, CodecError>> {
        std::iter::from_fn(|| d.next_line()).collect()
    }

    #[test]
    fn splits_lines_across_pushes() {
        let mut d = LineDecoder::new(100);
        d.push(b"ab");
        assert!(d.next_line().is_none());
        d.push(b"c\r\n\nde\nf");
        assert_eq!(drain(&mut d), vec![Ok(b"abc".to_vec()), Ok(b"de".to_vec())]);
        assert_eq!(d.finish(), Some(Ok(b"f".to_vec())));
    }

    #[test]
    fn over_long_line_is_reported_once_and_skipped() {
        let mut d = LineDecoder::new(4);
        d.push(b"123456789");
        assert_eq!(d.next_line(), Some(Err(CodecError::LineTooLong { max: 4 })));
        d.push(b"more bytes");
        assert_eq!(d.next_line(), None);
        d.push(b"tail\nok\n");
        assert_eq!(drain(&mut d), vec![Ok(b"ok".to_vec())]);
        // A too-long line that arrives whole is reported too.
        d.push(b"abcdef\nxy\n");
        assert_eq!(
            drain(&mut d),
            vec![Err(CodecError::LineTooLong { max: 4 }), Ok(b"xy".to_vec())]
        );
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_lines(
            lines in proptest::collection::vec("[a-z]{1,12}", 0..20),
            cuts in proptest::collection::vec(0usize..200, 0..10),
        ) {
            let mut stream = Vec::new();
            for l in &lines { stream.extend_from_slice(l.as_bytes()); stream.push(b'\n'); }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.sort_unstable();
            let mut d = LineDecoder::new(64);
            let mut got = Vec::new();
            let mut prev = 0;
            for c in cuts.into_iter().chain([stream.len()]) {
                d.push(&stream[prev..c]);
                prev = c;
                got.extend(drain(&mut d));
            }
            let want: Vec<_> = lines.iter().map(|l| Ok(l.as_bytes().to_vec())).collect();
            prop_assert_eq!(got, want);
        }
    }
}

//! One attached session's output, reassembled from its `session.output` notifications with the
//! checks every client of the agent owes the protocol: the first chunk starts at the attach's
//! `replay_from`, and every chunk starts where the previous one ended.

use std::time::Instant;

use outpost_protocol::output::OutputRef;

/// How a session's output is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// Every chunk must start where the previous ended (a gap is an error). When false, gaps
    /// are recorded in [`Stream::gaps`] instead; going backwards is always an error.
    pub contiguous: bool,
    /// Keep at most this many of the latest bytes in [`Stream::data`]. With 0 the bytes are
    /// only counted, never decoded (for floods and benches).
    pub keep: usize,
}

impl Default for Mode {
    /// Contiguous, every byte kept.
    fn default() -> Self {
        Mode {
            contiguous: true,
            keep: usize::MAX,
        }
    }
}

impl Mode {
    /// For floods: gaps allowed (and recorded), only the last MiB kept.
    pub fn lenient() -> Mode {
        Mode {
            contiguous: false,
            keep: 1024 * 1024,
        }
    }

    /// Gaps allowed (and recorded), bytes counted but not decoded.
    pub fn count_only() -> Mode {
        Mode {
            contiguous: false,
            keep: 0,
        }
    }

    /// Gaps allowed (and recorded), every byte kept.
    pub fn keep_all_with_gaps() -> Mode {
        Mode {
            contiguous: false,
            keep: usize::MAX,
        }
    }
}

/// One session's output as received by one client since its last successful attach.
#[derive(Clone, Debug)]
pub struct Stream {
    /// The attach's `replay_from`.
    pub replay_from: u64,
    /// The offset the next chunk should start at (the end of what was received).
    pub next: u64,
    /// The bytes received, in order (only the latest [`Mode::keep`] bytes).
    pub data: Vec<u8>,
    /// Bytes dropped from the front of `data` because of [`Mode::keep`].
    pub dropped: u64,
    /// Total bytes received.
    pub received: u64,
    /// Number of `session.output` notifications received.
    pub chunks: u64,
    /// Jumps in the offsets: `(expected, got)` with `got > expected`.
    pub gaps: Vec<(u64, u64)>,
    /// Violations (gaps in contiguous mode, overlaps, bad data).
    pub errors: Vec<String>,
    /// When the attach result arrived.
    pub attached_at: Instant,
    /// When the latest chunk arrived.
    pub last_at: Option<Instant>,
    mode: Mode,
}

impl Stream {
    pub(crate) fn new(replay_from: u64, mode: Mode) -> Self {
        Stream {
            replay_from,
            next: replay_from,
            data: Vec::new(),
            dropped: 0,
            received: 0,
            chunks: 0,
            gaps: Vec::new(),
            errors: Vec::new(),
            attached_at: Instant::now(),
            last_at: None,
            mode,
        }
    }

    /// How this stream is kept.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Files one chunk.
    pub(crate) fn push(&mut self, out: &OutputRef<'_>, at: Instant) {
        let offset = out.offset;
        let len = out.data_len() as u64;
        if offset < self.next {
            self.errors.push(format!(
                "output at offset {offset} (len {len}) overlaps what was already received up to {}",
                self.next
            ));
        } else if offset > self.next {
            if self.mode.contiguous {
                self.errors.push(format!(
                    "gap: output at offset {offset}, expected {}",
                    self.next
                ));
            }
            self.gaps.push((self.next, offset));
        }
        if self.mode.keep > 0 {
            if let Err(e) = out.decode_into(&mut self.data) {
                self.errors.push(format!("output at offset {offset}: {e}"));
                return;
            }
            // Trim in batches (keeping between `keep` and twice that) so a flood costs no
            // quadratic copying.
            if self.data.len() > self.mode.keep.saturating_mul(2) {
                let cut = self.data.len() - self.mode.keep;
                self.data.drain(..cut);
                self.dropped += cut as u64;
            }
        } else {
            self.dropped += len;
        }
        self.next = offset + len;
        self.received += len;
        self.chunks += 1;
        self.last_at = Some(at);
    }

    /// Whether the kept bytes contain `needle`.
    pub fn contains(&self, needle: &[u8]) -> bool {
        crate::text::find(&self.data, needle).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_protocol::output::encode;

    fn push(s: &mut Stream, offset: u64, data: &[u8]) {
        let line = encode("s", offset, data);
        let line = line.strip_suffix(b"\n").unwrap();
        let outpost_protocol::incoming::AgentMessage::Output(o) =
            outpost_protocol::incoming::AgentMessage::parse(line).unwrap()
        else {
            panic!("not output")
        };
        s.push(&o, Instant::now());
    }

    #[test]
    fn contiguous_streams_flag_gaps_and_overlaps() {
        let mut s = Stream::new(10, Mode::default());
        push(&mut s, 10, b"abc");
        push(&mut s, 13, b"de");
        assert_eq!(
            (s.data.as_slice(), s.next, s.chunks),
            (&b"abcde"[..], 15, 2)
        );
        assert!(s.errors.is_empty());
        push(&mut s, 20, b"x");
        push(&mut s, 3, b"y");
        assert_eq!(s.errors.len(), 2, "{:?}", s.errors);
        assert_eq!(s.gaps, [(15, 20)]);
    }

    #[test]
    fn counting_streams_do_not_keep_bytes() {
        let mut s = Stream::new(0, Mode::count_only());
        push(&mut s, 0, b"hello");
        push(&mut s, 9, b"!");
        assert!(s.data.is_empty() && s.errors.is_empty());
        assert_eq!(
            (s.received, s.next, s.gaps.as_slice()),
            (6, 10, &[(5, 9)][..])
        );
    }
}

//! Terminal output as plain text: escape sequences removed, with a map back to output offsets.
//! The one copy both ends use (feature `text`): the agent for `session.exec` results and
//! `session.expect`, the desktop for text it hands to AI agents (MCP).
//!
//! [`PlainText`] is fed a session's output bytes in chunks of any size (a chunk may end inside
//! an escape sequence or a UTF-8 character) and keeps the text they make:
//!
//! - escape sequences are parsed by the `vte` crate (the parser alacritty uses) and dropped:
//!   CSI, OSC (ended by BEL or ST), DCS, SOS/PM/APC strings and two-byte ESC sequences;
//! - `\n` and `\t` stay; `\r\n` becomes `\n`; a lone `\r` ends the line (`\n`) unless the line is
//!   still empty, so progress output such as `50%\r100%` reads as two lines and `\r\r\n` as one
//!   line break; other control characters (BEL, BS, DEL, C1 controls) are dropped;
//! - invalid UTF-8 becomes U+FFFD, one per maximal invalid subpart, as
//!   [`String::from_utf8_lossy`] does.
//!
//! The text only grows at its end (nothing fed later changes text already made), so a matcher
//! can work on it as it arrives. Each text position maps back to the absolute output offsets of
//! the bytes that made it ([`PlainText::output_start`], [`PlainText::output_end`]); `session.expect`
//! answers with those offsets. A window can drop its oldest text ([`PlainText::keep_last`]) and a
//! result can stop growing at a cap ([`PlainText::capped`]).
//!
//! ```
//! use outpost_protocol::text::{plain_text, PlainText};
//!
//! assert_eq!(plain_text(b"\x1b[1;31mred\x1b[0m\r\nnext\x1b]0;title\x07"), "red\nnext");
//!
//! let mut text = PlainText::new(100);
//! text.feed(b"\x1b[3");
//! text.feed(b"2mok");
//! assert_eq!(text.text(), "ok");
//! assert_eq!(text.output_start(0), 105);
//! assert_eq!(text.output_end(2), 107);
//! ```

use std::collections::VecDeque;

/// The plain text of `bytes` (see the module doc).
pub fn plain_text(bytes: &[u8]) -> String {
    let mut text = PlainText::new(0);
    text.feed(bytes);
    text.into_text()
}

/// The plain text of `bytes`, at most `cap` bytes of it (cut at a character boundary), and
/// whether it was cut.
pub fn plain_text_capped(bytes: &[u8], cap: usize) -> (String, bool) {
    let mut text = PlainText::capped(0, cap);
    text.feed(bytes);
    let truncated = text.truncated();
    (text.into_text(), truncated)
}

/// An incremental converter from output bytes to plain text (see the module doc).
pub struct PlainText {
    parser: vte::Parser,
    decoder: Utf8,
    sink: Sink,
}

impl PlainText {
    /// A converter whose first fed byte is at output offset `offset`.
    pub fn new(offset: u64) -> Self {
        Self::with_cap(offset, None)
    }

    /// A converter that keeps at most the first `cap` bytes of text; see [`Self::truncated`].
    pub fn capped(offset: u64, cap: usize) -> Self {
        Self::with_cap(offset, Some(cap))
    }

    fn with_cap(offset: u64, cap: Option<usize>) -> Self {
        Self {
            parser: vte::Parser::new(),
            decoder: Utf8::new(offset),
            sink: Sink::new(cap),
        }
    }

    /// Feeds the next output bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        // UTF-8 is decoded here, one character at a time, so that every character's bytes are
        // known (`vte` reports characters, not where they came from) and invalid input becomes
        // U+FFFD exactly as `String::from_utf8_lossy` makes it. `vte` then sees only whole,
        // valid characters.
        let Self {
            parser,
            decoder,
            sink,
        } = self;
        for &byte in bytes {
            decoder.push(byte, |c, from, to| {
                sink.from = from;
                sink.to = to;
                let mut buf = [0; 4];
                parser.advance(sink, c.encode_utf8(&mut buf).as_bytes());
            });
        }
    }

    /// The text kept (everything, or what [`Self::keep_last`] left, or the first `cap` bytes).
    pub fn text(&self) -> &str {
        &self.sink.text
    }

    /// The text kept, consuming the converter.
    pub fn into_text(self) -> String {
        self.sink.text
    }

    /// The output offset just after the last byte fed.
    pub fn offset(&self) -> u64 {
        self.decoder.offset
    }

    /// Text was dropped at the cap of [`Self::capped`].
    pub fn truncated(&self) -> bool {
        self.sink.truncated
    }

    /// The output offset where the character at text position `pos` (a character boundary of
    /// [`Self::text`]) starts; at the end of the text, the offset just after the last byte fed.
    pub fn output_start(&self, pos: usize) -> u64 {
        self.sink
            .map
            .start(self.sink.base + pos)
            .unwrap_or(self.decoder.offset)
    }

    /// The output offset just after the character that ends at text position `pos` (a character
    /// boundary of [`Self::text`]); at position 0, where the first kept character starts.
    pub fn output_end(&self, pos: usize) -> u64 {
        if pos == 0 {
            return self.output_start(0);
        }
        self.sink
            .map
            .end(self.sink.base + pos)
            .unwrap_or(self.decoder.offset)
    }

    /// Drops the oldest text so that at most `max` bytes remain (the cut falls on a character
    /// boundary, so slightly fewer may remain).
    pub fn keep_last(&mut self, max: usize) {
        let text = &mut self.sink.text;
        if text.len() <= max {
            return;
        }
        let mut cut = text.len() - max;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text.drain(..cut);
        self.sink.base += cut;
        self.sink.map.forget_before(self.sink.base);
    }
}

/// An incremental UTF-8 decoder that knows where each character's bytes are.
struct Utf8 {
    /// The bytes of an unfinished character (a valid prefix).
    pending: [u8; 4],
    pending_len: usize,
    /// The output offset of the next byte.
    offset: u64,
}

impl Utf8 {
    fn new(offset: u64) -> Self {
        Self {
            pending: [0; 4],
            pending_len: 0,
            offset,
        }
    }

    /// Takes one byte; calls `out` with each character it completes and its output range.
    fn push(&mut self, byte: u8, mut out: impl FnMut(char, u64, u64)) {
        let at = self.offset;
        self.offset += 1;
        if self.pending_len > 0 {
            self.pending[self.pending_len] = byte;
            let start = at - self.pending_len as u64;
            match std::str::from_utf8(&self.pending[..=self.pending_len]) {
                Ok(s) => {
                    self.pending_len = 0;
                    if let Some(c) = s.chars().next() {
                        out(c, start, at + 1);
                    }
                    return;
                }
                Err(e) if e.error_len().is_none() => {
                    self.pending_len += 1;
                    return;
                }
                Err(_) => {
                    // The pending bytes are a maximal invalid subpart; this byte starts afresh.
                    self.pending_len = 0;
                    out(char::REPLACEMENT_CHARACTER, start, at);
                }
            }
        }
        match std::str::from_utf8(std::slice::from_ref(&byte)) {
            Ok(_) => out(char::from(byte), at, at + 1),
            Err(e) if e.error_len().is_none() => {
                self.pending[0] = byte;
                self.pending_len = 1;
            }
            Err(_) => out(char::REPLACEMENT_CHARACTER, at, at + 1),
        }
    }
}

/// How the last `\r` was handled, for the `\n` that may follow it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Return {
    /// The last character handled was not `\r`.
    None,
    /// A `\r` ended a non-empty line: a `\n` right after it adds nothing.
    EndedLine,
    /// A `\r` at the start of a line was dropped.
    Dropped,
}

/// The `vte` performer: places the text characters, each with the output bytes it came from.
struct Sink {
    text: String,
    /// The absolute text position (counted from the first character ever made) of `text[0]`.
    base: usize,
    map: OffsetMap,
    /// The output range of the character `vte` is handling.
    from: u64,
    to: u64,
    /// The last character made was `\n`, or none was made yet.
    at_line_start: bool,
    carriage: Return,
    cap: Option<usize>,
    truncated: bool,
}

impl Sink {
    fn new(cap: Option<usize>) -> Self {
        Self {
            text: String::new(),
            base: 0,
            map: OffsetMap::default(),
            from: 0,
            to: 0,
            at_line_start: true,
            carriage: Return::None,
            cap,
            truncated: false,
        }
    }

    /// Appends one text character made of the current character's bytes.
    fn emit(&mut self, c: char) {
        self.at_line_start = c == '\n';
        if self.truncated {
            return;
        }
        if let Some(cap) = self.cap {
            if self.text.len() + c.len_utf8() > cap {
                self.truncated = true;
                return;
            }
        }
        let pos = self.base + self.text.len();
        self.text.push(c);
        self.map.push(pos, c.len_utf8(), self.from, self.to);
    }

    fn carriage_return(&mut self) {
        if self.at_line_start {
            // A `\r` right after one that ended the line still waits for that line's `\n`.
            if self.carriage != Return::EndedLine {
                self.carriage = Return::Dropped;
            }
        } else {
            self.emit('\n');
            self.carriage = Return::EndedLine;
        }
    }

    fn line_feed(&mut self) {
        if self.carriage != Return::EndedLine {
            self.emit('\n');
        }
        self.carriage = Return::None;
    }
}

impl vte::Perform for Sink {
    fn print(&mut self, c: char) {
        // DEL and the C1 controls (valid UTF-8 for U+0080..U+009F) are controls, not text.
        if c == '\x7f' || ('\u{80}'..='\u{9f}').contains(&c) {
            return;
        }
        self.carriage = Return::None;
        self.emit(c);
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\n' => self.line_feed(),
            b'\r' => self.carriage_return(),
            b'\t' => {
                self.carriage = Return::None;
                self.emit('\t');
            }
            _ => {}
        }
    }
}

/// A run of text whose characters came from a run of output bytes: byte for byte when the two
/// lengths are equal, else one character (a U+FFFD) made of several bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    text: usize,
    text_len: usize,
    out: u64,
    out_len: u64,
}

impl Segment {
    fn linear(&self) -> bool {
        self.text_len as u64 == self.out_len
    }
}

/// Absolute text positions → output offsets, as a list of [`Segment`]s in text order.
#[derive(Default)]
struct OffsetMap {
    segments: VecDeque<Segment>,
}

impl OffsetMap {
    fn push(&mut self, text: usize, text_len: usize, from: u64, to: u64) {
        let new = Segment {
            text,
            text_len,
            out: from,
            out_len: to - from,
        };
        if let Some(last) = self.segments.back_mut() {
            if last.linear()
                && new.linear()
                && last.text + last.text_len == new.text
                && last.out + last.out_len == new.out
            {
                last.text_len += new.text_len;
                last.out_len += new.out_len;
                return;
            }
        }
        self.segments.push_back(new);
    }

    /// The segment holding absolute text position `pos`.
    fn find(&self, pos: usize) -> Option<&Segment> {
        let index = self
            .segments
            .partition_point(|s| s.text + s.text_len <= pos);
        self.segments.get(index).filter(|s| s.text <= pos)
    }

    fn start(&self, pos: usize) -> Option<u64> {
        let s = self.find(pos)?;
        Some(if s.linear() {
            s.out + (pos - s.text) as u64
        } else {
            s.out
        })
    }

    fn end(&self, pos: usize) -> Option<u64> {
        let s = self.find(pos.checked_sub(1)?)?;
        Some(if s.linear() {
            s.out + (pos - s.text) as u64
        } else {
            s.out + s.out_len
        })
    }

    fn forget_before(&mut self, pos: usize) {
        while let Some(first) = self.segments.front_mut() {
            if first.text + first.text_len <= pos {
                self.segments.pop_front();
            } else if first.linear() && first.text < pos {
                let cut = pos - first.text;
                first.text = pos;
                first.text_len -= cut;
                first.out += cut as u64;
                first.out_len -= cut as u64;
                break;
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_sequences_of_every_kind() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "plain"),
            (b"\x1b[1;31mred\x1b[0m", "red"),
            (b"\x1b]0;title\x07a\x1b]7;file://h/tmp\x1b\\b", "ab"),
            (b"\x1bP1$r0m\x1b\\x", "x"),
            (b"\x1b_apc payload\x1b\\y", "y"),
            (b"\x1b7\x1b(Bz\x1b8", "z"),
            (b"\x1b[?2004hbracketed\x1b[?2004l", "bracketed"),
            (b"a\x07b\x08c\x7fd", "abcd"),
        ];
        for (input, want) in cases {
            assert_eq!(plain_text(input), *want, "{input:?}");
        }
    }

    #[test]
    fn line_ends() {
        assert_eq!(plain_text(b"a\r\nb\r\n"), "a\nb\n");
        assert_eq!(plain_text(b"50%\r100%\n"), "50%\n100%\n");
        assert_eq!(plain_text(b"a\n\r\nb"), "a\n\nb");
        assert_eq!(plain_text(b"\r\r\nx\r\r\n"), "\nx\n");
        assert_eq!(plain_text(b"x\r\x1b[Ky"), "x\ny");
        assert_eq!(plain_text(b"x\r\x1b[K\ny"), "x\ny");
        assert_eq!(plain_text(b"tab\there"), "tab\there");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(plain_text(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(plain_text(b"a\x85b"), "a\u{fffd}b");
        assert_eq!(plain_text(b"a\xe2\x82b"), "a\u{fffd}b");
        assert_eq!(plain_text("é€😀".as_bytes()), "é€😀");
        assert_eq!(plain_text("a\u{85}b".as_bytes()), "ab");
    }

    #[test]
    fn offsets_point_at_the_bytes() {
        let mut t = PlainText::new(1000);
        t.feed(b"\x1b[31mab\x1b[0m\r\n\xc3");
        t.feed(b"\xa9\xffz");
        assert_eq!(t.text(), "ab\né\u{fffd}z");
        assert_eq!(t.output_start(0), 1005);
        assert_eq!(t.output_end(2), 1007);
        // "\r" ended the line: the `\n` maps to it (byte 11), and the `\n` after adds nothing.
        assert_eq!(t.output_start(2), 1011);
        assert_eq!(t.output_start(3), 1013);
        assert_eq!(t.output_end(5), 1015);
        assert_eq!(t.output_start(5), 1015);
        assert_eq!(t.output_start(8), 1016);
        assert_eq!(t.output_end(9), 1017);
        assert_eq!(t.output_start(9), 1017);
        assert_eq!(t.offset(), 1017);
    }

    #[test]
    fn keep_last_slides_the_window() {
        let mut t = PlainText::new(0);
        t.feed(b"0123456789\x1b[mabc");
        t.keep_last(5);
        assert_eq!(t.text(), "89abc");
        assert_eq!(t.output_start(0), 8);
        assert_eq!(t.output_start(2), 13);
        t.feed("ééé".as_bytes());
        t.keep_last(5);
        assert_eq!(t.text(), "éé");
        assert_eq!(t.output_start(0), 18);
    }

    /// Every character boundary of the text with its start and end offsets.
    fn offsets(t: &PlainText) -> Vec<(usize, u64, u64)> {
        let text = t.text();
        (0..=text.len())
            .filter(|&p| text.is_char_boundary(p))
            .map(|p| (p, t.output_start(p), t.output_end(p)))
            .collect()
    }

    /// One piece of generated output: text with the bytes that carry it.
    #[derive(Clone, Debug)]
    enum Piece {
        Text(String),
        LineEnd(&'static str),
        Sequence(Vec<u8>),
    }

    fn piece() -> impl Strategy<Value = Piece> {
        let sequence = prop_oneof![
            "[0-9;?]{0,12}[@-~]".prop_map(|s| format!("\x1b[{s}").into_bytes()),
            "[ -~é]{0,20}".prop_map(|s| format!("\x1b]{s}\x07").into_bytes()),
            "[ -~é]{0,20}".prop_map(|s| format!("\x1b]{s}\x1b\\").into_bytes()),
            "[ -~]{0,20}".prop_map(|s| format!("\x1bP1$r{s}\x1b\\").into_bytes()),
            "[0-9A-OQ-WYZa-z=>]".prop_map(|s| format!("\x1b{s}").into_bytes()),
            Just(b"\x1b(B".to_vec()),
        ];
        prop_oneof![
            "[^\\x00-\\x1f\\x7f-\\u{9f}]{1,12}".prop_map(Piece::Text),
            prop_oneof![Just("\n"), Just("\r\n")].prop_map(Piece::LineEnd),
            sequence.prop_map(Piece::Sequence),
        ]
    }

    proptest! {
        #[test]
        fn chunking_changes_nothing(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(0x1b), Just(b'\r'), Just(b'\n'), Just(b'['), Just(b']')],
                0..300,
            ),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
            start in 0u64..1_000_000,
        ) {
            let mut whole = PlainText::new(start);
            whole.feed(&bytes);
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = PlainText::new(start);
            let mut from = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                pieces.feed(&bytes[from..cut]);
                from = cut;
            }
            prop_assert_eq!(whole.text(), pieces.text());
            prop_assert_eq!(offsets(&whole), offsets(&pieces));
            prop_assert_eq!(whole.offset(), start + bytes.len() as u64);
            // Each character covers bytes after the previous one's, within what was fed.
            let bounds = offsets(&whole);
            let mut previous_end = start;
            for pair in bounds.windows(2) {
                let ((_, from, _), (_, next_start, to)) = (pair[0], pair[1]);
                prop_assert!(previous_end <= from && from < to && to <= next_start);
                previous_end = to;
            }
            prop_assert!(previous_end <= whole.offset());
        }

        #[test]
        fn sequences_vanish_and_text_maps_to_its_bytes(pieces in proptest::collection::vec(piece(), 0..40)) {
            let mut bytes = Vec::new();
            let mut want = String::new();
            let mut want_offsets = Vec::new();
            for piece in &pieces {
                match piece {
                    Piece::Text(s) => {
                        for (i, _) in s.char_indices() {
                            want_offsets.push((want.len() + i, (bytes.len() + i) as u64));
                        }
                        want.push_str(s);
                        bytes.extend_from_slice(s.as_bytes());
                    }
                    Piece::LineEnd(end) => {
                        // A `\r` at a line's start is dropped: the `\n` then maps to the `\n`.
                        let at_line_start = want.is_empty() || want.ends_with('\n');
                        let skip = if at_line_start { end.len() - 1 } else { 0 };
                        want_offsets.push((want.len(), (bytes.len() + skip) as u64));
                        want.push('\n');
                        bytes.extend_from_slice(end.as_bytes());
                    }
                    Piece::Sequence(seq) => bytes.extend_from_slice(seq),
                }
            }
            let mut t = PlainText::new(0);
            t.feed(&bytes);
            prop_assert_eq!(t.text(), want.as_str());
            for (pos, offset) in want_offsets {
                prop_assert_eq!(t.output_start(pos), offset);
            }
        }

        #[test]
        fn invalid_utf8_as_from_utf8_lossy(
            bytes in proptest::collection::vec(prop_oneof![0x20u8..=0x7e, 0x80u8..=0xff], 0..200),
        ) {
            let mut input = bytes.clone();
            input.push(b'\n');
            let want: String = String::from_utf8_lossy(&input)
                .chars()
                .filter(|c| !('\u{7f}'..='\u{9f}').contains(c))
                .collect();
            prop_assert_eq!(plain_text(&input), want);
        }

        #[test]
        fn window_keeps_the_same_tail(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            max in 0usize..64,
        ) {
            let mut full = PlainText::new(7);
            full.feed(&bytes);
            let mut window = PlainText::new(7);
            for chunk in bytes.chunks(13) {
                window.feed(chunk);
                window.keep_last(max);
            }
            let text = full.text();
            prop_assert!(window.text().len() <= max);
            prop_assert!(text.ends_with(window.text()));
            let skip = text.len() - window.text().len();
            let len = window.text().len();
            for (p, from, to) in offsets(&window) {
                if p < len {
                    prop_assert_eq!(from, full.output_start(skip + p));
                }
                if p > 0 {
                    prop_assert_eq!(to, full.output_end(skip + p));
                }
            }
        }
    }

    #[test]
    fn capped_keeps_the_first_bytes() {
        assert_eq!(plain_text_capped(b"\x1b[1mabcdef", 3), ("abc".into(), true));
        assert_eq!(plain_text_capped(b"abc", 3), ("abc".into(), false));
        assert_eq!(plain_text_capped("aé".as_bytes(), 2), ("a".into(), true));
    }
}

//! An idle screen model sleeps as its snapshot: `vt100` allocates every cell of the screen up
//! front (32 bytes each: 313 KiB at 200×50), which an idle session would hold for nothing
//! (issue 16's budget for an idle daemon; docs/daemon-memory.md). [`Screen::sleep`] keeps the
//! snapshot instead (a few KiB for a shell prompt) and [`Screen::wake`] parses it into a fresh
//! parser when the screen is needed again (before new output, a resize, a text read).
//!
//! It only sleeps when that loses nothing: the output so far ended between escape sequences and
//! characters (the parser holds no half-read sequence), and a parser fed the snapshot gives
//! the very same snapshot back. A snapshot is what every attaching client gets anyway, and the
//! title, directory and marks stay where they are (the parser's callbacks, kept on a 1×1
//! placeholder parser), so nothing outside sees a difference.

use std::num::NonZeroU16;

use super::reported::Reported;
use super::Screen;

/// What a sleeping screen keeps.
pub(super) struct Asleep {
    /// The snapshot it stands for (at [`Screen::end`]).
    pub(super) snapshot: Vec<u8>,
    /// The screen's size.
    rows: NonZeroU16,
    cols: NonZeroU16,
    /// The preview line as it was.
    pub(super) preview: Option<String>,
}

impl Asleep {
    /// A parser showing the snapshot, with callbacks of its own.
    pub(super) fn parser(&self) -> vt100::Parser<Reported> {
        parse(self.rows, self.cols, &self.snapshot)
    }
}

fn parse(rows: NonZeroU16, cols: NonZeroU16, data: &[u8]) -> vt100::Parser<Reported> {
    let mut p = vt100::Parser::new_with_callbacks(rows, cols, 0, Reported::default());
    p.process(data);
    p
}

/// A parser of one cell holding `reported`, in place of the screen while it sleeps.
fn placeholder(reported: Reported) -> vt100::Parser<Reported> {
    vt100::Parser::new_with_callbacks(NonZeroU16::MIN, NonZeroU16::MIN, 0, reported)
}

/// Whether `data` ends inside a UTF-8 character; `before` says whether the bytes before it did
/// (a run of continuation bytes alone cannot tell, and counts as open).
pub(super) fn utf8_open(before: bool, data: &[u8]) -> bool {
    let tail = &data[data.len().saturating_sub(4)..];
    let Some(i) = tail.iter().rposition(|&b| b & 0xc0 != 0x80) else {
        return before || !tail.is_empty();
    };
    let need = match tail[i] {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    };
    tail.len() - i < need
}

impl Screen {
    /// Whether the screen sleeps (see the module's documentation).
    pub fn asleep(&self) -> bool {
        self.asleep.is_some()
    }

    /// Puts the screen to sleep as its snapshot, when that loses nothing; returns whether it
    /// sleeps.
    pub fn sleep(&mut self) -> bool {
        if self.asleep.is_some() {
            return true;
        }
        if !self.charsets.ground() || self.esc_tail != 0 || self.utf8_open {
            return false;
        }
        let Some(snap) = self.snapshot() else {
            return false;
        };
        let (rows, cols) = self.parser.screen().size();
        // The snapshot must come back the same from a parser that was fed it.
        let mut awake = std::mem::replace(&mut self.parser, parse(rows, cols, &snap.data));
        let same = self.snapshot().is_some_and(|again| again.data == snap.data);
        let reported = std::mem::take(awake.callbacks_mut());
        if !same {
            tracing::debug!("the screen model stays awake: its snapshot does not round-trip");
            self.parser = awake;
            *self.parser.callbacks_mut() = reported;
            return false;
        }
        let preview = self.preview();
        self.parser = placeholder(reported);
        self.asleep = Some(Box::new(Asleep {
            snapshot: snap.data,
            rows,
            cols,
            preview,
        }));
        true
    }

    /// Parses the snapshot of a sleeping screen back into a parser of its size.
    pub(super) fn wake(&mut self) {
        let Some(asleep) = self.asleep.take() else {
            return;
        };
        let mut p = asleep.parser();
        *p.callbacks_mut() = std::mem::take(self.parser.callbacks_mut());
        self.parser = p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(bytes: &[u8]) -> Screen {
        let mut s = Screen::new(40, 10);
        s.feed(bytes);
        s
    }

    #[test]
    fn utf8_open_at_the_end() {
        assert!(!utf8_open(false, b"abc"));
        assert!(utf8_open(false, b"a\xe2\x94"));
        assert!(!utf8_open(false, b"a\xe2\x94\x80"));
        assert!(utf8_open(false, b"\xf0\x9f\x98"));
        assert!(utf8_open(true, b""));
        assert!(!utf8_open(false, b""));
        assert!(utf8_open(false, b"\x80"));
        assert!(!utf8_open(true, b"\x80x"));
    }

    /// A sleeping screen answers as it did awake, and after waking it goes on as a screen that
    /// never slept: any output, cut at any point, slept through or not.
    #[test]
    fn sleeping_changes_nothing() {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(&b"\x1b[2J\x1b[H"[..]),
            Just(&b"\x1b[1;31mred\x1b[m"[..]),
            Just(&b"\x1b[5;10H"[..]),
            Just(&b"\x1b[3;8r"[..]),
            Just(&b"\x1b[?6h"[..]),
            Just(&b"\x1b7"[..]),
            Just(&b"\x1b8"[..]),
            Just(&b"\x1b[s"[..]),
            Just(&b"\x1b[?1049h"[..]),
            Just(&b"\x1b[?1049l"[..]),
            Just(&b"\x1b[?1000h\x1b[?1006h\x1b[?2004h"[..]),
            Just(&b"\x1b(0lqk\x1b(B"[..]),
            Just(&b"\x1b)0\x0e"[..]),
            Just(&b"\x0f"[..]),
            Just(&b"\x1b]2;title\x07"[..]),
            Just(&b"\x1b]7;file://h/tmp\x07"[..]),
            Just(&b"\x1b]133;A\x07$ "[..]),
            Just(&b"line of text\r\n"[..]),
            Just(&b"\xe2\x94\x80wide \xe4\xb8\xad"[..]),
            Just(&b"0123456789012345678901234567890123456789x"[..]),
            Just(&b"\x1b[?25l"[..]),
            Just(&b"\x1b["[..]),
            Just(&b"\xe2"[..]),
        ];
        let case = (
            proptest::collection::vec(piece, 0..30),
            proptest::collection::vec(any::<bool>(), 30),
        );
        proptest!(ProptestConfig::with_cases(150), |((pieces, naps) in case)| {
            let mut awake = Screen::new(40, 10);
            let mut napping = Screen::new(40, 10);
            for (p, nap) in pieces.iter().zip(naps) {
                awake.feed(p);
                napping.feed(p);
                if nap && napping.sleep() {
                    prop_assert!(napping.asleep());
                    prop_assert_eq!(napping.snapshot(), awake.snapshot());
                    prop_assert_eq!(napping.preview(), awake.preview());
                    prop_assert_eq!(napping.text(), awake.text());
                    prop_assert_eq!(napping.title(), awake.title());
                    prop_assert_eq!(napping.cwd(), awake.cwd());
                    prop_assert_eq!(napping.marks().count(), awake.marks().count());
                }
            }
            napping.feed(b"after");
            awake.feed(b"after");
            prop_assert!(!napping.asleep());
            prop_assert_eq!(napping.snapshot(), awake.snapshot());
            prop_assert_eq!(napping.text(), awake.text());
        });
    }

    #[test]
    fn a_half_read_sequence_keeps_it_awake() {
        for tail in [&b"\x1b["[..], b"\x1b]2;ti", b"\xe2\x94", b"\x1b(", b"\x1b"] {
            let mut s = fed(&[&b"prompt$ "[..], tail].concat());
            assert!(!s.sleep(), "{tail:?}");
        }
        let mut s = fed(b"prompt$ ");
        assert!(s.sleep());
        assert!(s.asleep());
        s.resize(50, 12);
        assert!(!s.asleep());
        let mut awake = fed(b"prompt$ ");
        awake.resize(50, 12);
        assert_eq!(s.snapshot(), awake.snapshot());
        assert_eq!(s.text(), awake.text());
    }
}

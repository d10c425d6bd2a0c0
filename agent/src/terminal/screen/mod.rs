//! The screen model: a terminal emulator (`vt100`) fed every output byte, in order, beside the
//! ring, so a client that attaches after the ring wrapped still gets the program's real screen.
//!
//! Like [`ring`](super::ring) it is pure code addressed by absolute offsets: [`Screen::end`] is the
//! offset of the next byte it will be fed, and a [`Screen::snapshot`] stands for exactly that
//! offset, so the bytes from there on follow it byte-exact. It also reads what the program says
//! about itself, treating it as hostile input:
//!
//! - the title (OSC 0 and 2), control characters removed, at most
//!   [`MAX_TERMINAL_TITLE_CHARS`](outpost_protocol::session::MAX_TERMINAL_TITLE_CHARS) characters;
//! - the working directory (OSC 7 `file://host/path`), percent-decoded, control characters
//!   removed, at most [`MAX_CWD_BYTES`](outpost_protocol::session::MAX_CWD_BYTES) bytes;
//! - prompt marks (OSC 133 `A`, `B`, `C`, `D[;exit]`) with the offset where their sequence
//!   starts, the last [`MAX_MARKS`] kept.
//!
//! `vt100` renders the current grid and the input modes, but not the alternate screen switch,
//! the screen under it, the title, the scroll region (DECSTBM), origin mode (DECOM), the
//! saved cursor (DECSC) or the character sets: [`Screen::snapshot`] adds them (see
//! docs/protocol.md, "Screen snapshots"). `vt100` keeps the scroll region, origin mode and saved
//! cursor private; [`snapshot`] reads them off scratch copies. It has no character sets at all:
//! [`charset`] follows them and draws the line-drawing set's characters as the Unicode ones they
//! show. An idle screen can [`sleep`] as its snapshot. The parts: [`reported`] (title,
//! directory, marks), [`scan`] (byte scans before the parser), [`charset`], [`snapshot`],
//! [`sleep`].

use std::num::NonZeroU16;

use outpost_protocol::session::MAX_PREVIEW_CHARS;

mod charset;
mod reported;
mod scan;
mod sleep;
mod snapshot;

pub use reported::{clean, parse_osc7, Mark, MarkKind, MAX_MARKS};
pub use snapshot::Snapshot;

use charset::Charsets;
use reported::Reported;
use scan::{
    esc_tail, find, sco_completed, sco_cursor, scroll_region_after, scrolled_away, OSC_133, SCO_LEN,
};

/// The emulated terminal of one session.
pub struct Screen {
    parser: vt100::Parser<Reported>,
    end: u64,
    /// Whether a program may have set a scroll region smaller than the screen (`vt100` keeps it
    /// private): plain text floods are only skipped over without one.
    region: bool,
    /// How much of `ESC [` the bytes fed last ended with (0–2), so a `CSI s` or `CSI u` split
    /// across reads is seen.
    esc_tail: usize,
    /// The character sets (G0, G1, the one in use, the saved ones).
    charsets: Charsets,
    /// Whether the bytes fed last ended inside a UTF-8 character.
    utf8_open: bool,
    /// While the screen sleeps, its snapshot; `parser` is then a 1×1 placeholder that keeps the
    /// callbacks ([`sleep`]).
    asleep: Option<Box<sleep::Asleep>>,
}

fn dims(cols: u16, rows: u16) -> (NonZeroU16, NonZeroU16) {
    (
        NonZeroU16::new(rows).unwrap_or(NonZeroU16::MIN),
        NonZeroU16::new(cols).unwrap_or(NonZeroU16::MIN),
    )
}

impl Screen {
    /// An empty screen of `cols` × `rows` (no scrollback: the ring keeps the history).
    pub fn new(cols: u16, rows: u16) -> Self {
        let (rows, cols) = dims(cols, rows);
        Self {
            parser: vt100::Parser::new_with_callbacks(rows, cols, 0, Reported::default()),
            end: 0,
            region: false,
            esc_tail: 0,
            charsets: Charsets::default(),
            utf8_open: false,
            asleep: None,
        }
    }

    /// The offset of the next byte to be fed: what a snapshot taken now stands for.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Feeds the next output bytes.
    pub fn feed(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.wake();
        self.utf8_open = sleep::utf8_open(self.utf8_open, data);
        let mut rest = data;
        let mut at = self.end;
        // Split before each OSC 133 so a prompt mark gets the offset of its own sequence.
        while let Some(p) = find(rest, OSC_133, 1) {
            self.parser.callbacks_mut().at = at;
            self.process(&rest[..p]);
            at += p as u64;
            rest = &rest[p..];
        }
        self.parser.callbacks_mut().at = at;
        self.process(rest);
        self.end += data.len() as u64;
    }

    /// Moves on to `offset` without parsing what lies before it (bytes the model never got).
    pub fn skip_to(&mut self, offset: u64) {
        self.end = self.end.max(offset);
    }

    /// Parses bytes, with the SCO cursor save and restore (`CSI s`, `CSI u`), which `vt100`
    /// ignores, turned into DECSC and DECRC (`ESC 7`, `ESC 8`), as xterm treats them.
    fn process(&mut self, data: &[u8]) {
        let mut rest = data;
        let before = self.esc_tail;
        if let Some((n, with)) = sco_completed(before, rest) {
            // The sequence began in the last read and the parser holds its start: CAN drops it.
            self.parser.process(b"\x18");
            self.charsets.cancel();
            self.charsets.translate(with);
            self.parser.process(with);
            rest = &rest[n..];
        }
        while let Some((p, with)) = sco_cursor(rest) {
            self.process_text(&rest[..p]);
            self.charsets.translate(with);
            self.parser.process(with);
            rest = &rest[p + SCO_LEN..];
        }
        self.process_text(rest);
        self.esc_tail = esc_tail(before, data);
    }

    /// Parses bytes, with the line-drawing set's characters drawn as what they show, skipping the
    /// lines of plain text a flood scrolls away unseen.
    fn process_text(&mut self, data: &[u8]) {
        let data = &*self.charsets.translate(data);
        let (rows, _) = self.parser.screen().size();
        let rows = rows.get();
        self.region = scroll_region_after(data, self.region, rows);
        let skip = if self.region {
            None
        } else {
            scrolled_away(data, usize::from(rows))
        };
        match skip {
            Some((a, b)) => {
                self.parser.process(&data[..a]);
                self.parser.process(&data[b..]);
            }
            None => self.parser.process(data),
        }
    }

    /// Follows a terminal resize.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.wake();
        let (rows, cols) = dims(cols, rows);
        self.parser.screen_mut().set_size(rows, cols);
    }

    /// The title the program set last.
    pub fn title(&self) -> Option<&str> {
        self.parser.callbacks().title.as_deref()
    }

    /// The working directory the shell reported last.
    pub fn cwd(&self) -> Option<&str> {
        self.parser.callbacks().cwd.as_deref()
    }

    /// The prompt marks held, oldest first.
    pub fn marks(&self) -> impl DoubleEndedIterator<Item = &Mark> {
        self.parser.callbacks().marks.iter()
    }

    /// Whether the title or directory changed since the last call.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.parser.callbacks_mut().changed)
    }

    /// The last non-blank line of the screen, at most [`MAX_PREVIEW_CHARS`] characters.
    pub fn preview(&self) -> Option<String> {
        if let Some(asleep) = &self.asleep {
            return asleep.preview.clone();
        }
        let screen = self.parser.screen();
        let (_, cols) = screen.size();
        let rows: Vec<String> = screen.rows(0, cols.get()).collect();
        rows.iter()
            .rev()
            .map(|r| clean(r.as_bytes(), MAX_PREVIEW_CHARS))
            .find(|r| !r.is_empty())
    }

    /// The whole visible screen as text, one line per row (for tests and diagnostics).
    pub fn text(&self) -> String {
        match &self.asleep {
            Some(asleep) => asleep.parser().screen().contents(),
            None => self.parser.screen().contents(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(cols: u16, rows: u16, bytes: &[u8]) -> Screen {
        let mut s = Screen::new(cols, rows);
        s.feed(bytes);
        s
    }

    #[test]
    fn preview_is_the_last_non_blank_line() {
        let s = fed(40, 5, b"one\r\ntwo \x1b[1mbold\x1b[m\r\n\r\n");
        assert_eq!(s.preview().as_deref(), Some("two bold"));
        assert_eq!(fed(40, 5, b"").preview(), None);
    }

    /// Plain text floods over a screen in any state: skipping the scrolled-away lines gives the
    /// very screen that parsing every byte gives.
    #[test]
    fn skipping_a_plain_flood_changes_nothing() {
        use proptest::prelude::*;
        let line = proptest::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => Just(0x08u8)],
            0..150,
        );
        let case = (
            proptest::collection::vec(line, 0..300),
            0u16..30,
            1u16..40,
            any::<bool>(),
            2u16..30,
        );
        let config = ProptestConfig::with_cases(40);
        proptest!(config, |((lines, row, col, region, rows) in case)| {
            let mut flood = Vec::new();
            for l in &lines {
                flood.extend_from_slice(l);
                flood.extend_from_slice(b"\r\n");
            }
            flood.extend_from_slice(b"tail");
            let setup = format!(
                "\x1b[2Jframe\x1b[1;33m{}\x1b[{};{}H",
                if region { "\x1b[2;5r" } else { "" },
                row + 1,
                col + 1
            );
            let mut exact = Screen::new(40, rows);
            exact.parser.process(setup.as_bytes());
            exact.parser.process(&flood);
            let mut fast = Screen::new(40, rows);
            fast.feed(setup.as_bytes());
            fast.feed(&flood);
            prop_assert_eq!(fast.text(), exact.text());
            prop_assert_eq!(
                fast.parser.screen().cursor_position(),
                exact.parser.screen().cursor_position()
            );
            prop_assert_eq!(fast.end(), (setup.len() + flood.len()) as u64);
        });
    }
}

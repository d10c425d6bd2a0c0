//! DEC Special Graphics, the VT100's line-drawing character set, which `vt100` does not know.
//!
//! ncurses draws borders with it on `xterm-256color` (`smacs` is `ESC ( 0`: `lqqk` then shows
//! as `┌──┐`), so without it a restored `htop`, `mc` or `dialog` screen shows letters where its
//! frame was. [`Charsets`] follows the G0 and G1 designations (`ESC ( F`, `ESC ) F`), the
//! shifts (SO, SI), DECSC/DECRC and RIS, and [`Charsets::translate`] turns the printable
//! characters drawn while the graphics set is in use into the Unicode characters a VT100 shows
//! for them, before the parser sees them. Bytes inside escape sequences and strings (OSC, DCS,
//! …) are never translated.
//!
//! Cost: while the ASCII set is in use (nearly always), one `memchr3` pass for ESC, SO and SI
//! over text and strings, and a step per byte of each escape sequence; only bytes drawn with
//! the graphics set are copied. It also tells whether the output so far ended between
//! sequences ([`Charsets::ground`]), which an idle model needs to know before it sleeps.

use std::borrow::Cow;

const ESC: u8 = 0x1b;
/// Shift Out: G1 into GL.
const SO: u8 = 0x0e;
/// Shift In: G0 into GL.
const SI: u8 = 0x0f;
const BEL: u8 = 0x07;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;

/// The first byte DEC Special Graphics redefines; it covers `_` (0x5f) to `~` (0x7e).
const FIRST: u8 = 0x5f;

/// What DEC Special Graphics shows for 0x5f–0x7e (the VT100 User Guide's table, as xterm draws
/// it; 0x5f is a blank).
const GRAPHICS: [char; 32] = [
    '\u{a0}', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺', '⎻',
    '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
];

/// The character sets in G0 and G1 and which of them is in GL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sets {
    /// G0 holds DEC Special Graphics (else ASCII).
    pub g0: bool,
    /// G1 holds DEC Special Graphics (else ASCII).
    pub g1: bool,
    /// SO shifted G1 into GL.
    pub shifted: bool,
}

impl Sets {
    /// Whether the characters drawn now come from the graphics set.
    fn graphics(self) -> bool {
        if self.shifted {
            self.g1
        } else {
            self.g0
        }
    }

    /// Appends what designates these sets and shifts to them on a terminal where both slots hold
    /// ASCII and G0 is in use, when they differ from `from`.
    pub fn push_change(self, from: Sets, out: &mut String) {
        if self == from {
            return;
        }
        out.push_str(if self.g0 { "\x1b(0" } else { "\x1b(B" });
        out.push_str(if self.g1 { "\x1b)0" } else { "\x1b)B" });
        out.push(if self.shifted { '\x0e' } else { '\x0f' });
    }
}

/// Where the bytes seen so far left an escape sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and an intermediate byte: the slot a final byte designates, if any.
    Designate(Option<Slot>),
    /// Inside a CSI sequence.
    Csi,
    /// Inside an OSC string (ended by BEL or ST).
    Osc,
    /// Inside a DCS, SOS, PM or APC string (ended by ST).
    Str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    G0,
    G1,
}

/// The character sets of one terminal, fed every output byte in order.
#[derive(Clone, Debug, Default)]
pub struct Charsets {
    /// The sets now.
    now: Sets,
    /// The sets DECSC saved with the cursor (DECRC with nothing saved restores the defaults).
    saved: Sets,
    state: State,
}

impl Charsets {
    /// The sets in use now.
    pub fn now(&self) -> Sets {
        self.now
    }

    /// The sets saved with the cursor.
    pub fn saved(&self) -> Sets {
        self.saved
    }

    /// DECSC (or the SCO `CSI s` the model turns into it): the sets are saved with the cursor.
    pub fn save(&mut self) {
        self.saved = self.now;
    }

    /// DECRC (or SCO `CSI u`): the saved sets come back.
    pub fn restore(&mut self) {
        self.now = self.saved;
    }

    /// Whether the bytes so far ended outside any escape sequence or string.
    pub fn ground(&self) -> bool {
        self.state == State::Ground
    }

    /// Forgets a sequence the last bytes left open (the model cancelled it with CAN).
    pub fn cancel(&mut self) {
        self.state = State::Ground;
    }

    /// `data` as the parser must see it: the characters drawn with the graphics set replaced by
    /// what they show. Borrowed when nothing changed.
    pub fn translate<'a>(&mut self, data: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out: Option<Vec<u8>> = None;
        let mut i = 0;
        while i < data.len() {
            // Skip what cannot change anything: text drawn with ASCII, the inside of strings.
            let skip = match self.state {
                State::Ground if !self.now.graphics() => {
                    memchr::memchr3(ESC, SO, SI, &data[i..]).unwrap_or(data.len() - i)
                }
                State::Osc | State::Str => {
                    let rest = &data[i..];
                    let end = memchr::memchr3(ESC, BEL, CAN, rest).unwrap_or(rest.len());
                    memchr::memchr(SUB, &rest[..end]).unwrap_or(end)
                }
                _ => 0,
            };
            if skip > 0 {
                if let Some(o) = out.as_mut() {
                    o.extend_from_slice(&data[i..i + skip]);
                }
                i += skip;
                continue;
            }
            let b = data[i];
            match self.step(b) {
                Some(c) => {
                    let o = out.get_or_insert_with(|| {
                        let mut o = Vec::with_capacity(data.len() + data.len() / 2);
                        o.extend_from_slice(&data[..i]);
                        o
                    });
                    let mut utf8 = [0u8; 4];
                    o.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
                None => {
                    if let Some(o) = out.as_mut() {
                        o.push(b);
                    }
                }
            }
            i += 1;
        }
        out.map_or(Cow::Borrowed(data), Cow::Owned)
    }

    /// Takes one byte; returns the character to draw instead of it, if any.
    fn step(&mut self, b: u8) -> Option<char> {
        // Controls that act in every state (as in the VT500 parser `vte` follows).
        match b {
            CAN | SUB => {
                self.state = State::Ground;
                return None;
            }
            ESC => {
                self.state = State::Escape;
                return None;
            }
            BEL if self.state == State::Osc => {
                self.state = State::Ground;
                return None;
            }
            SO | SI if !matches!(self.state, State::Osc | State::Str) => {
                self.now.shifted = b == SO;
                return None;
            }
            _ => {}
        }
        match self.state {
            State::Ground => {
                if self.now.graphics() && (FIRST..=0x7e).contains(&b) {
                    return Some(GRAPHICS[usize::from(b - FIRST)]);
                }
            }
            State::Escape => {
                self.state = match b {
                    b'[' => State::Csi,
                    b']' => State::Osc,
                    b'P' | b'X' | b'^' | b'_' => State::Str,
                    b'(' => State::Designate(Some(Slot::G0)),
                    b')' => State::Designate(Some(Slot::G1)),
                    0x20..=0x2f => State::Designate(None),
                    0x30..=0x7e => {
                        match b {
                            b'7' => self.save(),
                            b'8' => self.restore(),
                            b'c' => *self = Charsets::default(),
                            _ => {}
                        }
                        State::Ground
                    }
                    // Other controls act and leave the sequence open.
                    _ => State::Escape,
                };
            }
            State::Designate(slot) => {
                self.state = match b {
                    // A second intermediate: not a set this model knows.
                    0x20..=0x2f => State::Designate(None),
                    0x30..=0x7e => {
                        match slot {
                            Some(Slot::G0) => self.now.g0 = b == b'0',
                            Some(Slot::G1) => self.now.g1 = b == b'0',
                            None => {}
                        }
                        State::Ground
                    }
                    _ => self.state,
                };
            }
            State::Csi => {
                if (0x40..=0x7e).contains(&b) {
                    self.state = State::Ground;
                }
            }
            State::Osc | State::Str => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(c: &mut Charsets, data: &[u8]) -> String {
        String::from_utf8(c.translate(data).into_owned()).unwrap()
    }

    #[test]
    fn the_graphics_set_draws_lines() {
        let mut c = Charsets::default();
        assert_eq!(shown(&mut c, b"\x1b(0lqqk\x1b(B lq"), "\x1b(0┌──┐\x1b(B lq");
        assert_eq!(c.now(), Sets::default());
    }

    /// ncurses switches sets around SGR and cursor moves: what a sequence holds is never
    /// translated, and neither is an OSC string.
    #[test]
    fn sequences_and_strings_are_left_alone() {
        let mut c = Charsets::default();
        let s = shown(
            &mut c,
            b"\x1b(0\x1b[0m\x1b[39;49mx\x1b[2;1Hq\x1b]2;lqk\x07j\x1b(B",
        );
        assert_eq!(
            s,
            "\x1b(0\x1b[0m\x1b[39;49m│\x1b[2;1H─\x1b]2;lqk\x07┘\x1b(B"
        );
    }

    #[test]
    fn so_and_si_shift_to_g1_and_back() {
        let mut c = Charsets::default();
        assert_eq!(shown(&mut c, b"\x1b)0a\x0eqx\x0fq"), "\x1b)0a\x0e─│\x0fq");
        // SO inside a string is text of the string.
        assert_eq!(shown(&mut c, b"\x1b]0;\x0e\x07q"), "\x1b]0;\x0e\x07q");
        assert!(!c.now().shifted);
    }

    #[test]
    fn decsc_saves_the_sets_and_ris_resets_them() {
        let mut c = Charsets::default();
        assert_eq!(
            shown(&mut c, b"\x1b(0\x1b7\x1b(Bq\x1b8q"),
            "\x1b(0\x1b7\x1b(Bq\x1b8─"
        );
        assert_eq!(c.saved(), c.now());
        assert_eq!(shown(&mut c, b"\x1bcq"), "\x1bcq");
        assert_eq!(c.now(), Sets::default());
        assert_eq!(c.saved(), Sets::default());
    }

    /// Any split of the stream across feeds gives what one feed gives.
    #[test]
    fn splits_change_nothing() {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(&b"\x1b(0"[..]),
            Just(&b"\x1b(B"[..]),
            Just(&b"\x1b)0"[..]),
            Just(&b"\x0e"[..]),
            Just(&b"\x0f"[..]),
            Just(&b"\x1b[1;33m"[..]),
            Just(&b"\x1b]2;lqk\x07"[..]),
            Just(&b"\x1b]2;x\x1b\\"[..]),
            Just(&b"\x1b7"[..]),
            Just(&b"\x1b8"[..]),
            Just(&b"lqkxmjtu"[..]),
            Just(&b"plain \xe2\x94\x80 text"[..]),
        ];
        let case = (proptest::collection::vec(piece, 0..40), 0usize..200);
        proptest!(ProptestConfig::with_cases(200), |((pieces, cut) in case)| {
            let data: Vec<u8> = pieces.concat();
            let whole = Charsets::default().translate(&data).into_owned();
            let cut = cut.min(data.len());
            let mut c = Charsets::default();
            let mut split = c.translate(&data[..cut]).into_owned();
            split.extend_from_slice(&c.translate(&data[cut..]));
            prop_assert_eq!(split, whole);
        });
    }
}

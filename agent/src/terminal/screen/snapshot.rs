//! Screen snapshots: escape sequences that bring a terminal showing anything to the model's
//! screen, with what `vt100` keeps private (the scroll region, origin mode, the saved cursor)
//! read off scratch copies, and the character sets the model follows itself.

use outpost_protocol::session::MAX_SNAPSHOT_BYTES;

use super::charset::Sets;
use super::Screen;

/// What a snapshot starts with, whatever the client showed before: leave the alternate screen,
/// reset the scroll region, origin mode, the attributes, every mouse mode (`vt100` only
/// writes the modes that are on) and the character sets (ASCII in G0 and G1, G0 in use: the
/// model's screen holds line-drawing characters as Unicode).
const SNAPSHOT_PREFIX: &str = "\x1b[?1049l\x1b[r\x1b[?6l\x1b[m\x1b[?9l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b(B\x1b)B\x0f";

/// A screen snapshot: escape sequences that reproduce the screen at `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The output offset it stands for.
    pub offset: u64,
    /// The escape sequences.
    pub data: Vec<u8>,
}

impl Screen {
    /// Escape sequences that bring an empty terminal (or one showing anything) to this screen:
    /// the screen under the alternate one first when a program is in it, then the current one,
    /// the input modes and the title. `None` when it would exceed [`MAX_SNAPSHOT_BYTES`].
    pub fn snapshot(&self) -> Option<Snapshot> {
        if let Some(asleep) = &self.asleep {
            return Some(Snapshot {
                offset: self.end,
                data: asleep.snapshot.clone(),
            });
        }
        let screen = self.parser.screen();
        let mut out = String::from(SNAPSHOT_PREFIX);
        let mut origin_on = false;
        if screen.alternate_screen() {
            // The primary screen as the program will find it on leaving: a scratch parser
            // holding a copy of this screen leaves the alternate one.
            let mut primary = scratch(screen);
            primary.process(b"\x1b[?1049l");
            out.push_str(&primary.screen().contents_formatted());
            // Entering the alternate screen with 1049 saves this cursor (DECSC) by itself.
            origin_on = push_cursors(&mut out, primary.screen(), false, None);
            out.push_str("\x1b[?1049h");
            if origin_on {
                // The alternate screen has its own origin mode (off until set), as in `vt100`.
                out.push_str("\x1b[?6l");
                origin_on = false;
            }
        }
        out.push_str(&screen.state_formatted());
        let sets = &self.charsets;
        push_cursors(&mut out, screen, origin_on, Some(sets.saved()));
        // The sets in use, for the bytes that follow the snapshot.
        sets.now().push_change(sets.saved(), &mut out);
        if let Some(title) = self.title() {
            out.push_str("\x1b]2;");
            out.push_str(title);
            out.push('\x07');
        }
        if out.len() > MAX_SNAPSHOT_BYTES {
            tracing::warn!(bytes = out.len(), "screen snapshot too large; not sent");
            return None;
        }
        Some(Snapshot {
            offset: self.end,
            data: out.into_bytes(),
        })
    }
}

/// A parser holding a copy of `screen`, to try things on.
fn scratch(screen: &vt100::Screen) -> vt100::Parser {
    let (rows, cols) = screen.size();
    let mut p = vt100::Parser::new(rows, cols, 0);
    *p.screen_mut() = screen.clone();
    p
}

/// A screen's scroll region (rows, 0-based, inclusive) and origin mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Margins {
    top: u16,
    bottom: u16,
    origin: bool,
}

/// The scroll region and origin mode of `screen`, which `vt100` does not export (see
/// [`probe_margins`]).
fn margins(screen: &vt100::Screen) -> Margins {
    probe_margins(&mut scratch(screen))
}

/// The scroll region and origin mode of `p`'s screen, read off its cursor (which it moves): with
/// origin mode on, `CSI H` goes to the region's top row and `CSI 9999 H` stops at its bottom
/// row; then, with a region of rows 2–3 set, `CSI H` goes to row 2 only if origin mode was on
/// (DECSC/DECRC keep it across the first probe). On a screen under 3 rows (where no region
/// smaller than the screen exists) origin mode reads as off.
fn probe_margins(p: &mut vt100::Parser) -> Margins {
    let row = |p: &vt100::Parser| p.screen().cursor_position().0;
    p.process(b"\x1b7\x1b[?6h\x1b[H");
    let top = row(p);
    p.process(b"\x1b[9999H");
    let bottom = row(p);
    p.process(b"\x1b8\x1b[2;3r\x1b[H");
    let origin = row(p) == 1;
    Margins {
        top,
        bottom,
        origin,
    }
}

/// The cursor a program saved on a screen (DECSC: `ESC 7`, or `CSI s`, which
/// [`Screen::feed`](super::Screen::feed) turns into it).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Saved {
    /// Row and column, 0-based from the screen's top-left corner (a column past the last is a
    /// cursor that was waiting to wrap).
    pos: (u16, u16),
    /// Origin mode (DECOM) as it was.
    origin: bool,
    /// The attributes (SGR) as they were, as escape sequences that start with a reset.
    sgr: String,
    /// For a cursor saved while waiting to wrap (a column past the last): what puts a terminal's
    /// cursor back in that state — a move and a redraw of the row's last character, as `vt100`
    /// writes it for the cursor in use — so that `ESC 7` saves it waiting to wrap too.
    wrap: Option<String>,
}

/// The saved cursor of `screen`, which `vt100` does not export, read off a scratch copy that
/// restores it (DECRC, `ESC 8`). `vt100` keeps a position and origin mode per screen (the
/// alternate one's is reset on entering it with 1049) and one saved SGR for both.
fn saved_cursor(screen: &vt100::Screen) -> Saved {
    let mut p = scratch(screen);
    p.process(b"\x1b8");
    let pos = p.screen().cursor_position();
    let sgr = p.screen().attributes_formatted();
    let wrap = (pos.1 >= p.screen().size().1.get()).then(|| p.screen().cursor_state_formatted());
    let origin = probe_margins(&mut p).origin;
    Saved {
        pos,
        origin,
        sgr,
        wrap,
    }
}

/// Appends what sets `screen`'s scroll region, saved cursor and origin mode on a terminal that
/// shows its contents (as `contents_formatted` leaves them) with no scroll region and origin
/// mode `origin_on`, then puts the cursor and attributes back: with `save`, first the saved
/// cursor's position, origin mode and attributes, the character sets saved with it (`save`, on
/// a terminal with ASCII sets) and `ESC 7`; then the region (setting it moves the cursor); then
/// the cursor's own. Returns whether origin mode is left on.
fn push_cursors(
    out: &mut String,
    screen: &vt100::Screen,
    origin_on: bool,
    save: Option<Sets>,
) -> bool {
    use std::fmt::Write as _;
    let m = margins(screen);
    let (rows, cols) = screen.size();
    let mut origin_on = origin_on;
    if let Some(sets) = save {
        // Before the region is set, origin mode counts from the screen's top: a cursor saved
        // anywhere (also outside a region set after it) is reached as it was.
        let whole = Margins {
            top: 0,
            bottom: rows.get() - 1,
            origin: m.origin,
        };
        let saved = saved_cursor(screen);
        origin_on = push_position(out, saved.pos, saved.origin, origin_on, whole, cols.get());
        if let Some(wrap) = &saved.wrap {
            // No region is set yet, so its absolute move lands alike with origin mode on.
            out.push_str("\x1b[m");
            out.push_str(wrap);
        }
        out.push_str(&saved.sgr);
        sets.push_change(Sets::default(), out);
        out.push_str("\x1b7");
    }
    if !(m.top == 0 && m.bottom + 1 >= rows.get()) {
        let _ = write!(out, "\x1b[{};{}r", m.top + 1, m.bottom + 1);
    }
    if m.origin {
        push_position(
            out,
            screen.cursor_position(),
            true,
            origin_on,
            m,
            cols.get(),
        );
    } else {
        if origin_on {
            out.push_str("\x1b[?6l");
        }
        // It may redraw the cell before a cursor waiting to wrap, counting that cell's
        // attributes from none.
        out.push_str("\x1b[m");
        out.push_str(&screen.cursor_state_formatted());
    }
    out.push_str(&screen.attributes_formatted());
    m.origin
}

/// Appends a move of the cursor to `pos` (0-based from the screen's top-left corner) leaving
/// origin mode `origin` (when on, the row is counted from the region's top and kept inside it),
/// given origin mode `origin_on` now; a cursor waiting to wrap goes to the row's last column.
/// Returns `origin`.
fn push_position(
    out: &mut String,
    (row, col): (u16, u16),
    origin: bool,
    origin_on: bool,
    m: Margins,
    cols: u16,
) -> bool {
    use std::fmt::Write as _;
    let col = col.min(cols.saturating_sub(1));
    let row = if origin {
        if !origin_on {
            out.push_str("\x1b[?6h");
        }
        row.clamp(m.top, m.bottom) - m.top
    } else {
        if origin_on {
            out.push_str("\x1b[?6l");
        }
        row
    };
    let _ = write!(out, "\x1b[{};{}H", row + 1, col + 1);
    origin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(cols: u16, rows: u16, bytes: &[u8]) -> Screen {
        let mut s = Screen::new(cols, rows);
        s.feed(bytes);
        s
    }

    /// Renders a snapshot in a fresh emulator.
    fn render(snap: &Snapshot, cols: u16, rows: u16) -> Screen {
        fed(cols, rows, &snap.data)
    }

    #[test]
    fn snapshot_reproduces_contents_cursor_and_offset() {
        let bytes = b"\x1b[2J\x1b[1;1H\x1b[1;31mHEAD\x1b[m\r\nbody\x1b[5;3Hx";
        let s = fed(20, 6, bytes);
        let snap = s.snapshot().unwrap();
        assert_eq!(snap.offset, bytes.len() as u64);
        let r = render(&snap, 20, 6);
        assert_eq!(r.text(), s.text());
        assert_eq!(
            r.parser.screen().cursor_position(),
            s.parser.screen().cursor_position()
        );
        assert!(r.parser.screen().cell(0, 0).unwrap().bold());
        assert_eq!(
            r.parser.screen().cell(0, 0).unwrap().fgcolor(),
            vt100::Color::Idx(1)
        );
    }

    #[test]
    fn alternate_screen_and_modes_are_restored() {
        let mut s = Screen::new(30, 5);
        s.feed(b"$ vim\r\n");
        s.feed(b"\x1b[?1049h\x1b[?1000h\x1b[?1006h\x1b[?2004h\x1b[?1h\x1b=\x1b[?25l");
        s.feed(b"\x1b[H\x1b[2J~ vim text");
        let snap = s.snapshot().unwrap();
        let text = String::from_utf8_lossy(&snap.data).into_owned();
        for mode in [
            "\x1b[?1049h",
            "\x1b[?1000h",
            "\x1b[?1006h",
            "\x1b[?2004h",
            "\x1b[?1h",
        ] {
            assert!(text.contains(mode), "{mode:?} missing from {text:?}");
        }
        let mut r = render(&snap, 30, 5);
        let screen = r.parser.screen();
        assert!(screen.alternate_screen());
        assert!(screen.hide_cursor());
        assert!(screen.bracketed_paste());
        assert!(screen.application_cursor());
        assert_eq!(r.text(), s.text());
        // Leaving the alternate screen shows the shell's screen again, in both.
        r.feed(b"\x1b[?1049l");
        s.feed(b"\x1b[?1049l");
        assert_eq!(r.text(), s.text());
        assert!(r.text().starts_with("$ vim"));
    }

    /// A scroll region and origin mode survive a snapshot: output after it scrolls inside the
    /// region and positions from its top, as without the restore.
    #[test]
    fn scroll_region_and_origin_mode_are_restored() {
        let mut lines = String::from("\x1b[2J\x1b[HHEADER\x1b[24;1HFOOTER\x1b[5;20r\x1b[20;1H");
        for i in 0..40 {
            lines.push_str(&format!("\r\nline {i}"));
        }
        let after = "\r\nmore 1\r\nmore 2\x1b[1;1Hat the region's top";
        for (setup, origin) in [("", false), ("\x1b[?6h\x1b[16;3H", true)] {
            let mut s = Screen::new(40, 24);
            s.feed(lines.as_bytes());
            s.feed(setup.as_bytes());
            assert_eq!(
                margins(s.parser.screen()),
                Margins {
                    top: 4,
                    bottom: 19,
                    origin
                }
            );
            let snap = s.snapshot().unwrap();
            let mut r = render(&snap, 40, 24);
            assert_eq!(margins(r.parser.screen()), margins(s.parser.screen()));
            assert_eq!(
                r.parser.screen().cursor_position(),
                s.parser.screen().cursor_position()
            );
            s.feed(after.as_bytes());
            r.feed(after.as_bytes());
            assert_eq!(r.text(), s.text());
            let text = r.text();
            let rows: Vec<&str> = text.lines().collect();
            // Home is the region's top under origin mode, the screen's otherwise.
            let home = if origin { 4 } else { 0 };
            assert_eq!(rows[home], "at the region's top", "{text}");
            assert_eq!(rows[19], "more 2", "{text}");
            assert_eq!(rows[23], "FOOTER", "{text}");
        }
    }

    /// Without a region or origin mode, the snapshot carries neither.
    #[test]
    fn plain_screens_have_no_margins_in_their_snapshot() {
        let s = fed(40, 24, b"hello\x1b[5;20r\x1b[r");
        assert_eq!(
            margins(s.parser.screen()),
            Margins {
                top: 0,
                bottom: 23,
                origin: false
            }
        );
        let text = String::from_utf8(s.snapshot().unwrap().data).unwrap();
        assert!(!text[SNAPSHOT_PREFIX.len()..].contains("r\x1b"), "{text:?}");
        assert!(!text.contains("?6h"), "{text:?}");
    }

    /// The alternate screen and the one under it each keep their own region (as in `vt100`).
    #[test]
    fn both_screens_keep_their_regions() {
        let mut s = Screen::new(40, 24);
        s.feed(b"\x1b[3;10r\x1b[?1049h\x1b[5;20r\x1b[20;1Hx");
        let snap = s.snapshot().unwrap();
        let mut r = render(&snap, 40, 24);
        assert_eq!(margins(r.parser.screen()), margins(s.parser.screen()));
        for t in [&mut r, &mut s] {
            t.feed(b"\x1b[?1049l");
        }
        assert_eq!(
            margins(r.parser.screen()),
            Margins {
                top: 2,
                bottom: 9,
                origin: false
            }
        );
    }

    /// Feeds `after` to both `s` and the rendering of its snapshot; they show the same text and
    /// cursor, and the same attributes at `cell`. Returns the rendering.
    fn same_after(s: &mut Screen, after: &[u8], cell: (u16, u16)) -> Screen {
        let (rows, cols) = s.parser.screen().size();
        let mut r = render(&s.snapshot().unwrap(), cols.get(), rows.get());
        s.feed(after);
        r.feed(after);
        assert_eq!(r.text(), s.text());
        let (a, b) = (r.parser.screen(), s.parser.screen());
        assert_eq!(a.cursor_position(), b.cursor_position());
        assert_eq!(a.attributes_formatted(), b.attributes_formatted());
        assert_eq!(a.cell(cell.0, cell.1), b.cell(cell.0, cell.1));
        r
    }

    /// The cursor a program saved before the snapshot is the one it restores after it: its
    /// position and attributes, while the cursor's own attributes stay as they were.
    #[test]
    fn the_saved_cursor_survives_a_snapshot() {
        let mut s = fed(
            40,
            12,
            b"top\x1b[3;5H\x1b[1;31m\x1b7\x1b[0;32m\x1b[10;2Hnow",
        );
        let r = same_after(&mut s, b"green\x1b8saved", (2, 4));
        let cell = r.parser.screen().cell(2, 4).unwrap();
        assert_eq!((cell.contents(), cell.bold()), ("s", true));
        assert_eq!(cell.fgcolor(), vt100::Color::Idx(1));
        let green = r.parser.screen().cell(9, 5).unwrap();
        assert_eq!(green.fgcolor(), vt100::Color::Idx(2));
        // Nothing saved: `ESC 8` goes home with no attributes, in both.
        let mut s = fed(40, 12, b"\x1b[5;5H\x1b[33mx");
        same_after(&mut s, b"\x1b8y", (0, 0));
    }

    /// A cursor saved with origin mode on inside a scroll region comes back with origin mode on,
    /// while the cursor's own origin mode is off.
    #[test]
    fn the_saved_origin_mode_survives_a_snapshot() {
        let setups: [&[u8]; 2] = [
            b"\x1b[5;20r\x1b[?6h\x1b[3;4H\x1b[33m\x1b7\x1b[?6l\x1b[m\x1b[22;1Hx",
            b"\x1b[5;20r\x1b[3;4H\x1b[33m\x1b7\x1b[?6h\x1b[m\x1b[2;1Hx",
        ];
        for setup in setups {
            let mut s = fed(40, 24, setup);
            same_after(&mut s, b"a\x1b8b\x1b[1;1Hc", (6, 4));
        }
    }

    /// A cursor saved while waiting to wrap (after the row's last column) still waits to wrap
    /// when it is restored after a snapshot: the next character goes to the next row's start.
    /// (Found by `sleep::tests::sleeping_changes_nothing`.)
    #[test]
    fn a_saved_cursor_waiting_to_wrap_still_waits() {
        let full = &b"0123456789012345678901234567890123456789"[..];
        for (row, save, restore, next) in [
            (full.to_vec(), &b"\x1b7"[..], &b"\x1b8"[..], (1, 0)),
            (
                b"\x1b[1;31m01234567890123456789012345678901234567\xe4\xb8\xad".to_vec(),
                b"\x1b[s",
                b"\x1b[u",
                (1, 0),
            ),
            // Origin mode on in a region from row 5: the row is the region's first.
            (
                [&b"\x1b[5;20r\x1b[?6h"[..], full].concat(),
                b"\x1b7",
                b"\x1b8",
                (5, 0),
            ),
        ] {
            let mut s = fed(
                40,
                12,
                &[&row, save, b"\x1b[m\x1b[?6l\x1b[r\x1b[8;3Hnow"].concat(),
            );
            let r = same_after(&mut s, &[restore, &b"after"[..]].concat(), next);
            let cell = r.parser.screen().cell(next.0, next.1).unwrap();
            assert_eq!(cell.contents(), "a", "{row:?}");
        }
    }

    /// The alternate screen and the one under it each keep their saved cursor; `vt100` keeps one
    /// saved SGR for both, which the restore reproduces too.
    #[test]
    fn both_screens_keep_their_saved_cursors() {
        let mut s = fed(
            40,
            12,
            b"shell\x1b[4;4H\x1b[34m\x1b7\x1b[m\x1b[6;1H$ \x1b[?1049h\x1b[2;2H\x1b[35m\x1b7\x1b[m\x1b[5;5H",
        );
        let mut r = same_after(&mut s, b"\x1b8A", (1, 1));
        assert_eq!(r.parser.screen().cell(1, 1).unwrap().contents(), "A");
        // Leaving goes back to where the primary screen's cursor was on entering.
        for t in [&mut r, &mut s] {
            t.feed(b"\x1b[?1049lB\x1b8C");
        }
        assert_eq!(r.text(), s.text());
        let (a, b) = (r.parser.screen(), s.parser.screen());
        assert_eq!(a.cursor_position(), b.cursor_position());
        assert_eq!(a.attributes_formatted(), b.attributes_formatted());
    }

    /// Line drawing (DEC Special Graphics) shows as Unicode, and the sets in use and saved with
    /// the cursor carry over a snapshot: what follows draws as it would have.
    #[test]
    fn character_sets_survive_a_snapshot() {
        let mut s = fed(20, 6, b"\x1b(0lqk\x1b(B q\r\n\x1b)0\x0ex");
        assert_eq!(s.text().lines().next(), Some("\u{250c}\u{2500}\u{2510} q"));
        let r = same_after(&mut s, b"q\x0fq", (1, 1));
        assert_eq!(r.text().lines().nth(1), Some("\u{2502}\u{2500}q"));
        // Saved with the cursor (DECSC, and SCO `CSI s`), switched off, restored after the
        // snapshot.
        for (save, restore) in [(&b"\x1b7"[..], &b"\x1b8"[..]), (b"\x1b[s", b"\x1b[u")] {
            let mut s = fed(20, 6, &[&b"\x1b(0"[..], save, b"\x1b(Bq"].concat());
            let r = same_after(&mut s, &[restore, b"j"].concat(), (0, 0));
            assert_eq!(r.text().lines().next(), Some("\u{2518}"), "{save:?}");
        }
        // A snapshot's own text is drawn with ASCII whatever the client was left in.
        let s = fed(20, 6, b"lqk");
        let mut r = Screen::new(20, 6);
        r.feed(b"\x1b(0\x1b)0\x0e");
        r.feed(&s.snapshot().unwrap().data);
        assert_eq!(r.text(), s.text());
    }

    /// `CSI s` and `CSI u` save and restore as `ESC 7` and `ESC 8` do, also when a read ends
    /// inside them.
    #[test]
    fn sco_saves_survive_a_snapshot() {
        for (a, b) in [
            (&b"\x1b[3;3H\x1b[31m\x1b[s\x1b[m"[..], &b"\x1b[9;9H"[..]),
            (b"\x1b[3;3H\x1b[31m\x1b", b"[s\x1b[m\x1b[9;9H"),
            (b"\x1b[3;3H\x1b[31m\x1b[", b"s\x1b[m\x1b[9;9H"),
            (b"\x1b[3;3H\x1b[31m\x1b", b"["),
        ] {
            let mut s = fed(20, 10, a);
            s.feed(b);
            if b == b"[" {
                s.feed(b"s\x1b[m\x1b[9;9H");
            }
            let r = same_after(&mut s, b"\x1b[uQ", (2, 2));
            let q = r.parser.screen().cell(2, 2).unwrap();
            assert_eq!((q.contents(), q.fgcolor()), ("Q", vt100::Color::Idx(1)));
        }
    }
}

//! The screen model: a terminal emulator (`vt100`) fed every output byte, in order, beside the
//! ring, so a client that attaches after the ring wrapped still gets the program's real screen.
//!
//! Like [`ring`](super::ring) it is pure code addressed by absolute offsets: [`Screen::end`] is the
//! offset of the next byte it will be fed, and a [`Screen::snapshot`] stands for exactly that
//! offset, so the bytes from there on follow it byte-exact. It also reads what the program says
//! about itself, treating it as hostile input:
//!
//! - the title (OSC 0 and 2), control characters removed, at most
//!   [`MAX_TERMINAL_TITLE_CHARS`] characters;
//! - the working directory (OSC 7 `file://host/path`), percent-decoded, control characters
//!   removed, at most [`MAX_CWD_BYTES`] bytes;
//! - prompt marks (OSC 133 `A`, `B`, `C`, `D[;exit]`) with the offset where their sequence
//!   starts, the last [`MAX_MARKS`] kept.
//!
//! `vt100` renders the current grid and the input modes, but not the alternate screen switch,
//! the screen under it, the title, the scroll region (DECSTBM) or origin mode (DECOM):
//! [`Screen::snapshot`] adds them (see docs/protocol.md, "Screen snapshots"). `vt100` keeps the
//! last two private; [`margins`] reads them off a scratch copy's cursor.

use std::collections::VecDeque;
use std::num::NonZeroU16;

use outpost_protocol::session::{
    MAX_CWD_BYTES, MAX_PREVIEW_CHARS, MAX_SNAPSHOT_BYTES, MAX_TERMINAL_TITLE_CHARS,
};

/// The most prompt marks kept (the oldest go first).
pub const MAX_MARKS: usize = outpost_protocol::session::MAX_PROMPT_MARKS;

/// What a snapshot starts with, whatever the client showed before: leave the alternate screen,
/// reset the scroll region, origin mode, the attributes and every mouse mode (`vt100` only
/// writes the modes that are on).
const SNAPSHOT_PREFIX: &str = "\x1b[?1049l\x1b[r\x1b[?6l\x1b[m\x1b[?9l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l";

/// The start of an OSC 133 sequence, where feeding is split so a mark knows its offset.
const OSC_133: &[u8] = b"\x1b]133;";

/// An OSC 133 prompt mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// `A`: a prompt starts.
    PromptStart,
    /// `B`: the command line starts (the prompt ended).
    CommandStart,
    /// `C`: the command runs (its output starts).
    OutputStart,
    /// `D`: the command finished.
    CommandEnd,
}

/// A prompt mark and where it is in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The offset of the mark's escape sequence (or of the read it completed in, when the
    /// sequence was split across reads).
    pub offset: u64,
    /// Which mark.
    pub kind: MarkKind,
    /// For [`MarkKind::CommandEnd`]: the exit status, when given.
    pub exit: Option<i32>,
    /// The nonce of an `op=<16 hex digits>` part, when the mark has one (the shell
    /// integration's, [`crate::exec::integration`]).
    pub tag: Option<u64>,
}

/// What the program reported about itself, read by the parser's callbacks.
#[derive(Default)]
struct Reported {
    title: Option<String>,
    cwd: Option<String>,
    /// Whether the title or the directory changed since [`Screen::take_changed`].
    changed: bool,
    marks: VecDeque<Mark>,
    /// The offset of the bytes being fed (marks take it).
    at: u64,
}

impl Reported {
    fn set_title(&mut self, parts: &[&[u8]]) {
        let title = clean(&join(parts), MAX_TERMINAL_TITLE_CHARS);
        let title = (!title.is_empty()).then_some(title);
        if title != self.title {
            self.title = title;
            self.changed = true;
        }
    }

    fn set_cwd(&mut self, parts: &[&[u8]]) {
        let Some(cwd) = parse_osc7(&join(parts)) else {
            return;
        };
        if self.cwd.as_deref() != Some(cwd.as_str()) {
            self.cwd = Some(cwd);
            self.changed = true;
        }
    }

    fn mark(&mut self, parts: &[&[u8]]) {
        let kind = match parts.first().copied() {
            Some(b"A") => MarkKind::PromptStart,
            Some(b"B") => MarkKind::CommandStart,
            Some(b"C") => MarkKind::OutputStart,
            Some(b"D") => MarkKind::CommandEnd,
            _ => return,
        };
        let exit = match kind {
            MarkKind::CommandEnd => parts
                .get(1)
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse().ok()),
            _ => None,
        };
        if self.marks.len() == MAX_MARKS {
            self.marks.pop_front();
        }
        let tag = parts
            .iter()
            .skip(1)
            .find_map(|p| crate::exec::integration::parse_tag(p));
        self.marks.push_back(Mark {
            offset: self.at,
            kind,
            exit,
            tag,
        });
    }
}

impl vt100::Callbacks for Reported {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.set_title(&[title]);
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        // `vt100` splits an OSC at every `;`: a title or path with one arrives here in parts.
        match params.split_first() {
            Some((&b"0" | &b"2", rest)) => self.set_title(rest),
            Some((&b"7", rest)) => self.set_cwd(rest),
            Some((&b"133", rest)) => self.mark(rest),
            _ => {}
        }
    }
}

/// The parts of an OSC's text joined back with the `;` the parser split them at.
fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&b';')
}

/// Text from a program, safe to show: UTF-8 (lossy), no control characters, at most `max`
/// characters, trimmed.
pub fn clean(raw: &[u8], max: usize) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect::<String>()
        .trim()
        .to_string()
}

/// The path of an OSC 7 `file://host/path` (percent-decoded, no control characters, at most
/// [`MAX_CWD_BYTES`] bytes, absolute); `None` for anything else.
pub fn parse_osc7(raw: &[u8]) -> Option<String> {
    let rest = raw.strip_prefix(b"file://")?;
    let slash = rest.iter().position(|&b| b == b'/')?;
    let path = &rest[slash..];
    if path.len() > 3 * MAX_CWD_BYTES {
        return None;
    }
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        let b = path[i];
        if b == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    if text.chars().any(char::is_control) || text.len() > MAX_CWD_BYTES {
        return None;
    }
    Some(text)
}

/// A screen snapshot: escape sequences that reproduce the screen at `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The output offset it stands for.
    pub offset: u64,
    /// The escape sequences.
    pub data: Vec<u8>,
}

/// The emulated terminal of one session.
pub struct Screen {
    parser: vt100::Parser<Reported>,
    end: u64,
    /// Whether a program may have set a scroll region smaller than the screen (`vt100` keeps it
    /// private): plain text floods are only skipped over without one.
    region: bool,
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
        }
    }

    /// The offset of the next byte to be fed: what a snapshot taken now stands for.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Feeds the next output bytes.
    pub fn feed(&mut self, data: &[u8]) {
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

    /// Parses bytes, skipping the lines of plain text a flood scrolls away unseen.
    fn process(&mut self, data: &[u8]) {
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
        self.parser.screen().contents()
    }

    /// Escape sequences that bring an empty terminal (or one showing anything) to this screen:
    /// the screen under the alternate one first when a program is in it, then the current one,
    /// the input modes and the title. `None` when it would exceed [`MAX_SNAPSHOT_BYTES`].
    pub fn snapshot(&self) -> Option<Snapshot> {
        let screen = self.parser.screen();
        let mut out = String::from(SNAPSHOT_PREFIX);
        let mut origin_on = false;
        if screen.alternate_screen() {
            // The primary screen as the program will find it on leaving: a scratch parser
            // holding a copy of this screen leaves the alternate one.
            let mut primary = scratch(screen);
            primary.process(b"\x1b[?1049l");
            out.push_str(&primary.screen().contents_formatted());
            origin_on = push_margins(&mut out, primary.screen(), false);
            out.push_str("\x1b[?1049h");
        }
        out.push_str(&screen.state_formatted());
        push_margins(&mut out, screen, origin_on);
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

/// The scroll region and origin mode of `screen`, which `vt100` does not export, read off a
/// scratch copy's cursor: with origin mode on, `CSI H` goes to the region's top row and
/// `CSI 9999 H` stops at its bottom row; then, with a region of rows 2–3 set, `CSI H` goes to
/// row 2 only if origin mode was on (DECSC/DECRC keep it across the first probe). On a screen
/// under 3 rows (where no region smaller than the screen exists) origin mode reads as off.
fn margins(screen: &vt100::Screen) -> Margins {
    let mut p = scratch(screen);
    let row = |p: &vt100::Parser| p.screen().cursor_position().0;
    p.process(b"\x1b7\x1b[?6h\x1b[H");
    let top = row(&p);
    p.process(b"\x1b[9999H");
    let bottom = row(&p);
    p.process(b"\x1b8\x1b[2;3r\x1b[H");
    let origin = row(&p) == 1;
    Margins {
        top,
        bottom,
        origin,
    }
}

/// Appends what sets `screen`'s scroll region and origin mode on a terminal that shows its
/// contents with neither (setting them moves the cursor: it is put back). `reset_origin`: origin
/// mode may be on, turn it off explicitly. Returns whether origin mode is left on.
fn push_margins(out: &mut String, screen: &vt100::Screen, reset_origin: bool) -> bool {
    use std::fmt::Write as _;
    let m = margins(screen);
    let (rows, cols) = screen.size();
    let full = m.top == 0 && m.bottom + 1 >= rows.get();
    if full && !m.origin && !reset_origin {
        return false;
    }
    if !full {
        let _ = write!(out, "\x1b[{};{}r", m.top + 1, m.bottom + 1);
    }
    let (row, col) = screen.cursor_position();
    if m.origin {
        // Positions count from the region's top now; a cursor waiting to wrap at the end of a
        // row is put on its last column.
        let row = row.clamp(m.top, m.bottom) - m.top;
        let col = col.min(cols.get() - 1);
        let _ = write!(out, "\x1b[?6h\x1b[{};{}H", row + 1, col + 1);
    } else {
        if reset_origin {
            out.push_str("\x1b[?6l");
        }
        out.push_str(&screen.cursor_state_formatted());
        out.push_str(&screen.attributes_formatted());
    }
    m.origin
}

/// The part `a..b` of `data` a `rows`-high screen never shows, when `data` is plain text: no
/// control character but CR, LF, TAB, BS and BEL, no escape or C1 control, every LF after a CR
/// (a cooked terminal's line ends). `a` is just after the first line end (which completes
/// whatever the parser was in the middle of); `b` leaves `rows + 1` whole lines before the end,
/// enough to scroll every row of the screen (or of a scroll region) past. The screen after
/// parsing `data[..a]` and `data[b..]` is the one after parsing `data`, and parsing costs
/// what a screenful costs instead of what the flood costs: this is what keeps the model
/// at raw-PTY speed under `cat` of a large file.
fn scrolled_away(data: &[u8], rows: usize) -> Option<(usize, usize)> {
    // A quick refusal first: floods of plain text are long, and short reads gain nothing.
    if data.len() < 4096 {
        return None;
    }
    let mut prev = 0u8;
    let mut first_end = None;
    let mut line_ends = 0usize;
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'\n' => {
                // The first line end is parsed in full (a read may start between CR and LF).
                if prev != b'\r' && first_end.is_some() {
                    return None;
                }
                line_ends += 1;
                first_end.get_or_insert(i + 1);
            }
            b'\r' | b'\t' | 0x08 | 0x07 => {}
            0x00..=0x1f | 0x7f => return None,
            // C1 controls as UTF-8 (U+0080..U+009F) are C2 80..C2 9F.
            0x80..=0x9f if prev == 0xc2 => return None,
            _ => {}
        }
        prev = b;
    }
    let a = first_end?;
    let keep = rows + 1;
    if line_ends <= keep + 1 {
        return None;
    }
    // After the (keep + 1)-th line end counted from the end.
    let mut seen = 0;
    let b = data.iter().rposition(|&c| {
        if c == b'\n' {
            seen += 1;
        }
        seen == keep + 1
    })? + 1;
    (b > a).then_some((a, b))
}

/// Whether a scroll region smaller than the screen may be set after `data`, given `before`:
/// every `CSI top;bottom r` sets it (unless it spans the whole `rows`-high screen), `CSI r` and
/// `ESC c` clear it. A sequence cut off at the end of `data` counts as setting one.
fn scroll_region_after(data: &[u8], mut before: bool, rows: u16) -> bool {
    let mut i = 0;
    while let Some(p) = data[i..].iter().position(|&b| b == 0x1b) {
        let at = i + p;
        match data.get(at + 1) {
            None => return true,
            Some(b'c') => before = false,
            Some(b'[') => {
                let params_end = data[at + 2..]
                    .iter()
                    .position(|&b| !(b.is_ascii_digit() || b == b';'));
                let Some(n) = params_end else {
                    return true;
                };
                let params = &data[at + 2..at + 2 + n];
                if data[at + 2 + n] == b'r' {
                    let mut it = params.split(|&b| b == b';');
                    let num = |p: Option<&[u8]>| {
                        p.and_then(|p| std::str::from_utf8(p).ok())
                            .and_then(|p| p.parse::<u16>().ok())
                            .filter(|&n| n > 0)
                    };
                    let top = num(it.next()).unwrap_or(1);
                    let bottom = num(it.next()).unwrap_or(rows);
                    before = !(top == 1 && bottom >= rows);
                }
            }
            Some(_) => {}
        }
        i = at + 1;
    }
    before
}

/// The first position of `needle` in `hay` at or after `from` (0 never matches: the split point
/// must move forward).
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let p = i + hay[i..].iter().position(|&b| b == needle[0])?;
        if hay.get(p..p + needle.len()) == Some(needle) {
            return Some(p);
        }
        i = p + 1;
    }
    None
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

    #[test]
    fn titles_and_directories_are_cleaned_and_bounded() {
        let mut s = Screen::new(80, 24);
        s.feed(b"\x1b]0;T\x07");
        assert_eq!(s.title(), Some("T"));
        assert!(s.take_changed());
        assert!(!s.take_changed());
        // A `;` survives; an escape ends the sequence; control characters go.
        s.feed(b"\x1b]2;a;b\x7fc\x1b[31m\x07");
        assert_eq!(s.title(), Some("a;bc"));
        let long = format!("\x1b]2;{}\x07", "x".repeat(5000));
        s.feed(long.as_bytes());
        assert_eq!(s.title().map(str::len), Some(MAX_TERMINAL_TITLE_CHARS));
        s.feed(b"\x1b]7;file://host/tmp/a%20b\x07");
        assert_eq!(s.cwd(), Some("/tmp/a b"));
        s.feed(b"\x1b]7;file://host/tmp/%0a\x07");
        assert_eq!(s.cwd(), Some("/tmp/a b"), "a newline is refused");
        s.feed(b"\x1b]7;http://x/y\x07");
        assert_eq!(s.cwd(), Some("/tmp/a b"));
        // The snapshot carries the title.
        let snap = s.snapshot().unwrap();
        assert_eq!(render(&snap, 80, 24).title(), s.title());
    }

    #[test]
    fn prompt_marks_have_their_offsets() {
        let mut s = Screen::new(80, 24);
        s.feed(b"xy\x1b]133;A\x07$ \x1b]133;B\x07ls\r\n\x1b]133;C\x07");
        s.feed(b"out\r\n\x1b]133;D;2\x07");
        let marks: Vec<_> = s.marks().copied().collect();
        assert_eq!(
            marks,
            vec![
                Mark {
                    offset: 2,
                    kind: MarkKind::PromptStart,
                    exit: None,
                    tag: None
                },
                Mark {
                    offset: 12,
                    kind: MarkKind::CommandStart,
                    exit: None,
                    tag: None
                },
                Mark {
                    offset: 24,
                    kind: MarkKind::OutputStart,
                    exit: None,
                    tag: None
                },
                Mark {
                    offset: 37,
                    kind: MarkKind::CommandEnd,
                    exit: Some(2),
                    tag: None
                },
            ]
        );
    }

    #[test]
    fn prompt_marks_carry_their_tag() {
        let mut s = Screen::new(80, 24);
        s.feed(b"\x1b]133;D;7;op=00000000000000ff\x07\x1b]133;A;op=00000000000000ff\x07");
        s.feed(b"\x1b]133;D;op=zz\x07");
        let got: Vec<_> = s.marks().map(|m| (m.kind, m.exit, m.tag)).collect();
        assert_eq!(
            got,
            vec![
                (MarkKind::CommandEnd, Some(7), Some(255)),
                (MarkKind::PromptStart, None, Some(255)),
                (MarkKind::CommandEnd, None, None),
            ]
        );
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

    #[test]
    fn scroll_regions_are_followed() {
        assert!(scroll_region_after(b"\x1b[2;5r", false, 24));
        assert!(!scroll_region_after(b"\x1b[2;5rx\x1b[r", false, 24));
        assert!(!scroll_region_after(b"\x1b[1;24r", true, 24));
        assert!(!scroll_region_after(b"\x1bc", true, 24));
        assert!(scroll_region_after(b"abc\x1b[2;", false, 24));
        assert!(scroll_region_after(b"abc\x1b", false, 24));
        assert!(!scroll_region_after(b"\x1b[31mred\x1b[m", false, 24));
    }

    #[test]
    fn only_plain_cooked_text_is_skipped() {
        let lines = b"some text\r\n".repeat(1000);
        assert!(scrolled_away(&lines, 24).is_some());
        let mut esc = lines.clone();
        esc[5000] = 0x1b;
        assert_eq!(scrolled_away(&esc, 24), None);
        assert_eq!(scrolled_away(&b"some text\n".repeat(1000), 24), None);
        // A read that starts between a CR and its LF.
        let mut split = b"\n".to_vec();
        split.extend_from_slice(&lines);
        assert_eq!(scrolled_away(&split, 24).map(|(a, _)| a), Some(1));
        let mut c1 = lines.clone();
        c1[5000..5002].copy_from_slice(&[0xc2, 0x9b]);
        assert_eq!(scrolled_away(&c1, 24), None);
    }

    #[test]
    fn find_splits_only_forward() {
        assert_eq!(find(b"\x1b]133;A", OSC_133, 1), None);
        assert_eq!(find(b"a\x1b]133;A", OSC_133, 1), Some(1));
        assert_eq!(find(b"a\x1b]13\x1b]133;", OSC_133, 1), Some(5));
    }
}

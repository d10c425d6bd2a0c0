//! What a program says about itself, read by the parser's callbacks and treated as hostile
//! input: the title (OSC 0 and 2), the working directory (OSC 7) and prompt marks (OSC 133).

use std::collections::VecDeque;

use outpost_protocol::session::{MAX_CWD_BYTES, MAX_TERMINAL_TITLE_CHARS};

/// The most prompt marks kept (the oldest go first).
pub const MAX_MARKS: usize = outpost_protocol::session::MAX_PROMPT_MARKS;

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
pub(super) struct Reported {
    pub(super) title: Option<String>,
    pub(super) cwd: Option<String>,
    /// Whether the title or the directory changed since [`Screen::take_changed`].
    pub(super) changed: bool,
    pub(super) marks: VecDeque<Mark>,
    /// The offset of the bytes being fed (marks take it).
    pub(super) at: u64,
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

#[cfg(test)]
mod tests {
    use super::super::Screen;
    use super::*;

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
        let mut r = Screen::new(80, 24);
        r.feed(&snap.data);
        assert_eq!(r.title(), s.title());
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
}

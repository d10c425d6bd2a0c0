//! The per-command trailer of `session.exec` in `ssh` sessions (pure: no I/O, no clock).
//!
//! Nothing can be passed to a target's shell when an `ssh` session starts, so every exec carries
//! its own marks: [`command_line`] builds the one line typed for it, which makes the remote POSIX
//! shell print a start mark, run the command as one unit (`eval` of one single-quoted word, so a
//! multi-line command ends after all of it), then print an end mark with the exit status (`$?`)
//! and the directory (`$PWD`):
//!
//! ```text
//!  printf '\033]133;C;op=%s;sh=%s\007' N "$FISH_VERSION"&&test -z "$FISH_VERSION"&&eval '<command>';eval 'printf "\033]133;D;%s;op=%s;cwd=%s;op=%s\007" "$?" N "$PWD" N'
//! ```
//!
//! - `N` is the exec's own [`Nonce`] (fresh and random for every exec, 16 hex digits, known
//!   only to the daemon until typed). [`Scanner`] trusts only complete marks carrying it.
//! - Every ESC of a mark is made by `printf` from `\033` at run time: the echoed line holds the
//!   mark's text but never its bytes, so the echo can never be taken for a mark.
//! - The command is the user's shell code by definition; it is passed as one single-quoted
//!   word ([`quote`]): `'` as `'\''`, the history characters `!` and `^` outside the quotes,
//!   control characters made by `printf` at run time (a TAB typed raw would ask a line editor
//!   for completions; `^C` typed raw would interrupt), physical lines kept short (cooked
//!   terminals cut lines at 4096 bytes) by `\`-newline continuations between quoted pieces.
//! - fish cannot parse `$?` at all, so the end mark's `printf` is itself `eval`'d: fish parses
//!   the line, prints the start mark with its version (`sh=3.6.0`) and runs nothing else; POSIX
//!   shells print `sh=` (empty) and run the command.
//! - The line starts with a space, so shells that ignore such lines keep it out of history.
//!
//! An interactive shell whose command is killed by SIGINT drops the rest of its line, end mark
//! included: after an interrupt the daemon types [`status_line`], which prints the end mark of
//! the same nonce with the status the shell kept (130).

use crate::exec::integration::{parse_tag, Nonce};

/// The longest physical line [`command_line`] types (well below a cooked terminal's 4096).
pub const MAX_PHYSICAL_LINE: usize = 1024;

/// The most bytes of an OSC string the scanner keeps (an end mark's directory is at most
/// 4096 bytes).
const MAX_OSC: usize = 4096 + 128;

/// The most bytes of a prompt line ([`prompt_line`]).
pub const MAX_PROMPT_LINE: usize = 512;

/// The start-mark `printf` (its format stays text in the echo: `\033`, not ESC).
const START: &str = r"printf '\033]133;C;op=%s;sh=%s\007' ";

/// The end-mark `printf`, as the body of a single-quoted `eval` word.
const END_FORMAT: &str = r#"printf "\033]133;D;%s;op=%s;cwd=%s;op=%s\007" "$?" "#;

/// The line typed for one exec of `command` with `nonce` (line ends as CR, as Enter types them).
pub fn command_line(command: &str, nonce: Nonce) -> Vec<u8> {
    let n = nonce.hex();
    let mut out = String::with_capacity(command.len() * 2 + 256);
    out.push(' ');
    out.push_str(START);
    out.push_str(&n);
    out.push_str(r#" "$FISH_VERSION"&&test -z "$FISH_VERSION"&&eval "#);
    quote(command, out.len(), &mut out);
    out.push_str(";eval '");
    out.push_str(END_FORMAT);
    out.push_str(&format!(r#"{n} "$PWD" {n}'"#));
    out.push('\r');
    out.into_bytes()
}

/// How the echo of [`command_line`] for `nonce` starts (the shell's prompt comes just before).
pub fn echo_start(nonce: Nonce) -> Vec<u8> {
    format!(" {START}{}", nonce.hex()).into_bytes()
}

/// The line typed after an interrupt: the end mark alone, with the status the shell kept.
pub fn status_line(nonce: Nonce) -> Vec<u8> {
    let n = nonce.hex();
    format!(" eval '{END_FORMAT}{n} \"$PWD\" {n}'\r").into_bytes()
}

/// Appends `command` as one single-quoted shell word to `out`, whose current physical line is
/// `col` bytes long (see the module doc). Newlines stay inside the quotes, typed as CR.
pub fn quote(command: &str, col: usize, out: &mut String) {
    let mut w = Word {
        out,
        col,
        open: false,
    };
    w.open();
    for c in command.chars() {
        if w.col >= MAX_PHYSICAL_LINE && c != '\n' {
            // `'\` newline `'`: a continuation outside the quotes, which the shell removes.
            w.close();
            w.out.push_str("\\\r");
            w.col = 0;
        }
        match c {
            '\'' | '!' | '^' => {
                w.close();
                w.push('\\');
                w.push(c);
            }
            '\n' => {
                w.open();
                w.out.push('\r');
                w.col = 0;
            }
            c if c.is_ascii_control() => {
                w.close();
                let made = format!("\"$(printf '\\{:03o}')\"", c as u32);
                w.col += made.len();
                w.out.push_str(&made);
            }
            c => {
                w.open();
                w.push(c);
            }
        }
    }
    w.open();
    w.close();
}

/// A shell word being written: its quotes opened and closed as needed.
struct Word<'a> {
    out: &'a mut String,
    col: usize,
    open: bool,
}

impl Word<'_> {
    fn push(&mut self, c: char) {
        self.out.push(c);
        self.col += c.len_utf8();
    }

    fn open(&mut self) {
        if !self.open {
            self.push('\'');
            self.open = true;
        }
    }

    fn close(&mut self) {
        if self.open {
            self.push('\'');
            self.open = false;
        }
    }
}

/// The last line of `output` (after its last CR or LF), when it is 1..=[`MAX_PROMPT_LINE`]
/// bytes: what a shell at its prompt shows last.
pub fn prompt_line(output: &[u8]) -> Option<&[u8]> {
    let start = output
        .iter()
        .rposition(|&b| b == b'\r' || b == b'\n')
        .map_or(0, |i| i + 1);
    let line = &output[start..];
    (!line.is_empty() && line.len() <= MAX_PROMPT_LINE).then_some(line)
}

/// A trusted mark of one exec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The start mark: the command's output starts at `end` (just after it). `fish`: the shell
    /// said it is fish (and ran nothing).
    Start {
        /// The offset just after the mark.
        end: u64,
        /// The shell is fish.
        fish: bool,
    },
    /// The end mark: the command's output ended at `start` (where the mark begins).
    End {
        /// The offset of the mark's ESC.
        start: u64,
        /// The offset just after the mark.
        end: u64,
        /// `$?`.
        status: Option<i32>,
        /// `$PWD`, when whole and clean.
        cwd: Option<String>,
    },
}

/// Where the scanner stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC (at the offset held).
    Esc(u64),
    /// In an OSC string that began at the offset held.
    Osc(u64),
    /// After ESC inside an OSC string.
    OscEsc(u64),
}

/// Finds one exec's trusted marks in the output, fed in order by offset (see the module doc).
#[derive(Clone, Debug)]
pub struct Scanner {
    nonce: Nonce,
    state: State,
    body: Vec<u8>,
    /// The body outgrew [`MAX_OSC`]: the string is no mark.
    overlong: bool,
}

impl Scanner {
    /// A scanner for marks tagged with `nonce`.
    pub fn new(nonce: Nonce) -> Scanner {
        Scanner {
            nonce,
            state: State::Ground,
            body: Vec::new(),
            overlong: false,
        }
    }

    /// Feeds output `data` at `offset`; appends the trusted marks completed in it to `marks`.
    pub fn feed(&mut self, offset: u64, data: &[u8], marks: &mut Vec<Mark>) {
        for (i, &b) in data.iter().enumerate() {
            let at = offset + i as u64;
            self.state = match (self.state, b) {
                (State::Ground, 0x1b) => State::Esc(at),
                (State::Ground, _) => State::Ground,
                (State::Esc(start), b']') => {
                    self.body.clear();
                    self.overlong = false;
                    State::Osc(start)
                }
                (State::Esc(_), 0x1b) => State::Esc(at),
                (State::Esc(_), _) => State::Ground,
                (State::Osc(start), 0x07) => {
                    self.finish(start, at + 1, marks);
                    State::Ground
                }
                (State::Osc(start), 0x1b) => State::OscEsc(start),
                (State::Osc(start), _) => {
                    if self.body.len() < MAX_OSC {
                        self.body.push(b);
                    } else {
                        self.overlong = true;
                    }
                    State::Osc(start)
                }
                (State::OscEsc(start), b'\\') => {
                    self.finish(start, at + 1, marks);
                    State::Ground
                }
                // ESC inside the string ends it (as terminals do); this ESC starts anew.
                (State::OscEsc(start), _) => {
                    self.finish(start, at - 1, marks);
                    if b == b']' {
                        self.body.clear();
                        self.overlong = false;
                        State::Osc(at - 1)
                    } else if b == 0x1b {
                        State::Esc(at)
                    } else {
                        State::Ground
                    }
                }
            };
        }
    }

    fn finish(&mut self, start: u64, end: u64, marks: &mut Vec<Mark>) {
        if self.overlong {
            return;
        }
        if let Some(m) = parse(&self.body, self.nonce, start, end) {
            marks.push(m);
        }
    }
}

/// The mark in an OSC body (`133;C;…` or `133;D;…`) when it carries `nonce`.
fn parse(body: &[u8], nonce: Nonce, start: u64, end: u64) -> Option<Mark> {
    let tagged = |part: &[u8]| parse_tag(part) == Some(nonce.0);
    if let Some(rest) = body.strip_prefix(b"133;C;") {
        let (tag, sh) = split_once(rest, b';')?;
        let sh = sh.strip_prefix(b"sh=")?;
        return tagged(tag).then_some(Mark::Start {
            end,
            fish: !sh.is_empty(),
        });
    }
    let rest = body.strip_prefix(b"133;D;")?;
    let (status, rest) = split_once(rest, b';')?;
    let (tag, rest) = match split_once(rest, b';') {
        Some((tag, rest)) => (tag, rest),
        None => (rest, &b""[..]),
    };
    if !tagged(tag) {
        return None;
    }
    let status = std::str::from_utf8(status).ok()?.parse().ok();
    Some(Mark::End {
        start,
        end,
        status,
        cwd: cwd_of(rest, nonce),
    })
}

/// The directory of an end mark's `cwd=<path>;op=<nonce>` tail: whole (the nonce after it),
/// absolute, UTF-8 without control characters, at most [`super::run::MAX_CWD_BYTES`] bytes.
fn cwd_of(rest: &[u8], nonce: Nonce) -> Option<String> {
    let path = rest.strip_prefix(b"cwd=")?;
    let suffix = format!(";op={}", nonce.hex());
    let path = path.strip_suffix(suffix.as_bytes())?;
    let text = std::str::from_utf8(path).ok()?;
    let ok = text.starts_with('/')
        && text.len() <= super::run::MAX_CWD_BYTES
        && !text.chars().any(char::is_control);
    ok.then(|| text.to_string())
}

fn split_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|&b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const N: Nonce = Nonce(0x0123_4567_89ab_cdef);

    fn scan(data: &[u8]) -> Vec<Mark> {
        let mut s = Scanner::new(N);
        let mut marks = Vec::new();
        s.feed(100, data, &mut marks);
        marks
    }

    #[test]
    fn the_line_has_the_marks_text_but_never_their_bytes() {
        let line = command_line("echo 'a b' !x ^y\tz\nfalse", N);
        let text = String::from_utf8(line.clone()).unwrap_or_default();
        assert!(!line.contains(&0x1b) && !line.contains(&0x07) && !line.contains(&b'\t'));
        assert!(text.starts_with(" printf '\\033]133;C;op=%s;sh=%s\\007' 0123456789abcdef "));
        assert!(text.contains(r#"eval 'echo '\''a b'\'' '\!'x '\^'y'"$(printf '\011')"'z"#));
        assert!(text.contains("z\rfalse';eval 'printf"));
        assert!(text.ends_with("\"$?\" 0123456789abcdef \"$PWD\" 0123456789abcdef'\r"));
        assert!(scan(&line).is_empty());
        assert!(line.starts_with(&echo_start(N)));
    }

    #[test]
    fn long_lines_are_continued() {
        let cmd = "é".repeat(3000);
        let line = command_line(&cmd, N);
        let text = String::from_utf8(line).unwrap_or_default();
        for l in text.split('\r') {
            assert!(l.len() <= MAX_PHYSICAL_LINE + 128, "{}", l.len());
        }
        assert!(text.contains("'\\\r'"));
    }

    #[test]
    fn marks_with_the_nonce_are_found_by_offset() {
        let data = b"echo\r\n\x1b]133;C;op=0123456789abcdef;sh=\x07out\r\n\
            \x1b]133;D;3;op=0123456789abcdef;cwd=/a;b c;op=0123456789abcdef\x07$ ";
        let m = scan(data);
        let c_end = 100 + 6 + 32;
        assert_eq!(
            m,
            vec![
                Mark::Start {
                    end: c_end,
                    fish: false
                },
                Mark::End {
                    start: c_end + 5,
                    end: 100 + data.len() as u64 - 2,
                    status: Some(3),
                    cwd: Some("/a;b c".into())
                }
            ]
        );
    }

    #[test]
    fn fakes_and_broken_marks_are_ignored() {
        for fake in [
            &b"\x1b]133;D;0\x07"[..],
            b"\x1b]133;D;0;op=0000000000000000;cwd=/;op=0000000000000000\x07",
            b"\x1b]133;C;op=0123456789abcdee;sh=\x07",
            b"\\033]133;D;0;op=0123456789abcdef\\007",
            b"\x1b]133;C;op=0123456789abcdef\x07",
        ] {
            assert_eq!(scan(fake), vec![], "{fake:?}");
        }
        // A directory with a BEL in it cuts the mark short: the status holds, the directory
        // is not trusted.
        let m = scan(b"\x1b]133;D;0;op=0123456789abcdef;cwd=/a\x07b;op=0123456789abcdef\x07");
        assert_eq!(
            m,
            vec![Mark::End {
                start: 100,
                end: 137,
                status: Some(0),
                cwd: None
            }]
        );
        let fish = scan(b"\x1b]133;C;op=0123456789abcdef;sh=3.6.0\x1b\\");
        assert_eq!(
            fish,
            vec![Mark::Start {
                end: 138,
                fish: true
            }]
        );
    }

    #[test]
    fn prompt_lines() {
        assert_eq!(
            prompt_line(b"x\r\n\x1b[?2004hrsh$ "),
            Some(&b"\x1b[?2004hrsh$ "[..])
        );
        assert_eq!(prompt_line(b"x\r\n"), None);
        assert_eq!(prompt_line(b"$ "), Some(&b"$ "[..]));
        assert_eq!(prompt_line(&[b'a'; MAX_PROMPT_LINE + 1]), None);
    }

    proptest! {
        /// However the output is cut into reads, the same marks are found; and a real mark
        /// amid any bytes is found.
        #[test]
        fn splitting_does_not_matter(
            noise in proptest::collection::vec(any::<u8>(), 0..200),
            cut in 0usize..300,
            status in 0i32..256,
        ) {
            let mut data = noise.clone();
            // Noise may end inside an escape sequence: a BEL closes whatever it left open.
            data.push(0x07);
            let at = data.len() as u64;
            data.extend_from_slice(
                format!("\x1b]133;D;{status};op=0123456789abcdef;cwd=/x;op=0123456789abcdef\x07")
                    .as_bytes(),
            );
            let whole = scan(&data);
            let cut = cut.min(data.len());
            let mut s = Scanner::new(N);
            let mut parts = Vec::new();
            s.feed(100, &data[..cut], &mut parts);
            s.feed(100 + cut as u64, &data[cut..], &mut parts);
            prop_assert_eq!(&whole, &parts);
            prop_assert_eq!(whole.last(), Some(&Mark::End {
                start: 100 + at,
                end: 100 + data.len() as u64,
                status: Some(status),
                cwd: Some("/x".into()),
            }));
        }

        /// The typed line never contains a mark's bytes, whatever the command.
        #[test]
        fn no_command_makes_the_line_a_mark(cmd in "\\PC{0,300}") {
            let line = command_line(&cmd, N);
            prop_assert!(scan(&line).is_empty());
            prop_assert!(!line.contains(&0x1b));
        }
    }
}

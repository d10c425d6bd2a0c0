//! `session.exec` in `ssh` sessions: the command line carries its own marks
//! ([`crate::exec::trailer`]); this module decides when it may be typed ([`Remote`], pure) and
//! runs the exec in the session's daemon ([`exec`]).
//!
//! The terminal's foreground is always the local `ssh`, so "is the remote shell at its prompt?"
//! is answered from what the daemon has seen, never from a guess at the prompt's text alone:
//!
//! 1. **Known ready.** The remote shell is at its prompt right after the end mark of an exec
//!    during which nobody typed anything, and when the session's first `ssh` has started and
//!    nobody has typed anything yet. While no client has typed since such a point (same `ssh`
//!    process), an exec is typed at once: whatever the remote shell still prints, it will read
//!    the line at its prompt.
//! 2. **Same prompt.** Once a client has typed (a person at the window, `session.input`), the
//!    last line the session showed before that first keystroke is kept as the *prompt line*
//!    ([`crate::exec::trailer::prompt_line`]); an exec is typed only when the output ends with
//!    exactly that line again (a REPL's `>>> `, a pager, a half-typed line or a changed prompt
//!    all differ: "busy", nothing typed). A prompt that changed (another directory in it) stays
//!    "busy" until the next known-ready point.
//! 3. Always: the link must be up (the ControlMaster answers), the local `ssh` must be the
//!    terminal's foreground process group, and no other exec may run.
//!
//! An exec whose end mark never comes because someone pressed Ctrl-C (the shell drops the rest
//! of its line) is given up, without a status, once the output ends with the prompt line it was
//! typed at; an exec interrupted at its timeout gets its status from [`trailer::status_line`]
//! typed once the prompt line is back. A remote fish answers `session_busy` ("fish") with
//! nothing run (it is found by the start mark, [`trailer::Mark::Start`]), until someone types.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use outpost_protocol::session::LinkState;
use outpost_protocol::ErrorCode;

use super::daemon::{ended_first, error, result_reply, still_running, ExecAsk, ExecCell};
use super::integration::Nonce;
use super::tracker::TrustedMark;
use super::trailer::{self, prompt_line, Mark, Scanner, MAX_PROMPT_LINE};
use crate::daemon::frames::DaemonReply;
use crate::daemon::server::Daemon;

/// How long an interrupted command gets to give the prompt back before the answer goes out.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// How long an exec waits for the link of a session still connecting, at most its timeout.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// How often the link is looked at while waiting for it.
const LINK_POLL: Duration = Duration::from_millis(50);

/// A point where the remote shell is known to be at its prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ready {
    /// The `ssh` process it holds for.
    child: u32,
    /// The output offset from which the shell's prompt follows.
    offset: u64,
    /// The count of client inputs then.
    inputs: u64,
}

/// The running exec's trailer.
#[derive(Clone, Debug)]
struct Scan {
    number: u64,
    nonce: Nonce,
    scanner: Scanner,
    /// Client inputs when it was typed.
    inputs: u64,
    /// The `ssh` process it was typed to.
    child: u32,
    /// The prompt line it was typed at, when known.
    prompt: Option<Vec<u8>>,
    /// The known-ready offset it was typed at (its prompt follows from there).
    from: Option<u64>,
    /// Where its output is cut when it ends (an interrupt, then the status line).
    cut_at: Option<u64>,
}

/// What [`Remote::decide`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// At a known-ready point: type; the prompt follows from this offset.
    Known(u64),
    /// Type only if the output ends with this prompt line.
    SamePrompt(Vec<u8>),
    /// Busy, why.
    Busy(&'static str),
    /// The remote shell is fish.
    Fish,
}

/// The exec state of an `ssh` session beside its [`super::tracker::Tracker`] (see the module
/// doc).
#[derive(Debug)]
pub struct Remote {
    inputs: u64,
    ready: Option<Ready>,
    /// Whether a client typed since `ready` (its prompt line is then learnt).
    typed_since_ready: bool,
    prompt: Option<Vec<u8>>,
    scan: Option<Scan>,
    /// fish was found in this `ssh` process, with this many client inputs.
    fish: Option<(u32, u64)>,
}

impl Remote {
    /// The state of a session whose first `ssh` is `child`, just started.
    pub fn new(child: u32) -> Remote {
        Remote {
            inputs: 0,
            ready: Some(Ready {
                child,
                offset: 0,
                inputs: 0,
            }),
            typed_since_ready: false,
            prompt: None,
            scan: None,
            fish: None,
        }
    }

    /// A client typed. Returns the offset from which the output up to now shows the prompt
    /// the keystroke was typed at, when the caller should learn it ([`Remote::learn_prompt`]).
    pub fn input(&mut self) -> Option<u64> {
        self.inputs += 1;
        let ready = self.ready?;
        if self.typed_since_ready {
            return None;
        }
        self.typed_since_ready = true;
        Some(ready.offset)
    }

    /// The prompt line a shell known to be at its prompt showed.
    pub fn learn_prompt(&mut self, output: &[u8]) {
        if let Some(line) = prompt_line(output) {
            self.prompt = Some(line.to_vec());
        }
    }

    /// Whether an exec may be typed to `ssh` process `child` now (a running exec is the
    /// tracker's to tell).
    pub fn decide(&self, child: u32) -> Decision {
        if self.fish == Some((child, self.inputs)) {
            return Decision::Fish;
        }
        if let Some(r) = self.ready {
            if r.child == child && r.inputs == self.inputs {
                return Decision::Known(r.offset);
            }
        }
        match &self.prompt {
            Some(p) => Decision::SamePrompt(p.clone()),
            None => Decision::Busy(
                "input was typed since the remote shell was last known to be at its prompt, and \
                 no prompt line was seen to compare with",
            ),
        }
    }

    /// Exec `number` is typed to `child` with `nonce`, at prompt line `prompt`, or at the
    /// known-ready offset `from` when its prompt had not come yet.
    pub fn begin(
        &mut self,
        number: u64,
        nonce: Nonce,
        child: u32,
        prompt: Option<Vec<u8>>,
        from: Option<u64>,
    ) {
        if prompt.is_some() {
            self.prompt.clone_from(&prompt);
        }
        self.ready = None;
        self.typed_since_ready = false;
        self.scan = Some(Scan {
            number,
            nonce,
            scanner: Scanner::new(nonce),
            inputs: self.inputs,
            child,
            prompt,
            from,
            cut_at: None,
        });
    }

    /// Output `data` at `offset`: the running exec's trusted marks.
    pub fn feed(&mut self, offset: u64, data: &[u8]) -> Vec<Mark> {
        let mut marks = Vec::new();
        if let Some(s) = self.scan.as_mut() {
            s.scanner.feed(offset, data, &mut marks);
        }
        marks
    }

    /// The running exec's number.
    pub fn running(&self) -> Option<u64> {
        self.scan.as_ref().map(|s| s.number)
    }

    /// The running exec's end mark ended at `end`: the shell is at its prompt, known ready
    /// when nobody typed while it ran. Returns where its output ends (`start`, or the cut).
    pub fn ended(&mut self, start: u64, end: u64) -> u64 {
        let Some(s) = self.scan.take() else {
            return start;
        };
        if s.inputs == self.inputs {
            self.ready = Some(Ready {
                child: s.child,
                offset: end,
                inputs: self.inputs,
            });
            self.typed_since_ready = false;
        }
        s.cut_at.map_or(start, |c| c.min(start))
    }

    /// The running exec's start mark said fish: nothing ran.
    pub fn found_fish(&mut self) {
        if let Some(s) = self.scan.take() {
            self.fish = Some((s.child, self.inputs));
        }
    }

    /// The running exec's prompt line, when someone typed since it was typed (so its end mark
    /// may never come) — the caller gives it up when the output ends with that line again.
    pub fn abandonable(&self) -> Option<&[u8]> {
        let s = self.scan.as_ref()?;
        (s.inputs != self.inputs)
            .then_some(s.prompt.as_deref())
            .flatten()
    }

    /// Gives the running exec up (see [`Remote::abandonable`]).
    pub fn abandon(&mut self) {
        self.scan = None;
    }

    /// The running exec whose prompt line is not known yet: the offset its prompt follows from
    /// and its nonce (the echo of its line follows the prompt).
    pub fn prompt_wanted(&self) -> Option<(u64, Nonce)> {
        let s = self.scan.as_ref()?;
        if s.prompt.is_some() {
            return None;
        }
        Some((s.from?, s.nonce))
    }

    /// The running exec's prompt line, found before the echo of its line.
    pub fn found_prompt(&mut self, line: &[u8]) {
        if let Some(s) = self.scan.as_mut() {
            s.prompt = Some(line.to_vec());
            s.from = None;
        }
        self.prompt = Some(line.to_vec());
    }

    /// After an interrupt: the prompt line the running exec was typed at, and its nonce.
    fn interrupted(&self) -> Option<(Vec<u8>, Nonce)> {
        let s = self.scan.as_ref()?;
        Some((s.prompt.clone()?, s.nonce))
    }

    /// The output of the running exec is cut at `at` (its status line follows).
    fn cut(&mut self, at: u64) {
        if let Some(s) = self.scan.as_mut() {
            s.cut_at.get_or_insert(at);
        }
    }
}

/// The session's remote state, locked.
pub fn lock(m: &Mutex<Remote>) -> MutexGuard<'_, Remote> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A client typed into the session (called by the daemon's input path before the bytes go to
/// the terminal).
pub fn client_input(shared: &crate::daemon::state::Shared) {
    let Some(remote) = shared.exec.remote() else {
        return;
    };
    let from = lock(remote).input();
    if let Some(from) = from {
        let (_, end) = shared.bounds();
        let line = tail(shared, from, end);
        lock(remote).learn_prompt(&line);
    }
}

/// The output in `from..end`, at most its last [`MAX_PROMPT_LINE`] + 1 bytes.
fn tail(shared: &crate::daemon::state::Shared, from: u64, end: u64) -> Vec<u8> {
    let from = from.max(end.saturating_sub(MAX_PROMPT_LINE as u64 + 1));
    let mut buf = Vec::new();
    if from < end {
        let at = shared.read(from, usize::try_from(end - from).unwrap_or(0), &mut buf);
        if at != from {
            buf.clear();
        }
    }
    buf
}

/// Finds the running exec's prompt line when it was typed before its prompt came: the last
/// line before the echo of its line.
fn learn_exec_prompt(shared: &crate::daemon::state::Shared, remote: &Mutex<Remote>) {
    let Some((from, nonce)) = lock(remote).prompt_wanted() else {
        return;
    };
    let (_, end) = shared.bounds();
    let mut buf = Vec::new();
    let want = usize::try_from(end.saturating_sub(from))
        .unwrap_or(0)
        .min(ECHO_SEARCH);
    if shared.read(from, want, &mut buf) != from {
        return;
    }
    let echo = trailer::echo_start(nonce);
    let Some(at) = buf.windows(echo.len()).position(|w| w == echo.as_slice()) else {
        return;
    };
    if let Some(line) = prompt_line(&buf[..at]) {
        lock(remote).found_prompt(line);
    }
}

/// How far after the known-ready point the echo of an exec's line is looked for.
const ECHO_SEARCH: usize = 8 * 1024;

/// Whether the output ends with `line`.
fn ends_with(shared: &crate::daemon::state::Shared, line: &[u8]) -> bool {
    let (_, end) = shared.bounds();
    let from = end.saturating_sub(line.len() as u64);
    let mut buf = Vec::new();
    shared.read(from, line.len(), &mut buf) == from && buf == line
}

/// Follows output for the running exec (under the screen lock, from
/// [`ExecCell::observe`]).
pub fn observe(cell: &ExecCell, remote: &Mutex<Remote>, offset: u64, data: &[u8]) {
    let mut r = lock(remote);
    let Some(number) = r.running() else {
        return;
    };
    let marks = r.feed(offset, data);
    if marks.is_empty() {
        return;
    }
    let now = cell.now_ms();
    let mut tracker = cell.tracker();
    for m in marks {
        match m {
            Mark::Start { end, fish: false } => {
                tracker.mark(end, TrustedMark::OutputStart, None, now);
            }
            Mark::Start { end, fish: true } => {
                tracker.abandon(number, end, now);
                r.found_fish();
            }
            Mark::End {
                start,
                end,
                status,
                cwd,
            } => {
                let to = r.ended(start, end);
                tracker.mark(to, TrustedMark::CommandEnd(status), cwd.as_deref(), now);
            }
        }
        if r.running().is_none() {
            break;
        }
    }
    drop(tracker);
    drop(r);
    cell.notify();
}

/// Waits up to `wait` for the link to be up; its last state.
async fn link_up(daemon: &Daemon, wait: Duration) -> Option<LinkState> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let link = daemon.shared.link();
        if link == Some(LinkState::Up)
            || daemon.shared.exit().is_some()
            || tokio::time::Instant::now() >= deadline
        {
            return link;
        }
        tokio::time::sleep(LINK_POLL).await;
    }
}

/// Runs one exec in an `ssh` session (see the module doc); `ask` is checked.
pub async fn exec(daemon: &Daemon, ask: ExecAsk, remote: &Mutex<Remote>) -> DaemonReply {
    let shared = &daemon.shared;
    let cell = &shared.exec;
    let link = link_up(daemon, CONNECT_WAIT.min(ask.timeout)).await;
    if link != Some(LinkState::Up) {
        return error(
            ErrorCode::TargetUnavailable,
            format!("the link to the target is {link:?}, not up; nothing was typed"),
        );
    }
    if !daemon.pty.child_in_foreground() {
        return error(
            ErrorCode::SessionBusy,
            "the local ssh is not the terminal's foreground process; nothing was typed",
        );
    }
    let child = daemon.pty.child_pid();
    // A running exec whose line someone cut short with Ctrl-C: given up once its prompt is back.
    learn_exec_prompt(shared, remote);
    let stale = lock(remote).abandonable().map(<[u8]>::to_vec);
    if let Some(prompt) = stale {
        if ends_with(shared, &prompt) {
            let mut r = lock(remote);
            if let Some(n) = r.running() {
                let end = shared.bounds().1;
                cell.tracker().abandon(n, end, cell.now_ms());
                r.abandon();
                tracing::debug!(n, "exec given up: its line was interrupted by hand");
            }
        }
    }
    let decision = lock(remote).decide(child);
    let mut from = None;
    let prompt = match &decision {
        Decision::Fish => return fish_error(),
        Decision::Busy(why) => {
            return error(ErrorCode::SessionBusy, format!("{why}; nothing was typed"))
        }
        Decision::Known(at) => {
            let (_, end) = shared.bounds();
            from = Some(*at);
            prompt_line(&tail(shared, *at, end)).map(<[u8]>::to_vec)
        }
        Decision::SamePrompt(p) => {
            if !ends_with(shared, p) {
                return error(
                    ErrorCode::SessionBusy,
                    "the remote shell does not show the prompt it showed when it was last known \
                     to be at its prompt (a program runs, or a line is half typed); nothing was \
                     typed",
                );
            }
            Some(p.clone())
        }
    };
    let nonce = match Nonce::random() {
        Ok(n) => n,
        Err(e) => return error(ErrorCode::InternalError, e.to_string()),
    };
    let number = {
        let mut r = lock(remote);
        if r.decide(child) != decision {
            return error(
                ErrorCode::SessionBusy,
                "someone typed meanwhile; nothing was typed",
            );
        }
        let mut tracker = cell.tracker();
        let typed_at = shared.bounds().1;
        let now = cell.now_ms();
        tracker.mark(typed_at, TrustedMark::PromptStart, None, now);
        let n = match tracker.begin(typed_at, ask.command.as_bytes(), true, now) {
            Ok(n) => n,
            Err(busy) => {
                return error(ErrorCode::SessionBusy, format!("{busy}; nothing was typed"))
            }
        };
        r.begin(n, nonce, child, prompt, from);
        n
    };
    let line = trailer::command_line(&ask.command, nonce);
    shared.recorder().input(&line);
    if let Err(e) = daemon.pty.write(line).await {
        cell.session_ended(shared.bounds().1);
        return error(ErrorCode::SessionNotRunning, e.to_string());
    }
    tracing::debug!(number, "exec typed to the remote shell");
    wait(daemon, remote, number, &ask).await
}

fn fish_error() -> DaemonReply {
    error(
        ErrorCode::SessionBusy,
        "the remote shell is fish, which session.exec in ssh sessions does not drive (it needs \
         a POSIX shell: bash, zsh, dash, busybox sh); nothing was run",
    )
}

/// Waits for exec `number`'s end, its timeout (and interrupt), or the session's end.
async fn wait(daemon: &Daemon, remote: &Mutex<Remote>, number: u64, ask: &ExecAsk) -> DaemonReply {
    let shared = &daemon.shared;
    let cell = &shared.exec;
    let mut changed = cell.subscribe();
    let mut progress = shared.subscribe();
    let deadline = tokio::time::Instant::now() + ask.timeout;
    let mut timed_out = false;
    let mut grace_until = None;
    let mut interrupted_at = None;
    let mut status_typed = false;
    loop {
        changed.borrow_and_update();
        progress.borrow_and_update();
        match still_running(daemon, number) {
            Some(true) => {}
            Some(false) => break,
            None => return ended_first(),
        }
        learn_exec_prompt(shared, remote);
        if let (Some(at), false) = (interrupted_at, status_typed) {
            // The shell dropped the rest of the line with the command: once its prompt is
            // back, ask it for the status it kept.
            let back = lock(remote).interrupted();
            if let Some((prompt, nonce)) = back {
                let end = shared.bounds().1;
                if end > at && ends_with(shared, &prompt) {
                    lock(remote).cut(end - prompt.len() as u64);
                    status_typed = true;
                    let line = trailer::status_line(nonce);
                    shared.recorder().input(&line);
                    let _ = daemon.pty.write(line).await;
                }
            }
        }
        let until = grace_until.unwrap_or(deadline);
        tokio::select! {
            r = changed.changed() => if r.is_err() { break },
            r = progress.changed(), if interrupted_at.is_some() && !status_typed => {
                if r.is_err() { break }
            }
            _ = tokio::time::sleep_until(until) => {
                timed_out = true;
                if ask.interrupt && grace_until.is_none() {
                    // Ctrl-C through ssh: the remote terminal interrupts its foreground job.
                    interrupted_at = Some(shared.bounds().1);
                    let _ = daemon.pty.write(vec![0x03]).await;
                    grace_until = Some(tokio::time::Instant::now() + INTERRUPT_GRACE);
                } else {
                    break;
                }
            }
        }
    }
    if lock(remote).decide(daemon.pty.child_pid()) == Decision::Fish
        && cell
            .tracker()
            .get(number)
            .and_then(|e| e.exit_code)
            .is_none()
    {
        return fish_error();
    }
    result_reply(daemon, number, ask.max_output, timed_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_typed_since_start_or_a_clean_end_is_known_ready() {
        let mut r = Remote::new(7);
        assert_eq!(r.decide(7), Decision::Known(0));
        // Another ssh process (a reconnect): no longer known.
        assert!(matches!(r.decide(8), Decision::Busy(_)));
        r.begin(1, Nonce(1), 7, Some(b"$ ".to_vec()), None);
        assert_eq!(r.ended(50, 60), 50);
        assert_eq!(r.decide(7), Decision::Known(60));
    }

    #[test]
    fn after_typing_the_prompt_line_must_match() {
        let mut r = Remote::new(7);
        assert_eq!(r.input(), Some(0));
        r.learn_prompt(b"motd\r\nrsh$ ");
        assert_eq!(r.input(), None);
        assert_eq!(r.decide(7), Decision::SamePrompt(b"rsh$ ".to_vec()));
        // Typed before any prompt showed: nothing to compare with.
        let mut r = Remote::new(7);
        r.input();
        r.learn_prompt(b"line\r\n");
        assert!(matches!(r.decide(7), Decision::Busy(_)));
    }

    #[test]
    fn typing_during_an_exec_spoils_its_end_and_allows_giving_it_up() {
        let mut r = Remote::new(7);
        r.begin(1, Nonce(1), 7, Some(b"$ ".to_vec()), None);
        assert_eq!(r.abandonable(), None);
        assert_eq!(r.input(), None);
        assert_eq!(r.abandonable(), Some(&b"$ "[..]));
        r.ended(10, 20);
        assert_eq!(r.decide(7), Decision::SamePrompt(b"$ ".to_vec()));
    }

    #[test]
    fn fish_is_remembered_until_someone_types() {
        let mut r = Remote::new(7);
        r.begin(1, Nonce(1), 7, None, Some(0));
        r.found_fish();
        assert_eq!(r.running(), None);
        assert_eq!(r.decide(7), Decision::Fish);
        r.input();
        assert_ne!(r.decide(7), Decision::Fish);
    }

    #[test]
    fn an_interrupted_exec_is_cut_where_its_prompt_came_back() {
        let mut r = Remote::new(7);
        r.begin(1, Nonce(1), 7, Some(b"$ ".to_vec()), None);
        r.cut(40);
        r.cut(45);
        assert_eq!(r.ended(80, 90), 40);
    }
}

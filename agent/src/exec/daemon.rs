//! The session daemon's side of `session.exec` and `session.exec_result`: the exec state of
//! the session ([`ExecCell`], kept in [`crate::daemon::state::Shared`], so it outlives every
//! agent), fed from the PTY reader, and the handling of the daemon's exec requests.
//!
//! An exec is refused with `session_busy`, nothing typed, when the session has no shell
//! integration, the shell's process group is not the terminal's foreground group, the shell
//! showed no trusted prompt since its last command, or another exec runs. Otherwise the command
//! line is typed (for shells that mark output starts, after a Ctrl-U that empties the line
//! editor), followed by Enter, and the request waits for its trusted end mark, its timeout, or
//! the end of the session. A multi-line command is typed as one unit ([`one_unit`]). `ssh`
//! sessions follow their own rules ([`super::remote`]).

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use outpost_protocol::exec::{exec_id, ExecResult};
use outpost_protocol::session::Signal;
use outpost_protocol::ErrorCode;
use tokio::sync::watch;

use super::integration::{Nonce, ShellKind};
use super::remote::Remote;
use super::tracker::{Exec, ExecState, Tracker, TrustedMark};
use crate::daemon::frames::DaemonReply;
use crate::daemon::server::Daemon;
use crate::terminal::screen::{MarkKind, Screen};
use outpost_protocol::text::PlainText;

/// How long an interrupted command gets to give the prompt back before the answer goes out.
const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// How long an exec waits for the prompt of a shell that just ended a command (the previous
/// exec's answer may reach the caller before the shell has printed its next prompt).
const PROMPT_DUE_WAIT: Duration = Duration::from_secs(2);

/// How long an exec waits for the first prompt of a shell still reading its startup files (an
/// exec sent right after `session.create`), at most its own timeout.
const STARTUP_WAIT: Duration = Duration::from_secs(10);

/// The bytes read from the ring at a time while making an output text.
const READ_PIECE: usize = 64 * 1024;

/// The exec state of one session.
pub struct ExecCell {
    integration: OnceLock<(ShellKind, Nonce)>,
    /// For `ssh` sessions: the per-command trailer's state ([`super::remote`]).
    remote: OnceLock<Mutex<Remote>>,
    tracker: Mutex<Tracker>,
    changed: watch::Sender<u64>,
    epoch: Instant,
}

impl Default for ExecCell {
    fn default() -> Self {
        ExecCell {
            integration: OnceLock::new(),
            remote: OnceLock::new(),
            tracker: Mutex::new(Tracker::new()),
            changed: watch::Sender::new(0),
            epoch: Instant::now(),
        }
    }
}

impl ExecCell {
    /// Turns exec on: the session's shell was started with its integration.
    pub fn enable(&self, kind: ShellKind, nonce: Nonce) {
        let _ = self.integration.set((kind, nonce));
    }

    /// Turns exec on for an `ssh` session whose first `ssh` process is `child`: each exec
    /// carries its own marks ([`super::remote`]).
    pub fn enable_remote(&self, child: u32) {
        let _ = self.remote.set(Mutex::new(Remote::new(child)));
    }

    /// The `ssh` session's exec state, for `ssh` sessions.
    pub fn remote(&self) -> Option<&Mutex<Remote>> {
        self.remote.get()
    }

    pub(super) fn tracker(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Wakes the execs waiting for a change.
    pub(super) fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Watches changes of the exec state.
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Follows output `data` at `offset`, just fed to `screen`: its trusted marks go to the
    /// tracker (called under the screen lock, so marks arrive in order).
    pub fn observe(&self, offset: u64, data: &[u8], screen: &Screen) {
        if let Some(remote) = self.remote.get() {
            return super::remote::observe(self, remote, offset, data);
        }
        let Some(&(_, nonce)) = self.integration.get() else {
            return;
        };
        let mut marks: Vec<(u64, TrustedMark)> = screen
            .marks()
            .rev()
            .take_while(|m| m.offset >= offset)
            .filter(|m| m.tag == Some(nonce.0))
            .map(|m| {
                let mark = match m.kind {
                    MarkKind::PromptStart => TrustedMark::PromptStart,
                    MarkKind::CommandStart => TrustedMark::CommandStart,
                    MarkKind::OutputStart => TrustedMark::OutputStart,
                    MarkKind::CommandEnd => TrustedMark::CommandEnd(m.exit),
                };
                (m.offset, mark)
            })
            .collect();
        let mut tracker = self.tracker();
        let running = tracker.running().is_some();
        if marks.is_empty() && !running {
            return;
        }
        marks.reverse();
        let now = self.now_ms();
        tracker.output(offset, data);
        for (at, mark) in marks {
            tracker.mark(at, mark, screen.cwd(), now);
        }
        drop(tracker);
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The session's process ended; its output ends at `end`.
    pub fn session_ended(&self, end: u64) {
        let now = self.now_ms();
        self.tracker().session_ended(end, now);
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A daemon error reply.
pub(super) fn error(code: ErrorCode, message: impl Into<String>) -> DaemonReply {
    DaemonReply::Error {
        code: code.code(),
        message: message.into(),
    }
}

/// What an exec request asks (checked by the agent, and again here).
#[derive(Clone, Debug)]
pub struct ExecAsk {
    /// The command line.
    pub command: String,
    /// How long to wait.
    pub timeout: Duration,
    /// Interrupt the command when the timeout passes.
    pub interrupt: bool,
    /// The most output text.
    pub max_output: usize,
}

/// Runs one exec and answers with its result (or why not).
pub async fn exec(daemon: &Daemon, ask: ExecAsk) -> DaemonReply {
    let shared = &daemon.shared;
    let cell = &shared.exec;
    if ask.command.is_empty()
        || ask.command.contains('\0')
        || ask.command.len() > outpost_protocol::exec::MAX_EXEC_COMMAND_BYTES
    {
        return error(ErrorCode::InvalidParams, "command: 1..=65536 bytes, no NUL");
    }
    if shared.exit().is_some() {
        return error(ErrorCode::SessionNotRunning, "the session has exited");
    }
    if let Some(remote) = cell.remote.get() {
        return super::remote::exec(daemon, ask, remote).await;
    }
    let Some(&(kind, _)) = cell.integration.get() else {
        return error(
            ErrorCode::SessionBusy,
            "this session's program has no shell integration (only bash, zsh, fish and \
             POSIX sh started by Outpost have one); nothing was typed",
        );
    };
    let mut changed = cell.changed.subscribe();
    let wait = if cell.tracker().starting() {
        STARTUP_WAIT.min(ask.timeout)
    } else {
        PROMPT_DUE_WAIT
    };
    let prompt_deadline = tokio::time::Instant::now() + wait;
    loop {
        changed.borrow_and_update();
        let waiting = {
            let tracker = cell.tracker();
            tracker.prompt_due() || tracker.starting()
        };
        if !waiting {
            break;
        }
        if tokio::time::timeout_at(prompt_deadline, changed.changed())
            .await
            .is_err()
        {
            break;
        }
    }
    let typed = one_unit(kind, &ask.command);
    let number = {
        let mut tracker = cell.tracker();
        if !daemon.pty.child_in_foreground() {
            return error(
                ErrorCode::SessionBusy,
                "a program runs in the foreground of the session's shell; nothing was typed",
            );
        }
        let typed_at = shared.bounds().1;
        let now = cell.now_ms();
        let marks_c = kind.marks_output_start();
        match tracker.begin(typed_at, typed.as_bytes(), marks_c, now) {
            Ok(n) => n,
            Err(busy) => {
                return error(ErrorCode::SessionBusy, format!("{busy}; nothing was typed"))
            }
        }
    };
    let mut line = Vec::with_capacity(typed.len() + 2);
    if kind.marks_output_start() {
        // Ctrl-U: whatever a person left on the line goes, so the command runs as given.
        line.push(0x15);
    }
    line.extend(typed.bytes().map(|b| if b == b'\n' { b'\r' } else { b }));
    line.push(b'\r');
    shared.recorder().input(&line);
    if let Err(e) = daemon.pty.write(line).await {
        cell.session_ended(shared.bounds().1);
        return error(ErrorCode::SessionNotRunning, e.to_string());
    }
    tracing::debug!(number, "exec typed");
    let deadline = tokio::time::Instant::now() + ask.timeout;
    let mut timed_out = false;
    let mut grace_until = None;
    loop {
        changed.borrow_and_update();
        match still_running(daemon, number) {
            Some(true) => {}
            Some(false) => break,
            None => return ended_first(),
        }
        let until = grace_until.unwrap_or(deadline);
        tokio::select! {
            r = changed.changed() => if r.is_err() { break },
            _ = tokio::time::sleep_until(until) => {
                timed_out = true;
                if daemon.pty.child_in_foreground() && abandon(daemon, number).await {
                    break;
                }
                if ask.interrupt && grace_until.is_none() {
                    if let Err(e) = daemon.pty.signal(Signal::Int) {
                        tracing::debug!("cannot interrupt: {e}");
                    }
                    grace_until = Some(tokio::time::Instant::now() + INTERRUPT_GRACE);
                } else {
                    break;
                }
            }
        }
    }
    result_reply(daemon, number, ask.max_output, timed_out)
}

/// The text typed for `command`: itself when it is one line; a multi-line command as one unit,
/// so the shell marks one end after all of it instead of one per line:
///
/// - bash and zsh: `eval` of it as one single-quoted word ([`super::trailer::quote`]);
/// - dash and busybox sh, which have no output-start mark (output starts after the echo): on
///   one physical line, so no continuation prompt follows the echo: `eval "$(printf %b '…')"`
///   with line ends, backslashes and control characters as `printf` escapes;
/// - fish: `begin; … end`.
fn one_unit(kind: ShellKind, command: &str) -> String {
    if !command.contains('\n') {
        return command.to_string();
    }
    match kind {
        ShellKind::Fish => format!("begin\n{command}\nend"),
        ShellKind::Bash | ShellKind::Zsh => {
            let mut out = String::from("eval ");
            super::trailer::quote(command, out.len(), &mut out);
            // `quote` writes line ends as CR; every line end is typed as CR.
            out.replace('\r', "\n")
        }
        ShellKind::Posix => {
            let mut out = String::from("eval \"$(printf %b '");
            for c in command.chars() {
                match c {
                    '\'' => out.push_str("'\\''"),
                    '\\' => out.push_str("\\\\"),
                    c if c.is_ascii_control() => out.push_str(&format!("\\0{:03o}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push_str("')\"");
            out
        }
    }
}

/// Whether exec `number` still runs (false: it ended); `None` when the session ended first
/// ([`ended_first`]).
pub(super) fn still_running(daemon: &Daemon, number: u64) -> Option<bool> {
    let shared = &daemon.shared;
    let cell = &shared.exec;
    if shared.exit().is_some() {
        // It may have ended between the checks before the typing and the typing.
        cell.session_ended(shared.bounds().1);
    }
    let state = cell.tracker().get(number).map(|e| e.state);
    match state {
        Some(ExecState::Running) => Some(true),
        Some(ExecState::Done) => Some(false),
        Some(ExecState::Lost) | None => None,
    }
}

/// The answer to an exec whose session ended before the command did.
pub(super) fn ended_first() -> DaemonReply {
    error(
        ErrorCode::SessionNotRunning,
        "the session ended before the command did",
    )
}

/// At the timeout: when the shell never started the line (it still holds it, e.g. fish with a
/// line it cannot parse), cancels the line with Ctrl-C and ends the exec without a status.
async fn abandon(daemon: &Daemon, number: u64) -> bool {
    let cell = &daemon.shared.exec;
    let end = daemon.shared.bounds().1;
    let now = cell.now_ms();
    if !cell.tracker().abandon_unstarted(number, end, now) {
        return false;
    }
    tracing::debug!(number, "the shell never started the line; cancelling it");
    let _ = daemon.pty.write(vec![0x03]).await;
    true
}

/// Answers with exec `number`'s result, or `exec_not_found`.
pub fn result_reply(
    daemon: &Daemon,
    number: u64,
    max_output: usize,
    timed_out: bool,
) -> DaemonReply {
    let cell = &daemon.shared.exec;
    let Some(e) = cell.tracker().get(number).cloned() else {
        return error(
            ErrorCode::ExecNotFound,
            format!("this session holds no exec {number}"),
        );
    };
    DaemonReply::Exec {
        result: Box::new(result(daemon, &e, max_output, timed_out, cell.now_ms())),
    }
}

fn result(daemon: &Daemon, e: &Exec, max_output: usize, timed_out: bool, now: u64) -> ExecResult {
    let shared = &daemon.shared;
    let to = e.output_to.unwrap_or_else(|| shared.bounds().1);
    let from = e.output_start(to);
    let mut text = PlainText::capped(from, max_output);
    let mut at = from;
    let mut buf = Vec::with_capacity(READ_PIECE);
    while at < to && !text.truncated() {
        buf.clear();
        let want = usize::try_from(to - at)
            .unwrap_or(usize::MAX)
            .min(READ_PIECE);
        let got = shared.read(at, want, &mut buf);
        if buf.is_empty() {
            break;
        }
        // Bytes the ring no longer holds are skipped.
        let end = (got + buf.len() as u64).min(to);
        let take = usize::try_from(end.saturating_sub(got)).unwrap_or(0);
        text.feed(&buf[..take.min(buf.len())]);
        at = end;
    }
    let truncated = text.truncated();
    ExecResult {
        exec_id: exec_id(&shared.identity.session_id, e.number),
        exit_code: e.exit_code,
        output: text.into_text(),
        output_from: from,
        output_to: to,
        truncated,
        duration_ms: e.ended_ms.unwrap_or(now).saturating_sub(e.started_ms),
        timed_out,
        cwd: e.cwd.clone(),
    }
}

/// The spec that starts `spec`'s shell with its integration, its scripts written; `None` when
/// the session gets none or the scripts cannot be written (the shell then starts unchanged and
/// `session.exec` answers `session_busy`).
pub fn integrate(
    spec: &crate::daemon::spec::DaemonSpec,
    paths: &crate::paths::Paths,
) -> Option<super::integration::Prepared> {
    use super::integration::{prepare, scripts_dir, write_scripts};
    let dir = scripts_dir(paths);
    let nonce = match Nonce::random() {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("no shell integration: {e}");
            return None;
        }
    };
    let prepared = prepare(spec, &dir, nonce)?;
    if let Err(e) = write_scripts(&dir) {
        tracing::warn!("no shell integration: {e}");
        return None;
    }
    tracing::debug!(kind = ?prepared.kind, "shell integration");
    Some(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_commands_are_typed_as_one_unit() {
        assert_eq!(one_unit(ShellKind::Bash, "ls -l"), "ls -l");
        assert_eq!(
            one_unit(ShellKind::Bash, "echo 'a'\nfalse"),
            "eval 'echo '\\''a'\\''\nfalse'"
        );
        assert_eq!(
            one_unit(ShellKind::Posix, "echo 'a\\b'\n\tfalse"),
            "eval \"$(printf %b 'echo '\\''a\\\\b'\\''\\0012\\0011false')\""
        );
        assert_eq!(one_unit(ShellKind::Fish, "a\nb"), "begin\na\nb\nend");
    }
}

//! `outpost exec`: a command on a host (`exec.run`: no terminal, separate stdout and stderr),
//! in a session's persistent shell (`--session`, `session.exec`), on an ssh session's target
//! through its ControlMaster (`--target`), or many at once (`--hosts`, `--sessions`), over the
//! engine's [`automation`](crate::engine::automation).
//!
//! Exit status (documented in docs/automation.md):
//!
//! | status | meaning |
//! |---|---|
//! | the command's own | it ran and exited (a signal `n` as `128 + n`) |
//! | [`TIMED_OUT`] (124) | the timeout passed (a session's command goes on; `--json` has its `exec_id`) |
//! | [`FAILED`] (255) | Outpost could not run it: bad input, connection, busy shell, no such session |
//!
//! Many at once: 0 when every command ran and exited 0, [`SOME_NONZERO`] (1) when all ran but
//! some exited otherwise, [`FAILED`] when some host or session could not run it. With `--json`
//! a single run prints the usual envelope; many print one outcome per line as each finishes.

use std::io::Write;

use clap::Args;
use outpost_protocol::exec::{OnTimeout, RunParams, RunTarget};
use outpost_protocol::method;

use super::commands::connect;
use super::output::Output;
use crate::engine::automation::exec::{self, SessionCommand};
use crate::engine::automation::group::{self, HostOutcome, SessionOutcome, DEFAULT_CONCURRENCY};
use crate::engine::automation::AutomationError;
use crate::engine::live::connections::Connections;
use crate::engine::{EngineContext, EngineError};

/// The exit status when the timeout passed (as `timeout(1)`).
pub const TIMED_OUT: i32 = 124;

/// The exit status when Outpost could not run the command (as `ssh`).
pub const FAILED: i32 = 255;

/// The exit status of many at once when every command ran but some exited non-zero.
pub const SOME_NONZERO: i32 = 1;

/// `outpost exec`'s arguments.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The host (`local` is this computer; a saved host or any ~/.ssh/config alias).
    #[arg(required_unless_present = "hosts", conflicts_with = "hosts")]
    pub host: Option<String>,
    /// Run in this session's shell (`session.exec`: its cwd, environment and history persist).
    #[arg(long, conflicts_with_all = ["target", "sessions", "cwd", "env", "shell"])]
    pub session: Option<String>,
    /// Run in each of these sessions' shells of HOST at once (comma-separated).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["target", "cwd", "env", "shell"])]
    pub sessions: Vec<String>,
    /// Run on this target through an open ssh session of HOST to it (its ControlMaster).
    #[arg(long, value_name = "[USER@]HOST[:PORT]")]
    pub target: Option<String>,
    /// Run on each of these hosts at once (comma-separated), one result per host.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["session", "sessions", "target"])]
    pub hosts: Vec<String>,
    /// The working directory (one-shot runs).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// An environment variable for the command (repeatable; one-shot runs).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// How long to wait, in seconds (default 30).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// When the timeout passes in a session, interrupt the command (Ctrl-C) instead of letting
    /// it go on.
    #[arg(long)]
    pub interrupt: bool,
    /// Run CMD… (joined by spaces) with `sh -c` instead of as a program and its arguments
    /// (one-shot runs; a session's command is always a shell command line).
    #[arg(long)]
    pub shell: bool,
    /// How many hosts or sessions at a time (1 to 16).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Runs `outpost exec`; every failure is printed here and exits [`FAILED`].
pub async fn run(args: ExecArgs, out: Output, ctx: &EngineContext) -> i32 {
    match dispatch(args, out, ctx).await {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            FAILED
        }
    }
}

/// Seconds as the protocol's milliseconds.
pub fn timeout_ms(seconds: Option<f64>) -> Result<Option<u64>, EngineError> {
    let Some(s) = seconds else { return Ok(None) };
    if !s.is_finite() || s <= 0.0 || s > 86_400.0 {
        return Err(EngineError::Usage(format!(
            "--timeout {s} is not between 0 and 86400 seconds"
        )));
    }
    Ok(Some(((s * 1000.0).round() as u64).max(1)))
}

async fn dispatch(args: ExecArgs, out: Output, ctx: &EngineContext) -> Result<i32, EngineError> {
    if args.command.iter().all(|w| w.trim().is_empty()) {
        return Err(AutomationError::EmptyCommand.into());
    }
    let timeout_ms = timeout_ms(args.timeout)?;
    if args.interrupt && args.session.is_none() && args.sessions.is_empty() {
        return Err(EngineError::Usage(
            "--interrupt applies to --session and --sessions (a one-shot run is killed at its timeout)"
                .into(),
        ));
    }
    // A session types one command line, as ssh joins its words.
    let line = args.command.join(" ");
    let session_command = SessionCommand {
        timeout_ms,
        on_timeout: args.interrupt.then_some(OnTimeout::Interrupt),
        ..SessionCommand::new(line.clone())
    };
    let run_params = RunParams {
        argv: (!args.shell).then(|| args.command.clone()),
        shell: args.shell.then_some(line),
        cwd: args.cwd.clone(),
        env: exec::parse_env(&args.env)?,
        stdin: None,
        timeout_ms,
        max_output: None,
        target: None,
    };
    if !args.hosts.is_empty() {
        let hub = Connections::new(ctx.clone());
        let mut status = Status::default();
        group::run_on_hosts_each(&hub, &args.hosts, &run_params, args.concurrency, |_, o| {
            status.host(&o, out)
        })
        .await;
        hub.shutdown().await;
        return Ok(status.code());
    }
    let host = args
        .host
        .ok_or_else(|| EngineError::Usage("name a HOST or --hosts".into()))?;
    if !args.sessions.is_empty() {
        let pairs: Vec<(String, String)> = args
            .sessions
            .iter()
            .map(|s| (host.clone(), s.clone()))
            .collect();
        let hub = Connections::new(ctx.clone());
        let mut status = Status::default();
        group::run_in_sessions_each(&hub, &pairs, &session_command, args.concurrency, |_, o| {
            status.session(&o, out)
        })
        .await;
        hub.shutdown().await;
        return Ok(status.code());
    }
    let conn = connect(&host, ctx).await?;
    let result = async {
        if let Some(session) = &args.session {
            let r = exec::session_exec(&conn.rpc, session_command.params(session)).await?;
            return Ok(Ran::Session(r));
        }
        let mut params = run_params;
        if let Some(target) = &args.target {
            let list = conn
                .rpc
                .call::<method::SessionList>(Default::default())
                .await?;
            let session_id = exec::find_target_session(&host, &list.sessions, target)?;
            params.target = Some(RunTarget { session_id });
        }
        Ok::<_, EngineError>(Ran::Run(exec::run(&conn.rpc, params).await?))
    }
    .await;
    conn.close().await;
    Ok(match result? {
        Ran::Session(r) => {
            out.ok(&r, String::new);
            if !out.json {
                print_session(&r);
            }
            session_status(&r)
        }
        Ran::Run(r) => {
            out.ok(&r, String::new);
            if !out.json {
                let _ = std::io::stdout().write_all(&r.stdout.0);
                let _ = std::io::stderr().write_all(&r.stderr.0);
                let _ = std::io::stdout().flush();
                truncation_note("", r.stdout_truncated || r.stderr_truncated);
                if r.timed_out {
                    eprintln!("outpost: the command was killed at its timeout");
                }
            }
            run_status(&r)
        }
    })
}

/// A single command's result.
enum Ran {
    Session(outpost_protocol::exec::ExecResult),
    Run(outpost_protocol::exec::RunResult),
}

fn print_session(r: &outpost_protocol::exec::ExecResult) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(r.output.as_bytes());
    let _ = o.flush();
    truncation_note("", r.truncated);
    if r.timed_out {
        eprintln!(
            "outpost: timed out; the command may still run (exec id {})",
            r.exec_id
        );
    }
}

fn truncation_note(prefix: &str, truncated: bool) {
    if truncated {
        eprintln!("{prefix}outpost: the output was cut at its limit");
    }
}

fn session_status(r: &outpost_protocol::exec::ExecResult) -> i32 {
    match (r.timed_out, r.exit_code) {
        (true, _) | (false, None) => TIMED_OUT,
        (false, Some(c)) => c,
    }
}

fn run_status(r: &outpost_protocol::exec::RunResult) -> i32 {
    if r.timed_out {
        return TIMED_OUT;
    }
    exec::run_status(r).unwrap_or(FAILED)
}

/// The exit status of many at once, and each outcome printed as it arrives.
#[derive(Default)]
struct Status {
    failed: bool,
    nonzero: bool,
}

impl Status {
    fn code(&self) -> i32 {
        if self.failed {
            FAILED
        } else if self.nonzero {
            SOME_NONZERO
        } else {
            0
        }
    }

    fn session(&mut self, o: &SessionOutcome, out: Output) {
        let code = o.data.as_ref().map(session_status);
        self.record(o.ok, code);
        let who = format!("{}/{}", o.host, o.session_id);
        if out.json {
            line(o);
        } else if let Some(r) = &o.data {
            prefixed(&mut std::io::stdout(), &who, r.output.as_bytes());
            truncation_note(&format!("{who}: "), r.truncated);
            status_note(&who, code, r.timed_out);
        } else if let Some(e) = &o.error {
            eprintln!("{who}: outpost: {}", e.message);
        }
    }

    fn host(&mut self, o: &HostOutcome, out: Output) {
        let code = o.data.as_ref().map(run_status);
        self.record(o.ok, code);
        if out.json {
            line(o);
        } else if let Some(r) = &o.data {
            prefixed(&mut std::io::stdout(), &o.host, &r.stdout.0);
            prefixed(&mut std::io::stderr(), &o.host, &r.stderr.0);
            truncation_note(
                &format!("{}: ", o.host),
                r.stdout_truncated || r.stderr_truncated,
            );
            status_note(&o.host, code, r.timed_out);
        } else if let Some(e) = &o.error {
            eprintln!("{}: outpost: {}", o.host, e.message);
        }
    }

    fn record(&mut self, ok: bool, code: Option<i32>) {
        match (ok, code) {
            (false, _) => self.failed = true,
            (true, Some(0)) => {}
            (true, _) => self.nonzero = true,
        }
    }
}

/// One outcome as a JSON line.
fn line<T: serde::Serialize>(o: &T) {
    let mut so = std::io::stdout().lock();
    if let Ok(text) = serde_json::to_string(o) {
        let _ = writeln!(so, "{text}");
    }
    let _ = so.flush();
}

fn status_note(who: &str, code: Option<i32>, timed_out: bool) {
    if timed_out {
        eprintln!("{who}: outpost: timed out");
    } else if let Some(c) = code.filter(|c| *c != 0) {
        eprintln!("{who}: outpost: exit status {c}");
    }
}

/// Writes `data` with `who: ` before each line (as `pdsh` does).
fn prefixed(w: &mut dyn Write, who: &str, data: &[u8]) {
    let mut text = Vec::with_capacity(data.len() + who.len() * 4);
    for l in data.split_inclusive(|&b| b == b'\n') {
        text.extend_from_slice(who.as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(l);
        if !l.ends_with(b"\n") {
            text.push(b'\n');
        }
    }
    let _ = w.write_all(&text);
    let _ = w.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_seconds_in_range() {
        assert_eq!(timeout_ms(None).unwrap(), None);
        assert_eq!(timeout_ms(Some(1.5)).unwrap(), Some(1500));
        assert_eq!(timeout_ms(Some(0.0001)).unwrap(), Some(1));
        for bad in [0.0, -1.0, f64::NAN, 86_401.0] {
            assert_eq!(timeout_ms(Some(bad)).unwrap_err().code(), "usage");
        }
    }

    #[test]
    fn each_line_names_its_host() {
        let mut w = Vec::new();
        prefixed(&mut w, "db", b"a\nb");
        assert_eq!(w, b"db: a\ndb: b\n");
        let mut w = Vec::new();
        prefixed(&mut w, "db", b"");
        assert!(w.is_empty());
    }

    #[test]
    fn many_at_once_exit_with_the_worst_kind() {
        let mut s = Status::default();
        s.record(true, Some(0));
        assert_eq!(s.code(), 0);
        s.record(true, Some(3));
        assert_eq!(s.code(), SOME_NONZERO);
        s.record(false, None);
        assert_eq!(s.code(), FAILED);
    }
}

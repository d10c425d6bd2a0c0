//! The tmux peer: servers on sockets in the bench's temporary directory, ended on teardown.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use outpost_testkit::bench::cleanup;
use outpost_testkit::procfs;

use crate::{COLS, ROWS};

pub const TMUX: &str = "/usr/bin/tmux";

/// The sockets of the tmux servers that may still run.
static SOCKETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static TEARDOWN: Once = Once::new();

/// Runs `cmd`; its standard output, or an error with its standard error.
pub fn run_quiet(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `tmux -S sock ARGS`; `sock` is a socket path in the bench's temporary directory.
pub fn tmux(sock: &str, args: &[&str]) -> Result<String> {
    run_quiet(
        Command::new(TMUX)
            .arg("-S")
            .arg(sock)
            .args(args)
            .env(cleanup::TAG_VAR, cleanup::tag())
            .env("TERM", "xterm-256color"),
    )
}

/// Starts a server on `sock` with a 200×50 session `session` running `command`.
pub fn tmux_start(sock: &str, session: &str, command: &str) -> Result<()> {
    TEARDOWN.call_once(|| {
        cleanup::on_teardown(|| {
            let socks = std::mem::take(&mut *SOCKETS.lock().unwrap_or_else(|p| p.into_inner()));
            for s in socks {
                tmux_kill(&s);
            }
        })
    });
    SOCKETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(sock.to_string());
    let (c, r) = (COLS.to_string(), ROWS.to_string());
    tmux(
        sock,
        &[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            &c,
            "-y",
            &r,
            command,
        ],
    )?;
    Ok(())
}

/// Runs a command with a time limit; its output must be small.
fn run_timeout(cmd: &mut Command, limit: Duration) -> Result<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {cmd:?}"))?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait()? {
            let mut out = String::new();
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            if !st.success() {
                bail!("{cmd:?} failed ({st})");
            }
            return Ok(out);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Ends a tmux server and everything in it, whatever state it is in.
fn tmux_kill(sock: &str) {
    if !Path::new(sock).exists() {
        return;
    }
    let q = |args: &[&str]| {
        run_timeout(
            Command::new(TMUX).arg("-S").arg(sock).args(args),
            Duration::from_secs(3),
        )
        .unwrap_or_default()
    };
    let pids =
        |text: String| -> Vec<u32> { text.lines().filter_map(|l| l.trim().parse().ok()).collect() };
    let servers = pids(q(&["list-sessions", "-F", "#{pid}"]));
    let panes = pids(q(&["list-panes", "-a", "-F", "#{pane_pid}"]));
    q(&["kill-server"]);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && servers.iter().chain(&panes).any(|&p| procfs::alive(p)) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for &p in servers.iter().chain(&panes) {
        if procfs::alive(p) {
            let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
        }
    }
    let _ = std::fs::remove_file(sock);
}

/// Ends the server on `sock` now.
pub fn tmux_stop(sock: &str) {
    tmux_kill(sock);
    SOCKETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|s| s != sock);
}

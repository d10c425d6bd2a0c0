//! The session daemon: one detached process per terminal session.
//!
//! An agent starts `outpost-agent daemon` with the [`spec::DaemonSpec`] on its standard input.
//! That launcher forks; the child calls `setsid`, points its standard streams at `/dev/null` and
//! its log file, binds the session socket, starts the PTY and writes the session record, then
//! reports [`spec::Readiness`] through a pipe. The launcher prints that report as one JSON line and
//! exits, so the daemon is never the agent's child and shares nothing with the agent's SSH
//! channel: it keeps running when the agent exits, is killed or loses its connection.

pub mod frames;
pub mod link;
pub mod pty;
pub mod ring;
pub mod server;
pub mod spec;
pub mod state;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Notify;

use crate::paths::Paths;
use crate::record::SessionRecord;
use server::Daemon;
use spec::{DaemonSpec, Readiness, MAX_SPEC_BYTES};
use state::{Identity, Shared};

/// How long a closing session's processes get after SIGHUP before SIGKILL.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs the `daemon` command: reads the spec, forks the daemon and reports its readiness.
///
/// Must be called before any thread or async runtime starts (it forks).
pub fn launch() -> anyhow::Result<()> {
    let mut raw = Vec::new();
    std::io::stdin()
        .take(MAX_SPEC_BYTES)
        .read_to_end(&mut raw)
        .context("reading the daemon spec from stdin")?;
    let spec: DaemonSpec = serde_json::from_slice(&raw).context("parsing the daemon spec")?;
    let (read_end, write_end) = nix::unistd::pipe().context("creating the readiness pipe")?;
    // SAFETY: the process is single-threaded here (no runtime, no threads yet), so the child may
    // run arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.context("forking the daemon")? {
        nix::unistd::ForkResult::Parent { .. } => {
            drop(write_end);
            let mut report = String::new();
            std::fs::File::from(read_end)
                .read_to_string(&mut report)
                .context("reading the daemon's readiness")?;
            let readiness = serde_json::from_str::<Readiness>(report.trim()).unwrap_or_else(|_| {
                Readiness::Failed {
                    message: "the session daemon exited before it was ready".into(),
                }
            });
            let mut out = std::io::stdout().lock();
            serde_json::to_writer(&mut out, &readiness)?;
            writeln!(out)?;
            out.flush()?;
            Ok(())
        }
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let code = match daemon_main(spec, write_end) {
                Ok(()) => 0,
                Err(e) => {
                    tracing::error!("daemon failed: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
    }
}

fn report(pipe: &mut Option<OwnedFd>, r: &Readiness) {
    if let Some(fd) = pipe.take() {
        let mut f = std::fs::File::from(fd);
        let _ = serde_json::to_writer(&mut f, r);
    }
}

fn daemon_main(spec: DaemonSpec, ready: OwnedFd) -> anyhow::Result<()> {
    let mut ready = Some(ready);
    let result = daemon_setup_and_run(spec, &mut ready);
    if let Err(e) = &result {
        report(
            &mut ready,
            &Readiness::Failed {
                message: format!("{e:#}"),
            },
        );
    }
    result
}

fn daemon_setup_and_run(spec: DaemonSpec, ready: &mut Option<OwnedFd>) -> anyhow::Result<()> {
    nix::unistd::setsid().context("setsid")?;
    if let Some(fd) = ready.as_ref() {
        close_inherited_fds(fd.as_raw_fd());
    }
    // One malloc arena for all threads: an idle daemon should cost well under 1 MiB.
    // SAFETY: mallopt only tunes the allocator; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let paths = Paths::from_env()?;
    paths.ensure()?;
    redirect_stdio(&paths.log(&spec.session_id))?;
    crate::logging::init_stderr();
    // Stay out of the way of whoever started us.
    std::env::set_current_dir("/").context("chdir /")?;
    // SAFETY: ignoring SIGHUP installs no handler code.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGHUP,
            nix::sys::signal::SigHandler::SigIgn,
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(spec, paths, ready))
}

/// Closes every descriptor above stderr except `keep`: whatever the agent's parent left open
/// (pipes of an SSH channel, a profiler's) must not be held for the daemon's whole life.
fn close_inherited_fds(keep: std::os::fd::RawFd) {
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    for fd in fds {
        if fd > 2 && fd != keep {
            // SAFETY: closing a descriptor number; nothing in this process owns these yet (the
            // directory handle used to list them is already closed).
            unsafe {
                libc::close(fd);
            }
        }
    }
}

fn redirect_stdio(log: &std::path::Path) -> anyhow::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .context("opening /dev/null")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    for (src, dst) in [
        (null.as_raw_fd(), 0),
        (null.as_raw_fd(), 1),
        (log.as_raw_fd(), 2),
    ] {
        // SAFETY: dup2 onto the standard descriptors, which this process owns.
        if unsafe { libc::dup2(src, dst) } < 0 {
            return Err(std::io::Error::last_os_error()).context("redirecting stdio");
        }
    }
    Ok(())
}

async fn run(spec: DaemonSpec, paths: Paths, ready: &mut Option<OwnedFd>) -> anyhow::Result<()> {
    let id = spec.session_id.clone();
    let socket_path = paths.socket(&id)?;
    let listener = crate::socket::listen(&socket_path)
        .with_context(|| format!("binding {}", socket_path.display()))?;
    let created_at = crate::clock::now_rfc3339();
    let shared = Arc::new(Shared::new(
        Identity {
            session_id: id.clone(),
            kind: spec.kind,
            title: spec.title.clone(),
            created_at: created_at.clone(),
            target: spec.ssh.as_ref().map(|s| s.target.clone()),
        },
        spec.cols,
        spec.rows,
        usize::try_from(spec.scrollback_bytes).unwrap_or(usize::MAX),
    ));
    let pty = match pty::Pty::spawn(&spec, shared.clone()) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&socket_path);
            let _ = std::fs::remove_file(paths.log(&id));
            return Err(e.into());
        }
    };
    let record = SessionRecord {
        session_id: id.clone(),
        kind: spec.kind,
        title: spec.title.clone(),
        daemon_pid: std::process::id(),
        child_pid: pty.child_pid(),
        created_at,
        socket: socket_path.clone(),
        daemon_version: env!("CARGO_PKG_VERSION").into(),
        ssh: spec.ssh.clone(),
    };
    if let Err(e) = record.save(&paths) {
        // No agent could ever find a session without its record (the state directory is full or
        // read-only): end it at once (nobody has seen it yet), leave nothing behind, report why.
        pty.terminate(Duration::ZERO);
        SessionRecord::remove_files(&paths, &id);
        return Err(e.into());
    }
    report(
        ready,
        &Readiness::Ready {
            daemon_pid: record.daemon_pid,
            child_pid: record.child_pid,
        },
    );
    tracing::info!(session_id = %id, child_pid = record.child_pid, "session started");

    let daemon = Arc::new(Daemon {
        shared,
        pty,
        close_requested: Notify::new(),
        closed: Notify::new(),
    });
    if let Some(ssh) = spec.ssh.clone() {
        tokio::spawn(link::watch(daemon.shared.clone(), ssh));
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut by_client = false;
    loop {
        tokio::select! {
            conn = crate::socket::accept_own(&listener) => match conn {
                Ok(conn) => { tokio::spawn(server::serve_connection(daemon.clone(), conn)); }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = daemon.close_requested.notified() => { by_client = true; break }
            _ = term.recv() => break,
        }
    }
    tracing::info!("closing the session");
    daemon.pty.terminate(CLOSE_GRACE);
    SessionRecord::remove_files(&paths, &id);
    if let Some(ssh) = &spec.ssh {
        let _ = std::fs::remove_file(&ssh.control_path);
    }
    daemon.closed.notify_waiters();
    if by_client {
        // The closing connection answers and then ends the process; this is only a backstop.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

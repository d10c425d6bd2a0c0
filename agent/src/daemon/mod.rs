//! The session daemon: one detached process per terminal session.
//!
//! An agent starts `outpost-agent daemon` with the [`spec::DaemonSpec`] on its standard input;
//! [`detach`] forks it away from the agent. The daemon binds the session socket, starts the
//! terminal ([`crate::terminal`]), writes the session's metadata file ([`meta`]) and serves
//! agents over [`frames`] ([`server`]). It keeps running when the agent exits, is killed or loses
//! its connection, and ends when the session is closed or it gets SIGTERM.

pub mod detach;
pub mod exit_owed;
pub mod flow;
pub mod frames;
pub mod memory;
pub mod meta;
pub mod model;
pub mod name;
pub mod server;
pub mod spec;
pub mod state;

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Notify;

use crate::paths::Paths;
use crate::terminal::pty::Pty;
use detach::report;
use meta::SessionMeta;
use server::Daemon;
use spec::{DaemonSpec, Readiness};
use state::{Identity, Shared};

pub use detach::launch;

/// How long a closing session's processes get after SIGHUP before SIGKILL.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs the session until it is closed: socket, terminal, metadata file, then the accept loop.
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
    let integrated = crate::exec::daemon::integrate(&spec, &paths);
    let started = integrated.as_ref().map_or(&spec, |p| &p.spec);
    if let Some(p) = &integrated {
        // Before the shell starts: its first prompt's marks must count.
        shared.exec.enable(p.kind, p.nonce);
    }
    let pty = match Pty::spawn(started, shared.clone()) {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&socket_path);
            let _ = std::fs::remove_file(paths.log(&id));
            return Err(e.into());
        }
    };
    if spec.ssh.is_some() {
        // `session.exec` in an `ssh` session: each exec carries its own marks.
        shared.exec.enable_remote(pty.child_pid());
    }
    let meta = SessionMeta {
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
    if let Err(e) = meta.save(&paths) {
        // No agent could ever find a session without its metadata file (the state directory is
        // full or read-only): end it at once (nobody has seen it yet), leave nothing behind, and
        // report why.
        pty.terminate(Duration::ZERO);
        SessionMeta::remove_files(&paths, &id);
        return Err(e.into());
    }
    report(
        ready,
        &Readiness::Ready {
            daemon_pid: meta.daemon_pid,
            child_pid: meta.child_pid,
        },
    );
    tracing::info!(session_id = %id, child_pid = meta.child_pid, "session started");

    let daemon = Arc::new(Daemon {
        shared,
        pty,
        close_requested: Notify::new(),
        closed: Notify::new(),
        exit_owed: Default::default(),
        max_stall_ms: spec.max_stall_ms,
    });
    if let Some(ssh) = spec.ssh.clone() {
        tokio::spawn(crate::ssh::link::watch(daemon.shared.clone(), ssh));
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut by_client = false;
    loop {
        tokio::select! {
            conn = crate::socket::accept_own(&listener) => match conn {
                Ok(conn) => {
                    let daemon = daemon.clone();
                    tokio::spawn(async move {
                        server::serve_connection(daemon, conn).await;
                        // Its buffers go back to the kernel: an idle daemon keeps only its state.
                        memory::give_back();
                    });
                }
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
    SessionMeta::remove_files(&paths, &id);
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

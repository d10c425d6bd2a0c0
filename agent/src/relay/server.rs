//! The relay process, `outpost-agent relay`: one per user (per agent home), started detached by
//! the first agent that needs it ([`super::register`]).
//!
//! It holds an exclusive lock on [`LOCK_FILE`] (a second relay exits at once), binds the client
//! socket and the control socket in the private socket directory, and then only waits:
//!
//! - on the control socket, each agent whose desktop forwards its ssh-agent sends one line,
//!   `{"socket":"/tmp/ssh-…/agent.N"}`, gets `ok`, and keeps the connection open; the
//!   registration ends when that connection does (the agent exited or was killed);
//! - on the client socket, each connection (`ssh`, `ssh-add`, …) is joined to a new connection
//!   to the newest registered socket that accepts one, and bytes are copied both ways until
//!   either side closes. With none, the client is closed at once.
//!
//! With no registration for [`IDLE_GRACE`] it removes both sockets and exits (still holding the
//! lock, so a relay started meanwhile cannot lose its fresh sockets).

use std::ffi::CStr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use super::upstreams::Upstreams;
use super::{
    client_socket, CONTROL_SOCKET, IDLE_GRACE, LOCK_FILE, LOG_FILE, MAX_REGISTRATION_LINE,
};
use crate::paths::{Paths, MAX_SOCKET_PATH};

/// The relay's command name in `ps`.
pub const PROCESS_NAME: &CStr = c"outpost-relay";

/// How long connecting to a forwarded socket may take before the next one is tried.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a registering agent has to send its line.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(5);

/// What an agent sends on the control socket.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The forwarded agent socket sshd gave the registering agent (its `SSH_AUTH_SOCK`).
    pub socket: PathBuf,
}

/// Runs the `relay` command. Must be called before any runtime or thread starts.
pub fn main() -> anyhow::Result<()> {
    let lock_path = |paths: &Paths| paths.sockets.join(LOCK_FILE);
    let Some(started) = crate::background::start(PROCESS_NAME, LOG_FILE, lock_path)? else {
        return Ok(());
    };
    crate::background::block_on(serve(&started.paths))?
}

/// Binds a socket at `path` (mode 0600), replacing a stale socket file; anything else there is
/// refused. Only called with the lock held, so a socket there is a dead relay's.
fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)
            .with_context(|| format!("removing the stale socket {}", path.display()))?,
        Ok(_) => anyhow::bail!("{} exists and is not a socket", path.display()),
        Err(_) => {}
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("binding {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod {}", path.display()))?;
    Ok(listener)
}

/// Whether the peer of `stream` runs as this user (`SO_PEERCRED`).
fn same_user(stream: &UnixStream) -> bool {
    let me = nix::unistd::geteuid().as_raw();
    match stream.peer_cred() {
        Ok(c) if c.uid() == me => true,
        other => {
            tracing::warn!(peer = ?other, "refused a relay connection from another user");
            false
        }
    }
}

/// The relay's accept loop; returns once it has been idle for [`IDLE_GRACE`].
async fn serve(paths: &Paths) -> anyhow::Result<()> {
    let client_path = client_socket(paths);
    let control_path = paths.sockets.join(CONTROL_SOCKET);
    let clients = bind(&client_path)?;
    let control = bind(&control_path)?;
    tracing::info!(socket = %client_path.display(), "relay started");
    let upstreams = Arc::new(Mutex::new(Upstreams::default()));
    let (live_tx, live_rx) = watch::channel(0usize);
    let idle = idle(live_rx);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            conn = clients.accept() => match conn {
                Ok((stream, _)) if same_user(&stream) => {
                    tokio::spawn(relay_client(stream, Arc::clone(&upstreams), client_path.clone()));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("accept on {}: {e}", client_path.display());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            conn = control.accept() => match conn {
                Ok((stream, _)) if same_user(&stream) => {
                    tokio::spawn(hold_registration(
                        stream,
                        Arc::clone(&upstreams),
                        live_tx.clone(),
                        client_path.clone(),
                    ));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("accept on {}: {e}", control_path.display());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut idle => break,
        }
    }
    tracing::info!("no desktop forwards an agent any more: relay exits");
    let _ = std::fs::remove_file(&client_path);
    let _ = std::fs::remove_file(&control_path);
    Ok(())
}

/// Resolves once no registration has been live for [`IDLE_GRACE`] (a timer armed only while
/// there is none: nothing runs while agents are registered).
async fn idle(mut live: watch::Receiver<usize>) {
    loop {
        if live.wait_for(|n| *n == 0).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(IDLE_GRACE) => return,
            changed = live.wait_for(|n| *n > 0) => if changed.is_err() { return },
        }
    }
}

/// One agent's registration: read its line, record the socket, answer `ok`, and keep the
/// record until the agent closes the connection.
async fn hold_registration(
    stream: UnixStream,
    upstreams: Arc<Mutex<Upstreams>>,
    live: watch::Sender<usize>,
    own_socket: PathBuf,
) {
    let (r, mut w) = stream.into_split();
    let mut reader = BufReader::new(r);
    let mut line = String::new();
    let read = tokio::time::timeout(
        REGISTRATION_TIMEOUT,
        (&mut reader)
            .take(MAX_REGISTRATION_LINE as u64)
            .read_line(&mut line),
    )
    .await;
    let registration = match read {
        Ok(Ok(n)) if n > 0 && line.ends_with('\n') => serde_json::from_str::<Registration>(&line)
            .map_err(|e| format!("unreadable registration: {e}")),
        Ok(Ok(_)) => Err("registration line missing or too long".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no registration in time".into()),
    }
    .and_then(|r| check_socket(&r.socket, &own_socket).map(|()| r.socket));
    let socket = match registration {
        Ok(s) => s,
        Err(why) => {
            tracing::warn!("refused a registration: {why}");
            let _ = w.write_all(format!("error: {why}\n").as_bytes()).await;
            return;
        }
    };
    let ticket = match upstreams.lock() {
        Ok(mut u) => {
            let t = u.add(socket.clone());
            live.send_replace(u.len());
            t
        }
        Err(_) => return,
    };
    tracing::info!(socket = %socket.display(), "a desktop's agent is attached");
    if w.write_all(b"ok\n").await.is_ok() {
        // Whatever the agent sends later is ignored; its end of file ends the registration.
        let mut sink = [0u8; 256];
        while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
    }
    if let Ok(mut u) = upstreams.lock() {
        u.remove(ticket);
        live.send_replace(u.len());
    }
    tracing::info!(socket = %socket.display(), "a desktop's agent is gone");
}

/// A registered socket must be an absolute path that fits a socket address and is not the
/// relay's own (which would loop).
fn check_socket(socket: &Path, own: &Path) -> Result<(), String> {
    if !socket.is_absolute() {
        return Err(format!("{} is not an absolute path", socket.display()));
    }
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(format!("{} is too long for a socket", socket.display()));
    }
    if socket == own {
        return Err("that is the relay's own socket".into());
    }
    Ok(())
}

/// Joins one client to the newest forwarded socket that takes a connection, or closes it at
/// once when none does.
async fn relay_client(mut client: UnixStream, upstreams: Arc<Mutex<Upstreams>>, own: PathBuf) {
    let candidates = upstreams
        .lock()
        .map(|u| u.newest_first())
        .unwrap_or_default();
    for path in candidates.iter().filter(|p| **p != own) {
        let mut upstream =
            match tokio::time::timeout(UPSTREAM_CONNECT_TIMEOUT, UnixStream::connect(path)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(socket = %path.display(), "forwarded agent unreachable: {e}");
                    continue;
                }
                Err(_) => {
                    tracing::debug!(socket = %path.display(), "forwarded agent did not answer");
                    continue;
                }
            };
        // sshd serves the forwarded socket from the user's own session process (root for an
        // sshd without privilege separation).
        match upstream.peer_cred() {
            Ok(c) if c.uid() == nix::unistd::geteuid().as_raw() || c.uid() == 0 => {}
            other => {
                tracing::warn!(socket = %path.display(), peer = ?other, "forwarded socket served by another user; skipped");
                continue;
            }
        }
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((up, down)) => tracing::debug!(up, down, "agent connection relayed"),
            Err(e) => tracing::debug!("agent connection ended: {e}"),
        }
        return;
    }
    tracing::debug!("no desktop agent attached: closing the client at once");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_must_be_absolute_short_and_not_the_relay() {
        let own = Path::new("/run/o/agent.sock");
        assert!(check_socket(Path::new("/tmp/ssh-x/agent.1"), own).is_ok());
        assert!(check_socket(Path::new("rel/agent"), own).is_err());
        assert!(check_socket(own, own).is_err());
        let long = format!("/{}", "x".repeat(MAX_SOCKET_PATH));
        assert!(check_socket(Path::new(&long), own).is_err());
    }
}

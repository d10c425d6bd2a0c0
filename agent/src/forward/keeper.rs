//! The forward keeper, `outpost-agent forwards`: one per user (an exclusive lock on
//! [`lock_path`]), started detached by the first `forward.open` that needs it and alive while
//! any forward is recorded (it exits after [`IDLE_GRACE`] with none).
//!
//! Once a [`ROUND`] it reads the records and
//!
//! - for each host forward, keeps a listener on its socket (0600; each client's uid checked
//!   with `SO_PEERCRED`) that connects every client to the destination and copies bytes both
//!   ways; listeners of forwards no longer recorded are dropped and their sockets removed;
//! - for each session forward, compares the session's master with the one the forward was
//!   added to: a new master (the session's ssh reconnected) gets the forward again, a stale
//!   socket removed first; a session that ended takes its forward with it.
//!
//! It waits in `accept` and its one timer; it never polls the destinations.

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::task::JoinHandle;

use super::master::{master_id, remove_stale};
use super::ops::{self, Lookup, CONNECT_TIMEOUT};
use super::{lock_path, socket_dir, socket_path, store, Record, LOG_FILE};
use crate::background;
use crate::paths::{ensure_private_dir, Paths};

/// The keeper's command name in `ps`.
pub const PROCESS_NAME: &CStr = c"outpost-forwards";

/// How often the keeper looks at the records.
pub const ROUND: Duration = Duration::from_secs(1);

/// How long the keeper stays with no forward recorded.
pub const IDLE_GRACE: Duration = Duration::from_secs(10);

/// How long `ensure` waits for a started keeper to hold its lock.
const START_WAIT: Duration = Duration::from_secs(3);

/// Whether a keeper runs now (holds the lock).
pub fn running(paths: &Paths) -> bool {
    matches!(background::try_lock(&lock_path(paths)), Ok(None))
}

/// Starts a keeper unless one runs, and waits (bounded) until one does.
pub async fn ensure(paths: &Paths) {
    let deadline = tokio::time::Instant::now() + START_WAIT;
    while !running(paths) && tokio::time::Instant::now() < deadline {
        match background::spawn("forwards") {
            Ok(mut child) => {
                // It outlives this agent; while the agent lives, reap it when it exits.
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
            }
            Err(e) => {
                tracing::warn!("cannot start the forward keeper: {e}");
                return;
            }
        }
        let step = tokio::time::Instant::now() + Duration::from_millis(500);
        while !running(paths) && tokio::time::Instant::now() < step {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Runs the `forwards` command. Must be called before any runtime or thread starts.
pub fn main() -> anyhow::Result<()> {
    let Some(started) = background::start(PROCESS_NAME, LOG_FILE, lock_path)? else {
        return Ok(());
    };
    ensure_private_dir(&socket_dir(&started.paths))?;
    background::block_on(keep(&started.paths))
}

/// The keeper's rounds; returns after [`IDLE_GRACE`] with no forward recorded.
async fn keep(paths: &Paths) {
    tracing::info!("forward keeper started");
    let mut listeners: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut idle_since: Option<tokio::time::Instant> = None;
    let mut tick = tokio::time::interval(ROUND);
    loop {
        tick.tick().await;
        let records = store::all(paths);
        // Host forwards: a listener each; none for forwards no longer recorded.
        listeners.retain(|id, task| {
            let keep = records
                .iter()
                .any(|r| &r.id == id && r.session_id.is_none());
            if !keep {
                task.abort();
                remove_stale(&socket_path(paths, id));
                tracing::info!(forward = %id, "stopped listening");
            }
            keep
        });
        for r in records.iter().filter(|r| r.session_id.is_none()) {
            let socket = socket_path(paths, &r.id);
            let live = listeners
                .get(&r.id)
                .is_some_and(|t| !t.is_finished() && socket.exists());
            if !live {
                if let Some(t) = listeners.remove(&r.id) {
                    t.abort();
                }
                match bind(&socket) {
                    Ok(l) => {
                        tracing::info!(forward = %r.id, "listening on {}", socket.display());
                        listeners.insert(r.id.clone(), tokio::spawn(serve(l, r.clone())));
                    }
                    Err(e) => tracing::warn!(forward = %r.id, "cannot listen: {e}"),
                }
            }
        }
        // Session forwards: follow each session's master.
        for r in records.iter().filter(|r| r.session_id.is_some()) {
            follow(paths, r).await;
        }
        if records.is_empty() {
            let since = *idle_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= IDLE_GRACE {
                tracing::info!("no forwards left: keeper exits");
                return;
            }
        } else {
            idle_since = None;
        }
    }
}

/// Adds session forward `r` to its session's current master when that is not the one it was
/// added to; removes it when the session ended.
async fn follow(paths: &Paths, r: &Record) {
    let Some(session) = r.session_id.as_deref() else {
        return;
    };
    let m = match ops::lookup(paths, session) {
        Lookup::Ssh(m) => m,
        Lookup::Gone | Lookup::NotSsh => return ops::forget(paths, r),
    };
    let socket = socket_path(paths, &r.id);
    let Some(now) = master_id(&m.control) else {
        return; // Reconnecting: the next master gets it.
    };
    if r.master == Some(now) && socket.exists() {
        return;
    }
    match ops::add(&m, &socket, r).await {
        Ok(()) => {
            // Closed meanwhile: take it back off.
            if store::get(paths, &r.id).is_none() {
                return ops::cancel(&m, &socket, r).await;
            }
            let rec = Record {
                master: Some(now),
                ..r.clone()
            };
            if let Err(e) = store::save(paths, &rec) {
                tracing::warn!(forward = %r.id, "cannot record its master: {e}");
            }
            tracing::info!(forward = %r.id, session_id = session, "forward added to the session's master");
        }
        Err(e) => tracing::warn!(forward = %r.id, session_id = session, "ssh -O forward: {e}"),
    }
}

/// Binds a host forward's socket (0600), replacing a stale socket file.
fn bind(path: &Path) -> std::io::Result<UnixListener> {
    remove_stale(path);
    let l = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

/// Accepts clients of host forward `r` until aborted.
async fn serve(listener: UnixListener, r: Record) {
    let me = nix::unistd::geteuid().as_raw();
    loop {
        let client = match listener.accept().await {
            Ok((c, _)) => c,
            Err(e) => {
                // Out of descriptors and the like: wait instead of spinning.
                tracing::warn!(forward = %r.id, "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match client.peer_cred() {
            Ok(c) if c.uid() == me => {}
            other => {
                tracing::warn!(forward = %r.id, peer = ?other, "refused a client of another user");
                continue;
            }
        }
        tokio::spawn(carry(client, r.host.clone(), r.port, r.id.clone()));
    }
}

/// Connects one client to the destination and copies both ways until both sides end.
async fn carry(mut client: UnixStream, host: String, port: u16, id: String) {
    let dest = match tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return tracing::info!(forward = %id, "{host}:{port}: {e}"),
        Err(_) => return tracing::info!(forward = %id, "{host}:{port}: no answer"),
    };
    let _ = dest.set_nodelay(true);
    let mut dest = dest;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut dest).await;
}

//! `forward.open`, `forward.list` and `forward.close` as the routes call them: validation,
//! adding the forward (to a session's ControlMaster, or by recording it for the [`keeper`]),
//! the reachability probe, and each forward's state.
//!
//! The probe: a session forward's socket is connected once right after it was added; the
//! target's sshd opens the destination for it, and when that fails the master closes the
//! connection at once (end of file within [`PROBE_WAIT`]) — the forward is then removed and
//! `unreachable` (-32014) answered. A destination that answers, or says nothing for
//! [`PROBE_WAIT`], counts as reachable. A host forward's destination is connected directly
//! (within [`CONNECT_TIMEOUT`]).
//!
//! [`keeper`]: super::keeper

use std::path::Path;
use std::time::Duration;

use outpost_openssh::names;
use outpost_protocol::forward::{
    valid_forward_id, ForwardCloseParams, ForwardInfo, ForwardListResult, ForwardOpenParams,
    ForwardState, MAX_FORWARDS,
};
use outpost_protocol::{ErrorCode, ErrorObject};
use tokio::io::AsyncReadExt;

use super::master::{self, master_id, remove_stale, Master};
use super::{keeper, socket_dir, socket_path, store, Record};
use crate::daemon::meta::{process_alive, SessionMeta};
use crate::paths::{ensure_private_dir, Paths, MAX_SOCKET_PATH};
use crate::registry::check_id;

/// How long the probe of a session forward waits for the master to close a refused connection.
pub const PROBE_WAIT: Duration = Duration::from_millis(1500);

/// How long connecting to a destination from this host may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `forward.open` waits for the keeper to listen on a new host forward's socket.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

fn invalid(m: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, m)
}

fn internal(m: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InternalError, m)
}

/// What a forward's session is now.
pub enum Lookup {
    /// Ended (no metadata, or its daemon is dead).
    Gone,
    /// Not an `ssh` session (or its target does not pass the checks).
    NotSsh,
    /// An `ssh` session.
    Ssh(Master),
}

/// Looks session `id` up in its metadata.
pub fn lookup(paths: &Paths, id: &str) -> Lookup {
    let meta = match SessionMeta::load(paths, id) {
        Ok(m) if process_alive(m.daemon_pid) => m,
        _ => return Lookup::Gone,
    };
    match meta.ssh {
        Some(ssh) if names::check_host(&ssh.host).is_ok() => Lookup::Ssh(Master {
            control: ssh.control_path,
            target: ssh.host,
        }),
        _ => Lookup::NotSsh,
    }
}

/// Whether `path` is a socket file.
fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// A record as the wire shows it, with its state now.
pub fn info(paths: &Paths, r: &Record) -> ForwardInfo {
    let socket = socket_path(paths, &r.id);
    let active = is_socket(&socket)
        && match &r.session_id {
            Some(s) => match lookup(paths, s) {
                Lookup::Ssh(m) => r.master.is_some() && master_id(&m.control) == r.master,
                _ => false,
            },
            None => keeper::running(paths),
        };
    ForwardInfo {
        id: r.id.clone(),
        socket: socket.to_string_lossy().into_owned(),
        session_id: r.session_id.clone(),
        host: r.host.clone(),
        port: r.port,
        state: if active {
            ForwardState::Active
        } else {
            ForwardState::Waiting
        },
    }
}

/// `forward.open`.
pub async fn open(paths: &Paths, p: ForwardOpenParams) -> Result<ForwardInfo, ErrorObject> {
    if let Some(s) = &p.session_id {
        check_id(s)?;
    }
    store::check_dest(&p.host, p.port).map_err(invalid)?;
    let records = store::all(paths);
    if let Some(r) = records
        .iter()
        .find(|r| r.session_id == p.session_id && r.host == p.host && r.port == p.port)
    {
        // A keeper that exited (or a host that rebooted) is started again.
        keeper::ensure(paths).await;
        return Ok(info(paths, r));
    }
    if records.len() >= MAX_FORWARDS {
        return Err(ErrorObject::new(
            ErrorCode::LimitReached,
            format!("at most {MAX_FORWARDS} agent-owned forwards are allowed; close one first"),
        ));
    }
    ensure_private_dir(&socket_dir(paths)).map_err(|e| internal(e.to_string()))?;
    let id = store::new_id().map_err(|e| internal(format!("cannot make an id: {e}")))?;
    let socket = socket_path(paths, &id);
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(internal(format!(
            "the forward socket path {} is {len} bytes, more than a Unix socket allows",
            socket.display()
        )));
    }
    let mut rec = Record {
        id,
        session_id: p.session_id.clone(),
        host: p.host.clone(),
        port: p.port,
        master: None,
    };
    let dest = format!("{}:{}", p.host, p.port);
    match &p.session_id {
        Some(s) => {
            let m = match lookup(paths, s) {
                Lookup::Gone => {
                    return Err(ErrorObject::new(
                        ErrorCode::SessionNotFound,
                        format!("no session {s}"),
                    ))
                }
                Lookup::NotSsh => {
                    return Err(invalid(format!("session {s} is not an ssh session")))
                }
                Lookup::Ssh(m) => m,
            };
            // With no master now (the session's ssh is reconnecting) the keeper adds it later.
            if let Some(mid) = master_id(&m.control) {
                add(&m, &socket, &rec).await.map_err(|e| {
                    internal(format!(
                        "the session's ControlMaster refused the forward: {e}"
                    ))
                })?;
                if let Err(reason) = probe_socket(&socket).await {
                    cancel(&m, &socket, &rec).await;
                    return Err(ErrorObject::new(
                        ErrorCode::Unreachable,
                        format!("{dest} does not answer from the target of session {s}: {reason}"),
                    ));
                }
                rec.master = Some(mid);
            }
            store::save(paths, &rec).map_err(|e| internal(e.to_string()))?;
            keeper::ensure(paths).await;
        }
        None => {
            probe_tcp(&p.host, p.port).await.map_err(|reason| {
                ErrorObject::new(
                    ErrorCode::Unreachable,
                    format!("{dest} does not answer from the agent's host: {reason}"),
                )
            })?;
            store::save(paths, &rec).map_err(|e| internal(e.to_string()))?;
            keeper::ensure(paths).await;
            let deadline = tokio::time::Instant::now() + LISTEN_WAIT;
            while !is_socket(&socket) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    tracing::info!(forward = %rec.id, session_id = ?rec.session_id, dest = %dest, "forward opened");
    Ok(info(paths, &rec))
}

/// Adds `r` to master `m` on `socket` (a stale socket there removed first).
pub async fn add(m: &Master, socket: &Path, r: &Record) -> Result<(), String> {
    remove_stale(socket);
    master::run("forward", m, socket, r).await
}

/// Cancels `r` on master `m` (when it runs) and removes its socket.
pub async fn cancel(m: &Master, socket: &Path, r: &Record) {
    if master_id(&m.control).is_some() {
        if let Err(e) = master::run("cancel", m, socket, r).await {
            tracing::info!(forward = %r.id, "ssh -O cancel: {e}");
        }
    }
    remove_stale(socket);
}

/// Connects to a fresh session forward once; an end of file within [`PROBE_WAIT`] means the
/// target could not open the destination.
async fn probe_socket(socket: &Path) -> Result<(), String> {
    let mut conn = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", socket.display()))?;
    let mut one = [0u8; 1];
    match tokio::time::timeout(PROBE_WAIT, conn.read(&mut one)).await {
        Ok(Ok(0)) => Err("connection refused, no route, or unknown name".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(_)) | Err(_) => Ok(()),
    }
}

/// Connects to `host:port` from this host once.
async fn probe_tcp(host: &str, port: u16) -> Result<(), String> {
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// `forward.list`: every forward with its state; forwards of sessions that ended are removed.
/// With forwards recorded and no keeper running (it was killed, the host rebooted), one is
/// started first.
pub async fn list(paths: &Paths) -> ForwardListResult {
    let records = store::all(paths);
    if !records.is_empty() {
        keeper::ensure(paths).await;
    }
    let mut forwards = Vec::new();
    for r in records {
        if let Some(s) = &r.session_id {
            if !matches!(lookup(paths, s), Lookup::Ssh(_)) {
                forget(paths, &r);
                continue;
            }
        }
        forwards.push(info(paths, &r));
    }
    ForwardListResult { forwards }
}

/// Removes a forward whose session ended: its record and its socket.
pub fn forget(paths: &Paths, r: &Record) {
    tracing::info!(forward = %r.id, session_id = ?r.session_id, "session ended: forward removed");
    store::remove(paths, &r.id);
    remove_stale(&socket_path(paths, &r.id));
}

/// `forward.close`.
pub async fn close(paths: &Paths, p: ForwardCloseParams) -> Result<(), ErrorObject> {
    if !valid_forward_id(&p.id) {
        return Err(invalid(
            "id must be f and 16 hex digits, as forward.list shows it",
        ));
    }
    let r = store::get(paths, &p.id).ok_or_else(|| {
        ErrorObject::new(ErrorCode::ForwardNotFound, format!("no forward {}", p.id))
    })?;
    store::remove(paths, &r.id);
    let socket = socket_path(paths, &r.id);
    match r.session_id.as_deref().map(|s| lookup(paths, s)) {
        Some(Lookup::Ssh(m)) => cancel(&m, &socket, &r).await,
        // A host forward: the keeper stops listening on its next round.
        _ => remove_stale(&socket),
    }
    tracing::info!(forward = %r.id, "forward closed");
    Ok(())
}

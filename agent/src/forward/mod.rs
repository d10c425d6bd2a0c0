//! Agent-owned forwards (`forward.open|list|close`): a destination offered as a private Unix
//! socket on this host, kept here so it outlives the desktop that asked for it.
//!
//! Two kinds, told apart by the record's `session_id`:
//!
//! - **Through a session**: the `ssh` session's own ControlMaster listens on the socket
//!   (`ssh -S <master> -O forward -L <socket>:<host>:<port>`, run with an argv); the target
//!   connects to the destination. The master outlives every agent, so the forward does too;
//!   when the session's ssh reconnects (a new master), the [`keeper`] adds it again (removing
//!   the dead master's stale socket first); when the session ends, the keeper removes it.
//! - **From this host**: the [`keeper`] listens on the socket itself and connects to the
//!   destination with tokio, checking each client's uid (`SO_PEERCRED`).
//!
//! | piece | file |
//! |---|---|
//! | where records and sockets live, the record | `mod.rs` |
//! | records on disk (one JSON file per forward, 0600) | `store.rs` |
//! | `ssh -O forward|cancel` on a session's ControlMaster, the master's identity | `master.rs` |
//! | open (validate, add, probe), list, close — the routes call these | `ops.rs` |
//! | the keeper process (`outpost-agent forwards`, one per user) | `keeper.rs` |
//!
//! Privacy: sockets are 0600 in `<runtime>/d1/fwd/` (0700), records in `<state>/forwards/`
//! (0700), so another local user gets `EACCES` on connect. See docs/forwarding.md.

pub mod keeper;
pub mod master;
pub mod ops;
pub mod store;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::paths::Paths;

/// A master's identity: the device, inode and change time of its control socket. A reconnected
/// session's ssh binds a new socket at the same path, so a changed identity means "add the
/// forward again". The inode alone is not enough: the file system may give the new socket the
/// number the old one just freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterId {
    /// `st_dev` of the control socket.
    pub dev: u64,
    /// `st_ino` of the control socket.
    pub ino: u64,
    /// `st_ctime` of the control socket in nanoseconds (0 in records written before it was kept).
    #[serde(default)]
    pub changed_ns: i64,
}

/// One forward as recorded on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Its id (`f` and 16 hex digits).
    pub id: String,
    /// The session whose target reaches the destination (none: this host does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The destination host.
    pub host: String,
    /// The destination port.
    pub port: u16,
    /// The master the forward was last added to (session forwards only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<MasterId>,
}

/// The directory of forward sockets: `<sockets>/fwd` (0700).
pub fn socket_dir(paths: &Paths) -> PathBuf {
    paths.sockets.join("fwd")
}

/// Forward `id`'s socket.
pub fn socket_path(paths: &Paths, id: &str) -> PathBuf {
    socket_dir(paths).join(format!("{id}.sock"))
}

/// The directory of forward records: `forwards/` beside `sessions/` (0700).
pub fn record_dir(paths: &Paths) -> PathBuf {
    paths.sessions.with_file_name("forwards")
}

/// The keeper's lock file (held while a keeper runs).
pub fn lock_path(paths: &Paths) -> PathBuf {
    paths.sockets.join("forwards.lock")
}

/// The keeper's log file name, in the logs directory.
pub const LOG_FILE: &str = "forwards.log";

//! What an agent asks a new session daemon to run, passed on the daemon's standard input (never
//! on its command line, where other users could read it with `ps`).

use std::collections::BTreeMap;

use std::path::PathBuf;

use outpost_protocol::session::{ReconnectPolicy, SessionKind};
use serde::{Deserialize, Serialize};

/// The largest spec a daemon reads.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// A session to start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonSpec {
    /// The new session's id.
    pub session_id: String,
    /// Its kind.
    pub kind: SessionKind,
    /// Its title.
    pub title: String,
    /// Terminal width.
    pub cols: u16,
    /// Terminal height.
    pub rows: u16,
    /// Working directory; default the home directory.
    pub cwd: Option<String>,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// Scrollback capacity in bytes.
    pub scrollback_bytes: u64,
    /// The program; `None` runs the user's login shell.
    pub program: Option<String>,
    /// The program's arguments.
    pub args: Vec<String>,
    /// For `ssh` sessions: how to watch the connection.
    #[serde(default)]
    pub ssh: Option<SshWatch>,
    /// For `ssh` sessions: restart `ssh` when it exits with 255.
    #[serde(default)]
    pub reconnect: Option<ReconnectPolicy>,
    /// Where recordings go, and whether to record from the start (absent from older agents:
    /// the session cannot be recorded).
    #[serde(default)]
    pub record: Option<crate::recording::RecordSpec>,
    /// The session's `max_stall_ms` for attaches that do not give one (absent: the protocol's
    /// [`DEFAULT_MAX_STALL_MS`](outpost_protocol::session::DEFAULT_MAX_STALL_MS)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stall_ms: Option<u64>,
}

#[cfg(test)]
impl DaemonSpec {
    /// A shell session for unit tests: 80 × 24, a 64 KiB ring, the login shell, nothing else;
    /// tests change the fields they care about (`DaemonSpec { program, ..DaemonSpec::for_test(id) }`).
    pub(crate) fn for_test(session_id: &str) -> DaemonSpec {
        DaemonSpec {
            session_id: session_id.into(),
            kind: SessionKind::Shell,
            title: "t".into(),
            cols: 80,
            rows: 24,
            cwd: None,
            env: BTreeMap::new(),
            scrollback_bytes: 65536,
            program: None,
            args: Vec::new(),
            ssh: None,
            reconnect: None,
            record: None,
            max_stall_ms: None,
        }
    }
}

/// How a daemon watches an `ssh` session's connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshWatch {
    /// `[user@]host[:port]` as asked.
    pub target: String,
    /// The host as asked (validated again wherever it is read back from disk).
    #[serde(default)]
    pub host: String,
    /// The user as asked.
    #[serde(default)]
    pub user: Option<String>,
    /// The port as asked.
    #[serde(default)]
    pub port: Option<u16>,
    /// The session's ControlMaster socket.
    pub control_path: PathBuf,
    /// The `ssh` binary (used by the daemon, which got it from its agent; never run when read
    /// back from a metadata file).
    pub program: String,
    /// The argv of `ssh -O check`.
    pub check_args: Vec<String>,
    /// The argv that runs the monitoring probe through the ControlMaster.
    #[serde(default)]
    pub probe_args: Vec<String>,
}

/// What the daemon tells the agent once it is ready (or why it is not), one JSON line on the
/// launcher's standard output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Readiness {
    /// The socket accepts connections.
    Ready {
        /// The daemon's pid.
        daemon_pid: u32,
        /// The child's pid.
        child_pid: u32,
    },
    /// Start-up failed.
    Failed {
        /// Why, for people.
        message: String,
    },
}

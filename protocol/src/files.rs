//! `session.ssh_control`: how a client reaches an `ssh` session's target through the session's
//! own ControlMaster on the agent's host, for file transfer (`outpost cp HOST:SESSION:path`):
//! the client runs `ssh -S <control_path> -o ControlMaster=no -o BatchMode=yes -s -- <host>
//! sftp` on the host over its own SSH connection and speaks SFTP end to end, so nothing
//! authenticates again and nothing is stored on the host. See docs/files.md.

use serde::{Deserialize, Serialize};

/// `session.ssh_control` result (params: [`SessionRef`](crate::session::SessionRef)). A session
/// that is not an `ssh` session answers `invalid_params` (-32602).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshControlResult {
    /// The ControlMaster socket on the agent's host (absolute).
    pub control_path: String,
    /// The target's host as the session was asked for (validated by the agent).
    pub host: String,
    /// The target user, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The target port, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

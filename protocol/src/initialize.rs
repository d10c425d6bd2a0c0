//! The `initialize` handshake: versions, who is on each side, and what the agent can do.

use serde::{Deserialize, Serialize};

use crate::session::SessionKind;

/// Who the client is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The client's name, e.g. `"outpost-desktop"`.
    pub name: String,
    /// The client's version.
    pub version: String,
}

/// `initialize` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitializeParams {
    /// The protocol version the client speaks; must equal the agent's.
    pub protocol_version: u32,
    /// Who the client is.
    pub client: ClientInfo,
}

/// The agent's host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// The host name.
    pub hostname: String,
    /// The operating system, e.g. `"linux"`.
    pub os: String,
    /// The CPU architecture, e.g. `"x86_64"`.
    pub arch: String,
    /// The user the agent runs as.
    pub user: String,
}

/// What the agent supports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The session kinds `session.create` accepts.
    pub session_kinds: Vec<SessionKind>,
    /// The longest line the agent accepts, in bytes.
    pub max_line_bytes: u64,
    /// The scrollback a session gets by default, in bytes.
    pub default_scrollback_bytes: u64,
    /// The most sessions this user may have at once.
    pub max_sessions: u32,
}

/// `initialize` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitializeResult {
    /// The agent's protocol version.
    pub protocol_version: u32,
    /// The agent's version (semver).
    pub agent_version: String,
    /// The agent's host.
    pub host: HostInfo,
    /// What the agent supports.
    pub capabilities: Capabilities,
}

//! `ssh.hosts`: the `Host` aliases of the agent user's `~/.ssh/config`, for a client to offer as
//! targets of new `ssh` sessions.

use serde::{Deserialize, Serialize};

/// The most aliases `ssh.hosts` returns; a configuration with more is refused (-32008).
pub const MAX_SSH_HOSTS: usize = 2048;

/// `ssh.hosts` params (none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshHostsParams {}

/// One literal `Host` alias and what its own `Host` blocks say about it.
///
/// The optional fields are the first `HostName`, `User` and `Port` lines written in a block that
/// names this alias literally; values from pattern blocks (`Host *`) and `Match` blocks are not
/// applied, so `ssh` on the agent's host may still end up using other values.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshHost {
    /// The alias, as written after `Host`.
    pub alias: String,
    /// `HostName`, as written (it may hold `%` tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// `User`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `Port`, when it is a number in 1..=65535.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// `ssh.hosts` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshHostsResult {
    /// Every literal alias, in file order (following `Include`), each once.
    pub hosts: Vec<SshHost>,
    /// The configuration file read (`$HOME/.ssh/config`), whether or not it exists.
    pub config_path: String,
}

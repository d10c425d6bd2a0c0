//! What running forwards are doing, for `outpost forward list` in another terminal: each
//! process that keeps forwards (`outpost forward add`/`up`) writes `forwards-run/<pid>.json` in
//! the configuration directory (0600) every [`STATUS_EVERY`] — its host, the link's state, and
//! each forward's address and counters — and removes it when it ends. A reader skips (and
//! deletes) files whose process is gone.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::link::LinkState;
use super::spec::ForwardSpec;
use super::stats::StatsSnapshot;
use crate::engine::store::config_dir::write_private;

/// How often a running process rewrites its status.
pub const STATUS_EVERY: Duration = Duration::from_secs(1);
/// The largest status file read, and the most files read.
const MAX_STATUS_BYTES: u64 = 256 * 1024;
const MAX_STATUS_FILES: usize = 256;

/// One running forward.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunningForward {
    /// Its id (OpenSSH's spelling with the option letter, the bound port filled in).
    pub id: String,
    /// The forward.
    pub spec: ForwardSpec,
    /// The desktop address it listens on (for `-R`, which listens on the host, `0.0.0.0:0`).
    pub local: SocketAddr,
    /// Its counters.
    pub stats: StatsSnapshot,
    /// For an agent-owned forward: the socket on the host the agent keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_socket: Option<String>,
    /// For a `-R` forward: the address and port the host listens on (`localhost:40000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

/// One process's forwards.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunStatus {
    /// The process.
    pub pid: u32,
    /// The host its forwards go through.
    pub host: String,
    /// The link to the host.
    pub link: LinkState,
    /// Its forwards.
    pub forwards: Vec<RunningForward>,
}

fn dir(config_dir: &Path) -> PathBuf {
    config_dir.join("forwards-run")
}

/// This process's status file.
pub fn own_path(config_dir: &Path) -> PathBuf {
    dir(config_dir).join(format!("{}.json", std::process::id()))
}

impl RunStatus {
    /// Writes this process's status file.
    pub fn write(&self, config_dir: &Path) {
        match serde_json::to_vec(self) {
            Ok(data) => {
                if let Err(e) = write_private(&own_path(config_dir), &data) {
                    tracing::warn!("cannot write the forwards' status: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot encode the forwards' status: {e}"),
        }
    }

    /// Removes this process's status file.
    pub fn remove(config_dir: &Path) {
        let _ = std::fs::remove_file(own_path(config_dir));
    }

    /// The statuses of running processes, optionally only those of `host`.
    pub fn read_all(config_dir: &Path, host: Option<&str>) -> Vec<RunStatus> {
        let Ok(entries) = std::fs::read_dir(dir(config_dir)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in entries.flatten().take(MAX_STATUS_FILES) {
            let path = entry.path();
            let Some(pid) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if !alive(pid) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let small = entry.metadata().is_ok_and(|m| m.len() <= MAX_STATUS_BYTES);
            let status = small
                .then(|| std::fs::read(&path).ok())
                .flatten()
                .and_then(|d| serde_json::from_slice::<RunStatus>(&d).ok());
            if let Some(s) = status.filter(|s| s.pid == pid) {
                if host.is_none_or(|h| h == s.host) {
                    out.push(s);
                }
            }
        }
        out.sort_by_key(|s| s.pid);
        out
    }
}

/// Whether process `pid` exists.
fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence; EPERM means it exists under another user.
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e == nix::errno::Errno::EPERM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_status_is_read_back_and_a_dead_ones_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let s = RunStatus {
            pid: std::process::id(),
            host: "jump".into(),
            link: LinkState::Up,
            forwards: vec![],
        };
        s.write(dir.path());
        assert_eq!(
            RunStatus::read_all(dir.path(), Some("jump")),
            vec![s.clone()]
        );
        assert!(RunStatus::read_all(dir.path(), Some("other")).is_empty());
        // A pid that cannot exist (above the kernel's maximum).
        let dead = super::dir(dir.path()).join("99999999.json");
        std::fs::write(&dead, serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(RunStatus::read_all(dir.path(), None).len(), 1);
        assert!(!dead.exists());
        RunStatus::remove(dir.path());
        assert!(RunStatus::read_all(dir.path(), None).is_empty());
    }
}

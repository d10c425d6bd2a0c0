//! Session records: the small JSON file each daemon writes so any later agent can find it.
//!
//! A record holds only what does not change over the session's life (ids, pids, the socket);
//! everything live (offsets, size, exit status) is asked of the daemon over its socket. Records
//! hold no secrets and are written atomically with mode 0600.

use std::path::{Path, PathBuf};

use outpost_protocol::session::SessionKind;
use serde::{Deserialize, Serialize};

use crate::paths::{write_atomic, PathError, Paths};

/// What a daemon records about its session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session's id.
    pub session_id: String,
    /// Its kind.
    pub kind: SessionKind,
    /// Its title.
    pub title: String,
    /// The daemon's process id.
    pub daemon_pid: u32,
    /// The child's process id.
    pub child_pid: u32,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// The daemon's socket.
    pub socket: PathBuf,
    /// The version of the agent binary that runs the daemon.
    pub daemon_version: String,
    /// For `ssh` sessions: how to reach the target through the session's ControlMaster.
    #[serde(default)]
    pub ssh: Option<crate::daemon::spec::SshWatch>,
}

impl SessionRecord {
    /// Writes the record for its session.
    pub fn save(&self, paths: &Paths) -> Result<(), PathError> {
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        write_atomic(&paths.record(&self.session_id), &json)
    }

    /// Reads one record file; `None` if it is missing or unreadable.
    pub fn load(path: &Path) -> Option<SessionRecord> {
        let data = std::fs::read(path).ok()?;
        serde_json::from_slice(&data).ok()
    }

    /// Every record on disk, oldest first, with the file each came from. Unreadable files are
    /// returned as `None` so the caller can clean them up.
    pub fn all(paths: &Paths) -> Vec<(PathBuf, Option<SessionRecord>)> {
        let Ok(dir) = std::fs::read_dir(&paths.sessions) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, Option<SessionRecord>)> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let r = SessionRecord::load(&p);
                (p, r)
            })
            .collect();
        out.sort_by(|a, b| {
            let key = |r: &Option<SessionRecord>| r.as_ref().map(|r| r.created_at.clone());
            key(&a.1).cmp(&key(&b.1)).then(a.0.cmp(&b.0))
        });
        out
    }

    /// Removes everything the session left on disk: record, socket and log.
    pub fn remove_files(paths: &Paths, session_id: &str) {
        let _ = std::fs::remove_file(paths.record(session_id));
        if let Ok(sock) = paths.socket(session_id) {
            let _ = std::fs::remove_file(sock);
        }
        let _ = std::fs::remove_file(paths.log(session_id));
    }
}

/// Whether a process exists and is not a zombie.
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => {
            let pid = nix::unistd::Pid::from_raw(pid as i32);
            nix::sys::signal::kill(pid, None).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive_checks() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX / 2));
    }
}

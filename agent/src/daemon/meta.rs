//! A session's metadata file (`state/sessions/<id>.json`): the small JSON file each daemon writes
//! so any later agent can find it.
//!
//! It holds only what does not change over the session's life (ids, pids, the socket); everything
//! live (offsets, size, exit status) is asked of the daemon over its socket. It holds no secrets
//! and is written atomically with mode 0600.
//!
//! Reading one trusts nothing in it ([`SessionMeta::load`]): the file is opened without
//! following a symlink, must be a regular file of at most [`MAX_META_BYTES`] owned by this user
//! with no group or other permission bits, its name must be a valid session id and the id inside
//! must equal it. Paths to delete are built from that checked id only ([`SessionMeta::remove_files`]),
//! and nothing in the file is ever run (monitoring rebuilds its `ssh` argv, see
//! [`crate::monitor::remote`]).

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use outpost_protocol::session::{valid_session_id, SessionKind};
use serde::{Deserialize, Serialize};

use crate::paths::{write_atomic, PathError, Paths};

/// The largest metadata file read.
pub const MAX_META_BYTES: u64 = 64 * 1024;

/// Why a metadata file is not used.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// There is no such file.
    #[error("no metadata file")]
    Missing,
    /// The file name is not `<session id>.json`.
    #[error("the file name is not a session id")]
    BadName,
    /// It could not be opened or read (a symlink fails here: it is never followed).
    #[error("cannot read it: {0}")]
    Io(std::io::Error),
    /// It is a symlink, directory, FIFO or the like.
    #[error("not a regular file")]
    NotRegular,
    /// Another user owns it.
    #[error("owned by uid {0}, not this user")]
    Owner(u32),
    /// Its mode gives the group or others some access.
    #[error("mode {0:o} gives others access")]
    Mode(u32),
    /// It is larger than [`MAX_META_BYTES`].
    #[error("larger than {MAX_META_BYTES} bytes")]
    TooLarge,
    /// It is not the JSON of a session (a trusted file, safe to remove).
    #[error("unreadable JSON: {0}")]
    Json(String),
    /// The id inside is not the one its name says.
    #[error("it names session {0:?}")]
    IdMismatch(String),
}

/// What a daemon writes down about its session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
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

impl SessionMeta {
    /// Writes the metadata file of its session.
    pub fn save(&self, paths: &Paths) -> Result<(), PathError> {
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        write_atomic(&paths.meta(&self.session_id), &json)
    }

    /// Reads and checks the metadata file of session `id` (see the module docs).
    pub fn load(paths: &Paths, id: &str) -> Result<SessionMeta, MetaError> {
        if !valid_session_id(id) {
            return Err(MetaError::BadName);
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(paths.meta(id))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => MetaError::Missing,
                _ => MetaError::Io(e),
            })?;
        let m = file.metadata().map_err(MetaError::Io)?;
        if !m.file_type().is_file() {
            return Err(MetaError::NotRegular);
        }
        if m.uid() != nix::unistd::geteuid().as_raw() {
            return Err(MetaError::Owner(m.uid()));
        }
        if m.mode() & 0o077 != 0 {
            return Err(MetaError::Mode(m.mode() & 0o7777));
        }
        if m.len() > MAX_META_BYTES {
            return Err(MetaError::TooLarge);
        }
        let mut data = Vec::new();
        file.take(MAX_META_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(MetaError::Io)?;
        let meta: SessionMeta =
            serde_json::from_slice(&data).map_err(|e| MetaError::Json(e.to_string()))?;
        if meta.session_id != id {
            return Err(MetaError::IdMismatch(meta.session_id));
        }
        Ok(meta)
    }

    /// Every session's metadata on disk, oldest first, with the id its file is named for; files
    /// that fail [`SessionMeta::load`] come with the reason, and files not named
    /// `<session id>.json` are left out.
    pub fn all(paths: &Paths) -> Vec<(String, Result<SessionMeta, MetaError>)> {
        let Ok(dir) = std::fs::read_dir(&paths.sessions) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Result<SessionMeta, MetaError>)> = dir
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let id = name.to_str()?.strip_suffix(".json")?;
                if !valid_session_id(id) {
                    tracing::warn!(file = ?name, "ignoring a file in the sessions directory");
                    return None;
                }
                Some((id.to_string(), SessionMeta::load(paths, id)))
            })
            .collect();
        out.sort_by(|a, b| {
            let key =
                |m: &Result<SessionMeta, MetaError>| m.as_ref().ok().map(|m| m.created_at.clone());
            key(&a.1).cmp(&key(&b.1)).then(a.0.cmp(&b.0))
        });
        out
    }

    /// Removes a session's metadata file (nothing for an invalid id).
    pub fn remove_meta(paths: &Paths, session_id: &str) {
        if valid_session_id(session_id) {
            let _ = std::fs::remove_file(paths.meta(session_id));
        }
    }

    /// Removes everything the session left on disk: metadata, socket and log. Does nothing for
    /// an invalid id, so no path outside the agent's directories is ever built.
    pub fn remove_files(paths: &Paths, session_id: &str) {
        if !valid_session_id(session_id) {
            tracing::warn!(
                ?session_id,
                "not removing the files of an invalid session id"
            );
            return;
        }
        Self::remove_meta(paths, session_id);
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

    fn setup() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let paths = Paths::new(
            &dir.path().join("run"),
            &dir.path().join("state"),
            nix::unistd::getuid().as_raw(),
        );
        paths.ensure().unwrap_or_else(|e| panic!("{e}"));
        (dir, paths)
    }

    fn meta(id: &str) -> SessionMeta {
        SessionMeta {
            session_id: id.into(),
            kind: SessionKind::Shell,
            title: "t".into(),
            daemon_pid: 1,
            child_pid: 1,
            created_at: String::new(),
            socket: PathBuf::from("/nowhere"),
            daemon_version: String::new(),
            ssh: None,
        }
    }

    #[test]
    fn only_checked_records_load() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, paths) = setup();
        meta("good").save(&paths).unwrap_or_else(|e| panic!("{e}"));
        assert!(SessionMeta::load(&paths, "good").is_ok());
        assert!(matches!(
            SessionMeta::load(&paths, "none"),
            Err(MetaError::Missing)
        ));
        assert!(matches!(
            SessionMeta::load(&paths, "../good"),
            Err(MetaError::BadName)
        ));
        // The id inside must be the file's own.
        let lie = serde_json::to_vec(&meta("../../victim")).unwrap_or_default();
        write_atomic(&paths.meta("liar"), &lie).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            SessionMeta::load(&paths, "liar"),
            Err(MetaError::IdMismatch(_))
        ));
        // A symlink is not followed.
        let link = paths.meta("link");
        std::os::unix::fs::symlink(paths.meta("good"), &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            SessionMeta::load(&paths, "link"),
            Err(MetaError::Io(_))
        ));
        // Group or other bits.
        let set = |m: u32| {
            std::fs::set_permissions(paths.meta("good"), std::fs::Permissions::from_mode(m))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        set(0o640);
        assert!(matches!(
            SessionMeta::load(&paths, "good"),
            Err(MetaError::Mode(0o640))
        ));
        set(0o600);
        // The listing names each file by its checked stem.
        let mut ids: Vec<String> = SessionMeta::all(&paths)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        assert_eq!(ids, ["good", "liar", "link"]);
        // Nothing is removed for an invalid id.
        SessionMeta::remove_files(&paths, "../good");
        assert!(paths.meta("good").exists());
    }

    #[test]
    fn alive_checks() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX / 2));
    }
}

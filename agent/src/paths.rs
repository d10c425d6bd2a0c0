//! Where the agent keeps its files, and the rules that keep them private.
//!
//! With `$OUTPOST_HOME` set, everything lives below it (`run/` for sockets, `state/` for session
//! records, `logs/`). Otherwise sockets go to `$XDG_RUNTIME_DIR/outpost` (or `/tmp/outpost-<uid>`)
//! and state to `$XDG_STATE_HOME/outpost` (or `~/.local/state/outpost`).
//!
//! Every directory is created 0700 and every file 0600; an existing directory owned by another
//! user or writable by group or others is refused. Unix socket paths hold at most 107 bytes: when
//! the runtime directory is too deep for that, sockets move to a short directory under
//! `/tmp/outpost-<uid>/` named by a hash of the long one, so the same home always maps to the same
//! place.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The daemon socket protocol version; part of the socket directory's name so an agent only ever
/// finds daemons that speak its frames.
pub const DAEMON_PROTOCOL_DIR: &str = "d1";

/// The longest path a Unix socket address can hold (108 bytes with the trailing NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// Why a path could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// No home directory and no `$OUTPOST_HOME`.
    #[error("cannot find a home directory: set $HOME or $OUTPOST_HOME")]
    NoHome,
    /// A directory is not safe to use.
    #[error("refusing to use {path}: {why}. Fix it with `chmod 700 {path}` (and make sure you own it), or remove it")]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A socket path does not fit in a Unix socket address.
    #[error("socket path {path} is {len} bytes, more than the {MAX_SOCKET_PATH} a Unix socket allows; use a shorter $OUTPOST_HOME or $XDG_RUNTIME_DIR")]
    SocketPathTooLong {
        /// The path.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },
    /// An I/O error on a path. The reason is the error's source (not repeated here, so a
    /// message that prints the whole chain names it once).
    #[error("{what} {path}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PathError + 'a {
    move |source| PathError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// The agent's directories for this user.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Where the daemon sockets live (already including [`DAEMON_PROTOCOL_DIR`]).
    pub sockets: PathBuf,
    /// Where session records live.
    pub sessions: PathBuf,
    /// Where daemon logs live.
    pub logs: PathBuf,
    /// The directories above those that are ours too and must be private (the runtime and
    /// state roots), outermost first.
    roots: Vec<PathBuf>,
}

impl Paths {
    /// Works out the directories from the environment. Creates nothing.
    pub fn from_env() -> Result<Self, PathError> {
        let uid = nix::unistd::getuid().as_raw();
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let (runtime, state) = if let Some(home) = var("OUTPOST_HOME") {
            (home.join("run"), home.join("state"))
        } else {
            let runtime = var("XDG_RUNTIME_DIR")
                .map(|d| d.join("outpost"))
                .unwrap_or_else(|| PathBuf::from(format!("/tmp/outpost-{uid}")));
            let state = match var("XDG_STATE_HOME") {
                Some(d) => d.join("outpost"),
                None => var("HOME")
                    .ok_or(PathError::NoHome)?
                    .join(".local/state/outpost"),
            };
            (runtime, state)
        };
        Ok(Self::new(&runtime, &state, uid))
    }

    /// Directories rooted at the given runtime and state directories.
    pub fn new(runtime: &Path, state: &Path, uid: u32) -> Self {
        let mut sockets = runtime.join(DAEMON_PROTOCOL_DIR);
        let mut roots = vec![runtime.to_path_buf()];
        // The longest socket path is the directory, '/', a 32-byte id and ".sock".
        if sockets.as_os_str().len() + 1 + 32 + 5 > MAX_SOCKET_PATH {
            let digest = Sha256::digest(sockets.as_os_str().as_encoded_bytes());
            let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let base = PathBuf::from(format!("/tmp/outpost-{uid}"));
            let hashed = base.join(format!("h{short}"));
            sockets = hashed.join(DAEMON_PROTOCOL_DIR);
            roots = vec![base, hashed];
        }
        roots.push(state.to_path_buf());
        Self {
            sockets,
            sessions: state.join("sessions"),
            logs: state.join("logs"),
            roots,
        }
    }

    /// Creates (or checks) every directory, and the runtime and state directories above them.
    pub fn ensure(&self) -> Result<(), PathError> {
        for d in &self.roots {
            ensure_private_dir(d)?;
        }
        for d in [&self.sockets, &self.sessions, &self.logs] {
            ensure_private_dir(d)?;
        }
        Ok(())
    }

    /// The socket path of a session's daemon.
    pub fn socket(&self, session_id: &str) -> Result<PathBuf, PathError> {
        let path = self.sockets.join(format!("{session_id}.sock"));
        let len = path.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(PathError::SocketPathTooLong { path, len });
        }
        Ok(path)
    }

    /// The ControlMaster socket of an `ssh` session. `ssh` binds a temporary name 17 bytes longer
    /// first, so the path must leave room for that.
    pub fn control_path(&self, session_id: &str) -> Result<PathBuf, PathError> {
        let path = self.sockets.join(format!("{session_id}.cm"));
        let len = path.as_os_str().len();
        if len + 17 > MAX_SOCKET_PATH {
            return Err(PathError::SocketPathTooLong { path, len });
        }
        Ok(path)
    }

    /// The record file of a session.
    pub fn record(&self, session_id: &str) -> PathBuf {
        self.sessions.join(format!("{session_id}.json"))
    }

    /// The log file of a session's daemon.
    pub fn log(&self, session_id: &str) -> PathBuf {
        self.logs.join(format!("{session_id}.log"))
    }
}

/// Creates `dir` and its missing parents as 0700, then checks that `dir` is ours and private.
pub fn ensure_private_dir(dir: &Path) -> Result<(), PathError> {
    match fs::symlink_metadata(dir) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io_err("cannot create directory", dir))?;
        }
        Err(e) => return Err(io_err("cannot inspect", dir)(e)),
    }
    check_private_dir(dir)
}

/// Checks that `dir` is a real directory owned by this user and not writable by anyone else.
pub fn check_private_dir(dir: &Path) -> Result<(), PathError> {
    let meta = fs::symlink_metadata(dir).map_err(io_err("cannot inspect", dir))?;
    let unsafe_dir = |why: String| PathError::Unsafe {
        path: dir.to_path_buf(),
        why,
    };
    if !meta.file_type().is_dir() {
        return Err(unsafe_dir(
            "it is not a directory (or is a symbolic link)".into(),
        ));
    }
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid {
        return Err(unsafe_dir(format!(
            "it is owned by uid {}, not by you (uid {uid})",
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(unsafe_dir(format!(
            "its mode is {mode:03o}; it must not be accessible to group or others"
        )));
    }
    Ok(())
}

/// Writes `data` to `path` atomically: a 0600 temporary file in the same directory, synced, then
/// renamed over `path`.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), PathError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("cannot write", path)(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_private_dirs_and_refuses_open_ones() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        ensure_private_dir(&d).unwrap();
        let mode = fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::set_permissions(&d, fs::Permissions::from_mode(0o770)).unwrap();
        let err = ensure_private_dir(&d).unwrap_err().to_string();
        assert!(err.contains("mode is 770"), "{err}");
        assert!(err.contains("chmod 700"), "{err}");
    }

    #[test]
    fn refuses_symlinked_dir() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        ensure_private_dir(&real).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(check_private_dir(&link).is_err());
    }

    #[test]
    fn long_homes_get_short_socket_dirs() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(150)));
        let p = Paths::new(&long.join("run"), &long.join("state"), 1000);
        let s = p.socket(&"a".repeat(32)).unwrap();
        assert!(s.as_os_str().len() <= MAX_SOCKET_PATH, "{s:?}");
        assert!(
            s.to_string_lossy().starts_with("/tmp/outpost-1000/h"),
            "{s:?}"
        );
        // The same home always maps to the same place.
        let q = Paths::new(&long.join("run"), &long.join("state"), 1000);
        assert_eq!(p.sockets, q.sockets);
        let hashed = s.parent().unwrap().parent().unwrap().to_path_buf();
        assert_eq!(p.roots[..2], [PathBuf::from("/tmp/outpost-1000"), hashed]);
        // A short home keeps its own directory.
        let p = Paths::new(Path::new("/h/run"), Path::new("/h/state"), 1000);
        assert_eq!(p.sockets, PathBuf::from("/h/run/d1"));
        // The default runtime directory is ours; /tmp above it is not.
        let state = Path::new("/home/u/.local/state/outpost");
        let p = Paths::new(Path::new("/tmp/outpost-1000"), state, 1000);
        assert_eq!(
            p.roots,
            [PathBuf::from("/tmp/outpost-1000"), state.to_path_buf()]
        );
    }

    #[test]
    fn atomic_write_is_private() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("x.json");
        write_atomic(&f, b"{}").unwrap();
        write_atomic(&f, b"{\"a\":1}").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"{\"a\":1}");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }
}

//! Where the agent keeps its files, and the rules that keep them private.
//!
//! With `$OUTPOST_HOME` set, everything lives below it (`run/` for sockets, `state/` for session
//! metadata, `logs/`). Otherwise sockets go to `$XDG_RUNTIME_DIR/outpost` (or a private
//! directory in `/tmp`, below) and state to `$XDG_STATE_HOME/outpost` (or
//! `~/.local/state/outpost`).
//!
//! Roots from the environment must be absolute: a relative `$OUTPOST_HOME` is refused
//! ([`PathError::Relative`]); a relative `$XDG_RUNTIME_DIR` or `$XDG_STATE_HOME` is ignored (as the
//! XDG specification says), with a warning. `$XDG_RUNTIME_DIR` is used only when it is a
//! directory owned by the user with mode 0700; otherwise it is ignored with a warning.
//!
//! The private directory in `/tmp` is `/tmp/outpost-<uid>`, created 0700. When another user got
//! there first (it is owned by someone else, is not 0700, or is a link), the agent makes its own
//! with `mkdtemp` (`/tmp/outpost-<uid>-XXXXXX`) and records it in `<state>/runtime-dir`; later
//! agents and daemons read the record first, so every session stays findable as long as that
//! directory is intact.
//!
//! Every directory is created 0700 and every file 0600; an existing directory owned by another
//! user or writable by group or others is refused. Unix socket paths hold at most 107 bytes: when
//! the runtime directory is too deep for that, sockets move to a short directory under the
//! private `/tmp` directory named by a hash of the long one, so the same home always maps to the
//! same place.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
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
    /// A root directory from the environment is a relative path.
    #[error("${var} is {value:?}, a relative path: set it to an absolute path or unset it")]
    Relative {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: PathBuf,
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
    /// Where session metadata files live.
    pub sessions: PathBuf,
    /// Where daemon logs live.
    pub logs: PathBuf,
    /// The directories above those that are ours too and must be private (the runtime and
    /// state roots), outermost first.
    roots: Vec<PathBuf>,
}

/// The file in the state directory that names the private `/tmp` directory when
/// `/tmp/outpost-<uid>` was taken by someone else.
pub const RUNTIME_RECORD: &str = "runtime-dir";

/// An absolute directory from the environment variable `var`; a relative one is ignored with a
/// warning (`None` when unset or empty).
fn absolute_var(var: &str) -> Option<PathBuf> {
    let v = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)?;
    if v.is_absolute() {
        Some(v)
    } else {
        tracing::warn!(
            "ignoring ${var} ({}): it is not an absolute path",
            v.display()
        );
        None
    }
}

/// Why `dir` is not a private directory of this user (`None` when it is one).
fn not_private(dir: &Path) -> Option<String> {
    check_private_dir(dir).err().map(|e| match e {
        PathError::Unsafe { why, .. } => why,
        other => other.to_string(),
    })
}

/// The private directory in `/tmp` for `uid`, with the record kept in `state`.
fn private_tmp(uid: u32, state: &Path) -> Result<PathBuf, PathError> {
    private_base(
        &PathBuf::from(format!("/tmp/outpost-{uid}")),
        &state.join(RUNTIME_RECORD),
    )
}

/// `default` when it is (or can be made) a private directory of this user; else the directory
/// named in `record` when that is still ours and private; else a new `<default>-XXXXXX` made
/// with `mkdtemp` and written to `record`. A recorded directory wins over `default`, so a later
/// agent finds the same place even after the squatter left.
fn private_base(default: &Path, record: &Path) -> Result<PathBuf, PathError> {
    let prefix = format!("{}-", default.display());
    if let Ok(text) = fs::read_to_string(record) {
        let recorded = PathBuf::from(text.trim());
        if recorded.to_string_lossy().starts_with(&prefix) && not_private(&recorded).is_none() {
            return Ok(recorded);
        }
    }
    match fs::DirBuilder::new().mode(0o700).create(default) {
        Ok(()) => return Ok(default.to_path_buf()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("cannot create directory", default)(e)),
    }
    let Some(why) = not_private(default) else {
        return Ok(default.to_path_buf());
    };
    let made = nix::unistd::mkdtemp(&PathBuf::from(format!("{prefix}XXXXXX"))).map_err(|e| {
        PathError::Io {
            what: "cannot create a private directory like",
            path: PathBuf::from(format!("{prefix}XXXXXX")),
            source: e.into(),
        }
    })?;
    tracing::warn!(
        "not using {} ({why}); using {} instead, recorded in {}",
        default.display(),
        made.display(),
        record.display()
    );
    if let Some(state) = record.parent() {
        ensure_private_dir(state)?;
    }
    let mut text = made.as_os_str().as_encoded_bytes().to_vec();
    text.push(b'\n');
    write_atomic(record, &text)?;
    Ok(made)
}

impl Paths {
    /// Works out the directories from the environment. Creates nothing but the private
    /// directory in `/tmp` when it is the runtime directory (or holds the short socket
    /// directory), see the module documentation.
    pub fn from_env() -> Result<Self, PathError> {
        let uid = nix::unistd::getuid().as_raw();
        if let Some(home) = std::env::var_os("OUTPOST_HOME").filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            if !home.is_absolute() {
                return Err(PathError::Relative {
                    var: "OUTPOST_HOME",
                    value: home,
                });
            }
            let state = home.join("state");
            return Self::build(&home.join("run"), &state, || private_tmp(uid, &state));
        }
        let state = match absolute_var("XDG_STATE_HOME") {
            Some(d) => d.join("outpost"),
            None => outpost_openssh::home_dir()
                .ok_or(PathError::NoHome)?
                .join(".local/state/outpost"),
        };
        let xdg = absolute_var("XDG_RUNTIME_DIR").filter(|d| match not_private(d) {
            None => true,
            Some(why) => {
                tracing::warn!("ignoring $XDG_RUNTIME_DIR ({}): {why}", d.display());
                false
            }
        });
        let runtime = match xdg {
            Some(d) => d.join("outpost"),
            None => private_tmp(uid, &state)?,
        };
        Self::build(&runtime, &state, || private_tmp(uid, &state))
    }

    /// Directories rooted at the given runtime and state directories.
    pub fn new(runtime: &Path, state: &Path, uid: u32) -> Self {
        let base = PathBuf::from(format!("/tmp/outpost-{uid}"));
        match Self::build(runtime, state, || Ok::<_, std::convert::Infallible>(base)) {
            Ok(p) => p,
            Err(never) => match never {},
        }
    }

    /// Directories rooted at `runtime` and `state`; `short_base` gives the private directory
    /// that holds the short socket directory when `runtime` is too deep.
    fn build<E>(
        runtime: &Path,
        state: &Path,
        short_base: impl FnOnce() -> Result<PathBuf, E>,
    ) -> Result<Self, E> {
        let mut sockets = runtime.join(DAEMON_PROTOCOL_DIR);
        let mut roots = vec![runtime.to_path_buf()];
        // The longest socket path is the directory, '/', a 32-byte id and ".sock".
        if sockets.as_os_str().len() + 1 + 32 + 5 > MAX_SOCKET_PATH {
            let digest = Sha256::digest(sockets.as_os_str().as_encoded_bytes());
            let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            let base = short_base()?;
            let hashed = base.join(format!("h{short}"));
            sockets = hashed.join(DAEMON_PROTOCOL_DIR);
            roots = vec![base, hashed];
        }
        roots.push(state.to_path_buf());
        Ok(Self {
            sockets,
            sessions: state.join("sessions"),
            logs: state.join("logs"),
            roots,
        })
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

    /// The metadata file of a session ([`crate::daemon::meta`]).
    pub fn meta(&self, session_id: &str) -> PathBuf {
        self.sessions.join(format!("{session_id}.json"))
    }

    /// The log file of a session's daemon.
    pub fn log(&self, session_id: &str) -> PathBuf {
        self.logs.join(format!("{session_id}.log"))
    }

    /// The directory of session recordings (`recordings/` beside `sessions/`, 0700; created
    /// when the first recording starts).
    pub fn recordings(&self) -> PathBuf {
        self.sessions.with_file_name("recordings")
    }

    /// The directory of the monitoring samplers' history (`monitor/` beside `sessions/`).
    pub fn monitor_history(&self) -> PathBuf {
        self.sessions.with_file_name("monitor")
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

/// Writes `data` to `path` atomically as a 0600 file ([`outpost_openssh::write_private`]); the
/// directory must exist (and was checked by [`ensure_private_dir`]).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), PathError> {
    outpost_openssh::write_private(path, data, outpost_openssh::Parent::Existing).map_err(|e| {
        match e {
            outpost_openssh::WriteError::CreateDir { path, source }
            | outpost_openssh::WriteError::Write { path, source } => PathError::Io {
                what: "cannot write",
                path,
                source,
            },
        }
    })
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
    fn a_squatted_default_leads_to_a_recorded_private_directory() {
        let t = tempfile::tempdir().unwrap();
        let default = t.path().join("outpost-7");
        let record = t.path().join("state").join(RUNTIME_RECORD);
        // Free: the default is made, 0700.
        assert_eq!(private_base(&default, &record).unwrap(), default);
        assert_eq!(
            fs::metadata(&default).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // Squatted (not 0700): another private directory, recorded, found again.
        fs::set_permissions(&default, fs::Permissions::from_mode(0o777)).unwrap();
        let other = private_base(&default, &record).unwrap();
        assert_ne!(other, default);
        assert!(other
            .to_string_lossy()
            .starts_with(&format!("{}-", default.display())));
        assert_eq!(
            fs::metadata(&other).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(private_base(&default, &record).unwrap(), other);
        // The record wins even once the squatter is gone: sessions stay findable.
        fs::remove_dir(&default).unwrap();
        assert_eq!(private_base(&default, &record).unwrap(), other);
        // A link at the default is squatting too; a record naming a foreign path is ignored.
        fs::write(&record, "/etc\n").unwrap();
        std::os::unix::fs::symlink(t.path(), &default).unwrap();
        let third = private_base(&default, &record).unwrap();
        assert!(third
            .to_string_lossy()
            .starts_with(&format!("{}-", default.display())));
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

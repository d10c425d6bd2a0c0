//! Machine-wide state shared by every test process: a lock that serialises changes to users,
//! namespaces and root-namespace addresses, unique names, and temporary directories (the
//! clean-up of what dead test processes left behind is [`super::stale`]).
//!
//! Every object the kit creates carries the creating process's pid in its name (users also in
//! their GECOS field), so a later run can tell leftovers of dead processes from objects of live
//! ones.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};

/// Prefix of the kit's temporary directories: `outpost-testkit-<pid>-…`.
pub(crate) const TEMP_PREFIX: &str = "outpost-testkit-";
/// GECOS marker of the kit's users: `outpost-testkit pid=<pid>`.
pub(crate) const GECOS_MARK: &str = "outpost-testkit pid=";

/// A unique `<pid>-<n>` for this process.
pub(crate) fn unique_id() -> (u32, u32) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    (std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// An exclusive machine-wide lock (`flock` on a file in `/run/lock`), released on drop. Separate
/// acquisitions exclude each other across threads and processes.
pub(crate) struct GlobalLock {
    _file: File,
}

impl GlobalLock {
    /// Blocks until the lock is held.
    pub fn acquire() -> Result<GlobalLock> {
        let dir = if Path::new("/run/lock").is_dir() {
            "/run/lock"
        } else {
            "/tmp"
        };
        let path = Path::new(dir).join("outpost-testkit.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        Ok(GlobalLock { _file: file })
    }
}

/// A fresh temporary directory `outpost-testkit-<pid>-<label>-XXXXXX`, world-traversable (0755)
/// so that `sshd` reading authorized keys as the logging-in user can reach files inside.
pub(crate) fn temp_dir(label: &str) -> Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-{label}-", std::process::id()))
        .tempdir()
        .context("cannot create a temporary directory")?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

/// Path of `/run/sshd`, the privilege-separation directory `sshd` insists on.
pub(crate) fn ensure_privsep_dir() -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let path = PathBuf::from("/run/sshd");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(path)
}

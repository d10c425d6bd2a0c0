//! Machine-wide state shared by every test process: a lock that serialises changes to users,
//! namespaces and root-namespace addresses, unique names, and the clean-up of what test
//! processes that died without running their destructors left behind.
//!
//! Every object the kit creates carries the creating process's pid in its name (users also in
//! their GECOS field), so a later run can tell leftovers of dead processes from objects of live
//! ones.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use anyhow::{Context, Result};

use crate::process::{self, run};

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

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The pid in a name `<prefix><pid>-<rest>`, if it has that shape.
fn pid_in(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let (pid, rest) = rest.split_once('-')?;
    (!rest.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Once per process: removes what dead test processes left behind — namespaces (with the
/// processes in them), root-namespace veths, users, `sshd`s and temporary directories.
pub(crate) fn clean_stale_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(e) = clean_stale() {
            crate::note(&format!("cleaning leftovers of earlier runs failed: {e:#}"));
        }
    });
}

fn clean_stale() -> Result<()> {
    let lock = GlobalLock::acquire()?;
    let dead = |name: &str, prefix: &str| pid_in(name, prefix).is_some_and(|p| !pid_alive(p));

    // Network namespaces `opj-<pid>-<n>` / `opt-<pid>-<n>`.
    if let Ok(dir) = std::fs::read_dir("/run/netns") {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if dead(&name, crate::netns::JUMP_PREFIX) || dead(&name, crate::netns::TARGET_PREFIX) {
                crate::note(&format!("removing stale network namespace {name}"));
                if let Ok(pids) = run(Command::new("ip").args(["netns", "pids", &name])) {
                    for pid in pids.split_whitespace().filter_map(|p| p.parse().ok()) {
                        process::signal(pid, libc::SIGKILL);
                    }
                }
                let _ = run(Command::new("ip").args(["netns", "del", &name]));
            }
        }
    }
    // Root-namespace veth ends `op<pid>-<n>`.
    if let Ok(dir) = std::fs::read_dir("/sys/class/net") {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if dead(&name, crate::netns::ROOT_VETH_PREFIX) {
                crate::note(&format!("removing stale link {name}"));
                let _ = run(Command::new("ip").args(["link", "del", &name]));
            }
        }
    }
    // `sshd`s (and anything else) started from a dead process's temporary directory.
    let tmp = std::env::temp_dir();
    for pid in process::all_pids() {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        if let Some(at) = cmdline.find(TEMP_PREFIX) {
            let after = &cmdline[at + TEMP_PREFIX.len()..];
            let owner: Option<u32> = after
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|p| p.parse().ok());
            if owner.is_some_and(|o| !pid_alive(o)) {
                // Sessions first: their processes do not carry the directory in their names.
                for below in process::descendants(pid) {
                    process::signal(below, libc::SIGKILL);
                }
                process::signal(pid, libc::SIGKILL);
            }
        }
    }
    if let Ok(dir) = std::fs::read_dir(&tmp) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if dead(&name, TEMP_PREFIX) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    // Users whose GECOS says a dead process made them (`remove_user` takes the lock itself).
    drop(lock);
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        let (Some(name), Some(gecos)) = (fields.first(), fields.get(4)) else {
            continue;
        };
        let Some(pid) = gecos
            .strip_prefix(GECOS_MARK)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !pid_alive(pid) {
            crate::note(&format!("removing stale test user {name}"));
            crate::user::remove_user(name);
        }
    }
    Ok(())
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

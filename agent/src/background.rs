//! The agent's per-user background helpers (the agent-forwarding relay, the forward keeper):
//! how an agent starts one detached ([`spawn`]), how a started one sets itself up ([`start`]:
//! its own session, process name, umask 077, log file, `/` as working directory, and an
//! exclusive lock so only one runs per user), and how it runs ([`block_on`]).

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

use crate::paths::Paths;

/// Starts `outpost-agent COMMAND` (this same binary), detached from the agent's stdio and
/// without the agent's `SSH_AUTH_SOCK`.
pub fn spawn(command: &str) -> std::io::Result<tokio::process::Child> {
    // /proc/self/exe still runs this very binary after it was replaced on disk (an upgrade).
    let proc_exe = PathBuf::from("/proc/self/exe");
    let exe = if proc_exe.exists() {
        proc_exe
    } else {
        std::env::current_exe()?
    };
    tokio::process::Command::new(exe)
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("SSH_AUTH_SOCK")
        .spawn()
}

/// Takes the exclusive lock at `path` (created 0600) without waiting (`None`: another process
/// holds it).
pub fn try_lock(path: &Path) -> std::io::Result<Option<Flock<File>>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(e.into()),
    }
}

/// A started helper that holds its lock (released when this is dropped).
pub struct Started {
    /// The agent's directories.
    pub paths: Paths,
    /// The helper's lock.
    pub lock: Flock<File>,
}

/// Sets up a helper started by [`spawn`]: leaves the agent's session, names the process
/// `name`, sets umask 077, logs to `log_file` in the logs directory, changes to `/` and takes
/// the lock at `lock_path(paths)`. `None`: another helper of this kind holds it (this one
/// should exit). Must be called before any runtime or thread starts.
pub fn start(
    name: &CStr,
    log_file: &str,
    lock_path: impl FnOnce(&Paths) -> PathBuf,
) -> anyhow::Result<Option<Started>> {
    // Started by an agent (never a process group leader): leave its session, so nothing aimed
    // at the agent's terminal or process group reaches the helper.
    let _ = nix::unistd::setsid();
    crate::daemon::name::set(name);
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let paths = Paths::from_env()?;
    paths.ensure()?;
    let log = paths.logs.join(log_file);
    crate::logging::init_file(&log).with_context(|| format!("opening {}", log.display()))?;
    std::env::set_current_dir("/").context("chdir /")?;
    let lock = lock_path(&paths);
    match try_lock(&lock).with_context(|| format!("locking {}", lock.display()))? {
        Some(lock) => Ok(Some(Started { paths, lock })),
        None => {
            tracing::debug!("another {name:?} holds {}", lock.display());
            Ok(None)
        }
    }
}

/// Runs `work` on a single-threaded runtime (a helper's whole life).
pub fn block_on<T>(work: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(work))
}

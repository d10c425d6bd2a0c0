//! Process helpers: running setup commands, entering namespaces and dropping privileges
//! between `fork` and `exec`, and finding and killing process trees.
//!
//! The machines the tests run on may have a PID 1 that never reaps orphans, so nothing here
//! leaves orphans behind: every `sshd` is made a *child subreaper* (it reaps whatever its
//! sessions leave behind), and a tree is killed from the leaves while its root is still alive
//! to reap them.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::procfs;

/// Runs a setup command to completion and returns its standard output; fails with the command
/// line, exit status and standard error when it does not succeed.
pub fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Like [`run`], but an error whose standard error contains `tolerated` counts as success.
pub(crate) fn run_tolerating(cmd: &mut Command, tolerated: &str) -> Result<()> {
    match run(cmd) {
        Ok(_) => Ok(()),
        Err(e) if format!("{e:#}").contains(tolerated) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `program arg arg …` for error messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Where and as whom a child starts: applied between `fork` and `exec` with only
/// async-signal-safe system calls (everything is prepared in the parent).
#[derive(Default)]
pub(crate) struct Enter {
    /// An open `/run/netns/NAME` file: the child joins that network namespace.
    pub netns: Option<File>,
    /// The child gets its own UTS namespace with this host name.
    pub hostname: Option<CString>,
    /// The child becomes a child subreaper (kept across `exec`).
    pub subreaper: bool,
    /// The child drops to this user.
    pub identity: Option<Identity>,
}

/// A user identity to switch to: uid, primary gid and supplementary groups.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<libc::gid_t>,
}

impl Enter {
    /// Opens the namespace file of the network namespace `name`.
    pub fn netns(name: &str) -> Result<File> {
        let path = netns_path(name);
        File::open(&path)
            .with_context(|| format!("cannot open network namespace {}", path.display()))
    }

    /// Installs the `pre_exec` hook on `cmd`.
    pub fn apply(self, cmd: &mut Command) {
        let Enter {
            netns,
            hostname,
            subreaper,
            identity,
        } = self;
        let hook = move || -> io::Result<()> {
            // SAFETY: only raw system calls on memory prepared before `fork` (no allocation, no
            // locks), which is what the child of a multi-threaded process may do.
            unsafe {
                if let Some(ns) = &netns {
                    check(libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET))?;
                }
                if let Some(name) = &hostname {
                    check(libc::unshare(libc::CLONE_NEWUTS))?;
                    let bytes = name.as_bytes();
                    check(libc::sethostname(bytes.as_ptr().cast(), bytes.len()))?;
                }
                if subreaper {
                    check(libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))?;
                }
                if let Some(id) = &identity {
                    check(libc::setgroups(id.groups.len(), id.groups.as_ptr()))?;
                    check(libc::setgid(id.gid))?;
                    check(libc::setuid(id.uid))?;
                }
            }
            Ok(())
        };
        // SAFETY: the hook above is async-signal-safe (see its comment).
        unsafe {
            cmd.pre_exec(hook);
        }
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `/run/netns/NAME`.
pub(crate) fn netns_path(name: &str) -> PathBuf {
    Path::new("/run/netns").join(name)
}

/// Runs `f` on a short-lived thread that has joined the network namespace `ns` (or on a thread in
/// the current namespace when `ns` is `None`), so sockets it opens live in that namespace.
pub fn in_netns<T, F>(ns: Option<&str>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let file = ns.map(Enter::netns).transpose()?;
    let handle = thread::Builder::new()
        .name("testkit-netns".into())
        .spawn(move || -> io::Result<T> {
            if let Some(file) = file {
                // SAFETY: setns on an open namespace fd; affects only this thread.
                check(unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) })?;
            }
            Ok(f())
        })
        .context("cannot spawn a thread")?;
    match handle.join() {
        Ok(r) => r.with_context(|| format!("cannot enter network namespace {ns:?}")),
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Every descendant of `root` (children, grandchildren, …; zombies included), not `root` itself.
pub fn descendants(root: u32) -> Vec<u32> {
    let table: Vec<(u32, u32)> = procfs::all().into_iter().map(|s| (s.pid, s.ppid)).collect();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in &table {
            if ppid == parent && pid != root && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// A process identity that survives pid reuse: the pid plus its start time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// The process id.
    pub pid: u32,
    /// Start time in clock ticks after boot (`/proc/PID/stat` field 22).
    pub start_time: u64,
}

impl ProcessId {
    /// The identity of a running (or zombie) process, `None` if it does not exist.
    pub fn of(pid: u32) -> Option<ProcessId> {
        Some(ProcessId {
            pid,
            start_time: procfs::stat(pid)?.start_time,
        })
    }

    /// True while this very process still exists, zombie or not.
    pub fn exists(&self) -> bool {
        procfs::stat(self.pid).is_some_and(|s| s.start_time == self.start_time)
    }

    /// True while this process exists and is a zombie.
    pub fn is_zombie(&self) -> bool {
        procfs::stat(self.pid).is_some_and(|s| s.start_time == self.start_time && s.state == 'Z')
    }
}

/// Sends `sig` to `pid`, ignoring errors (the process may be gone).
pub(crate) fn signal(pid: u32, sig: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a specific positive pid.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Kills `child` and everything below it, leaving no zombie behind: the descendants first (the
/// child, a subreaper that reaps, collects them), then the child itself, which is waited for.
pub(crate) fn kill_tree(child: &mut Child) {
    let root = child.id();
    if child.try_wait().ok().flatten().is_none() {
        // A stopped root cannot reap; wake the whole tree first.
        signal(root, libc::SIGCONT);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let below = descendants(root);
            if below.is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in below {
                signal(pid, libc::SIGCONT);
                signal(pid, libc::SIGKILL);
            }
            thread::sleep(Duration::from_millis(5));
        }
        signal(root, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// Sends `sig` to `root` and every descendant.
pub(crate) fn signal_tree(root: u32, sig: libc::c_int) {
    signal(root, sig);
    for pid in descendants(root) {
        signal(pid, sig);
    }
}

/// Polls `f` every few milliseconds until it returns `Some`, or gives up after `timeout`.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Waits up to `timeout` for `child` to exit: its status, or `None` while it still runs.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

/// True when `program` is found on `PATH` (or is an existing path).
pub fn have_program(program: impl AsRef<OsStr>) -> bool {
    let program = Path::new(program.as_ref());
    if program.components().count() > 1 {
        return program.exists();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// A child process a test started, killed (by its own pid, never by name) and reaped when
/// dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

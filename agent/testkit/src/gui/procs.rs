//! Finding, killing and reaping the processes one end-to-end desktop started, so that a test
//! leaves nothing behind — not even zombies.
//!
//! Everything the desktop starts (WebKitWebDriver, the app, WebKit's helper processes, the
//! local agent, the session daemons it detaches, their shells) inherits one environment
//! variable, [`MARK_VAR`], with a value unique to that desktop; [`marked`] finds them by it.
//!
//! The machine's PID 1 may not reap orphans, and the session daemons detach on purpose. So the
//! test process makes itself a *child subreaper* ([`become_subreaper`]): orphans from below it
//! become its children instead of PID 1's, and [`reap_orphans`] reaps them. It reaps only
//! zombies it can tell are orphans — pids it saw marked while they lived, or kinds of process
//! this test binary never starts itself ([`ORPHAN_KINDS`]) — and never a child that
//! `std::process` waits for elsewhere.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::{procfs, ProcessId};

/// The environment variable that tags every process of one desktop.
pub const MARK_VAR: &str = "OUTPOST_E2E_MARK";

/// Command names (`/proc/PID/comm`, 15 characters at most) of processes that only ever reach
/// this test process as orphans: WebKit's helpers, the agent, and its session daemons (named
/// `outpost-session`; `exe`, the name of `/proc/self/exe`, for a daemon that died before naming
/// itself).
pub const ORPHAN_KINDS: &[&str] = &[
    "WebKitWebProces",
    "WebKitNetworkPr",
    "WebKitGPUProces",
    "outpost-agent",
    "outpost-session",
    "exe",
];

/// Makes this (test) process a child subreaper, once.
pub fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: prctl(2) with integer arguments only.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(
            rc,
            0,
            "prctl(PR_SET_CHILD_SUBREAPER): {}",
            std::io::Error::last_os_error()
        );
    });
}

/// What `/proc/PID/stat` says about a process: (parent pid, state letter, command name).
pub fn stat(pid: u32) -> Option<(u32, char, String)> {
    procfs::stat(pid).map(|s| (s.ppid, s.state, s.comm))
}

/// Live processes whose environment holds `MARK_VAR=mark` (zombies have no environment left,
/// so callers remember what they saw).
pub fn marked(mark: &str) -> Vec<ProcessId> {
    procfs::pids()
        .into_iter()
        .filter(|pid| procfs::has_env(*pid, MARK_VAR, mark.as_bytes()))
        .filter_map(ProcessId::of)
        .collect()
}

/// Reaps `id` if it is a zombie child of this process; true when it is gone (reaped now, or
/// no longer there).
fn reap(id: &ProcessId) -> bool {
    if !id.exists() {
        return true;
    }
    let me = std::process::id();
    match stat(id.pid) {
        Some((ppid, 'Z', _)) if ppid == me => {
            let Ok(pid) = libc::pid_t::try_from(id.pid) else {
                return false;
            };
            let mut status = 0;
            // SAFETY: waitpid(2) on one specific pid that is our zombie child.
            unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            !id.exists()
        }
        _ => false,
    }
}

/// Reaps every zombie child of this process whose name is one of [`ORPHAN_KINDS`] (orphans
/// that died before anyone recorded them: e.g. WebKit's helpers when the app quits).
pub fn reap_orphans() {
    let me = std::process::id();
    for pid in procfs::pids() {
        if let Some((ppid, 'Z', comm)) = stat(pid) {
            if ppid == me && ORPHAN_KINDS.contains(&comm.as_str()) {
                if let Ok(pid) = libc::pid_t::try_from(pid) {
                    let mut status = 0;
                    // SAFETY: waitpid(2) on one specific pid that is our zombie child.
                    unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
                }
            }
        }
    }
}

/// Sends `sig` to one process.
pub fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a specific positive pid.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Kills every process tagged with `mark` except `spare` (pids a caller waits for itself), and
/// reaps those that end up as this process's zombies; `known` are processes seen tagged earlier
/// (which may have ended since). Returns what is still there after `timeout` as "pid (name)"
/// strings: empty when everything is gone.
pub fn kill_marked(
    mark: &str,
    known: &[ProcessId],
    spare: &[u32],
    timeout: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut seen: HashMap<u32, ProcessId> = known
        .iter()
        .filter(|id| !spare.contains(&id.pid))
        .map(|id| (id.pid, *id))
        .collect();
    loop {
        for id in marked(mark) {
            if !spare.contains(&id.pid) {
                seen.insert(id.pid, id);
            }
        }
        for id in seen.values() {
            signal(id.pid, libc::SIGKILL);
        }
        seen.retain(|_, id| !reap(id));
        reap_orphans();
        if seen.is_empty() || Instant::now() > deadline {
            return seen
                .values()
                .map(|id| {
                    let what = stat(id.pid)
                        .map(|(ppid, state, comm)| format!("{comm}, state {state}, parent {ppid}"))
                        .unwrap_or_default();
                    format!("{} ({what})", id.pid)
                })
                .collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until no process tagged with `mark` is named `comm` (e.g. the app after its window
/// closed); false on timeout.
pub fn wait_none_named(mark: &str, comm: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let left = marked(mark)
            .iter()
            .any(|id| stat(id.pid).is_some_and(|(_, state, c)| c == comm && state != 'Z'));
        if !left {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

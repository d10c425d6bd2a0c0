//! The soak's own processes: zombies, CPU time, and the child-subreaper setting that makes the
//! soak the parent of every daemon it causes (what it reads of other processes comes from
//! [`crate::procfs`]).
//!
//! Session daemons detach (fork, `setsid`) and their launcher exits, so they are re-parented to
//! the nearest *child subreaper* among their ancestors, or to PID 1. The soak makes itself a
//! subreaper ([`become_subreaper`]) and reaps what ends ([`reap_orphans`]), so an ended daemon
//! never lingers as a zombie of a PID 1 that does not reap, and a zombie left over is the soak's
//! own finding ([`zombie_children`]).

use anyhow::{bail, Result};

use crate::procfs;

/// Makes this process a child subreaper: orphans below it are re-parented to it.
pub fn become_subreaper() -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc != 0 {
        bail!(
            "prctl(PR_SET_CHILD_SUBREAPER): {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Children of this process that are zombies.
pub fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    procfs::all()
        .into_iter()
        .filter(|s| s.ppid == me && s.state == 'Z')
        .map(|s| s.pid)
        .collect()
}

/// Reaps every zombie child of this process except `keep` (children whose owners wait for them
/// themselves, such as the running agent's `std::process::Child`). Returns how many it reaped.
///
/// Only for a process in which nothing else waits for children it does not name in `keep`
/// (the soak's own program or test binary): a child reaped here is gone for its owner.
pub fn reap_orphans(keep: &[u32]) -> usize {
    let mut reaped = 0;
    for pid in zombie_children() {
        if keep.contains(&pid) {
            continue;
        }
        let Ok(raw) = libc::pid_t::try_from(pid) else {
            continue;
        };
        let mut status = 0;
        // SAFETY: waitpid on a specific pid that is our zombie child, without blocking.
        if unsafe { libc::waitpid(raw, &mut status, libc::WNOHANG) } == raw {
            reaped += 1;
        }
    }
    reaped
}

/// Sends SIGKILL to `pid`, ignoring errors (it may be gone).
pub fn kill9(pid: u32) {
    if let Ok(raw) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a specific positive pid.
        unsafe {
            libc::kill(raw, libc::SIGKILL);
        }
    }
}

/// CPU seconds used so far: (this process, its reaped children).
pub fn cpu_seconds() -> (f64, f64) {
    let Some(me) = procfs::stat_at("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    let hz = procfs::ticks_per_second();
    (
        me.cpu_ticks() as f64 / hz,
        me.children_cpu_ticks() as f64 / hz,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let (own, _) = cpu_seconds();
        assert!(own >= 0.0);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        crate::process::wait_for(std::time::Duration::from_secs(10), || {
            zombie_children().contains(&pid).then_some(())
        })
        .expect("`true` becomes a zombie child");
        assert!(child.wait().unwrap().success());
    }
}

//! What the soak reads from `/proc` and the kernel: resident memory and open descriptors of a
//! process, the processes that carry the soak's `$OUTPOST_HOME`, zombies, CPU time, and the
//! child-subreaper setting that makes the soak the parent of every daemon it causes.
//!
//! Session daemons detach (fork, `setsid`) and their launcher exits, so they are re-parented to
//! the nearest *child subreaper* among their ancestors, or to PID 1. The soak makes itself a
//! subreaper ([`become_subreaper`]) and reaps what ends ([`reap_orphans`]), so an ended daemon
//! never lingers as a zombie of a PID 1 that does not reap, and a zombie left over is the soak's
//! own finding ([`zombie_children`]).

use std::path::Path;

use anyhow::{bail, Result};

use crate::process::all_pids;

/// State letter and parent of a process (`/proc/PID/stat`), `None` when it is gone.
fn state_and_parent(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself contain spaces or parentheses.
    let mut rest = text[text.rfind(')')? + 2..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Resident memory of `pid` in KiB (`VmRSS`), `None` when it is gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// How many descriptors `pid` has open, `None` when it is gone (or not readable).
pub fn fd_count(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

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
    all_pids()
        .into_iter()
        .filter(|&p| state_and_parent(p).is_some_and(|(s, pp)| pp == me && s == 'Z'))
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

/// Every live (non-zombie) process whose environment holds `OUTPOST_HOME=home`.
pub fn processes_of_home(home: &Path) -> Vec<u32> {
    let mut entry = b"OUTPOST_HOME=".to_vec();
    entry.extend_from_slice(home.as_os_str().as_encoded_bytes());
    let me = std::process::id();
    all_pids()
        .into_iter()
        .filter(|&p| p != me)
        .filter(|&p| state_and_parent(p).is_some_and(|(s, _)| s != 'Z'))
        .filter(|&p| {
            std::fs::read(format!("/proc/{p}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == entry))
        })
        .collect()
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
    let Ok(text) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    let Some(close) = text.rfind(')') else {
        return (0.0, 0.0);
    };
    // Fields 14–17 (utime, stime, cutime, cstime), counted from the state field (3).
    let f: Vec<f64> = text[close + 2..]
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // SAFETY: sysconf with a constant name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    if f.len() < 4 || hz <= 0.0 {
        return (0.0, 0.0);
    }
    ((f[0] + f[1]) / hz, (f[2] + f[3]) / hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(rss_kib(me).is_some_and(|k| k > 0));
        assert!(fd_count(me).is_some_and(|n| n >= 3));
        assert_eq!(rss_kib(u32::MAX), None);
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

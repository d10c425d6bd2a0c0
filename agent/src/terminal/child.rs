//! The session's current child process, and the one rule for signalling it: nothing is sent
//! once its exit has been collected, because its pid (and its process group's id) may by then
//! name another process.
//!
//! The waiter waits with `WNOWAIT`, so the exited child stays a zombie and keeps its pid, then
//! reaps it under the lock every signal takes: a signal either reaches the child (or a group)
//! while the child's pid is still its own, or it is not sent. Signals to the child itself go
//! through a pidfd where the kernel has them (Linux 5.3 and later), which can never reach
//! another process.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Mutex, MutexGuard};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::daemon::frames::ExitInfo;

/// A child process of this daemon.
pub struct ChildProcess {
    inner: Mutex<Inner>,
}

struct Inner {
    pid: i32,
    pidfd: Option<OwnedFd>,
    reaped: bool,
}

/// A child known to be unreaped, for as long as this lives (it holds the lock).
pub struct Live<'a>(MutexGuard<'a, Inner>);

impl Live<'_> {
    /// The child's pid.
    pub fn pid(&self) -> i32 {
        self.0.pid
    }

    /// Signals the child itself: through its pidfd if there is one, else by pid.
    pub fn signal_child(&self, sig: Signal) -> Result<(), Errno> {
        match &self.0.pidfd {
            Some(fd) => pidfd_send_signal(fd, sig),
            None => kill(Pid::from_raw(self.0.pid), sig),
        }
    }

    /// Signals a process group. The child's own group (its pid: it leads a session) cannot be
    /// reused while the unreaped child holds it; another group is the terminal's foreground
    /// group, read while the child still holds the terminal.
    pub fn signal_group(&self, pgid: i32, sig: Signal) -> Result<(), Errno> {
        if pgid <= 1 {
            return Err(Errno::EINVAL);
        }
        kill(Pid::from_raw(-pgid), sig)
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `pidfd_open(2)`; `None` where the kernel lacks it.
fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: a plain system call with integer arguments; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `pidfd_send_signal(2)`.
fn pidfd_send_signal(fd: &OwnedFd, sig: Signal) -> Result<(), Errno> {
    // SAFETY: `fd` is a live pidfd; a null siginfo and zero flags are documented as valid.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig as libc::c_int,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

impl ChildProcess {
    /// A freshly spawned (unreaped) child.
    pub fn new(pid: u32) -> ChildProcess {
        ChildProcess {
            inner: Mutex::new(Inner::started(pid)),
        }
    }

    /// Follows a new child (`ssh` started again) once the previous one was reaped.
    pub fn replace(&self, pid: u32) {
        *lock(&self.inner) = Inner::started(pid);
    }

    /// The child, if it has not been reaped: signals sent through it reach only the child and
    /// its groups. `None` once its exit is recorded.
    pub fn live(&self) -> Option<Live<'_>> {
        let inner = lock(&self.inner);
        (!inner.reaped).then_some(Live(inner))
    }

    /// Waits for the child to exit and reaps it (the waiter thread's job, and no one else's).
    pub fn wait(&self) -> ExitInfo {
        let pid = Pid::from_raw(lock(&self.inner).pid);
        // First without reaping: the zombie keeps the pid from being reused while signals may
        // still be in flight.
        loop {
            match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
                Ok(_) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!("waitid failed: {e}");
                    break;
                }
            }
        }
        let mut inner = lock(&self.inner);
        let exit = loop {
            match waitpid(pid, None) {
                Ok(WaitStatus::Exited(_, code)) => {
                    break ExitInfo {
                        exit_code: Some(code),
                        signal: None,
                    }
                }
                Ok(WaitStatus::Signaled(_, sig, _)) => {
                    break ExitInfo {
                        exit_code: None,
                        signal: Some(sig.as_str().trim_start_matches("SIG").to_string()),
                    }
                }
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!("waitpid failed: {e}");
                    break ExitInfo::default();
                }
            }
        };
        inner.reaped = true;
        inner.pidfd = None;
        exit
    }
}

impl Inner {
    fn started(pid: u32) -> Inner {
        let pid = pid as i32;
        Inner {
            pid,
            pidfd: pidfd_open(pid),
            reaped: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_sent_once_reaped() {
        let c = std::process::Command::new("sleep").arg("60").spawn();
        let mut c = c.unwrap_or_else(|e| panic!("spawn: {e}"));
        let child = ChildProcess::new(c.id());
        let live = child.live().map(|l| l.signal_child(Signal::SIGKILL));
        assert_eq!(live, Some(Ok(())), "a live child is signalled");
        let exit = child.wait();
        assert_eq!(exit.signal.as_deref(), Some("KILL"));
        assert!(child.live().is_none(), "a reaped child cannot be signalled");
        // Already reaped by `wait`: std finds no child.
        assert!(c.try_wait().is_err());
    }
}

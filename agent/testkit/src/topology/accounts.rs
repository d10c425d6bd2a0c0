//! Deleting a local test user: its processes first, then the account, its group and its home
//! (under the kit's global lock, since `useradd`/`userdel` are not safe to run concurrently).

use std::process::Command;
use std::time::Duration;

use super::global::GlobalLock;
use crate::process::{self, run};
use crate::procfs;

/// Live (non-zombie) processes whose real uid is `uid`.
fn live_processes_of(uid: u32) -> Vec<u32> {
    procfs::pids()
        .into_iter()
        .filter(|&pid| procfs::status(pid).is_some_and(|s| s.state != 'Z' && s.real_uid == uid))
        .collect()
}

/// Kills every process of `name`, then deletes the user, its group and its home. Errors are
/// reported on standard error, never raised (this runs in destructors).
pub(crate) fn remove_user(name: &str) {
    let uid = nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw());
    if let Some(uid) = uid {
        let gone = process::wait_for(Duration::from_secs(10), || {
            let _ = Command::new("pkill").args(["-KILL", "-u", name]).status();
            live_processes_of(uid).is_empty().then_some(())
        });
        if gone.is_none() {
            crate::note(&format!(
                "processes of {name} survived SIGKILL: {:?}",
                live_processes_of(uid)
            ));
        }
    }
    let Ok(_lock) = GlobalLock::acquire() else {
        return;
    };
    if let Err(e) = run(Command::new("userdel").args(["-r", name])) {
        // `-f` removes the user even while a process still runs as it.
        if let Err(e2) = run(Command::new("userdel").args(["-r", "-f", name])) {
            crate::note(&format!("cannot remove test user {name}: {e:#}; {e2:#}"));
        }
    }
}

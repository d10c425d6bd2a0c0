//! Removes what killed test processes left behind, once per process, before the kit makes
//! anything: network namespaces (with the processes in them), root-namespace veths, `sshd`s and
//! temporary directories, and test users. Each object's name carries the pid of the process that
//! made it (see [`unique_id`](super::global::unique_id)); what belongs to a dead pid goes.

use std::process::Command;
use std::sync::Once;

use anyhow::Result;

use super::accounts;
use super::global::{GlobalLock, GECOS_MARK, TEMP_PREFIX};
use super::netns;
use crate::process::{self, run};
use crate::procfs;

/// Whether a process with this pid exists (a zombie included).
fn pid_alive(pid: u32) -> bool {
    procfs::stat(pid).is_some()
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
            if dead(&name, netns::JUMP_PREFIX) || dead(&name, netns::TARGET_PREFIX) {
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
            if dead(&name, netns::ROOT_VETH_PREFIX) {
                crate::note(&format!("removing stale link {name}"));
                let _ = run(Command::new("ip").args(["link", "del", &name]));
            }
        }
    }
    // `sshd`s (and anything else) started from a dead process's temporary directory.
    let tmp = std::env::temp_dir();
    for pid in procfs::pids() {
        let Some(cmdline) = procfs::cmdline(pid) else {
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
            accounts::remove_user(name);
        }
    }
    Ok(())
}

//! Helpers of the fault suite (`tests/faults.rs`): memory readings ([`memory`]), a
//! test-mounted `tmpfs` ([`mount`]), the
//! figures each scenario reports ([`report`]), and small tools shared by the scenarios (one
//! scenario at a time, numbered output, the processes of a session).

pub mod memory;
pub mod mount;
pub mod report;

use std::collections::BTreeSet;
use std::fs;
use std::sync::{Mutex, MutexGuard};

use outpost_protocol::session::MAX_READ_BYTES;
use outpost_testkit::fixture::{Agent, Home};
use outpost_testkit::procfs;

/// Scenarios measure time and memory: they run one at a time even when the harness runs tests
/// in parallel, so no scenario's flood skews another's figures.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The numbers of every whole terminal line of `data` that is a decimal number (what `seq`
/// prints), in order.
pub fn numbers(data: &[u8]) -> Vec<u64> {
    data.split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.is_empty() && l.len() < 20 && l.iter().all(u8::is_ascii_digit))
        .filter_map(|l| std::str::from_utf8(l).ok()?.parse().ok())
        .collect()
}

/// The numbers of every whole line `<prefix><n>` of `data`, in order.
pub fn numbered(data: &[u8], prefix: &[u8]) -> Vec<u64> {
    data.split(|&b| b == b'\n' || b == b'\r')
        .filter_map(|l| {
            let n = l.strip_prefix(prefix)?;
            if n.is_empty() || n.len() >= 20 || !n.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(n).ok()?.parse().ok()
        })
        .collect()
}

/// Checks that `nums` counts up by one from `first`; describes the first break otherwise.
pub fn check_consecutive(nums: &[u64], first: u64) -> Result<(), String> {
    if nums.first() != Some(&first) {
        return Err(format!("starts at {:?}, expected {first}", nums.first()));
    }
    match nums.windows(2).position(|w| w[1] != w[0] + 1) {
        None => Ok(()),
        Some(i) => Err(format!(
            "line {} follows line {} (position {i} of {})",
            nums[i + 1],
            nums[i],
            nums.len()
        )),
    }
}

/// The ids of the sessions whose processes (shells and their children) still run: every live
/// process whose environment carries `OUTPOST_SESSION_ID` and this home's `OUTPOST_HOME`.
pub fn sessions_with_processes(home: &Home) -> BTreeSet<String> {
    let mut want_home = b"OUTPOST_HOME=".to_vec();
    want_home.extend_from_slice(home.path().as_os_str().as_encoded_bytes());
    let mut out = BTreeSet::new();
    for p in procfs::all() {
        if p.state == 'Z' {
            continue;
        }
        let Some(env) = procfs::environ(p.pid) else {
            continue;
        };
        let mut ours = false;
        let mut sid = None;
        for e in &env {
            if *e == want_home {
                ours = true;
            } else if let Some(s) = e.strip_prefix(b"OUTPOST_SESSION_ID=") {
                sid = Some(String::from_utf8_lossy(s).into_owned());
            }
        }
        if let (true, Some(sid)) = (ours, sid) {
            out.insert(sid);
        }
    }
    out
}

/// The names of the entries of `dir` (empty if it cannot be read).
pub fn entries(dir: &std::path::Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A session's daemon pid, from its record.
pub fn daemon_pid(home: &Home, sid: &str) -> u32 {
    let rec = home
        .record(sid)
        .unwrap_or_else(|| panic!("no record of {sid}"));
    rec["daemon_pid"].as_u64().expect("daemon_pid") as u32
}

/// The largest `max_bytes` the scenarios pass to `session.read`. The protocol allows 1 MiB, but
/// the daemon's reply carries the bytes as base64 JSON in one frame of at most 1 MiB + 64
/// bytes, so a full 1 MiB read of a session holding that much fails today; reading in pieces
/// whose base64 fits a frame avoids that (the fault suite's report names it).
pub const READ_PIECE: u64 = MAX_READ_BYTES / 2;

/// Every byte a session holds, read with `session.read` in [`READ_PIECE`]s: `(offset of the first
/// byte, bytes)`.
pub fn read_held(a: &Agent, sid: &str) -> (u64, Vec<u8>) {
    a.read_all_in(sid, READ_PIECE)
}

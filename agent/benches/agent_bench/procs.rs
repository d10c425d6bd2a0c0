//! What the bench reads of its processes (through `outpost_testkit::procfs`): CPU seconds, the
//! session daemon behind a session, private and proportional memory; and the teardown of the
//! session daemons under an `OUTPOST_HOME`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use outpost_testkit::procfs;
use serde_json::Value;

/// CPU seconds (user + system) of a process itself and of its waited-for children.
pub fn cpu_seconds(pid: u32) -> Result<(f64, f64)> {
    let s = procfs::stat(pid).ok_or_else(|| anyhow!("reading /proc/{pid}/stat"))?;
    let hz = procfs::ticks_per_second();
    Ok((
        s.cpu_ticks() as f64 / hz,
        s.children_cpu_ticks() as f64 / hz,
    ))
}

/// `after - before` of two [`cpu_seconds`] readings.
pub fn cpu_delta(before: (f64, f64), after: (f64, f64)) -> (f64, f64) {
    (after.0 - before.0, after.1 - before.1)
}

/// The parent of `pid`: the session daemon of a session's process.
pub fn parent_pid(pid: u32) -> Result<u32> {
    procfs::stat(pid)
        .map(|s| s.ppid)
        .ok_or_else(|| anyhow!("reading /proc/{pid}/stat"))
}

/// Private_Clean + Private_Dirty of a process, in KiB.
pub fn private_kib(pid: u32) -> Result<u64> {
    procfs::smaps_rollup(pid)
        .map(|r| r.private_kib())
        .ok_or_else(|| anyhow!("reading /proc/{pid}/smaps_rollup"))
}

/// The average Pss (shared pages split between their users) of `pids`, in KiB.
pub fn avg_pss(pids: &[u32]) -> Option<f64> {
    let mut sum = 0;
    for &p in pids {
        sum += procfs::smaps_rollup(p)?.pss_kib;
    }
    Some(sum as f64 / pids.len().max(1) as f64)
}

/// Ends every session daemon recorded under `home` (and its child), the way a crash would.
pub fn kill_outpost_daemons(home: &Path) {
    let Ok(dir) = std::fs::read_dir(home.join("state/sessions")) else {
        return;
    };
    let mut pids = Vec::new();
    for e in dir.flatten() {
        let Ok(text) = std::fs::read(e.path()) else {
            continue;
        };
        let Ok(v) = serde_json::from_slice::<Value>(&text) else {
            continue;
        };
        for key in ["daemon_pid", "child_pid"] {
            if let Some(p) = v.get(key).and_then(Value::as_i64) {
                pids.push((key, p as i32));
            }
        }
    }
    for &(key, p) in &pids {
        if key == "daemon_pid" {
            // A daemon ends its child and removes its files on SIGTERM.
            let _ = kill(Pid::from_raw(p), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && pids.iter().any(|&(_, p)| procfs::alive(p as u32)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for &(_, p) in &pids {
        let _ = kill(Pid::from_raw(-p), Signal::SIGKILL);
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

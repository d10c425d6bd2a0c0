//! What the bench reads of its processes (through `outpost_testkit::procfs`): CPU seconds, the
//! session daemon behind a session, private and proportional memory, and where a daemon's private
//! memory lies (its `/proc/PID/smaps`, by kind of mapping); and the teardown of the session
//! daemons under an `OUTPOST_HOME`.

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

/// A process's private memory (Private_Clean + Private_Dirty, KiB) by kind of mapping.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrivateParts {
    /// The program's pages of its own (anonymous: copied on write): relocated read-only data
    /// (RELRO), `.data`, `.bss`.
    pub binary_data: u64,
    /// The program file's pages that no other process maps (code and read-only data; a file
    /// just copied also has its page-cache pages dirty until written back).
    pub binary_code: u64,
    /// The `brk` heap (glibc's main arena).
    pub heap: u64,
    /// Thread stacks (anonymous maps right above a guard page).
    pub thread_stacks: u64,
    /// The main thread's stack.
    pub main_stack: u64,
    /// Shared libraries' relocated and writable pages (libc, ld.so, ...).
    pub libraries: u64,
    /// Other anonymous maps (large allocations, other arenas, TLS).
    pub anonymous: u64,
}

impl std::fmt::Display for PrivateParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "binary's own pages (RELRO, data) {} + binary file pages {} + heap {} + thread \
             stacks {} + main stack {} + libraries {} + other anonymous {} KiB",
            self.binary_data,
            self.binary_code,
            self.heap,
            self.thread_stacks,
            self.main_stack,
            self.libraries,
            self.anonymous
        )
    }
}

/// What a mapping of `/proc/PID/smaps` is, for [`private_parts`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Binary,
    Heap,
    ThreadStack,
    MainStack,
    Library,
    Anonymous,
}

/// Where a process's private memory lies, from `/proc/PID/smaps`.
pub fn private_parts(pid: u32) -> Result<PrivateParts> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps"))
        .map_err(|e| anyhow!("reading /proc/{pid}/smaps: {e}"))?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map_err(|e| anyhow!("reading /proc/{pid}/exe: {e}"))?;
    let exe = exe.to_string_lossy();
    let mut parts = PrivateParts::default();
    let mut kind = Kind::Anonymous;
    // Where the previous mapping ended and whether it was a guard page (no access): glibc puts
    // one right below each thread stack.
    let (mut prev_end, mut prev_guard) = (0u64, false);
    // The binary's private pages, and those of them that are its own copies.
    let (mut binary_private, mut binary_own) = (0u64, 0u64);
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let range = first.split_once('-').and_then(|(a, b)| {
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            ))
        });
        if let Some((start, end)) = range {
            let perms = words.next().unwrap_or("");
            let name = words.nth(3).unwrap_or("");
            let above_guard = prev_guard && prev_end == start;
            (prev_end, prev_guard) = (end, perms.starts_with("---"));
            kind = match name {
                n if n == exe.as_ref() => Kind::Binary,
                "[heap]" => Kind::Heap,
                "[stack]" => Kind::MainStack,
                n if n.starts_with('/') => Kind::Library,
                _ if above_guard => Kind::ThreadStack,
                _ => Kind::Anonymous,
            };
            continue;
        }
        if kind == Kind::Binary && first == "Anonymous:" {
            binary_own += words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            continue;
        }
        if first != "Private_Clean:" && first != "Private_Dirty:" {
            continue;
        }
        let kib: u64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        *match kind {
            Kind::Binary => &mut binary_private,
            Kind::Heap => &mut parts.heap,
            Kind::ThreadStack => &mut parts.thread_stacks,
            Kind::MainStack => &mut parts.main_stack,
            Kind::Library => &mut parts.libraries,
            Kind::Anonymous => &mut parts.anonymous,
        } += kib;
    }
    // Pages written after loading (relocations, data) are anonymous copies of the file's.
    parts.binary_data = binary_own.min(binary_private);
    parts.binary_code = binary_private - parts.binary_data;
    Ok(parts)
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

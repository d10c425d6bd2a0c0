//! One measurement window: the agent's CPU (and its probes', and the target side's) over a
//! number of seconds, also read in parts of about 10 s.

use std::time::{Duration, Instant};

use outpost_testkit::procfs;

use outpost_testkit::fixture::monitor::JumpAgent;

/// `(utime + stime, cutime + cstime)` of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<(u64, u64)> {
    procfs::stat(pid).map(|s| (s.cpu_ticks(), s.children_cpu_ticks()))
}

/// Own plus reaped children's CPU ticks of every descendant of `root`.
fn tree_ticks(root: u32) -> u64 {
    outpost_testkit::process::descendants(root)
        .into_iter()
        .filter_map(cpu_ticks)
        .map(|(own, children)| own + children)
        .sum()
}

/// The target sshd's connection processes (its descendants): own CPU plus reaped children's.
fn target_side_ticks(ja: &JumpAgent) -> u64 {
    ja.topo.target().pid().map_or(0, tree_ticks)
}

/// What one window measured, in CPU seconds.
pub struct Window {
    pub wall: f64,
    pub agent: f64,
    pub probes: f64,
    pub target: f64,
    /// The agent's CPU in each part of the window, % of one core.
    pub parts: Vec<f64>,
}

impl Window {
    /// `cpu_s` as % of one core over the window.
    pub fn pct(&self, cpu_s: f64) -> f64 {
        cpu_s / self.wall * 100.0
    }
}

/// How many parts a window of `secs` is read in: about 10 s each, at least two.
fn parts_of(secs: u64) -> u64 {
    (secs / 10).max(2)
}

/// Measures the agent (and its reaped children, and the target side) over `secs` seconds, the
/// agent also in [`parts_of`] equal parts.
pub fn measure(ja: &JumpAgent, secs: u64) -> Window {
    let tck = procfs::ticks_per_second();
    let pid = ja.agent.pid();
    let (a0, c0) = cpu_ticks(pid).expect("reading the agent's /proc/PID/stat");
    // The agent's live children: the probes' long-lived `ssh` mux clients.
    let l0 = tree_ticks(pid);
    let t0 = target_side_ticks(ja);
    let start = Instant::now();
    let n = parts_of(secs);
    let mut parts = Vec::new();
    let (mut last_at, mut last) = (start, a0);
    for k in 1..=n {
        // A measurement window, not a synchronisation: the agent works on its own meanwhile.
        let until = start + Duration::from_secs(secs).mul_f64(k as f64 / n as f64);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        let now = Instant::now();
        let (a, _) = cpu_ticks(pid).expect("the agent is gone");
        parts.push((a - last) as f64 / tck / (now - last_at).as_secs_f64() * 100.0);
        (last_at, last) = (now, a);
    }
    let wall = start.elapsed().as_secs_f64();
    let (a1, c1) = cpu_ticks(pid).expect("the agent is gone");
    let l1 = tree_ticks(pid);
    let t1 = target_side_ticks(ja);
    Window {
        wall,
        agent: (a1 - a0) as f64 / tck,
        // Reaped probe clients plus the long-lived ones still running.
        probes: ((c1 - c0) + l1.saturating_sub(l0)) as f64 / tck,
        // Connection processes may end within the window; the figure can only undercount.
        target: t1.saturating_sub(t0) as f64 / tck,
        parts,
    }
}

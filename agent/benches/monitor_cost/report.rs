//! `monitor_cost`'s generated section of `docs/benchmarks.md` (the set-up and the method are
//! prose in the document, above it).

use std::fmt::Write as _;

use outpost_testkit::bench::doc::verdict;
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::procfs;
use outpost_testkit::summary::Stats;

use crate::window::Window;
use crate::TARGET_PERCENT;

/// What the section shows.
pub struct Rendered<'a> {
    pub command: String,
    pub info: &'a RunInfo,
    pub kind: &'a str,
    pub w: &'a Window,
    pub idle: &'a Window,
    pub delivered: usize,
    pub errors: usize,
    pub per_sample_ms: f64,
    pub pass: bool,
    pub total_s: f64,
}

/// The generated section.
pub fn render(r: &Rendered<'_>) -> String {
    let w = r.w;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "- Command: `{}` (window {:.0} s after a warm-up; idle baseline {:.0} s; the whole run took {:.0} s).",
        r.command, w.wall, r.idle.wall, r.total_s
    );
    let _ = writeln!(s, "{}", r.info.machine_line());
    let _ = writeln!(
        s,
        "- Code: git {}, release profile. Topology: {}.",
        r.info.revision, r.kind
    );
    let part = w.wall / w.parts.len().max(1) as f64;
    let tck = procfs::ticks_per_second();
    let _ = writeln!(
        s,
        "- The window was read in {} equal parts of {part:.0} s (a clock tick of {:.0} ms is {:.2}% of a part).",
        w.parts.len(),
        1000.0 / tck,
        100.0 / tck / part
    );
    let _ = writeln!(s);
    let spread = |parts: &[f64]| match Stats::of(parts) {
        Some(p) => format!("{:.3} ({:.3}–{:.3})", p.median, p.min, p.max),
        None => "—".into(),
    };
    let _ = writeln!(
        s,
        "| what | CPU s | % of one core, whole window | % of one core per part: median (min–max) | target | result |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    let _ = writeln!(
        s,
        "| agent process, sampling two targets every second | {:.2} | {:.3} | {} | < {TARGET_PERCENT}% (median) | {} |",
        w.agent,
        w.pct(w.agent),
        spread(&w.parts),
        verdict(r.pass)
    );
    let _ = writeln!(
        s,
        "| probe `ssh` clients (the agent's children, live and reaped) | {:.2} | {:.3} | — | — | — |",
        w.probes,
        w.pct(w.probes)
    );
    let _ = writeln!(
        s,
        "| agent + probe clients | {:.2} | {:.3} | — | — | — |",
        w.agent + w.probes,
        w.pct(w.agent + w.probes)
    );
    let _ = writeln!(
        s,
        "| target side: `sshd` connections + probe scripts | {:.2} | {:.3} | — | — | — |",
        w.target,
        w.pct(w.target)
    );
    let _ = writeln!(
        s,
        "| idle baseline: same agent and sessions, no subscription | {:.2} | {:.3} | {} | — | — |",
        r.idle.agent,
        r.idle.pct(r.idle.agent),
        spread(&r.idle.parts)
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Samples delivered in the window: {} (expected ≈ {:.0}), {} with `error`; agent CPU per sample {:.2} ms.",
        r.delivered,
        2.0 * w.wall,
        r.errors,
        r.per_sample_ms
    );
    s
}

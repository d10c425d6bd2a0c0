//! The soak's report as a Markdown section (for `docs/reliability.md`) and as a few lines of
//! text.

use std::fmt::Write as _;

use super::{SoakReport, SECTION_BEGIN, SECTION_END};

/// Megabytes, for the tables.
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The section; `command` (Markdown) says how it was produced.
pub(crate) fn render(r: &SoakReport, command: &str) -> String {
    let c = &r.counters;
    let o = &r.options;
    let wall = r.elapsed.as_secs_f64();
    let mut s = String::new();
    let _ = writeln!(s, "{SECTION_BEGIN}");
    let secs = o.duration.as_secs();
    let length = if secs >= 120 && secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    };
    let _ = writeln!(
        s,
        "## Soak: random sessions on the real agent for {length}\n"
    );
    let _ = writeln!(
        s,
        "{command}, seed **{}**, {:.0} s in all ({} s of random actions, warm-up included, then closing everything and the final checks). \
         Machine: {} ({} cores), load {} before, {} after.\n",
        o.seed,
        wall,
        o.duration.as_secs(),
        crate::report::cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        r.load.0,
        r.load.1
    );
    let _ = writeln!(
        s,
        "**Verdict: {}** ({} failure{}).\n",
        if r.passed() { "pass" } else { "FAIL" },
        r.failure_count,
        if r.failure_count == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        s,
        "The release agent runs over pipes with a private `$OUTPOST_HOME`. Up to {} sessions \
         are alive at once ({} of them, the anchors, from start to end); each prints numbered \
         lines on request, so every byte received, replayed or read is compared with the exact \
         output expected at its offset. Actions come every {}–{} ms; the agent is killed with \
         SIGKILL every {}–{} s and a new one resumes every attachment from its last offset. \
         Memory and descriptors are sampled every {:.1} s.\n",
        o.max_sessions,
        o.anchors,
        o.pause_ms.0,
        o.pause_ms.1,
        o.agent_life.0.as_secs(),
        o.agent_life.1.as_secs(),
        o.sample_every.as_secs_f64()
    );
    let _ = writeln!(s, "| what | figure |\n|---|---|");
    let rows = [
        (
            "sessions created / closed (made to exit first)",
            format!("{} / {} ({})", c.created, c.closed, c.exited),
        ),
        ("most alive at once", c.max_alive.to_string()),
        (
            "bursts / lines asked for",
            format!("{} / {}", c.bursts, c.lines),
        ),
        (
            "bytes checked: received first time / replayed / read",
            format!(
                "{} / {} / {}",
                mb(c.bytes_new),
                mb(c.bytes_replayed),
                mb(c.read_bytes)
            ),
        ),
        (
            "bytes lost or duplicated where the ring held them",
            "0 (any would be a failure)".to_string(),
        ),
        (
            "bytes gone before a reattach (ring overwritten while detached) / skipped (slow client)",
            format!("{} / {}", c.bytes_lost_truncated, c.bytes_lost_skipped),
        ),
        (
            "attaches / of them replays from an earlier offset / truncated / detaches",
            format!(
                "{} / {} / {} / {}",
                c.attaches, c.replays, c.truncated_attaches, c.detaches
            ),
        ),
        (
            "agent kill -9 / agents started / attachments resumed by a new agent",
            format!(
                "{} / {} / {}",
                c.agent_kills, c.agent_starts, c.resumed_after_kill
            ),
        ),
        (
            "`session.read` checks / `session.resize` / `session.list` comparisons / directory checks",
            format!(
                "{} / {} / {} / {}",
                c.reads, c.resizes, c.list_checks, c.dir_checks
            ),
        ),
        ("output notifications", c.notifications.to_string()),
        (
            "orphans the soak reaped (ended daemons, launchers)",
            c.reaped.to_string(),
        ),
        (
            "left at the end: processes with the soak's home / processes of the run (zombies included) / zombie children / files in run/ and state/",
            format!(
                "{} / {} / {} / {}",
                r.leaks.home_processes, r.leaks.run_processes, r.leaks.zombies, r.leaks.files
            ),
        ),
        (
            "CPU: soak process / agents, daemons and programs (reaped)",
            format!(
                "{:.1} s ({:.1}% of one core) / {:.1} s ({:.1}%)",
                r.cpu_self_s,
                100.0 * r.cpu_self_s / wall,
                r.cpu_reaped_s,
                100.0 * r.cpu_reaped_s / wall
            ),
        ),
    ];
    for (what, figure) in rows {
        let _ = writeln!(s, "| {what} | {figure} |");
    }
    let _ = writeln!(
        s,
        "\nMemory and descriptors (first vs last 10% of the samples; the agent's series spans \
         every agent of the run, one after the other):\n"
    );
    let _ = writeln!(
        s,
        "| series | samples | first 10% | last 10% | max | slope per hour |\n|---|---|---|---|---|---|"
    );
    for series in &r.series {
        if let Some(t) = series.trend() {
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.0} | {:.0} | {:+.1} |",
                series.name, t.n, t.first, t.last, t.max, t.slope_per_hour
            );
        }
    }
    if !r.failures.is_empty() {
        let _ = writeln!(s, "\nFailures (first {}):\n", r.failures.len());
        for f in &r.failures {
            let _ = writeln!(s, "- {}", f.replace('\n', " "));
        }
    }
    let _ = writeln!(s, "\n{SECTION_END}");
    s
}

/// A short summary for a terminal.
pub(crate) fn text(r: &SoakReport) -> String {
    let c = &r.counters;
    let mut s = format!(
        "soak {} (seed {}, {:.0} s): {} sessions created, {} closed, {} bursts, {} new + {} replayed + {} read bytes checked, {} agent kills, {} truncated attaches, {} bytes skipped, {} reaped; left: {:?}; CPU soak {:.1} s, reaped {:.1} s",
        if r.passed() { "passed" } else { "FAILED" },
        r.options.seed,
        r.elapsed.as_secs_f64(),
        c.created,
        c.closed,
        c.bursts,
        c.bytes_new,
        c.bytes_replayed,
        c.read_bytes,
        c.agent_kills,
        c.truncated_attaches,
        c.bytes_lost_skipped,
        c.reaped,
        r.leaks,
        r.cpu_self_s,
        r.cpu_reaped_s
    );
    for series in &r.series {
        if let Some(t) = series.trend() {
            let _ = write!(
                s,
                "\n  {}: first {:.0}, last {:.0}, max {:.0}, slope {:+.1}/h ({} samples)",
                series.name, t.first, t.last, t.max, t.slope_per_hour, t.n
            );
        }
    }
    for f in &r.failures {
        let _ = write!(s, "\n  FAILURE: {f}");
    }
    s
}

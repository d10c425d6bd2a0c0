//! `monitor_cost`: what monitoring costs the agent (issue 4 §7: under 1% of one core while
//! sampling two targets every second). A measurement, not a timed test.
//!
//! ```text
//! cargo bench -p outpost-agent --bench monitor_cost               # 60 s window, updates docs/benchmarks.md
//! cargo bench -p outpost-agent --bench monitor_cost -- --secs 20  # shorter window
//! cargo bench -p outpost-agent --bench monitor_cost -- --no-doc   # print only
//! cargo bench -p outpost-agent --bench monitor_cost -- --quick    # smoke: 10 s window, print only
//! ```
//!
//! Set-up: the `outpost-testkit` jump/target topology (netns where the machine allows it), the
//! release agent running as a throwaway user on the jump host, two `ssh` sessions from it to the
//! target, and two subscriptions at 1000 ms (one per session, so two samplers, two probes a
//! second). After a warm-up, the agent's `utime + stime` (from `/proc/PID/stat`) is read before
//! and after the window; the probe's `ssh` clients are the agent's only children during the
//! window, so its `cutime + cstime` (reaped children) is their CPU. The target side (the `sshd`
//! processes of the two connections and the probe scripts they run and reap) is reported too. An
//! idle baseline (same agent, same sessions, no subscription) comes first. The window is read in
//! parts of about 10 s as well (at least two), which gives the figure's median and spread; the
//! verdict compares that median with the target.
//!
//! Every run also saves its figures as `monitor_cost.json` in the results directory
//! (`target/bench-results`, see `outpost_testkit::summary`) for the summary of `make bench`.
//!
//! Needs root (users, namespaces, sshd). Everything is removed at the end (also on panic). Under
//! `cargo test --benches` (no `--bench` argument) it does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/monitor_support/mod.rs"]
mod monitor_support;
#[path = "../tests/support/mod.rs"]
mod support;

use outpost_testkit::report::{cpu_model, loadavg, write_section};
use outpost_testkit::summary::{BenchResults, Measure, Stats};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use monitor_support::{is_error, samples_of, session_target, subscribe, wait_samples, JumpAgent};

const START: &str = "<!-- monitor-cost:start -->";
const END: &str = "<!-- monitor-cost:end -->";

/// Target of issue 4 §7, in percent of one core.
const TARGET_PERCENT: f64 = 1.0;

struct Options {
    secs: u64,
    idle_secs: u64,
    doc: bool,
    quick: bool,
    /// The arguments as given (for the command line in the report).
    args: Vec<String>,
}

fn options() -> Option<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench" || a == "--run") {
        return None;
    }
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var("OUTPOST_BENCH_QUICK").is_ok_and(|v| v == "1");
    Some(Options {
        secs: value("--secs")
            .or_else(|| env("OUTPOST_BENCH_MONITOR_SECS"))
            .unwrap_or(if quick { 10 } else { 60 })
            .max(5),
        idle_secs: value("--idle-secs").unwrap_or(if quick { 4 } else { 15 }),
        // A quick run is a smoke test: its figures never replace the document's.
        doc: !quick && !args.iter().any(|a| a == "--no-doc"),
        quick,
        args: args
            .iter()
            .filter(|a| *a != "--bench" && *a != "--run")
            .cloned()
            .collect(),
    })
}

/// `(utime + stime, cutime + cstime)` of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<u64> = text[text.rfind(')')? + 2..]
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // Fields 14..=17 (utime stime cutime cstime) are rest[11..=14].
    Some((rest.get(11)? + rest.get(12)?, rest.get(13)? + rest.get(14)?))
}

/// The target sshd's connection processes (its descendants): own CPU plus reaped children's.
fn target_side_ticks(ja: &JumpAgent) -> u64 {
    let Some(root) = ja.topo.target().pid() else {
        return 0;
    };
    outpost_testkit::process::descendants(root)
        .into_iter()
        .filter_map(cpu_ticks)
        .map(|(own, children)| own + children)
        .sum()
}

/// The agent's live child processes (the probes' `ssh` mux clients): own CPU plus reaped
/// children's.
fn live_children_ticks(agent: u32) -> u64 {
    outpost_testkit::process::descendants(agent)
        .into_iter()
        .filter_map(cpu_ticks)
        .map(|(own, children)| own + children)
        .sum()
}

fn clk_tck() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

struct Window {
    wall: f64,
    agent: f64,
    probes: f64,
    target: f64,
    /// The agent's CPU in each part of the window, % of one core.
    parts: Vec<f64>,
}

impl Window {
    fn pct(&self, cpu_s: f64) -> f64 {
        cpu_s / self.wall * 100.0
    }
}

/// How many parts a window of `secs` is read in: about 10 s each, at least two.
fn parts_of(secs: u64) -> u64 {
    (secs / 10).max(2)
}

/// Measures the agent (and its reaped children, and the target side) over `secs` seconds, the
/// agent also in [`parts_of`] equal parts.
fn measure(ja: &JumpAgent, secs: u64) -> Window {
    let tck = clk_tck();
    let pid = ja.agent.pid();
    let (a0, c0) = cpu_ticks(pid).expect("reading the agent's /proc/PID/stat");
    let l0 = live_children_ticks(pid);
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
    let l1 = live_children_ticks(pid);
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

fn main() {
    let Some(opts) = options() else {
        println!("monitor_cost: not run (pass --bench or --run)");
        return;
    };
    let started = Instant::now();
    let mut command = String::from("cargo bench -p outpost-agent --bench monitor_cost");
    if !opts.args.is_empty() {
        command = format!("{command} -- {}", opts.args.join(" "));
    }
    let results = BenchResults::start("monitor_cost", &command, opts.quick);
    let ja = JumpAgent::start();
    let kind = ja.topo.kind();
    let s1 = ja.ssh_session(json!({}), None);
    let s2 = ja.ssh_session(json!({}), None);
    let target = ja.topo.target_hostname().to_string();

    println!(
        "monitor_cost: topology={kind}, agent pid {}, idle baseline {} s",
        ja.agent.pid(),
        opts.idle_secs
    );
    let idle = measure(&ja, opts.idle_secs);

    let subs: Vec<String> = [&s1, &s2]
        .iter()
        .map(|sid| subscribe(&ja.agent, session_target(sid), 1000).0)
        .collect();
    // Warm-up: both samplers deliver figures of the target.
    for sub in &subs {
        wait_samples(
            &ja.agent,
            sub,
            "2 samples of the target",
            Duration::from_secs(60),
            |s| {
                s.iter()
                    .filter(|x| !is_error(x) && x["hostname"] == target.as_str())
                    .count()
                    >= 2
            },
        );
    }
    let before: Vec<usize> = subs
        .iter()
        .map(|s| samples_of(&ja.agent, s).len())
        .collect();
    println!(
        "monitor_cost: sampling two targets every 1000 ms for {} s",
        opts.secs
    );
    let w = measure(&ja, opts.secs);
    let window_samples: Vec<Value> = subs
        .iter()
        .zip(&before)
        .flat_map(|(s, n)| samples_of(&ja.agent, s).split_off(*n))
        .collect();
    let errors = window_samples.iter().filter(|s| is_error(s)).count();
    let delivered = window_samples.len();
    for sub in &subs {
        ja.agent
            .call_ok("monitor.unsubscribe", json!({"subscription_id": sub}));
    }

    let agent_pct = w.pct(w.agent);
    let probes_pct = w.pct(w.probes);
    let target_pct = w.pct(w.target);
    let idle_pct = idle.pct(idle.agent);
    let per_sample_ms = if delivered > 0 {
        w.agent * 1000.0 / delivered as f64
    } else {
        f64::NAN
    };
    let parts = Stats::of(&w.parts);
    let pass = parts.is_some_and(|p| p.median < TARGET_PERCENT);
    let (pm, plo, phi) = parts.map_or((f64::NAN, f64::NAN, f64::NAN), |p| (p.median, p.min, p.max));
    println!(
        "monitor_cost: agent {agent_pct:.3}% of one core ({:.2} CPU s in {:.1} s; {per_sample_ms:.2} ms per sample); median of {} parts {pm:.3}% ({plo:.3}–{phi:.3}) — target < {TARGET_PERCENT}%: {}",
        w.agent,
        w.wall,
        w.parts.len(),
        if pass { "PASS" } else { "FAIL" }
    );
    println!(
        "monitor_cost: probe ssh clients {probes_pct:.3}% ({:.2} CPU s); agent + clients {:.3}%; target side {target_pct:.3}% ({:.2} CPU s)",
        w.probes,
        w.pct(w.agent + w.probes),
        w.target
    );
    println!(
        "monitor_cost: idle baseline (no subscription) {idle_pct:.3}% over {:.1} s; samples delivered {delivered} (expected ≈ {:.0}), with error {errors}",
        idle.wall,
        2.0 * w.wall
    );

    if opts.doc {
        let section = render(&Rendered {
            opts: &opts,
            load_start: &results.load_start,
            kind: kind.as_str(),
            w: &w,
            idle: &idle,
            delivered,
            errors,
            per_sample_ms,
            pass,
            total_s: started.elapsed().as_secs_f64(),
        });
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md");
        match write_section(&path, START, END, &section, "") {
            Ok(()) => println!("monitor_cost: updated {}", path.display()),
            Err(e) => eprintln!("monitor_cost: cannot update {}: {e}", path.display()),
        }
    }
    let mut note = format!(
        "whole {:.0} s window: {agent_pct:.3}%; {delivered} samples, {errors} with error",
        w.wall
    );
    if delivered == 0 {
        note += "; no sample delivered";
    }
    let measure = Measure::new(
        "Monitoring: agent CPU while sampling two ssh targets every second",
        "% of one core",
        parts,
    )
    .goal(&format!("< {TARGET_PERCENT}%"), pass && delivered > 0)
    .note(note);
    match results.save(vec![measure]) {
        Ok(path) => println!("monitor_cost: results in {}", path.display()),
        Err(e) => {
            eprintln!("monitor_cost: cannot save the results: {e:#}");
            std::process::exit(1);
        }
    }
}

struct Rendered<'a> {
    opts: &'a Options,
    load_start: &'a str,
    kind: &'a str,
    w: &'a Window,
    idle: &'a Window,
    delivered: usize,
    errors: usize,
    per_sample_ms: f64,
    pass: bool,
    total_s: f64,
}

fn render(r: &Rendered<'_>) -> String {
    let w = r.w;
    let mut s = String::new();
    let _ = writeln!(s, "{START}");
    let _ = writeln!(s, "## Monitoring cost");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "What the agent spends to sample two `ssh` targets every second (issue 4 §7). The program is \
         `agent/benches/monitor_cost.rs`; this section is rewritten by each run."
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "- Command: `cargo bench -p outpost-agent --bench monitor_cost{}` (window {:.0} s after a warm-up; idle baseline {:.0} s; the whole run took {:.0} s).",
        if r.opts.args.is_empty() {
            String::new()
        } else {
            format!(" -- {}", r.opts.args.join(" "))
        },
        w.wall,
        r.idle.wall,
        r.total_s
    );
    let _ = writeln!(
        s,
        "- Machine: {} (`nproc` = {}), Linux {}; {} UTC; load average (1/5/15 min) {} at the start, {} at the end. Code: git {}, release profile.",
        cpu_model(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        command_output("uname", &["-r"]),
        command_output("date", &["-u", "+%Y-%m-%d %H:%M"]),
        r.load_start,
        loadavg(),
        command_output("git", &["rev-parse", "--short", "HEAD"]),
    );
    let _ = writeln!(
        s,
        "- Set-up: `outpost-testkit` topology ({}); the agent runs as a test user on the jump host with two `ssh` sessions to the target and two subscriptions at 1000 ms (two samplers: two probes per second over the sessions' ControlMasters).",
        r.kind
    );
    let _ = writeln!(
        s,
        "- Method: CPU time from `/proc/PID/stat` before and after the window: the agent's `utime + stime`; its `cutime + cstime` (reaped children) plus the CPU of its live children (the probes' long-lived `ssh` mux clients); on the target, the two connections' `sshd` processes with the probe scripts they reaped. The agent's time is also read at the end of each of {} equal parts of the window ({:.0} s each; a clock tick of {:.0} ms is {:.2}% of a part): their median is the figure the target is checked against, their min–max its spread.",
        w.parts.len(),
        w.wall / w.parts.len().max(1) as f64,
        1000.0 / clk_tck(),
        100.0 / clk_tck() / (w.wall / w.parts.len().max(1) as f64)
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
        "| agent process, sampling two targets every second | {:.2} | {:.3} | {} | < {TARGET_PERCENT}% (median) | **{}** |",
        w.agent,
        w.pct(w.agent),
        spread(&w.parts),
        if r.pass { "PASS" } else { "FAIL" }
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
    let _ = writeln!(s, "{END}");
    s
}

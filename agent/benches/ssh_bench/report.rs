//! `ssh_bench`'s figures: the generated section of `docs/benchmarks.md` (the method is prose in
//! the document, above it) and the measures of its results file.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Result;
use outpost_testkit::bench::data::MIB;
use outpost_testkit::bench::doc::{md_escape, verdict};
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::{median, min_max};
use outpost_testkit::summary::{Measure, Stats};

use crate::cpu::Cpu;
use crate::routes::{Route, Run};
use crate::{Opts, TARGET_RATIO};

/// Every run of every route.
pub struct Results {
    pub bytes: u64,
    pub expected: u64,
    pub reps: usize,
    pub runs: Vec<(Route, Vec<Result<Run>>)>,
    pub topology: String,
    pub cipher_hop: String,
    pub cipher_desktop: String,
}

impl Results {
    pub fn ok(&self, p: Route) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|(q, _)| *q == p)
            .flat_map(|(_, v)| v.iter().filter_map(|r| r.as_ref().ok()))
            .collect()
    }

    fn rates(&self, p: Route) -> Vec<f64> {
        self.ok(p)
            .iter()
            .map(|r| rate(self.bytes, self.expected, r))
            .collect()
    }

    fn errors(&self, p: Route) -> Vec<String> {
        self.runs
            .iter()
            .filter(|(q, _)| *q == p)
            .flat_map(|(_, v)| v.iter().filter_map(|r| r.as_ref().err()))
            .map(|e| format!("{e:#}"))
            .collect()
    }

    fn median_rate(&self, p: Route) -> f64 {
        median(&self.rates(p))
    }

    /// Rate of `p` ÷ rate of `q` in each repetition where both ran (the two runs were close in
    /// time, so a change of the machine's load between repetitions cancels out).
    pub fn paired(&self, p: Route, q: Route) -> Vec<f64> {
        let of = |r: Route| {
            self.runs
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, v)| v.as_slice())
                .unwrap_or(&[])
        };
        of(p)
            .iter()
            .zip(of(q))
            .filter_map(|(a, b)| match (a, b) {
                (Ok(a), Ok(b)) => {
                    Some(rate(self.bytes, self.expected, a) / rate(self.bytes, self.expected, b))
                }
                _ => None,
            })
            .collect()
    }

    pub fn ratio(&self) -> f64 {
        self.median_rate(Route::Agent) / self.median_rate(Route::Nested)
    }

    pub fn pass(&self) -> bool {
        let agent = self.ok(Route::Agent);
        self.ratio() >= TARGET_RATIO
            && agent.len() == self.reps
            && agent
                .iter()
                .all(|r| r.lost == 0 && r.bytes >= self.expected)
    }
}

/// MiB of the file delivered per second: a run that lost bytes (the ring skipped them) counts
/// only the share that arrived.
pub fn rate(file_bytes: u64, expected: u64, r: &Run) -> f64 {
    let share = r.bytes.min(expected) as f64 / expected as f64;
    file_bytes as f64 * share / MIB / r.secs
}

/// Seconds with two decimals, or "—".
pub fn fmt_s(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.2}"),
        _ => "—".into(),
    }
}

/// The median of an optional CPU figure over runs (`None` when no run has it).
fn med_opt(runs: &[&Run], f: impl Fn(&Cpu) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = runs.iter().filter_map(|r| f(&r.cpu)).collect();
    (!v.is_empty()).then(|| median(&v))
}

fn bytes_cell(r: &Results, runs: &[&Run]) -> String {
    if runs.is_empty() {
        return "—".into();
    }
    let lost: u64 = runs.iter().map(|x| x.lost).sum();
    let short = runs.iter().filter(|x| x.bytes < r.expected).count();
    // What complete runs delivered beyond the stream.
    let extra: Vec<u64> = runs
        .iter()
        .filter(|x| x.bytes >= r.expected)
        .map(|x| x.bytes - r.expected)
        .collect();
    let (lo, hi) = (extra.iter().min(), extra.iter().max());
    let mut s = if short == 0 && lost == 0 {
        format!("all {} bytes in every run", r.expected)
    } else {
        format!("{short} run(s) short of {} bytes", r.expected)
    };
    if lost > 0 {
        let _ = write!(s, "; {lost} bytes skipped by the daemon's ring");
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if *hi > 0 {
            if lo == hi {
                let _ = write!(s, " + {hi} (ssh's closing message)");
            } else {
                let _ = write!(s, " + {lo}–{hi} (ssh's closing message)");
            }
        }
    }
    s
}

fn render_rates(s: &mut String, r: &Results) {
    let nested = r.median_rate(Route::Nested);
    let _ = writeln!(
        s,
        "| path | MiB/s (median) | min–max | × nested | set-up s (median) | bytes delivered | target | result |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|---|---|");
    for p in Route::ALL {
        let rates = r.rates(p);
        let runs = r.ok(p);
        let errors = r.errors(p);
        let (lo, hi) = min_max(&rates);
        let med = median(&rates);
        let (target, result) = if p == Route::Agent {
            (
                format!("≥ {TARGET_RATIO:.1}× nested"),
                verdict(r.pass()).to_string(),
            )
        } else {
            ("—".into(), "—".into())
        };
        let mut bytes = bytes_cell(r, &runs);
        if !errors.is_empty() {
            let _ = write!(
                bytes,
                "; {} run(s) failed: {}",
                errors.len(),
                md_escape(&errors[0])
            );
        }
        if rates.is_empty() {
            let _ = writeln!(
                s,
                "| {} | — | — | — | — | {bytes} | {target} | {result} |",
                p.label()
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {med:.1} | {lo:.1}–{hi:.1} | {:.2}× | {:.2} | {bytes} | {target} | {result} |",
                p.label(),
                med / nested,
                median(&runs.iter().map(|x| x.setup).collect::<Vec<_>>()),
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "**Agent ÷ nested = {:.2}×** (target ≥ {TARGET_RATIO:.1}×: {}); agent ÷ one hop = {:.2}×; nested ÷ one hop = {:.2}×; \
         (d) agent through ssh from the desktop ÷ nested = {:.2}× (reference, not the issue's figure).",
        r.ratio(),
        if r.pass() { "PASS" } else { "FAIL" },
        r.median_rate(Route::Agent) / r.median_rate(Route::OneHop),
        nested / r.median_rate(Route::OneHop),
        r.median_rate(Route::AgentSsh) / nested,
    );
    let _ = writeln!(s);
    let paired = r.paired(Route::Agent, Route::Nested);
    let (lo, hi) = min_max(&paired);
    let _ = writeln!(
        s,
        "Paired by repetition (each (a) run ÷ the (b) run of the same repetition, which ran next to it): median {:.2}×, range {lo:.2}–{hi:.2}× over {} pairs ({} of them ≥ 1.0×).",
        median(&paired),
        paired.len(),
        paired.iter().filter(|&&x| x >= 1.0).count()
    );
    for p in [Route::Agent, Route::AgentSsh] {
        let runs = r.ok(p);
        let lossy: Vec<u64> = runs.iter().map(|x| x.lost).filter(|&l| l > 0).collect();
        if !lossy.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "{} lost output in {} of {} runs ({} bytes in all): its client fell further behind the session than the daemon's ring holds (see the method above).",
                p.short(),
                lossy.len(),
                runs.len(),
                lossy.iter().sum::<u64>()
            );
        }
    }
}

fn render_cpu(s: &mut String, r: &Results, cores: usize) {
    let _ = writeln!(
        s,
        "CPU seconds per run (user + system, median over the runs; {cores} cores = {cores} CPU s per second of wall time):"
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| path | client (bench) | agent | session daemon | ssh clients | sshd (jump) | sshd (target) | cat | total CPU s | CPU ms per MiB | + kworker (machine) | wall s | pieces (mean bytes) |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for p in Route::ALL {
        let runs = r.ok(p);
        if runs.is_empty() {
            let _ = writeln!(
                s,
                "| {} | — | — | — | — | — | — | — | — | — | — | — | — |",
                p.short()
            );
            continue;
        }
        let total = median(&runs.iter().map(|x| x.cpu.total()).collect::<Vec<_>>());
        let wall = median(&runs.iter().map(|x| x.secs).collect::<Vec<_>>());
        let chunks = median(&runs.iter().map(|x| x.chunks as f64).collect::<Vec<_>>());
        let ssh = med_opt(&runs, |c| Some(c.ssh_clients));
        let ssh_cell = match med_opt(&runs, |c| c.mux_checks) {
            Some(chk) => format!("{} (of which `-O check` {chk:.2})", fmt_s(ssh)),
            None => fmt_s(ssh),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {total:.2} | {:.1} | {} | {wall:.2} | {chunks:.0} ({:.0}) |",
            p.short(),
            fmt_s(med_opt(&runs, |c| Some(c.client))),
            fmt_s(med_opt(&runs, |c| c.agent)),
            fmt_s(med_opt(&runs, |c| c.daemon)),
            ssh_cell,
            fmt_s(med_opt(&runs, |c| c.sshd_jump)),
            fmt_s(med_opt(&runs, |c| Some(c.sshd_target))),
            fmt_s(med_opt(&runs, |c| Some(c.cat))),
            total * 1000.0 / (r.bytes as f64 / MIB),
            fmt_s(med_opt(&runs, |c| Some(c.kworkers))),
            r.expected as f64 / chunks.max(1.0),
        );
    }
}

/// The generated section: the run, the rates of every route and where the CPU went.
pub fn render(o: &Opts, info: &RunInfo, r: &Results, total: Duration) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "- Command: `{}` ({} MiB file, N = {} repetitions of each path; the whole run took {:.0} s).",
        o.args.command(),
        r.bytes >> 20,
        r.reps,
        total.as_secs_f64()
    );
    let _ = writeln!(s, "{}", info.machine_line());
    let _ = writeln!(
        s,
        "- Code: git {}, release profile ({}). {}; cipher negotiated: `{}` on jump → target, `{}` on desktop → jump.",
        info.revision, info.rustc, info.openssh, r.cipher_hop, r.cipher_desktop
    );
    let _ = writeln!(s, "- Topology: {}.", r.topology);
    let _ = writeln!(s);
    render_rates(&mut s, r);
    let _ = writeln!(s);
    render_cpu(&mut s, r, info.machine.cores);
    s
}

/// The results file's measures: the figure (a) against nested ssh, and (d) for reference.
pub fn measures(r: &Results) -> Vec<Measure> {
    let stats = |p: Route| Stats::of(&r.rates(p));
    let errors = |p: Route| {
        let e = r.errors(p);
        e.first()
            .map(|first| format!("{} run(s) failed: {first}", e.len()))
    };
    let what = format!(
        "Jump-host throughput, `cat` of a {} MiB file on the target",
        r.bytes >> 20
    );
    let agent = r.ok(Route::Agent);
    let lost: u64 = agent.iter().map(|x| x.lost).sum();
    let short = agent.iter().filter(|x| x.bytes < r.expected).count();
    let mut note = errors(Route::Agent).unwrap_or_default();
    if lost > 0 || short > 0 {
        note += &format!(" {short} run(s) short, {lost} bytes skipped");
    }
    let nested = || stats(Route::Nested);
    let a = Measure::new(
        &format!("{what}: agent's ssh session"),
        "MiB/s",
        stats(Route::Agent),
    )
    .peer("nested ssh -tt", nested(), errors(Route::Nested))
    .peer(
        "one-hop ssh -tt on jump",
        stats(Route::OneHop),
        errors(Route::OneHop),
    )
    .ratio_to("nested ssh -tt")
    .goal(
        &format!("≥ {TARGET_RATIO:.1}× nested ssh, every byte"),
        r.pass(),
    )
    .note(note.trim().to_string());
    let d_lost: u64 = r.ok(Route::AgentSsh).iter().map(|x| x.lost).sum();
    let d = Measure::new(
        &format!(
            "{what}: agent's session with its JSON-RPC through ssh from the desktop (reference)"
        ),
        "MiB/s",
        stats(Route::AgentSsh),
    )
    .peer("nested ssh -tt", nested(), errors(Route::Nested))
    .ratio_to("nested ssh -tt")
    .note(if d_lost > 0 {
        format!("{d_lost} bytes skipped by the daemon's ring")
    } else {
        errors(Route::AgentSsh).unwrap_or_default()
    });
    vec![a, d]
}

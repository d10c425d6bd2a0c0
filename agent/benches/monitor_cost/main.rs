//! `monitor_cost`: what monitoring costs the agent (issue 4 §7: under 1% of one core while
//! sampling two targets every second). A measurement, not a timed test. The set-up and the method
//! are described in `docs/benchmarks.md` ("Monitoring cost"); this program writes only the
//! figures, between its markers there.
//!
//! ```text
//! cargo bench -p outpost-agent --bench monitor_cost               # 60 s window, updates docs/benchmarks.md
//! cargo bench -p outpost-agent --bench monitor_cost -- --secs 20  # shorter window
//! cargo bench -p outpost-agent --bench monitor_cost -- --no-doc   # print only
//! cargo bench -p outpost-agent --bench monitor_cost -- --quick    # smoke: 10 s window, print only
//! ```
//!
//! `window.rs` measures one window; `report.rs` renders the section. Every run also saves its
//! figures as `monitor_cost.json` in the results directory (`outpost_testkit::summary`). Needs
//! root (users, namespaces, sshd). Everything is removed at the end (also on panic). Under
//! `cargo test --benches` (no `--bench` argument) it does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod report;
mod window;

use std::time::{Duration, Instant};

use outpost_testkit::bench::args::{env_var, BenchArgs};
use outpost_testkit::bench::doc::DocSection;
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::summary::{BenchResults, Measure, Stats};
use serde_json::{json, Value};

use outpost_testkit::fixture::monitor::{
    is_error, samples_of, session_target, subscribe, wait_samples, JumpAgent,
};

const SECTION: DocSection = DocSection {
    begin: "<!-- monitor-cost:start -->",
    end: "<!-- monitor-cost:end -->",
};

/// Target of issue 4 §7, in percent of one core.
pub const TARGET_PERCENT: f64 = 1.0;

struct Options {
    args: BenchArgs,
    secs: u64,
    idle_secs: u64,
    doc: bool,
}

fn options() -> anyhow::Result<Options> {
    let args = BenchArgs::parse("cargo bench -p outpost-agent --bench monitor_cost");
    args.expect_only(
        &["--no-doc"],
        &["--secs", "--idle-secs"],
        "--secs N --idle-secs N --no-doc --quick",
    )?;
    let quick = args.quick;
    let secs = match args.number("--secs")? {
        Some(s) => s,
        None => env_var("OUTPOST_BENCH_MONITOR_SECS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 10 } else { 60 }),
    };
    Ok(Options {
        secs: secs.max(5),
        idle_secs: args
            .number("--idle-secs")?
            .unwrap_or(if quick { 4 } else { 15 }),
        // A quick run is a smoke test: its figures never replace the document's.
        doc: !quick && !args.flag("--no-doc"),
        args,
    })
}

fn main() {
    let opts = match options() {
        Ok(o) if o.args.run => o,
        Ok(_) => {
            println!("monitor_cost: not run (pass --bench or --run)");
            return;
        }
        Err(e) => {
            eprintln!("monitor_cost: {e:#}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let info = RunInfo::now();
    let command = opts.args.command();
    let results = BenchResults::start("monitor_cost", &command, opts.args.quick);
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
    let idle = window::measure(&ja, opts.idle_secs);

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
    let w = window::measure(&ja, opts.secs);
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
        "monitor_cost: probe ssh clients {:.3}% ({:.2} CPU s); agent + clients {:.3}%; target side {:.3}% ({:.2} CPU s)",
        w.pct(w.probes),
        w.probes,
        w.pct(w.agent + w.probes),
        w.pct(w.target),
        w.target
    );
    println!(
        "monitor_cost: idle baseline (no subscription) {:.3}% over {:.1} s; samples delivered {delivered} (expected ≈ {:.0}), with error {errors}",
        idle.pct(idle.agent),
        idle.wall,
        2.0 * w.wall
    );

    if opts.doc {
        let section = report::render(&report::Rendered {
            command: command.clone(),
            info: &info,
            kind: kind.as_str(),
            w: &w,
            idle: &idle,
            delivered,
            errors,
            per_sample_ms,
            pass,
            total_s: started.elapsed().as_secs_f64(),
        });
        match SECTION.write_benchmarks_doc(&section) {
            Ok(path) => println!("monitor_cost: updated {}", path.display()),
            Err(e) => eprintln!("monitor_cost: {e:#}"),
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

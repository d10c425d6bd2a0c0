//! `ssh_bench`: output throughput of an `ssh` session of the agent running on a jump host, against
//! nested OpenSSH from the desktop (issue 3 §7: `cat` of a 256 MiB file on the target, agent ÷
//! nested ≥ 1.0×), with one-hop `ssh` on the jump host as the floor. What it measures and how is
//! described in `docs/benchmarks.md` ("ssh sessions through a jump host"); this program writes
//! only the figures, between its markers there.
//!
//! ```text
//! cargo bench -p outpost-agent --bench ssh_bench               # full run (256 MiB, N = 9), updates docs/benchmarks.md
//! cargo bench -p outpost-agent --bench ssh_bench -- --quick    # smoke run (32 MiB, N = 2), prints only
//! ```
//!
//! Options after `--`: `--quick` (or `OUTPOST_BENCH_QUICK=1`), `--reps N`, `--mib M` (file size),
//! `--no-doc` (never write the document), `--doc` (write it after a quick run too), `--paths
//! agent,nested,onehop,agent-ssh` (only some routes, e.g. to profile one; never writes the
//! document nor the results file), `--run`. Every run of all routes also saves its figures as
//! `ssh_bench.json` in the results directory (`outpost_testkit::summary`).
//!
//! | file | holds |
//! |---|---|
//! | `routes.rs` | the four routes, one timed run each |
//! | `agent.rs` | the agent of routes (a) and (d), with the testkit's client |
//! | `cpu.rs` | CPU accounting of process trees from `/proc` |
//! | `report.rs` | the generated section and the results file's measures |
//!
//! Needs root (users, namespaces, sshd). Everything is removed at the end, on error, on panic
//! and on SIGINT/SIGTERM/SIGHUP (sessions are closed, then the fixture kills the agent, the
//! daemons, the servers and the user's processes and deletes the namespaces and the user). The
//! agent binary is copied next to the agent's home first, so a concurrent `cargo build --release`
//! cannot pull it away from under the session daemons. Under `cargo test --benches` (no `--bench`
//! argument) the program does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod agent;
mod cpu;
mod report;
mod routes;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use outpost_testkit::bench::args::BenchArgs;
use outpost_testkit::bench::cleanup::{self, check_stop, OnSignal};
use outpost_testkit::bench::data::{make_data_file, shell_quote, warm_page_cache};
use outpost_testkit::bench::doc::DocSection;
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::median;
use outpost_testkit::cli::portable::portable_agent;
use outpost_testkit::summary::BenchResults;

use agent::BenchAgent;
use outpost_testkit::fixture::ssh::Fixture;
use report::{fmt_s, rate, Results};
use routes::{negotiated, run_agent, run_nested, run_one_hop, Env, Route, Run};

const SECTION: DocSection = DocSection {
    begin: "<!-- ssh-bench:start -->",
    end: "<!-- ssh-bench:end -->",
};
/// Terminal size of every path's remote PTY (the agent's session and the `-tt` clients).
pub const COLS: u16 = 200;
pub const ROWS: u16 = 50;
/// What the gate prints once the remote side is ready.
pub const GATE_MARK: &[u8] = b"@gate@";
/// Issue 3 §7: agent ÷ nested.
pub const TARGET_RATIO: f64 = 1.0;
/// A path that delivers nothing for this long has failed.
pub const STALL: Duration = Duration::from_secs(30);

pub struct Opts {
    pub args: BenchArgs,
    quick: bool,
    reps: usize,
    bytes: u64,
    doc: bool,
    /// The paths to run (all unless `--paths` names some).
    paths: Vec<Route>,
}

fn options() -> Result<Opts> {
    let args = BenchArgs::parse("cargo bench -p outpost-agent --bench ssh_bench");
    args.expect_only(
        &["--no-doc", "--doc"],
        &["--reps", "--mib", "--paths"],
        "--quick --reps N --mib M --no-doc --doc --paths agent,nested,onehop,agent-ssh",
    )?;
    let quick = args.quick;
    let reps = args
        .number::<usize>("--reps")?
        // Nine in a full run: one run's ratio to nested ssh moves by ±0.1 between runs of five.
        .unwrap_or(if quick { 2 } else { 9 })
        .max(1);
    let mib = args
        .number::<u64>("--mib")?
        .unwrap_or(if quick { 32 } else { 256 })
        .max(1);
    let paths = if args.value("--paths").is_none() {
        Route::ALL.to_vec()
    } else {
        args.list("--paths")
            .iter()
            .map(|w| match w.as_str() {
                "agent" => Ok(Route::Agent),
                "nested" => Ok(Route::Nested),
                "onehop" | "one-hop" => Ok(Route::OneHop),
                "agent-ssh" => Ok(Route::AgentSsh),
                other => Err(anyhow!(
                    "--paths: unknown path {other:?} (agent, nested, onehop, agent-ssh)"
                )),
            })
            .collect::<Result<Vec<_>>>()?
    };
    // A partial run (profiling one path) never replaces the document's figures.
    let doc = if args.flag("--no-doc") || paths.len() < Route::ALL.len() {
        false
    } else {
        !quick || args.flag("--doc")
    };
    Ok(Opts {
        quick,
        reps,
        bytes: mib << 20,
        doc,
        paths,
        args,
    })
}

fn show(p: Route, bytes: u64, expected: u64, r: &Result<Run>) {
    match r {
        Ok(x) => println!(
            "ssh_bench:   {:<8} {:8.1} MiB/s  ({:.3} s; set-up {:.2} s; {} bytes in {} pieces{}; {}; CPU client {:.2} agent {} daemon {} ssh {:.2} sshd jump {} target {:.2} cat {:.2})",
            p.short(),
            rate(bytes, expected, x),
            x.secs,
            x.setup,
            x.bytes,
            x.chunks,
            if x.lost > 0 {
                format!(", {} skipped", x.lost)
            } else {
                String::new()
            },
            x.ended,
            x.cpu.client,
            fmt_s(x.cpu.agent),
            fmt_s(x.cpu.daemon),
            x.cpu.ssh_clients,
            fmt_s(x.cpu.sshd_jump),
            x.cpu.sshd_target,
            x.cpu.cat,
        ),
        Err(e) => println!("ssh_bench:   {:<8} error: {e:#}", p.short()),
    }
}

/// The file, the routes' environment and the ciphers, then every route `o.reps` times in turn.
fn measure(o: &Opts, fx: &Fixture) -> Result<Results> {
    let key = fx.key.display().to_string();
    let taddr = fx.topo.target_addr();
    let file = fx.user.home.join("ssh_bench.dat");
    println!(
        "ssh_bench: writing a {} MiB file of printable lines to {}",
        o.bytes >> 20,
        file.display()
    );
    let lines = make_data_file(&file, o.bytes)?;
    std::os::unix::fs::chown(&file, Some(fx.user.uid), Some(fx.user.gid))?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
    warm_page_cache(&file)?;
    let env = Env {
        gate: format!(
            "stty -echo; printf {}; read _; exec cat {}",
            std::str::from_utf8(GATE_MARK)?,
            shell_quote(&file.to_string_lossy())
        ),
        key: key.clone(),
        user: fx.user.name.clone(),
        target_ip: taddr.ip().to_string(),
        target_port: taddr.port(),
        jump: fx.topo.jump_addr().map(|a| (a.ip().to_string(), a.port())),
        jump_sshd: fx.topo.jump().and_then(|j| j.pid()),
        target_sshd: fx
            .topo
            .target()
            .pid()
            .ok_or_else(|| anyhow!("the target sshd is not running"))?,
    };
    let mut c = fx.topo.jump_exec(&fx.user, "ssh");
    c.args(["-i", &key, "-p"])
        .arg(env.target_port.to_string())
        .arg(format!("{}@{}", env.user, env.target_ip));
    let cipher_hop = negotiated(c, &[]);
    let cipher_desktop = match &env.jump {
        Some((ip, port)) => negotiated(
            fx.user.command("ssh"),
            &[
                "-i".into(),
                key.clone(),
                "-p".into(),
                port.to_string(),
                format!("{}@{ip}", env.user),
            ],
        ),
        None => "no jump sshd".into(),
    };
    println!("ssh_bench: cipher jump → target {cipher_hop}; desktop → jump {cipher_desktop}");

    // The agent the desktop deploys (the portable build beside the release agent), copied where
    // a concurrent build cannot replace it.
    let portable = portable_agent(Path::new(env!("CARGO_BIN_EXE_outpost-agent")))?;
    let exe = fx.home.root().join("outpost-agent");
    std::fs::copy(portable, &exe).context("copying the agent binary")?;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))?;
    let agent = BenchAgent::start(fx, &env, &exe, false)?;

    let mut runs: Vec<(Route, Vec<Result<Run>>)> =
        Route::ALL.iter().map(|p| (*p, Vec::new())).collect();
    let outcome = (|| -> Result<()> {
        for rep in 0..o.reps {
            println!("ssh_bench: repetition {}/{}", rep + 1, o.reps);
            for k in 0..Route::ALL.len() {
                check_stop()?;
                let p = Route::ALL[(rep + k) % Route::ALL.len()];
                if !o.paths.contains(&p) {
                    continue;
                }
                let x = match p {
                    Route::Agent => run_agent(&agent, fx, &env, false),
                    Route::Nested => run_nested(fx, &env),
                    Route::OneHop => run_one_hop(fx, &env),
                    // A fresh agent through ssh for each run (not timed), so nothing of it stays
                    // below the jump sshd while the other routes run.
                    Route::AgentSsh => BenchAgent::start(fx, &env, &exe, true).and_then(|a| {
                        let x = run_agent(&a, fx, &env, true);
                        a.shutdown();
                        x
                    }),
                };
                check_stop()?;
                show(p, o.bytes, o.bytes + lines, &x);
                if let Some((_, v)) = runs.iter_mut().find(|(q, _)| *q == p) {
                    v.push(x);
                }
            }
        }
        Ok(())
    })();
    agent.shutdown();
    outcome?;
    Ok(Results {
        bytes: o.bytes,
        expected: o.bytes + lines,
        reps: o.reps,
        runs,
        topology: fx.describe(),
        cipher_hop,
        cipher_desktop,
    })
}

fn run(o: &Opts) -> Result<()> {
    let started = Instant::now();
    let info = RunInfo::now();
    let bench_results = BenchResults::start("ssh_bench", &o.args.command(), o.quick);
    println!(
        "ssh_bench: {} MiB, N = {}{}",
        o.bytes >> 20,
        o.reps,
        if o.quick { " (quick)" } else { "" }
    );
    let results = {
        let fx = Fixture::new("ssh_bench");
        check_stop()?;
        measure(o, &fx)?
        // The fixture goes here: sessions' processes, agent, daemons, servers, namespaces, user.
    };
    let section = report::render(o, &info, &results, started.elapsed());
    println!("\n{section}");
    if o.doc {
        let path = SECTION.write_benchmarks_doc(&section)?;
        println!("ssh_bench: updated {}", path.display());
    }
    // A partial run (`--paths`) leaves the results of the last complete one alone.
    if o.paths.len() == Route::ALL.len() {
        let path = bench_results.save(report::measures(&results))?;
        println!("ssh_bench: results in {}", path.display());
    }
    if o.paths.contains(&Route::Agent) && o.paths.contains(&Route::Nested) {
        println!(
            "ssh_bench: agent ÷ nested = {:.2}× (target ≥ {TARGET_RATIO:.1}×): {}; paired by repetition: median {:.2}×",
            results.ratio(),
            if results.pass() { "PASS" } else { "FAIL" },
            median(&results.paired(Route::Agent, Route::Nested))
        );
    } else {
        println!("ssh_bench: agent ÷ nested not measured (--paths)");
    }
    Ok(())
}

fn main() {
    let opts = match options() {
        Ok(o) if o.args.run => o,
        Ok(_) => {
            println!("ssh_bench: not run (pass --bench or --run)");
            return;
        }
        Err(e) => {
            eprintln!("ssh_bench: {e:#}");
            std::process::exit(2);
        }
    };
    if let Err(e) = cleanup::install_signals("ssh_bench", OnSignal::Unwind) {
        eprintln!("ssh_bench: {e:#}");
        std::process::exit(2);
    }
    if let Err(e) = run(&opts) {
        eprintln!("ssh_bench: error: {e:#}");
        std::process::exit(1);
    }
}

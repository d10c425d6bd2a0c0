//! `bench_report`: the last step of `make bench`. It reads the results every benchmark program
//! saved (`target/bench-results/<bench>.json`, see `outpost_testkit::summary`) and writes the
//! summary section at the top of `docs/benchmarks.md`: the machine, then one table with every
//! measure side by side with its peers, the ratio, the goal and the verdict.
//!
//! ```text
//! cargo bench -p outpost-agent --bench bench_report -- --out docs/benchmarks.md
//! cargo bench -p outpost-agent --bench bench_report -- --results DIR --out FILE --command 'make bench-quick'
//! ```
//!
//! `--results DIR` (default `$OUTPOST_BENCH_RESULTS` or `target/bench-results`), `--out FILE`
//! (relative paths are taken from the workspace root; without it the section is only printed),
//! `--command TEXT` (what the summary names as its command, default `make bench`). It exits 1 when
//! a benchmark's results are missing (the table then says which), so `make bench` fails too. Under
//! `cargo test --benches` (no `--bench` argument) it does nothing.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use outpost_testkit::summary::{self, Machine, BENCHES};

struct Opts {
    results: PathBuf,
    out: Option<PathBuf>,
    command: String,
}

fn options() -> Result<Option<Opts>> {
    let mut o = Opts {
        results: summary::results_dir(),
        out: None,
        command: "make bench".into(),
    };
    let mut run = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            "--bench" | "--run" => run = true,
            "--results" => o.results = summary::workspace_root().join(value("--results")?),
            "--out" => o.out = Some(summary::workspace_root().join(value("--out")?)),
            "--command" => o.command = value("--command")?,
            other => {
                bail!("unknown argument {other:?} (--results DIR, --out FILE, --command TEXT)")
            }
        }
    }
    Ok(run.then_some(o))
}

fn run(o: &Opts) -> Result<bool> {
    let runs = summary::load(&o.results, &BENCHES);
    let section = summary::render(&Machine::this(), &o.command, &runs);
    println!("{section}");
    if let Some(out) = &o.out {
        summary::write_summary(out, &section)?;
        println!("bench_report: wrote the summary into {}", out.display());
    }
    let missing: Vec<&str> = runs
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(b, _)| b.as_str())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "bench_report: no results from {} in {}",
            missing.join(", "),
            o.results.display()
        );
    }
    Ok(missing.is_empty())
}

fn main() {
    let o = match options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("bench_report: not run (pass --bench or --run)");
            return;
        }
        Err(e) => {
            eprintln!("bench_report: {e:#}");
            std::process::exit(2);
        }
    };
    match run(&o) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("bench_report: {e:#}");
            std::process::exit(1);
        }
    }
}

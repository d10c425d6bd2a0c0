//! `soak`: random sessions on the real agent for a long time (issue 7), with every byte checked
//! and, at the end, no leaked process, zombie, socket or state file and no memory growth. The
//! workload and its checks live in `outpost_testkit::soak`; `agent/tests/soak_short.rs` runs the
//! same code for ~30 s in CI.
//!
//! ```text
//! make soak                                                     # one hour, writes docs/reliability.md
//! cargo bench -p outpost-agent --bench soak -- --seconds 3600 --out docs/reliability.md
//! cargo bench -p outpost-agent --bench soak -- --seconds 120 --seed 42   # print only
//! ```
//!
//! `--out` (relative to the workspace root) gets the section between `<!-- soak:begin -->` and
//! `<!-- soak:end -->`; other sections of the file are left alone. The seed is printed at the
//! start and in the report; `--seed` repeats a run's random choices. Exits with status 1 when
//! the soak found a failure. Under `cargo test --benches` (no `--bench` argument) it does
//! nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use outpost_testkit::report::write_section;
use outpost_testkit::soak::{self, SoakOptions, SECTION_BEGIN, SECTION_END};

/// Heading of a `docs/reliability.md` that does not exist yet.
const INTRO: &str = "# Reliability\n\nWhat the fault, link-cut and soak runs measured. Each \
section is rewritten by the program it names; the others are left alone.\n\n";

struct Args {
    seconds: u64,
    seed: Option<u64>,
    out: Option<PathBuf>,
}

fn args() -> Result<Option<Args>> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if !all.iter().any(|a| a == "--bench" || a == "--seconds") {
        return Ok(None);
    }
    let mut a = Args {
        seconds: 3600,
        seed: None,
        out: None,
    };
    let mut it = all.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => a.seconds = value()?.parse().context("--seconds")?,
            "--seed" => a.seed = Some(value()?.parse().context("--seed")?),
            "--out" => a.out = Some(PathBuf::from(value()?)),
            "--bench" => {}
            other => {
                bail!("unknown argument {other:?} (expected --seconds N, --seed S, --out PATH)")
            }
        }
    }
    Ok(Some(a))
}

fn main() -> Result<()> {
    let Some(a) = args()? else {
        return Ok(());
    };
    let seed = a.seed.unwrap_or_else(soak::fresh_seed);
    println!("soak: seed {seed}, {} s", a.seconds);
    let options = SoakOptions::new(
        env!("CARGO_BIN_EXE_outpost-agent"),
        Duration::from_secs(a.seconds),
        seed,
    );
    let report = soak::run(options)?;
    println!("{}", report.text());
    let mut command = format!(
        "`cargo bench -p outpost-agent --bench soak -- --seconds {}{}`",
        a.seconds,
        a.seed.map(|s| format!(" --seed {s}")).unwrap_or_default()
    );
    if a.seconds == 3600 && a.seed.is_none() {
        command = format!("`make soak` ({command})");
    }
    let section = report.markdown(&command);
    if let Some(out) = &a.out {
        let path = if out.is_absolute() {
            out.clone()
        } else {
            // Relative to the workspace root (cargo runs benches from the package directory).
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new("."))
                .join(out)
        };
        write_section(&path, SECTION_BEGIN, SECTION_END, &section, INTRO)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("soak: wrote its section of {}", path.display());
    } else {
        println!("\n{section}");
    }
    if !report.passed() {
        bail!("the soak found {} failure(s)", report.failure_count);
    }
    Ok(())
}

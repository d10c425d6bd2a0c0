//! The soak of `agent/benches/soak.rs` for about 30 s (issue 7): random sessions on the real
//! agent binary over pipes — bursts, detaches, reattaches from offsets, reads, exits, closes,
//! the agent killed with SIGKILL every few seconds — with every byte checked against the exact
//! expected output, and at the end no leaked process, zombie, socket or state file and no
//! memory growth (see `outpost_testkit::soak`).
//!
//! `OUTPOST_SOAK_SECONDS` changes the length, `OUTPOST_SOAK_SEED` repeats a run (the seed is
//! printed). With `OUTPOST_RELIABILITY_OUT` set, the report goes to that file's
//! `<!-- soak-short:begin -->` section.
//!
//! This binary holds one test on purpose: the soak makes the process a child subreaper and reaps
//! its orphans, which must not meet other tests' children.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_testkit::report::write_section;
use outpost_testkit::soak::{self, SoakOptions};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}"))
    })
}

#[test]
fn thirty_seconds_of_random_sessions_lose_nothing_and_leak_nothing() {
    let seconds = env_u64("OUTPOST_SOAK_SECONDS").unwrap_or(30);
    let seed = env_u64("OUTPOST_SOAK_SEED").unwrap_or_else(soak::fresh_seed);
    outpost_testkit::note(&format!(
        "soak_short: seed {seed} (repeat with OUTPOST_SOAK_SEED={seed})"
    ));
    let mut options = SoakOptions::new(
        env!("CARGO_BIN_EXE_outpost-agent"),
        Duration::from_secs(seconds),
        seed,
    );
    // A quicker pace than the hour-long run, so 30 s hold a few hundred actions.
    options.pause_ms = (10, 60);
    let report = soak::run(options).expect("the soak could not start");
    outpost_testkit::note(&report.text());
    if let Ok(out) = std::env::var("OUTPOST_RELIABILITY_OUT") {
        let command =
            format!("`cargo test -p outpost-agent --test soak_short` (OUTPOST_SOAK_SEED={seed})");
        let section = report
            .markdown(&command)
            .replace(soak::SECTION_BEGIN, "<!-- soak-short:begin -->")
            .replace(soak::SECTION_END, "<!-- soak-short:end -->")
            .replacen("## Soak:", "## Short soak (CI):", 1);
        write_section(
            std::path::Path::new(&out),
            "<!-- soak-short:begin -->",
            "<!-- soak-short:end -->",
            &section,
            "# Reliability\n\n",
        )
        .unwrap();
    }
    let c = &report.counters;
    // The run did what it is for, or its verdict means nothing.
    assert!(c.created >= 10, "too few sessions: {}", report.text());
    assert!(c.closed == c.created, "{}", report.text());
    assert!(c.agent_kills >= 2, "too few agent kills: {}", report.text());
    assert!(c.resumed_after_kill >= 1, "{}", report.text());
    assert!(c.detaches >= 3 && c.replays >= 1, "{}", report.text());
    assert!(c.bytes_new > 1_000_000, "{}", report.text());
    assert!(
        report.passed(),
        "the soak failed (seed {seed}):\n{}",
        report.text()
    );
}

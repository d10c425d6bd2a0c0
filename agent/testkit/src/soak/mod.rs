//! The soak: a long random workload on the real agent binary over pipes, checking every byte
//! and looking for leaks at the end. `agent/benches/soak.rs` runs it for an hour
//! (`make soak`); `agent/tests/soak_short.rs` runs the same code for about 30 s in CI.
//!
//! What it does, from a seeded random generator (the seed is printed and reported, so a run can
//! be repeated with `--seed`):
//!
//! - keeps up to [`SoakOptions::max_sessions`] sessions alive; each runs a small program
//!   ([`expected::PROGRAM`]) that prints numbered lines on request, so the exact output at
//!   every offset is known ([`expected::Expected`]);
//! - creates sessions (rings of 64 KiB, 256 KiB or 2 MiB), asks them for bursts of 1 to
//!   60 000 lines, detaches, reattaches from the frontier, from an earlier offset (a replay, at
//!   times older than the ring) or from whatever is held, reads random ranges, resizes, makes
//!   programs exit and closes sessions;
//! - kills the agent with SIGKILL on a random schedule, starts a new one, checks that it lists
//!   exactly the live sessions and that the runtime and state directories hold exactly their
//!   sockets, records and logs, and reattaches every attachment from where it stopped;
//! - keeps [`SoakOptions::anchors`] sessions from start to end (filled past their ring first)
//!   and samples the resident memory and descriptors of their daemons and of the agent.
//!
//! Every byte received, replayed or read is compared with the expected output ([`book`] lists
//! the rules). At the end every session is closed and the agent sees EOF; then no process of
//! the run may be left (not even a zombie: the soak is the child subreaper of its daemons and
//! reaps them, see [`procs`]), the directories must be empty, and neither the agent's nor the
//! anchors' memory may grow: the mean of the last 10% of samples may exceed the first 10% by at
//! most max(4 MiB, 50%); descriptors by at most 4 (a daemon) or 2 per session + 8 (the agent,
//! which holds a connection per session). Every breach is a failure in the [`SoakReport`].

mod actions;
pub mod agent;
pub mod book;
pub mod expected;
mod markdown;
pub mod procs;
mod runner;
pub mod trend;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub use book::{Counters, Leaks};
pub use trend::{Series, Trend};

/// First line of the soak's section in `docs/reliability.md`.
pub const SECTION_BEGIN: &str = "<!-- soak:begin -->";
/// Last line of the soak's section.
pub const SECTION_END: &str = "<!-- soak:end -->";

/// How a soak runs.
#[derive(Clone, Debug)]
pub struct SoakOptions {
    /// The agent binary.
    pub agent: PathBuf,
    /// How long the random phase lasts (closing everything comes after).
    pub duration: Duration,
    /// The random generator's seed.
    pub seed: u64,
    /// The most sessions alive at once.
    pub max_sessions: usize,
    /// Sessions kept from start to end, whose daemons' memory is sampled.
    pub anchors: usize,
    /// The pause between actions, a random number of milliseconds in this range (notifications
    /// are received meanwhile).
    pub pause_ms: (u64, u64),
    /// How long each agent lives before it is killed with SIGKILL, a random time in this range.
    pub agent_life: (Duration, Duration),
    /// How often memory and descriptors are sampled.
    pub sample_every: Duration,
}

impl SoakOptions {
    /// Defaults scaled to `duration`: 20 sessions, 3 anchors, an action every 50–250 ms, the
    /// agent killed about 8 times per run (every 2.5–7.5 min in an hour, every 2–6 s in 30 s),
    /// about 200 samples.
    pub fn new(agent: impl Into<PathBuf>, duration: Duration, seed: u64) -> SoakOptions {
        let life = (duration / 8).clamp(Duration::from_secs(4), Duration::from_secs(300));
        SoakOptions {
            agent: agent.into(),
            duration,
            seed,
            max_sessions: 20,
            anchors: 3,
            pause_ms: (50, 250),
            agent_life: (life / 2, life * 3 / 2),
            sample_every: (duration / 200)
                .clamp(Duration::from_millis(250), Duration::from_secs(10)),
        }
    }
}

/// A seed from the clock and the process id, for runs that do not name one.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 32)
}

/// What a soak found.
#[derive(Clone, Debug)]
pub struct SoakReport {
    /// The options it ran with.
    pub options: SoakOptions,
    /// Wall time, warm-up and final checks included.
    pub elapsed: Duration,
    /// What happened.
    pub counters: Counters,
    /// What the final checks found left over.
    pub leaks: Leaks,
    /// The failures (at most 100 kept).
    pub failures: Vec<String>,
    /// How many failures were found.
    pub failure_count: u64,
    /// The sampled series.
    pub series: Vec<Series>,
    /// CPU seconds of the soak process itself.
    pub cpu_self_s: f64,
    /// CPU seconds of the processes it reaped (agents, daemons and their programs).
    pub cpu_reaped_s: f64,
    /// The 1-, 5- and 15-minute load averages before and after.
    pub load: (String, String),
}

impl SoakReport {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.failure_count == 0
    }

    /// The report as a Markdown section between [`SECTION_BEGIN`] and [`SECTION_END`];
    /// `command` (Markdown, e.g. a command line in backticks) says how it was produced.
    pub fn markdown(&self, command: &str) -> String {
        markdown::render(self, command)
    }

    /// A few lines for a terminal.
    pub fn text(&self) -> String {
        markdown::text(self)
    }
}

/// Runs a soak. It makes this process a child subreaper and reaps its orphans, so run it in a
/// process of its own (a bench program, or a test binary holding only this test).
pub fn run(options: SoakOptions) -> Result<SoakReport> {
    procs::become_subreaper()?;
    let dir = tempfile::Builder::new()
        .prefix("osk")
        .tempdir_in("/tmp")
        .context("creating the soak's directory")?;
    crate::note(&format!(
        "soak: seed {} for {:?}, agent {}, home {}",
        options.seed,
        options.duration,
        options.agent.display(),
        dir.path().join("h").display()
    ));
    let load_before = crate::report::loadavg();
    let (cpu0, reaped0) = procs::cpu_seconds();
    let started = Instant::now();
    let mut runner = runner::Runner::new(options.clone(), dir.path());
    if let Err(e) = runner.run() {
        runner.book.fail(format!("the run stopped early: {e:#}"));
        runner.kill_leftovers();
    }
    let (cpu1, reaped1) = procs::cpu_seconds();
    let book = std::mem::take(&mut runner.book);
    Ok(SoakReport {
        options,
        elapsed: started.elapsed(),
        counters: book.counters,
        leaks: book.leaks,
        failures: book.failures,
        failure_count: book.failure_count,
        series: std::mem::take(&mut runner.series),
        cpu_self_s: cpu1 - cpu0,
        cpu_reaped_s: reaped1 - reaped0,
        load: (load_before, crate::report::loadavg()),
    })
}

//! The machine and the code a benchmark ran on, as its section of `docs/benchmarks.md` states
//! them: CPU, memory, kernel, date, the load average at the start and the end, the git revision,
//! the compiler and the peers' versions.

use std::process::{Command, Stdio};

use crate::report::loadavg;
use crate::summary::{git_revision, Machine};

/// The first line a command prints (its standard output, else its standard error, where `ssh -V`
/// writes), or `"?"`.
pub fn first_line(cmd: &mut Command) -> String {
    cmd.stdin(Stdio::null())
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}

/// What a benchmark's section says about where and from what it ran, read when it starts.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// CPU, cores, memory, kernel.
    pub machine: Machine,
    /// When the run started, "YYYY-MM-DD HH:MM UTC".
    pub date: String,
    /// The 1-, 5- and 15-minute load averages at the start.
    pub load_start: String,
    /// The git revision (see [`git_revision`]).
    pub revision: String,
    /// `rustc -V`.
    pub rustc: String,
    /// `ssh -V`.
    pub openssh: String,
}

impl RunInfo {
    /// This machine, now.
    pub fn now() -> RunInfo {
        RunInfo {
            machine: Machine::this(),
            date: first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
            load_start: loadavg(),
            revision: git_revision(),
            rustc: first_line(Command::new("rustc").arg("-V")),
            openssh: first_line(Command::new("ssh").arg("-V")),
        }
    }

    /// The "Machine" line of a section: CPU, memory, kernel, date, and the load average at the
    /// start and now (the end).
    pub fn machine_line(&self) -> String {
        let m = &self.machine;
        format!(
            "- Machine: {} × {} (`nproc` = {}), {} RAM, {}; {}. Load average (1/5/15 min) {} at the start, {} at the end (other work on the machine skews the figures).",
            m.cores,
            m.cpu,
            m.cores,
            m.memory,
            m.kernel,
            self.date,
            self.load_start,
            loadavg()
        )
    }
}

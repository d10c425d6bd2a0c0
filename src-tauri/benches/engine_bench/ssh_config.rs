//! The `~/.ssh/config` measures (issue 14): `outpost hosts show` of a 2,000-line configuration
//! (process wall time; target under 20 ms), and `outpost check ALIAS` — an alias of that
//! configuration, never saved, so resolution is included — against `ssh -F CONFIG ALIAS true`,
//! which resolves the same alias the same way (`ssh -G` shows what it uses), interleaved.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{ensure, Result};
use outpost_testkit::bench::doc::verdict;
use outpost_testkit::bench::stats::{median, spread};
use outpost_testkit::summary::{Measure, Stats};

use crate::check::timed;
use crate::{ms, Setup};

/// The alias measured.
const ALIAS: &str = "bench-alias";

/// Lines in the generated configuration.
pub const LINES: usize = 2000;

/// Every run's wall time, ms.
pub struct ConfigRuns {
    /// `outpost hosts show ALIAS`.
    pub show: Vec<f64>,
    /// `outpost check ALIAS`.
    pub check: Vec<f64>,
    /// `ssh -F CONFIG ALIAS true`.
    pub ssh: Vec<f64>,
    /// Lines of the configuration.
    pub lines: usize,
}

/// A configuration of [`LINES`] lines: blocks of wildcards, negations, `Match` lines and
/// options, with [`ALIAS`] (the server) near the end so every block before it is evaluated.
fn config(s: &Setup) -> String {
    let mut text = String::new();
    let mut n = 0;
    let mut i = 0;
    let tail = 12;
    while n + 5 + tail <= LINES {
        let _ = write!(
            text,
            "Host web{i}.example !web{i}-old db{i}-* cache{i}?\n  HostName 10.{}.{}.{}\n  User user{i}\n  Port {}\n  IdentityFile ~/.ssh/id_{i}\n",
            i / 65536 % 256,
            i / 256 % 256,
            i % 256,
            2000 + i % 1000
        );
        n += 5;
        i += 1;
        if n + 3 + tail <= LINES && i % 10 == 0 {
            let _ = write!(
                text,
                "Match originalhost m{i}-* user nobody{i}\n  ProxyJump j{i}\n  ServerAliveInterval {i}\n"
            );
            n += 3;
        }
    }
    let a = s.sshd.addr();
    let _ = write!(
        text,
        "Host {ALIAS}\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n  BatchMode yes\nHost *\n  ConnectTimeout 30\n  ForwardAgent no\n",
        a.ip(),
        a.port(),
        s.user.name,
        s.key.display(),
        s.known_hosts().display()
    );
    n += 12;
    while n < LINES {
        text.push_str("# padding\n");
        n += 1;
    }
    text
}

/// Writes the configuration as the bench home's `~/.ssh/config`, checks both clients agree on
/// the alias, then `n` runs of each measure, the order rotating.
pub fn runs(s: &Setup, n: usize) -> Result<ConfigRuns> {
    let text = config(s);
    let path: PathBuf = s.dir.path().join(".ssh/config");
    std::fs::write(&path, &text)?;
    let lines = text.lines().count();
    let ssh = || {
        let mut c = std::process::Command::new("ssh");
        c.arg("-F")
            .arg(&path)
            .args([ALIAS, "true"])
            .env_remove("SSH_AUTH_SOCK")
            .stdin(std::process::Stdio::null());
        c
    };
    // The two agree on what the alias means.
    let (_, shown) = timed(&mut s.outpost(&["hosts", "show", ALIAS]))?;
    let shown: serde_json::Value = serde_json::from_str(shown.trim())?;
    let (_, g) = timed(
        std::process::Command::new("ssh")
            .arg("-G")
            .arg("-F")
            .arg(&path)
            .arg(ALIAS),
    )?;
    let g = outpost_openssh::testing::parse_ssh_g(&g);
    for key in [
        "hostname",
        "port",
        "user",
        "identity_files",
        "user_known_hosts_files",
    ] {
        ensure!(
            shown["data"][key] == g[key],
            "{key}: outpost {} ssh -G {}",
            shown["data"][key],
            g[key]
        );
    }
    // Warm both paths (the agent is deployed already).
    timed(&mut s.outpost(&["check", ALIAS]))?;
    timed(&mut ssh())?;
    let mut r = ConfigRuns {
        show: Vec::new(),
        check: Vec::new(),
        ssh: Vec::new(),
        lines,
    };
    for i in 0..n {
        for k in 0..3 {
            match (i + k) % 3 {
                0 => r
                    .show
                    .push(ms(timed(&mut s.outpost(&["hosts", "show", ALIAS]))?.0)),
                1 => r
                    .check
                    .push(ms(timed(&mut s.outpost(&["check", ALIAS]))?.0)),
                _ => r.ssh.push(ms(timed(&mut ssh())?.0)),
            }
        }
    }
    Ok(r)
}

/// The rows of the generated section.
pub fn render(r: &ConfigRuns) -> String {
    let (show, check, ssh) = (median(&r.show), median(&r.check), median(&r.ssh));
    let ratio = check / ssh;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n`~/.ssh/config` ({} lines, N = {} runs each, interleaved; the alias is never saved, so both clients resolve it):\n",
        r.lines,
        r.show.len()
    );
    let _ = writeln!(
        s,
        "| what | ms (median) | spread | ratio | target | result |\n|---|---:|---:|---:|---|---|"
    );
    let _ = writeln!(
        s,
        "| `outpost --json hosts show {ALIAS}` (process wall time) | {show:.1} | {} | — | < 20 ms | {} |",
        spread(&r.show, 1),
        verdict(show < 20.0)
    );
    let _ = writeln!(
        s,
        "| `outpost --json check {ALIAS}` (deployed host) | {check:.1} | {} | {ratio:.2}× | ≤ 1.0× `ssh` | {} |",
        spread(&r.check, 1),
        verdict(ratio <= 1.0)
    );
    let _ = writeln!(
        s,
        "| `ssh -F CONFIG {ALIAS} true` | {ssh:.1} | {} | 1.00× | — | — |",
        spread(&r.ssh, 1)
    );
    s
}

/// The results file's measures.
pub fn measures(r: &ConfigRuns) -> Vec<Measure> {
    let show = median(&r.show);
    let check = Measure::new(
        "`outpost check ALIAS` of a 2,000-line ~/.ssh/config",
        "ms",
        Stats::of(&r.check),
    )
    .peer("ssh -F CONFIG ALIAS true", Stats::of(&r.ssh), None)
    .ratio_to("ssh -F CONFIG ALIAS true");
    let met = check.ratio.is_some_and(|x| x <= 1.0);
    vec![
        Measure::new(
            "`outpost hosts show` of a 2,000-line ~/.ssh/config",
            "ms",
            Stats::of(&r.show),
        )
        .goal("< 20 ms", show < 20.0),
        check.goal("≤ 1.0× ssh", met),
    ]
}

//! The through-the-jump-host half of the files bench: a file copied to and from a target behind
//! the jump host by `outpost cp` (SFTP spoken end to end through an `ssh` session's
//! ControlMaster on the jump host) and by OpenSSH `scp` with `ProxyJump`, on the same
//! jump/target topology (network namespaces when available), interleaved round by round; with
//! `--baseline PATH,...` also by other `outpost` binaries (e.g. a build of the previous commit),
//! for a before/after comparison in the same run.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use outpost_testkit::cli::Jumped;

use crate::{quiet, sha, timed};

/// Medians' inputs: MB/s per round for `outpost cp`, `scp -J` and each baseline, up and down.
pub struct JumpFigures {
    /// The tools' names, in the order of `up` and `down`.
    pub names: Vec<String>,
    /// Upload MB/s per round: `[outpost, scp, baselines…]`.
    pub up: Vec<Vec<f64>>,
    /// Download MB/s per round: `[outpost, scp, baselines…]`.
    pub down: Vec<Vec<f64>>,
    /// Peak RSS (KiB) of `outpost cp` over its runs, up and down.
    pub rss_kib: u64,
    /// Which topology ran (`netns`, or `loopback (why)`).
    pub topology: String,
}

/// An OpenSSH config naming the jump host `jump` and the target `target` (through `jump`).
fn ssh_config(j: &Jumped, dir: &Path) -> Result<std::path::PathBuf> {
    let known = j.cli.home().join(".ssh/known_hosts");
    let jump = j.topo.jump_addr().context("no jump sshd")?;
    let target = j.topo.target_addr();
    let common = format!(
        "  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  \
         StrictHostKeyChecking yes\n  BatchMode yes\n",
        j.user.name,
        j.key.display(),
        known.display()
    );
    let text = format!(
        "Host jump\n  HostName {}\n  Port {}\n{common}\nHost target\n  HostName {}\n  Port {}\n  \
         ProxyJump jump\n{common}",
        jump.ip(),
        jump.port(),
        target.ip(),
        target.port()
    );
    let path = dir.join("ssh_config");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// `outpost ARGS` by the binary `program` with the environment of `j`'s CLI.
fn outpost_cmd(j: &Jumped, program: &Path, args: &[&str]) -> Command {
    let cli = j.cli.cmd();
    let mut c = Command::new(program);
    for (k, v) in cli.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.args(args);
    c
}

/// Runs the rounds: `src` (of `mib` MiB) up to the target and back with `outpost cp`,
/// `scp -J` and each of the `baselines` (other `outpost` binaries).
pub fn run(
    outpost: &str,
    src: &Path,
    mib: u64,
    rounds: usize,
    baselines: &[std::path::PathBuf],
) -> Result<JumpFigures> {
    let j = Jumped::new(outpost);
    let topology = match j.topo.fallback_reason() {
        None => j.topo.kind().to_string(),
        Some(why) => format!("{} ({why})", j.topo.kind()),
    };
    let work = tempfile::tempdir()?;
    let config = ssh_config(&j, work.path())?;
    let sid = j.ssh_session();
    let want = sha(src);
    // Jump and target share this machine's file system.
    let remote_file = j.user.home.join("jbench.bin");
    let down = work.path().join("down.bin");
    let at = format!("jump:{sid}:jbench.bin");
    let mbps = |secs: f64| mib as f64 * 1.048_576 / secs;
    let mut programs = vec![std::path::PathBuf::from(outpost)];
    programs.extend(baselines.iter().cloned());
    let mut names = vec!["outpost cp".to_string(), "scp -J".to_string()];
    names.extend(
        baselines
            .iter()
            .map(|b| format!("baseline {}", b.display())),
    );
    let tools = names.len();
    let mut f = JumpFigures {
        names,
        up: vec![Vec::new(); tools],
        down: vec![Vec::new(); tools],
        rss_kib: 0,
        topology,
    };
    // The binary of an `outpost` tool (all but `scp -J`, tool 1).
    let program = |tool: usize| &programs[if tool == 0 { 0 } else { tool - 1 }];
    for round in 0..rounds {
        for tool in 0..tools {
            let _ = std::fs::remove_file(&remote_file);
            let mut c = if tool != 1 {
                outpost_cmd(&j, program(tool), &["cp", &src.display().to_string(), &at])
            } else {
                let mut c = Command::new("scp");
                c.arg("-F").arg(&config).arg(src).arg("target:jbench.bin");
                c
            };
            quiet(&mut c);
            let (secs, peak) = timed(c, "")?;
            if tool == 0 {
                f.rss_kib = f.rss_kib.max(peak);
            }
            ensure!(sha(&remote_file) == want, "tool {tool}: upload corrupted");
            f.up[tool].push(mbps(secs));
            let _ = std::fs::remove_file(&down);
            let mut c = if tool != 1 {
                outpost_cmd(&j, program(tool), &["cp", &at, &down.display().to_string()])
            } else {
                let mut c = Command::new("scp");
                c.arg("-F").arg(&config).arg("target:jbench.bin").arg(&down);
                c
            };
            quiet(&mut c);
            let (secs, peak) = timed(c, "")?;
            if tool == 0 {
                f.rss_kib = f.rss_kib.max(peak);
            }
            ensure!(sha(&down) == want, "tool {tool}: download corrupted");
            f.down[tool].push(mbps(secs));
            eprintln!(
                "files_bench: through the jump host, round {} {}: up {:.0} MB/s, down {:.0} MB/s",
                round + 1,
                f.names[tool],
                f.up[tool].last().unwrap(),
                f.down[tool].last().unwrap()
            );
        }
    }
    Ok(f)
}

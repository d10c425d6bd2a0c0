//! The through-the-jump-host half of the files bench: a file copied to and from a target behind
//! the jump host by `outpost cp` (SFTP spoken end to end through an `ssh` session's
//! ControlMaster on the jump host) and by OpenSSH `scp` with `ProxyJump`, on the same
//! jump/target topology (network namespaces when available), interleaved round by round.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use outpost_testkit::cli::Jumped;

use crate::{quiet, sha, timed};

/// Medians' inputs: MB/s per round for `outpost cp` and `scp -J`, up and down.
pub struct JumpFigures {
    /// Upload MB/s per round: `[outpost, scp]`.
    pub up: [Vec<f64>; 2],
    /// Download MB/s per round: `[outpost, scp]`.
    pub down: [Vec<f64>; 2],
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

/// Runs the rounds: `src` (of `mib` MiB) up to the target and back with both tools.
pub fn run(outpost: &str, src: &Path, mib: u64, rounds: usize) -> Result<JumpFigures> {
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
    let mut f = JumpFigures {
        up: [Vec::new(), Vec::new()],
        down: [Vec::new(), Vec::new()],
        topology,
    };
    for round in 0..rounds {
        for tool in 0..2 {
            let _ = std::fs::remove_file(&remote_file);
            let mut c = if tool == 0 {
                let mut c = j.cli.cmd();
                c.args(["cp", &src.display().to_string(), &at]);
                c
            } else {
                let mut c = Command::new("scp");
                c.arg("-F").arg(&config).arg(src).arg("target:jbench.bin");
                c
            };
            quiet(&mut c);
            let (secs, _) = timed(c, "")?;
            ensure!(sha(&remote_file) == want, "tool {tool}: upload corrupted");
            f.up[tool].push(mbps(secs));
            let _ = std::fs::remove_file(&down);
            let mut c = if tool == 0 {
                let mut c = j.cli.cmd();
                c.args(["cp", &at, &down.display().to_string()]);
                c
            } else {
                let mut c = Command::new("scp");
                c.arg("-F").arg(&config).arg("target:jbench.bin").arg(&down);
                c
            };
            quiet(&mut c);
            let (secs, _) = timed(c, "")?;
            ensure!(sha(&down) == want, "tool {tool}: download corrupted");
            f.down[tool].push(mbps(secs));
            eprintln!(
                "files_bench: through the jump host, round {} {}: up {:.0} MB/s, down {:.0} MB/s",
                round + 1,
                ["outpost cp", "scp -J"][tool],
                f.up[tool].last().unwrap(),
                f.down[tool].last().unwrap()
            );
        }
    }
    Ok(f)
}

//! The first measure: `outpost check` on an already-deployed host against `ssh HOST true`,
//! interleaved; the wall time of each process, from spawn to exit.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

use crate::{ms, Setup};

/// The key exchange russh negotiates with OpenSSH 9.2 (which lacks ML-KEM).
pub const RUSSH_KEX: &str = "curve25519-sha256";

/// Runs `cmd` to completion; its wall time and stdout. Fails unless it exits 0.
pub fn timed(cmd: &mut Command) -> Result<(Duration, String)> {
    let t = Instant::now();
    let out = cmd.output().context("spawning")?;
    let took = t.elapsed();
    ensure!(
        out.status.success(),
        "{cmd:?} failed ({}): {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((took, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// Every run's wall time, ms.
pub struct CheckVsSsh {
    pub check: Vec<f64>,
    pub ssh: Vec<f64>,
    /// `ssh … true` with russh's key exchange, for context.
    pub ssh_same_kex: Vec<f64>,
    /// `connect_ms` as `outpost check` reported it.
    pub connect: Vec<f64>,
}

/// Deploys, warms every path once, then `n` runs of each of the three, the order rotating.
pub fn check_vs_ssh(s: &Setup, n: usize) -> Result<CheckVsSsh> {
    // Deploy, then warm every path once (page cache, sshd's first fork).
    let (_, first) = timed(&mut s.outpost(&["check", "bench"]))?;
    let v: serde_json::Value = serde_json::from_str(first.trim())?;
    ensure!(
        v["data"]["deployed"] == true,
        "first check did not deploy: {v}"
    );
    timed(&mut s.ssh_true(None))?;
    timed(&mut s.ssh_true(Some(RUSSH_KEX)))?;
    let (_, again) = timed(&mut s.outpost(&["check", "bench"]))?;
    let v: serde_json::Value = serde_json::from_str(again.trim())?;
    ensure!(
        v["data"]["deployed"] == false,
        "second check deployed again: {v}"
    );

    let mut r = CheckVsSsh {
        check: Vec::new(),
        ssh: Vec::new(),
        ssh_same_kex: Vec::new(),
        connect: Vec::new(),
    };
    for i in 0..n {
        // Rotate which goes first, so none always runs right after another.
        for k in 0..3 {
            match (i + k) % 3 {
                0 => {
                    let (t, out) = timed(&mut s.outpost(&["check", "bench"]))?;
                    let v: serde_json::Value = serde_json::from_str(out.trim())?;
                    ensure!(v["data"]["deployed"] == false, "{v}");
                    r.check.push(ms(t));
                    r.connect
                        .push(v["data"]["connect_ms"].as_f64().unwrap_or(f64::NAN));
                }
                1 => r.ssh.push(ms(timed(&mut s.ssh_true(None))?.0)),
                _ => r
                    .ssh_same_kex
                    .push(ms(timed(&mut s.ssh_true(Some(RUSSH_KEX)))?.0)),
            }
        }
    }
    Ok(r)
}

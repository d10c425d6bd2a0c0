//! Running the probe on an `ssh` session's target, over the session's own ControlMaster.
//!
//! A [`ProbeShell`] is one `ssh` mux client running the probe loop on the target; each reading is
//! asked for with one newline, so a sampler costs no new `ssh` per sample. The client never
//! authenticates anew: `BatchMode=yes` forbids prompts, and `ProxyCommand=/bin/false` makes any
//! attempt at a fresh connection fail at once when the master is gone.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::probe::{self, Reading};
use crate::daemon::spec::SshWatch;

/// The most probe output read for one reading (a busy host's `/proc/*/stat` lines).
const MAX_OUTPUT: usize = 8 * 1024 * 1024;

/// A probe loop running on a target.
pub struct ProbeShell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ProbeShell {
    /// Starts the probe loop through the session's ControlMaster.
    pub fn start(ssh: &SshWatch) -> Result<ProbeShell, String> {
        // The stored argv ends with the one-shot remote command; the loop replaces it.
        let mut args = ssh.probe_args.clone();
        args.pop();
        args.push(probe::probe_command());
        let mut child = tokio::process::Command::new(&ssh.program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", ssh.program))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the probe has no pipes".into());
        };
        Ok(ProbeShell {
            child,
            stdin,
            stdout: BufReader::with_capacity(256 * 1024, stdout),
        })
    }

    /// Takes one reading; `Err` carries a sentence for people (the shell is then unusable).
    pub async fn read(&mut self, timeout: Duration) -> Result<Reading, String> {
        let run = async {
            self.stdin
                .write_all(b"\n")
                .await
                .map_err(|_| "the probe connection closed".to_string())?;
            self.stdin.flush().await.map_err(|e| e.to_string())?;
            let mut text = String::new();
            loop {
                let before = text.len();
                let n = self
                    .stdout
                    .read_line(&mut text)
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err(self.failure().await);
                }
                if text[before..].trim_end() == "@end" {
                    break;
                }
                if text.len() > MAX_OUTPUT {
                    return Err("the probe's output is too large".into());
                }
            }
            let mut r = probe::parse(&text).map_err(|e| e.to_string())?;
            r.at = super::now_ms();
            Ok(r)
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| format!("the target did not answer within {timeout:?}"))?
    }

    /// Why the probe's `ssh` ended, from its stderr.
    async fn failure(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                (&mut e).take(64 * 1024).read_to_string(&mut err),
            )
            .await;
        }
        let status = tokio::time::timeout(Duration::from_secs(1), self.child.wait()).await;
        match (err.trim(), status) {
            ("", Ok(Ok(s))) => format!("the probe failed ({s})"),
            ("", _) => "the probe failed".into(),
            (why, _) => format!("the probe failed: {why}"),
        }
    }
}

/// Takes two readings `gap` apart with a fresh probe shell (for snapshots).
pub async fn read_pair(
    ssh: &SshWatch,
    gap: Duration,
    timeout: Duration,
) -> Result<(Reading, Reading), String> {
    let mut shell = ProbeShell::start(ssh)?;
    let first = shell.read(timeout).await?;
    tokio::time::sleep(gap).await;
    let second = shell.read(timeout).await?;
    Ok((first, second))
}

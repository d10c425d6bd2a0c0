//! Running the probe on an `ssh` session's target, over the session's own ControlMaster.
//!
//! The probe's `ssh` is a mux client only: `BatchMode=yes` forbids prompts, and
//! `ProxyCommand=/bin/false` makes any attempt at a fresh connection fail at once, so a target is
//! never authenticated to a second time.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::probe::{self, Reading, PROBE_SCRIPT};
use crate::daemon::spec::SshWatch;

/// The most probe output read (a busy host's `/proc/*/stat` lines).
const MAX_OUTPUT: u64 = 8 * 1024 * 1024;

/// Runs the probe once; `Err` carries a sentence for people.
pub async fn read(ssh: &SshWatch, timeout: Duration) -> Result<Reading, String> {
    let mut child = tokio::process::Command::new(&ssh.program)
        .args(&ssh.probe_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", ssh.program))?;
    let run = async {
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(PROBE_SCRIPT.as_bytes())
                .await
                .map_err(|e| format!("cannot send the probe: {e}"))?;
        }
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (mut so, mut se) = (child.stdout.take(), child.stderr.take());
        let read_out = async {
            if let Some(s) = so.as_mut() {
                let _ = s.take(MAX_OUTPUT).read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(s) = se.as_mut() {
                let _ = s.take(64 * 1024).read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        let status = child.wait().await.map_err(|e| e.to_string())?;
        if !status.success() && out.is_empty() {
            let why = String::from_utf8_lossy(&err).trim().to_string();
            return Err(if why.is_empty() {
                format!("the probe failed ({status})")
            } else {
                format!("the probe failed: {why}")
            });
        }
        let mut r = probe::parse(&String::from_utf8_lossy(&out)).map_err(|e| e.to_string())?;
        r.at = super::now_ms();
        Ok(r)
    };
    tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| format!("the target did not answer within {timeout:?}"))?
}

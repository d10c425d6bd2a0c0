//! Starting a session daemon: the spec goes in on the launcher's stdin, the readiness report comes
//! back on its stdout.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::daemon::spec::{DaemonSpec, Readiness};

/// How long a daemon may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a daemon did not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The launcher could not be run.
    #[error("cannot run the session daemon ({exe}): {source}")]
    Exec {
        /// The binary.
        exe: String,
        /// Why.
        source: std::io::Error,
    },
    /// The daemon said it failed.
    #[error("{0}")]
    Failed(String),
    /// The daemon did not report in time.
    #[error("the session daemon did not start within {0:?}")]
    Timeout(Duration),
}

/// Starts a daemon for `spec` and returns its readiness.
pub async fn launch(spec: &DaemonSpec) -> Result<(u32, u32), LaunchError> {
    // /proc/self/exe still runs this very binary after it was replaced on disk (an upgrade),
    // where the path current_exe() reports would name a deleted file.
    let proc_exe = std::path::PathBuf::from("/proc/self/exe");
    let exe = if proc_exe.exists() {
        proc_exe
    } else {
        std::env::current_exe().map_err(|source| LaunchError::Exec {
            exe: "outpost-agent".into(),
            source,
        })?
    };
    let exec_err = |source| LaunchError::Exec {
        exe: exe.display().to_string(),
        source,
    };
    let mut child = tokio::process::Command::new(&exe)
        .arg("daemon")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(exec_err)?;
    let spec_json = serde_json::to_vec(spec).unwrap_or_default();
    let run = async {
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&spec_json).await.map_err(exec_err)?;
        }
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = child.stdout.take() {
            s.read_to_string(&mut out).await.map_err(exec_err)?;
        }
        if let Some(mut s) = child.stderr.take() {
            let _ = (&mut s).take(64 * 1024).read_to_string(&mut err).await;
        }
        let _ = child.wait().await;
        match serde_json::from_str::<Readiness>(out.trim()) {
            Ok(Readiness::Ready {
                daemon_pid,
                child_pid,
            }) => Ok((daemon_pid, child_pid)),
            Ok(Readiness::Failed { message }) => Err(LaunchError::Failed(message)),
            Err(_) => Err(LaunchError::Failed(format!(
                "the session daemon failed to start: {}",
                err.trim()
            ))),
        }
    };
    tokio::time::timeout(START_TIMEOUT, run)
        .await
        .map_err(|_| LaunchError::Timeout(START_TIMEOUT))?
}

//! A hop carried by a `ProxyCommand`: the command runs as `sh -c "exec COMMAND"` (argv, no
//! shell string built here: the command is the user's own configuration, its tokens already
//! expanded as OpenSSH expands them), SSH is spoken over its stdin and stdout, and its stderr is
//! kept (the last [`STDERR_LIMIT`] bytes) to explain a failure. The child lives as long as the
//! hop: it is killed when the connection is dropped, and killed and reaped on
//! [`ProxyChild::stop`].

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, Join};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::error::SshError;

/// The most stderr kept (its end).
pub(crate) const STDERR_LIMIT: usize = 4096;

/// How long a failed connection waits for the command to end before telling why.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The command's stdout (read) and stdin (write) as one stream.
pub(crate) type ProxyStream = Join<ChildStdout, ChildStdin>;

/// The running command.
pub(crate) struct ProxyChild {
    child: Child,
    command: String,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
}

/// Starts `command` for `host`; its stream and the child.
pub(crate) fn spawn(host: &str, command: &str) -> Result<(ProxyStream, ProxyChild), SshError> {
    let failed = |status: String| SshError::ProxyCommand {
        host: host.to_owned(),
        command: command.to_owned(),
        status,
        stderr: String::new(),
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("could not start: {e}")))?;
    let (Some(stdin), Some(stdout), Some(mut err)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(failed("could not start: no pipes".into()));
    };
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&stderr);
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 1024];
        while let Ok(n) = err.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > STDERR_LIMIT {
                let cut = kept.len() - STDERR_LIMIT;
                kept.drain(..cut);
            }
        }
    });
    tracing::debug!(host, command, "proxy command started");
    Ok((
        tokio::io::join(stdout, stdin),
        ProxyChild {
            child,
            command: command.to_owned(),
            stderr,
            reader,
        },
    ))
}

impl ProxyChild {
    /// The command's stderr so far, as text, trimmed.
    fn stderr_text(&self) -> String {
        let kept = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&kept).trim().to_owned()
    }

    /// Why connecting through the command failed with `error`: when the command has ended
    /// (waiting briefly), a [`SshError::ProxyCommand`] with its status and stderr; otherwise
    /// `error` itself (the command is then killed).
    pub(crate) async fn explain(mut self, host: &str, error: SshError) -> SshError {
        let status = match tokio::time::timeout(EXIT_GRACE, self.child.wait()).await {
            Ok(Ok(status)) => status,
            _ => {
                self.stop().await;
                return error;
            }
        };
        // Its stderr reaches EOF once it (and anything it started) has gone.
        let _ = tokio::time::timeout(EXIT_GRACE, &mut self.reader).await;
        let status = match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(&status),
        ) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            _ => "ended".to_owned(),
        };
        SshError::ProxyCommand {
            host: host.to_owned(),
            command: self.command.clone(),
            status,
            stderr: self.stderr_text(),
        }
    }

    /// Kills the command and reaps it.
    pub(crate) async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(EXIT_GRACE, self.child.wait()).await;
        self.reader.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn speaks_over_the_pipes() {
        let (mut stream, mut child) = spawn("h", "cat").unwrap();
        stream.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        child.stop().await;
        assert!(child.child.try_wait().unwrap().is_some(), "reaped");
    }

    #[tokio::test]
    async fn an_exit_is_explained_with_stderr() {
        let (_stream, child) = spawn("h", "sh -c 'echo no route to h >&2; exit 3'").unwrap();
        let e = child
            .explain(
                "h",
                SshError::Disconnected {
                    reason: "eof".into(),
                },
            )
            .await;
        assert_eq!(e.code(), "proxy_command");
        let text = e.to_string();
        assert!(text.contains("exited with status 3"), "{text}");
        assert!(text.contains("no route to h"), "{text}");
    }

    #[tokio::test]
    async fn stderr_is_bounded() {
        let (_stream, child) = spawn("h", "head -c 100000 /dev/zero | tr '\\0' x >&2").unwrap();
        let SshError::ProxyCommand { stderr, .. } = child
            .explain(
                "h",
                SshError::Disconnected {
                    reason: "eof".into(),
                },
            )
            .await
        else {
            panic!("not explained");
        };
        assert_eq!(stderr.len(), STDERR_LIMIT);
    }
}

//! Running the probe on an `ssh` session's target, over the session's own ControlMaster.
//!
//! A [`ProbeShell`] is one `ssh` mux client running the probe loop on the target; each reading is
//! asked for with one newline, so a sampler costs no new `ssh` per sample. The client never
//! authenticates anew: `BatchMode=yes` forbids prompts, and `ProxyCommand=/bin/false` makes any
//! attempt at a fresh connection fail at once when the master is gone.
//!
//! The target is not trusted. Its `ssh` command line is rebuilt here ([`ProbeCommand`]) from the
//! validated host, user and port of the session's metadata and the agent's own `ssh` and
//! ControlMaster path, never taken from the file. Its output is read in bounded lines
//! ([`MAX_PROBE_LINE_BYTES`], [`MAX_PROBE_LINES`], [`MAX_PROBE_BYTES`]) and parsed on a
//! blocking thread, never on the agent's async workers.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use outpost_protocol::monitor::{ProcessSample, Sample};
use outpost_protocol::session::SshSpec;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::probe::{self, Reading};
use crate::daemon::spec::SshWatch;
use crate::paths::Paths;
use crate::ssh::argv;

/// The longest line of probe output kept, in bytes; longer lines are dropped (a `df` line holds
/// a mount point of at most `PATH_MAX`, a `/proc/PID/stat` line a name of at most 16 bytes, an `argv[0]` line at most
/// [`probe::MAX_CMDLINE_BYTES`]).
pub const MAX_PROBE_LINE_BYTES: usize = 16 * 1024;

/// The most lines one reading may have (cores, interfaces, mounts and processes together).
pub const MAX_PROBE_LINES: usize = 200_000;

/// The most bytes one reading may have.
pub const MAX_PROBE_BYTES: usize = 8 * 1024 * 1024;

/// The `ssh` command that runs the probe for one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeCommand {
    /// The `ssh` binary the agent finds in its own `PATH`.
    pub program: PathBuf,
    /// Its arguments, up to (not including) the remote command.
    pub args: Vec<String>,
}

impl ProbeCommand {
    /// Rebuilds the probe's command for session `session_id` from what its metadata file says
    /// about the target, validated as a new session's would be; nothing else is taken from it.
    pub fn for_session(
        paths: &Paths,
        session_id: &str,
        watch: &SshWatch,
    ) -> Result<ProbeCommand, String> {
        let spec = SshSpec {
            host: watch.host.clone(),
            user: watch.user.clone(),
            port: watch.port,
            ..Default::default()
        };
        argv::validate(&spec).map_err(|e| format!("session {session_id}: {}", e.message))?;
        let program = argv::find_ssh().map_err(|e| e.message)?;
        let control_path = paths.control_path(session_id).map_err(|e| e.to_string())?;
        let mut args = argv::probe_argv(&spec, &control_path);
        // The remote command is the probe loop, added when the shell starts.
        args.pop();
        Ok(ProbeCommand { program, args })
    }
}

/// A probe loop running on a target.
pub struct ProbeShell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ProbeShell {
    /// Starts the probe loop through the session's ControlMaster.
    pub fn start(cmd: &ProbeCommand) -> Result<ProbeShell, String> {
        let mut child = tokio::process::Command::new(&cmd.program)
            .args(&cmd.args)
            .arg(probe::probe_command())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", cmd.program.display()))?;
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
            let lines = self.ask("").await?;
            let parsed = tokio::task::spawn_blocking(move || {
                probe::parse_lines(lines.iter().map(String::as_str))
            })
            .await
            .map_err(|e| format!("parsing failed: {e}"))?;
            let mut r = parsed.map_err(|e| e.to_string())?;
            r.at = super::now_ms();
            Ok(r)
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| format!("the target did not answer within {timeout:?}"))?
    }

    /// Gives the processes of `top` whose names the kernel may have cut their whole names, read
    /// from their `argv[0]` on the target ([`probe::argv0_request`]); nothing to ask, no trip.
    pub async fn name_whole(
        &mut self,
        top: &mut [ProcessSample],
        timeout: Duration,
    ) -> Result<(), String> {
        let Some(request) = probe::argv0_request(top) else {
            return Ok(());
        };
        let lines = tokio::time::timeout(timeout, self.ask(&request))
            .await
            .map_err(|_| format!("the target did not answer within {timeout:?}"))??;
        probe::apply_argv0s(top, lines.iter().map(String::as_str));
        Ok(())
    }

    /// Sends one request line and reads its answer, through `@end`.
    async fn ask(&mut self, request: &str) -> Result<Vec<String>, String> {
        let closed = |_| "the probe connection closed".to_string();
        self.stdin
            .write_all(request.as_bytes())
            .await
            .map_err(closed)?;
        self.stdin.write_all(b"\n").await.map_err(closed)?;
        self.stdin.flush().await.map_err(|e| e.to_string())?;
        match read_lines(&mut self.stdout).await? {
            Some(lines) => Ok(lines),
            None => Err(self.failure().await),
        }
    }

    /// Why the probe's `ssh` ended, from its stderr (cleaned: it may come from the target).
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
        match (probe::clean_text(err.trim()).as_str(), status) {
            ("", Ok(Ok(s))) => format!("the probe failed ({s})"),
            ("", _) => "the probe failed".into(),
            (why, _) => format!("the probe failed: {why}"),
        }
    }
}

/// Reads one reading's lines, through the line that is `@end`; `None` at end of file. Lines
/// over [`MAX_PROBE_LINE_BYTES`] are dropped; more than [`MAX_PROBE_LINES`] lines or
/// [`MAX_PROBE_BYTES`] bytes fail the reading. Each byte is looked at once.
async fn read_lines<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<Option<Vec<String>>, String> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut dropped = 0usize;
    let mut total = 0usize;
    loop {
        let buf = r.fill_buf().await.map_err(|e| e.to_string())?;
        if buf.is_empty() {
            return Ok(None);
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let piece = &buf[..newline.unwrap_or(buf.len())];
        if !overlong && line.len() + piece.len() > MAX_PROBE_LINE_BYTES {
            overlong = true;
            line = Vec::new();
        }
        if !overlong {
            line.extend_from_slice(piece);
        }
        let used = newline.map_or(buf.len(), |n| n + 1);
        r.consume(used);
        total += used;
        if total > MAX_PROBE_BYTES {
            return Err(format!(
                "the probe's output is over {MAX_PROBE_BYTES} bytes"
            ));
        }
        if newline.is_none() {
            continue;
        }
        if std::mem::take(&mut overlong) {
            dropped += 1;
            continue;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        line.clear();
        let end = text.trim_end() == "@end";
        lines.push(text);
        if end {
            if dropped > 0 {
                tracing::debug!(dropped, "dropped overlong lines of probe output");
            }
            return Ok(Some(lines));
        }
        if lines.len() > MAX_PROBE_LINES {
            return Err(format!(
                "the probe's output is over {MAX_PROBE_LINES} lines"
            ));
        }
    }
}

/// The gap between the two readings a sampler's first sample is taken from.
pub const FIRST_GAP: Duration = Duration::from_millis(250);

/// The next sample of a target from `shell`: a reading turned into a sample against `prev`
/// (itself read [`FIRST_GAP`] before when there is none, so even a first sample carries real
/// CPU figures, never zeros computed against nothing), with whole process names. The reading
/// becomes the new `prev`.
pub async fn next_sample(
    shell: &mut ProbeShell,
    prev: &mut Option<Box<Reading>>,
    timeout: Duration,
) -> Result<Sample, String> {
    if prev.is_none() {
        *prev = Some(Box::new(shell.read(timeout).await?));
        tokio::time::sleep(FIRST_GAP).await;
    }
    let cur = shell.read(timeout).await?;
    let before = prev.take();
    // Turning readings into samples runs on a blocking thread, never on the async workers.
    let (mut sample, cur) =
        tokio::task::spawn_blocking(move || (probe::sample(&cur, before.as_deref()), cur))
            .await
            .map_err(|e| format!("sampling failed: {e}"))?;
    *prev = Some(Box::new(cur));
    shell.name_whole(&mut sample.top, timeout).await?;
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A probe shell whose "target" is a local `sh` running `script` for each reading.
    fn shell(script: &str) -> ProbeShell {
        let cmd = ProbeCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
        };
        ProbeShell::start(&cmd).unwrap_or_else(|e| panic!("{e}"))
    }

    const VALID: &str = "printf '@uname\\nLinux\\nh\\n6\\n@meminfo\\nMemTotal: 1 kB\\n@end\\n'";

    #[tokio::test]
    async fn too_many_lines_fail_the_reading() {
        let script =
            format!("while read -r _; do printf '@junk\\n'; yes x | head -n 300000; {VALID}; done");
        let mut sh = shell(&script);
        let r = sh.read(Duration::from_secs(20)).await;
        assert!(r.is_err(), "300,000 lines were accepted");
    }

    #[tokio::test]
    async fn an_endless_line_fails_at_once() {
        let script = "while read -r _; do head -c 20000000 /dev/zero | tr '\\0' x; sleep 60; done";
        let mut sh = shell(script);
        let started = Instant::now();
        let r = sh.read(Duration::from_secs(8)).await;
        let took = started.elapsed();
        assert!(r.is_err());
        assert!(took < Duration::from_secs(4), "took {took:?}: {r:?}");
    }

    #[tokio::test]
    async fn an_overlong_line_is_dropped() {
        let script = format!(
            "while read -r _; do printf '@junk\\n'; head -c 100000 /dev/zero | tr '\\0' x; echo; {VALID}; done"
        );
        let mut sh = shell(&script);
        let r = sh.read(Duration::from_secs(10)).await;
        assert!(r.is_ok_and(|r| r.memory.total_bytes == 1024));
    }

    #[test]
    fn the_probe_command_is_rebuilt_not_read() {
        let paths = Paths::new(
            std::path::Path::new("/run/x"),
            std::path::Path::new("/state/x"),
            0,
        );
        let mut watch = SshWatch {
            target: "ann@db".into(),
            host: "db".into(),
            user: Some("ann".into()),
            port: None,
            control_path: "/elsewhere.cm".into(),
            program: "/usr/bin/touch".into(),
            check_args: Vec::new(),
            probe_args: vec!["/tmp/pwned".into()],
        };
        let cmd = ProbeCommand::for_session(&paths, "abc", &watch);
        let cmd = cmd.unwrap_or_else(|e| panic!("{e}"));
        assert!(cmd.program.ends_with("ssh"), "{cmd:?}");
        let control = paths.control_path("abc").map(|p| p.display().to_string());
        let control = control.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            cmd.args.contains(&format!("ControlPath={control}")),
            "{cmd:?}"
        );
        assert!(!cmd
            .args
            .iter()
            .any(|a| a.contains("pwned") || a.contains("elsewhere")));
        assert_eq!(cmd.args.last().map(String::as_str), Some("db"));
        watch.host = "-oProxyCommand=sh".into();
        assert!(ProbeCommand::for_session(&paths, "abc", &watch).is_err());
    }

    #[tokio::test]
    async fn a_valid_reading_passes() {
        let mut sh = shell(&format!("while read -r _; do {VALID}; done"));
        let r = sh.read(Duration::from_secs(10)).await;
        assert!(r.is_ok_and(|r| r.memory.total_bytes == 1024));
    }
}

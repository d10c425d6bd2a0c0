//! `exec.run`: one command, no terminal, on the agent's host or on an ssh session's target.
//!
//! [`Run::check`] validates the params (exactly one of `argv` and `shell`; bounded argv, env and
//! stdin; env names `[A-Za-z_][A-Za-z0-9_]*`; no NUL anywhere); [`Run::local`] and
//! [`Run::on_target`] then run it and collect a [`RunResult`]:
//!
//! - the command runs in a process group of its own, stdin is the given bytes (or `/dev/null`),
//!   stdout and stderr are read separately; each keeps its first `max_output` bytes and the rest
//!   is read and dropped (`*_truncated`), so a chatty command never blocks on a full pipe;
//! - at the timeout the whole group gets `SIGKILL` and the result says `timed_out` (with what
//!   was printed so far); a command that exits while something it started still holds its
//!   output open is waited for until the timeout too;
//! - a program that cannot be started (not found, not executable, a `cwd` that is no
//!   directory) is `spawn_failed` (-32012) on the agent's host.
//!
//! On a target the command goes through the session's own ControlMaster, with the `ssh` argv
//! the monitoring probe uses ([`ProbeCommand`]: rebuilt from the session's validated metadata,
//! `ControlMaster=no`, `BatchMode=yes`, `ProxyCommand=/bin/false`), so nothing authenticates
//! anew; the route refuses with `target_unavailable` (-32006) when the session's link is not up
//! (`session_not_running`, -32005, when it has exited). `ssh` hands the target's login shell
//! one command line; Outpost never builds it from the caller's values: the line is the constant
//! [`TARGET_SCRIPT`] run by `sh -c`, followed by the cwd, the `NAME=value` pairs and the argv as
//! separate words, each quoted by [`quote_word`] so that the login shell passes it through as
//! data (POSIX shells and fish alike). On a target a missing program is exit code 127 and a
//! `cwd` that cannot be entered exit code 126, from `sh`, with its message on stderr. Killing
//! `ssh` at the timeout closes the channel; the remote command then loses its output pipes
//! (and ends at its next write, with `SIGPIPE`) rather than being signalled.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use outpost_protocol::exec::{
    RunParams, RunResult, DEFAULT_EXEC_OUTPUT_BYTES, DEFAULT_EXEC_TIMEOUT_MS, EXEC_OUTPUT_RANGE,
    EXEC_TIMEOUT_RANGE, MAX_EXEC_COMMAND_BYTES, MAX_RUN_ARGS, MAX_RUN_ENV, MAX_RUN_STDIN_BYTES,
};
use outpost_protocol::{Base64Bytes, ErrorCode, ErrorObject};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::monitor::remote::ProbeCommand;

/// The longest `cwd`, in bytes (Linux's `PATH_MAX`).
pub const MAX_CWD_BYTES: usize = 4096;

/// The longest environment value, in bytes (Linux refuses longer single strings at `exec`).
pub const MAX_ENV_VALUE_BYTES: usize = 128 * 1024;

/// What the target's `sh` runs: `$1` is the directory to enter (empty: stay in the login
/// directory), then `NAME=value` words up to `--`, then the argv. The caller's values are only
/// ever these positional words, never part of this code.
pub const TARGET_SCRIPT: &str = r#"d=$1; shift
if [ -n "$d" ]; then cd -- "$d" || exit 126; fi
while [ "$#" -gt 0 ]; do
  case $1 in --) shift; break ;; esac
  export "$1" || exit 126; shift
done
exec "$@""#;

/// After the timeout's kill, how long the output pipes get to close.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

/// How much is read from a pipe at a time.
const READ_BUF: usize = 16 * 1024;

fn invalid(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

fn spawn_failed(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::SpawnFailed, msg)
}

/// A timeout asked for (default [`DEFAULT_EXEC_TIMEOUT_MS`]), checked against
/// [`EXEC_TIMEOUT_RANGE`] (-32602 outside it).
pub fn check_timeout_ms(asked: Option<u64>) -> Result<u64, ErrorObject> {
    let ms = asked.unwrap_or(DEFAULT_EXEC_TIMEOUT_MS);
    if !EXEC_TIMEOUT_RANGE.contains(&ms) {
        return Err(invalid(format!(
            "timeout_ms must be {}..={} (got {ms})",
            EXEC_TIMEOUT_RANGE.start(),
            EXEC_TIMEOUT_RANGE.end()
        )));
    }
    Ok(ms)
}

/// An output cap asked for (default [`DEFAULT_EXEC_OUTPUT_BYTES`]), checked against
/// [`EXEC_OUTPUT_RANGE`] (-32602 outside it).
pub fn check_max_output(asked: Option<u64>) -> Result<u64, ErrorObject> {
    let max = asked.unwrap_or(DEFAULT_EXEC_OUTPUT_BYTES);
    if !EXEC_OUTPUT_RANGE.contains(&max) {
        return Err(invalid(format!(
            "max_output must be {}..={} (got {max})",
            EXEC_OUTPUT_RANGE.start(),
            EXEC_OUTPUT_RANGE.end()
        )));
    }
    Ok(max)
}

/// Whether `name` is an environment variable name `exec.run` accepts.
pub fn valid_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Quotes one word for the login shell of an ssh target so that it reads back as exactly
/// `word`: single quotes around it, each `'` as `'\''` and each `\` as `'\\'` (outside the
/// quotes, where POSIX shells and fish both read `\\` as one backslash; fish would read `\\`
/// inside single quotes as one too, POSIX shells as two).
pub fn quote_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        match c {
            '\'' => out.push_str(r"'\''"),
            '\\' => out.push_str(r"'\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A checked `exec.run` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The program and its arguments (`sh -c LINE` for a shell line).
    pub argv: Vec<String>,
    /// The working directory; `None`: the home directory.
    pub cwd: Option<String>,
    /// Variables added to the environment.
    pub env: BTreeMap<String, String>,
    /// Bytes for stdin; `None`: `/dev/null`.
    pub stdin: Option<Vec<u8>>,
    /// When to kill it.
    pub timeout: Duration,
    /// The most bytes kept of each of stdout and stderr.
    pub max_output: usize,
}

fn no_nul(what: &str, s: &str) -> Result<(), ErrorObject> {
    if s.contains('\0') {
        return Err(invalid(format!("{what} may not contain NUL")));
    }
    Ok(())
}

impl Run {
    /// Checks `p` against the bounds of [`outpost_protocol::exec`] (-32602 when outside them).
    pub fn check(p: RunParams) -> Result<Run, ErrorObject> {
        let argv = match (p.argv, p.shell) {
            (Some(argv), None) => {
                if argv.is_empty() || argv.len() > MAX_RUN_ARGS {
                    return Err(invalid(format!(
                        "argv must have 1..={MAX_RUN_ARGS} entries (got {})",
                        argv.len()
                    )));
                }
                if argv[0].is_empty() {
                    return Err(invalid("argv[0] (the program) may not be empty"));
                }
                for arg in &argv {
                    no_nul("argv", arg)?;
                }
                argv
            }
            (None, Some(line)) => {
                if line.is_empty() || line.len() > MAX_EXEC_COMMAND_BYTES {
                    return Err(invalid(format!(
                        "shell must be 1..={MAX_EXEC_COMMAND_BYTES} bytes (got {})",
                        line.len()
                    )));
                }
                no_nul("shell", &line)?;
                vec!["sh".into(), "-c".into(), line]
            }
            _ => return Err(invalid("give exactly one of argv and shell")),
        };
        if let Some(cwd) = &p.cwd {
            if cwd.is_empty() || cwd.len() > MAX_CWD_BYTES {
                return Err(invalid(format!("cwd must be 1..={MAX_CWD_BYTES} bytes")));
            }
            no_nul("cwd", cwd)?;
        }
        if p.env.len() > MAX_RUN_ENV {
            return Err(invalid(format!(
                "env may have at most {MAX_RUN_ENV} variables (got {})",
                p.env.len()
            )));
        }
        for (name, value) in &p.env {
            if !valid_env_name(name) {
                return Err(invalid(format!(
                    "env name {name:?} is not [A-Za-z_][A-Za-z0-9_]*"
                )));
            }
            if value.len() > MAX_ENV_VALUE_BYTES {
                return Err(invalid(format!(
                    "env {name} is {} bytes; at most {MAX_ENV_VALUE_BYTES}",
                    value.len()
                )));
            }
            no_nul("env values", value)?;
        }
        let stdin = p.stdin.map(|b| b.0);
        if let Some(stdin) = &stdin {
            if stdin.len() > MAX_RUN_STDIN_BYTES {
                return Err(invalid(format!(
                    "stdin is {} bytes; at most {MAX_RUN_STDIN_BYTES}",
                    stdin.len()
                )));
            }
        }
        let timeout_ms = check_timeout_ms(p.timeout_ms)?;
        let max_output = check_max_output(p.max_output)?;
        Ok(Run {
            argv,
            cwd: p.cwd,
            env: p.env,
            stdin,
            timeout: Duration::from_millis(timeout_ms),
            max_output: usize::try_from(max_output).unwrap_or(usize::MAX),
        })
    }

    /// The command line the target's login shell gets (see the module doc).
    pub fn target_command(&self) -> String {
        let mut words = vec![
            "exec".to_string(),
            "sh".into(),
            "-c".into(),
            quote_word(TARGET_SCRIPT),
            "outpost-run".into(),
            quote_word(self.cwd.as_deref().unwrap_or("")),
        ];
        for (name, value) in &self.env {
            words.push(quote_word(&format!("{name}={value}")));
        }
        words.push("--".into());
        words.extend(self.argv.iter().map(|a| quote_word(a)));
        words.join(" ")
    }

    /// Runs the command on this host.
    pub async fn local(&self) -> Result<RunResult, ErrorObject> {
        let cwd = match &self.cwd {
            Some(cwd) => std::path::PathBuf::from(cwd),
            None => outpost_openssh::home::home_dir()
                .ok_or_else(|| spawn_failed("no home directory to run in; give cwd"))?,
        };
        if !cwd.is_dir() {
            return Err(spawn_failed(format!(
                "cwd {} is not a directory",
                cwd.display()
            )));
        }
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..]).current_dir(&cwd).envs(&self.env);
        let child = self
            .spawn(cmd)
            .map_err(|e| spawn_failed(format!("cannot start {:?}: {e}", self.argv[0])))?;
        Ok(self.collect(child).await)
    }

    /// Runs the command on the target of the ssh session whose probe command is `ssh`.
    pub async fn on_target(&self, ssh: &ProbeCommand) -> Result<RunResult, ErrorObject> {
        let mut cmd = Command::new(&ssh.program);
        cmd.args(&ssh.args).arg(self.target_command());
        let child = self
            .spawn(cmd)
            .map_err(|e| spawn_failed(format!("cannot start {}: {e}", ssh.program.display())))?;
        Ok(self.collect(child).await)
    }

    fn spawn(&self, mut cmd: Command) -> std::io::Result<Child> {
        cmd.process_group(0)
            .kill_on_drop(true)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn()
    }

    /// Feeds stdin, collects the output and the status, kills the group at the timeout.
    async fn collect(&self, mut child: Child) -> RunResult {
        let started = Instant::now();
        // The group's id is the child's pid (`process_group(0)`); taken now, as the handle
        // forgets it once the child is reaped, while the group lives on in what it started.
        let group = child.id().and_then(|p| i32::try_from(p).ok());
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let feeder = match (child.stdin.take(), &self.stdin) {
            (Some(mut pipe), Some(bytes)) => {
                let bytes = bytes.clone();
                Some(tokio::spawn(async move {
                    // A command that does not read its input closes the pipe: not an error.
                    let _ = pipe.write_all(&bytes).await;
                }))
            }
            _ => None,
        };
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let mut out = Capture::new(self.max_output);
        let mut err = Capture::new(self.max_output);
        let mut status = None;
        let finished = tokio::time::timeout_at(deadline, async {
            let (s, (), ()) = tokio::join!(
                child.wait(),
                out.drain(stdout.as_mut()),
                err.drain(stderr.as_mut())
            );
            s
        })
        .await;
        let timed_out = match finished {
            Ok(s) => {
                status = s.ok();
                false
            }
            Err(_) => true,
        };
        if timed_out {
            if let Some(pid) = group {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = tokio::time::timeout(DRAIN_AFTER_KILL, async {
                tokio::join!(out.drain(stdout.as_mut()), err.drain(stderr.as_mut()))
            })
            .await;
            status = match child.try_wait() {
                Ok(Some(s)) => Some(s),
                _ => tokio::time::timeout(DRAIN_AFTER_KILL, child.wait())
                    .await
                    .ok()
                    .and_then(Result::ok),
            };
        }
        if let Some(feeder) = feeder {
            feeder.abort();
        }
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        RunResult {
            exit_code: status.and_then(|s| s.code()),
            signal: status.and_then(|s| s.signal()),
            stdout: Base64Bytes(out.data),
            stderr: Base64Bytes(err.data),
            stdout_truncated: out.truncated,
            stderr_truncated: err.truncated,
            timed_out,
            duration_ms,
        }
    }
}

/// One output stream: its first `cap` bytes, and whether more came.
struct Capture {
    data: Vec<u8>,
    cap: usize,
    truncated: bool,
    done: bool,
}

impl Capture {
    fn new(cap: usize) -> Self {
        Self {
            data: Vec::new(),
            cap,
            truncated: false,
            done: false,
        }
    }

    /// Reads the pipe to its end (or until the future is dropped; what was read stays here).
    async fn drain<R: AsyncRead + Unpin>(&mut self, pipe: Option<&mut R>) {
        let Some(pipe) = pipe else {
            return;
        };
        let mut buf = vec![0; READ_BUF];
        while !self.done {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => self.done = true,
                Ok(n) => {
                    let room = self.cap.saturating_sub(self.data.len());
                    let keep = n.min(room);
                    self.data.extend_from_slice(&buf[..keep]);
                    if keep < n {
                        self.truncated = true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params() -> RunParams {
        RunParams::argv(["true"])
    }

    #[test]
    fn bounds_are_checked() {
        assert!(Run::check(params()).is_ok());
        let env = |name: &str, value: &str| RunParams {
            env: [(name.to_string(), value.to_string())].into(),
            ..params()
        };
        for bad in [
            RunParams {
                argv: None,
                ..params()
            },
            RunParams {
                shell: Some("true".into()),
                ..params()
            },
            RunParams {
                argv: Some(vec![]),
                ..params()
            },
            RunParams {
                argv: Some(vec!["".into()]),
                ..params()
            },
            RunParams {
                argv: Some(vec!["a\0b".into()]),
                ..params()
            },
            RunParams {
                argv: None,
                shell: Some(String::new()),
                ..params()
            },
            RunParams {
                cwd: Some("/tmp\0".into()),
                ..params()
            },
            RunParams {
                timeout_ms: Some(0),
                ..params()
            },
            RunParams {
                max_output: Some(EXEC_OUTPUT_RANGE.end() + 1),
                ..params()
            },
            RunParams {
                stdin: Some(Base64Bytes(vec![0; MAX_RUN_STDIN_BYTES + 1])),
                ..params()
            },
            env("1X", "v"),
            env("A-B", "v"),
            env("", "v"),
            env("A=B", "v"),
            env("OK", "nul\0"),
        ] {
            let e = Run::check(bad.clone())
                .err()
                .unwrap_or_else(|| panic!("{bad:?} passed"));
            assert_eq!(e.code, ErrorCode::InvalidParams.code(), "{bad:?}");
        }
        assert!(Run::check(env("_A1", "anything; $(x) 'q'")).is_ok());
    }

    /// What `SHELL -c "printf '%s<RS>' WORDS"` (a login shell's reading) makes of the quoted
    /// words (RS: the record separator character, literal in every shell's single quotes).
    fn read_back(shell: &str, words: &[String]) -> Vec<String> {
        let line = format!(
            "printf '%s\u{1e}' {}",
            words
                .iter()
                .map(|w| quote_word(w))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let out = std::process::Command::new(shell)
            .arg("-c")
            .arg(&line)
            .output()
            .unwrap_or_else(|e| panic!("{shell}: {e}"));
        assert!(out.status.success(), "{shell}: {out:?}");
        let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split('\u{1e}')
            .map(String::from)
            .collect();
        words.pop();
        words
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn quoted_words_read_back_verbatim(
            words in proptest::collection::vec("[ -~\\n\\té]{0,12}", 1..4)
        ) {
            for shell in ["sh", "bash", "dash", "zsh", "fish"] {
                if std::process::Command::new(shell).arg("-c").arg("true").output().is_err() {
                    continue;
                }
                prop_assert_eq!(read_back(shell, &words), words.clone(), "{}", shell);
            }
        }
    }
}

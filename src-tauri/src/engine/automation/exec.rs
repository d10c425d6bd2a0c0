//! Typed calls of the automation methods on one agent connection, with errors as data:
//! `session.exec` ([`session_exec`]), `session.exec_result` ([`exec_result`]), `session.expect`
//! ([`expect`]) and `exec.run` ([`run`]).
//!
//! Each call waits as long as the agent may take (its own timeout) plus [`CALL_MARGIN`], so a
//! command that is allowed ten minutes is not cut off by the client's default. What the desktop
//! can check by itself is refused before anything is sent ([`AutomationError`]: an empty
//! command, a pattern that does not compile, an environment assignment without a name); the
//! agent's refusals keep their JSON-RPC codes, named by [`EngineError::code`]
//! (`session_busy`, `exec_not_found`, `timed_out`, `spawn_failed`, `rpc_32602` for other bad
//! params).
//!
//! Nothing here retries: a `session.exec` or `exec.run` that may have started is never sent twice.

use std::collections::BTreeMap;
use std::time::Duration;

use outpost_protocol::exec::{
    ExecParams, ExecResult, ExecResultParams, ExpectParams, ExpectResult, OnTimeout, RunParams,
    RunResult, DEFAULT_EXEC_TIMEOUT_MS, MAX_EXPECT_PATTERNS, MAX_EXPECT_PATTERN_BYTES,
};
use outpost_protocol::method;
use outpost_protocol::session::{LinkState, SessionInfo, SessionKind, SessionState, SshSpec};
use serde::Deserialize;

use super::AutomationError;
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::store::targets::parse_destination;
use crate::engine::EngineError;

/// How much longer than the agent's own timeout a call waits for its answer.
pub const CALL_MARGIN: Duration = Duration::from_secs(15);

/// A command for sessions' shells: `session.exec` without the session, so that one command can
/// be sent to many sessions ([`super::group::run_in_sessions`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionCommand {
    /// The command line, as typed at the prompt.
    pub command: String,
    /// How long to wait, in ms (the agent's default when `None`).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// What to do when the timeout passes (return, the command goes on; or interrupt it).
    #[serde(default)]
    pub on_timeout: Option<OnTimeout>,
    /// The most output text to carry back.
    #[serde(default)]
    pub max_output: Option<u64>,
}

impl SessionCommand {
    /// `command` with the agent's defaults.
    pub fn new(command: impl Into<String>) -> Self {
        SessionCommand {
            command: command.into(),
            timeout_ms: None,
            on_timeout: None,
            max_output: None,
        }
    }

    /// The `session.exec` params for `session_id`.
    pub fn params(&self, session_id: &str) -> ExecParams {
        ExecParams {
            session_id: session_id.into(),
            command: self.command.clone(),
            timeout_ms: self.timeout_ms,
            on_timeout: self.on_timeout,
            max_output: self.max_output,
        }
    }

    /// Refuses an empty command before anything is sent.
    pub fn check(&self) -> Result<(), AutomationError> {
        if self.command.trim().is_empty() {
            return Err(AutomationError::EmptyCommand);
        }
        Ok(())
    }
}

/// How long to wait for the answer of a call whose agent-side wait is `timeout_ms`.
fn call_limit(timeout_ms: Option<u64>) -> Duration {
    Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_EXEC_TIMEOUT_MS)) + CALL_MARGIN
}

/// `session.exec`: runs a command in a session's shell and answers with its exit code and
/// output (or, when the timeout passed, what it printed so far with `timed_out`).
pub async fn session_exec(rpc: &RpcClient, params: ExecParams) -> Result<ExecResult, EngineError> {
    if params.command.trim().is_empty() {
        return Err(AutomationError::EmptyCommand.into());
    }
    let limit = call_limit(params.timeout_ms);
    Ok(rpc
        .call_timeout::<method::SessionExec>(params, limit)
        .await?)
}

/// `session.exec_result`: an earlier exec's result (final once its command ended).
pub async fn exec_result(
    rpc: &RpcClient,
    exec_id: &str,
    max_output: Option<u64>,
) -> Result<ExecResult, EngineError> {
    Ok(rpc
        .call::<method::SessionExecResult>(ExecResultParams {
            exec_id: exec_id.into(),
            max_output,
        })
        .await?)
}

/// `session.expect`: waits until the session's output matches one of the patterns, which are
/// checked here first.
pub async fn expect(rpc: &RpcClient, params: ExpectParams) -> Result<ExpectResult, EngineError> {
    check_patterns(&params.patterns)?;
    let limit = call_limit(Some(params.timeout_ms));
    Ok(rpc
        .call_timeout::<method::SessionExpect>(params, limit)
        .await?)
}

/// `exec.run`: a one-shot command without a terminal, on the agent's host or (with `target`)
/// on an ssh session's target through its ControlMaster.
pub async fn run(rpc: &RpcClient, params: RunParams) -> Result<RunResult, EngineError> {
    let empty = match (&params.argv, &params.shell) {
        (Some(argv), None) => argv.first().is_none_or(|p| p.is_empty()),
        (None, Some(shell)) => shell.trim().is_empty(),
        // Both or neither: the agent names the mistake.
        _ => false,
    };
    if empty {
        return Err(AutomationError::EmptyCommand.into());
    }
    let limit = call_limit(params.timeout_ms);
    Ok(rpc.call_timeout::<method::ExecRun>(params, limit).await?)
}

/// The exit status a shell would report for a one-shot run: the exit code, or 128 + the signal
/// that ended it; `None` when it has neither (killed at its timeout without a status).
pub fn run_status(r: &RunResult) -> Option<i32> {
    r.exit_code.or(r.signal.map(|s| 128 + s))
}

/// Checks patterns as the agent will compile them (Rust `regex` syntax, within the protocol's
/// bounds), so a typo is reported before anything is typed into a session.
pub fn check_patterns(patterns: &[String]) -> Result<(), AutomationError> {
    if patterns.is_empty() || patterns.len() > MAX_EXPECT_PATTERNS {
        return Err(AutomationError::TooMany {
            what: "patterns",
            given: patterns.len(),
            limit: MAX_EXPECT_PATTERNS,
        });
    }
    for p in patterns {
        let invalid = |reason: String| AutomationError::InvalidPattern {
            pattern: p.clone(),
            reason,
        };
        if p.is_empty() {
            return Err(invalid("it is empty (it would match at once)".into()));
        }
        if p.len() > MAX_EXPECT_PATTERN_BYTES {
            return Err(invalid(format!(
                "it is {} bytes long, more than {MAX_EXPECT_PATTERN_BYTES}",
                p.len()
            )));
        }
        regex::Regex::new(p).map_err(|e| invalid(e.to_string()))?;
    }
    Ok(())
}

/// `NAME=VALUE` assignments as `exec.run`'s environment (a later one of a name wins).
pub fn parse_env(assignments: &[String]) -> Result<BTreeMap<String, String>, AutomationError> {
    let mut env = BTreeMap::new();
    for a in assignments {
        let bad = || AutomationError::InvalidEnv(a.clone());
        let (name, value) = a.split_once('=').ok_or_else(bad)?;
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad());
        }
        env.insert(name.to_string(), value.to_string());
    }
    Ok(env)
}

/// The ssh session of `host` (its `session.list`) that goes to `target` (`[user@]host[:port]`;
/// a user or port left out matches any, port 22 matches one not given), for `exec.run` through
/// its ControlMaster. Running sessions only; one whose link is up is preferred.
pub fn find_target_session(
    host: &str,
    sessions: &[SessionInfo],
    target: &str,
) -> Result<String, EngineError> {
    let want = parse_destination(target)?;
    let ssh: Vec<(&SessionInfo, SshSpec)> = sessions
        .iter()
        .filter(|s| s.kind == SessionKind::Ssh && s.state == SessionState::Running)
        .filter_map(|s| Some((s, parse_destination(s.target.as_deref()?).ok()?)))
        .collect();
    let matching = ssh.iter().filter(|(_, have)| same_target(&want, have));
    let best = matching
        .clone()
        .find(|(s, _)| s.link == Some(LinkState::Up))
        .or_else(|| matching.clone().next());
    match best {
        Some((s, _)) => Ok(s.session_id.clone()),
        None => Err(AutomationError::NoTargetSession {
            host: host.into(),
            target: target.into(),
            open: ssh.iter().map(|(_, spec)| spec.target()).collect(),
        }
        .into()),
    }
}

/// Whether a session's target `have` is the `want` asked for.
fn same_target(want: &SshSpec, have: &SshSpec) -> bool {
    let port = |p: Option<u16>| p.unwrap_or(22);
    want.host.eq_ignore_ascii_case(&have.host)
        && (want.port.is_none() || port(want.port) == port(have.port))
        && (want.user.is_none() || want.user == have.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh_session(id: &str, target: &str, link: LinkState) -> SessionInfo {
        SessionInfo {
            session_id: id.into(),
            kind: SessionKind::Ssh,
            title: String::new(),
            state: SessionState::Running,
            exit_code: None,
            exit_signal: None,
            pid: 1,
            created_at: String::new(),
            cols: 80,
            rows: 24,
            output_start: 0,
            output_end: 0,
            attached_clients: 0,
            scrollback_bytes: 0,
            target: Some(target.into()),
            link: Some(link),
            terminal_title: None,
            cwd: None,
            foreground: None,
            preview: None,
        }
    }

    #[test]
    fn target_sessions_are_found_by_their_spec() {
        let list = vec![
            ssh_session("down", "ann@db:2222", LinkState::Down),
            ssh_session("up", "ann@db:2222", LinkState::Up),
            ssh_session("web", "web", LinkState::Up),
        ];
        let find = |t: &str| find_target_session("jump", &list, t);
        assert_eq!(find("ann@db:2222").unwrap(), "up");
        assert_eq!(find("db").unwrap(), "up", "user and port left out");
        assert_eq!(find("web:22").unwrap(), "web", "22 is the port not given");
        assert_eq!(find("WEB").unwrap(), "web");
        let e = find("bob@db").unwrap_err();
        assert_eq!(e.code(), "no_target_session");
        let m = e.to_string();
        assert!(
            m.contains("ann@db:2222") && m.contains("outpost new jump --ssh bob@db"),
            "{m}"
        );
        assert_eq!(find("x;id").unwrap_err().code(), "invalid");
        let none = find_target_session("jump", &[], "db").unwrap_err();
        assert!(none.to_string().contains("it has none"), "{none}");
    }

    #[test]
    fn bad_patterns_and_env_are_refused_before_sending() {
        assert_eq!(
            check_patterns(&["Name: $".into(), "(?i)yes".into()]),
            Ok(())
        );
        for bad in ["(", "a{2,1}", "", &"a".repeat(MAX_EXPECT_PATTERN_BYTES + 1)] {
            let e = check_patterns(&[bad.to_string()]).unwrap_err();
            assert_eq!(e.code(), "invalid_pattern", "{bad:?}");
        }
        assert_eq!(check_patterns(&[]).unwrap_err().code(), "too_many");
        let env = parse_env(&["A=1".into(), "_b=x=y".into(), "A=2".into(), "E=".into()]).unwrap();
        assert_eq!(env["A"], "2");
        assert_eq!(env["_b"], "x=y");
        assert_eq!(env["E"], "");
        for bad in ["A", "=1", "1A=x", "A-B=x", "É=x"] {
            assert_eq!(
                parse_env(&[bad.into()]).unwrap_err(),
                AutomationError::InvalidEnv(bad.into())
            );
        }
        assert_eq!(
            SessionCommand::new(" \n").check(),
            Err(AutomationError::EmptyCommand)
        );
    }

    #[test]
    fn run_status_is_the_code_or_128_plus_the_signal() {
        let mut r = RunResult {
            exit_code: Some(3),
            signal: None,
            stdout: Default::default(),
            stderr: Default::default(),
            stdout_truncated: false,
            stderr_truncated: false,
            timed_out: false,
            duration_ms: 1,
        };
        assert_eq!(run_status(&r), Some(3));
        r.exit_code = None;
        r.signal = Some(9);
        assert_eq!(run_status(&r), Some(137));
        r.signal = None;
        assert_eq!(run_status(&r), None);
    }
}

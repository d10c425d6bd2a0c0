//! Tools that run commands and wait for output, over the engine's automation calls
//! ([`crate::engine::automation`]): `session_exec` and `session_exec_result` in a session's
//! persistent shell, `session_expect`, `exec_run` without a terminal, `group_exec` on many hosts
//! or sessions at once. Every command passes the policy's command patterns first.

use outpost_protocol::exec::{self as wire, OnTimeout, RunResult, RunTarget};
use outpost_protocol::Base64Bytes;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use serde_json::{json, Value};

use crate::engine::automation::exec::{self as automation, SessionCommand};
use crate::engine::automation::group;
use crate::mcp::params::{ExecParams, ExecResultParams, ExpectParams, GroupParams, RunParams};
use crate::mcp::reply::{self, Failure, Reply};
use crate::mcp::server::OutpostMcp;

/// A run's result with its output as text.
fn run_json(r: &RunResult) -> Value {
    json!({
        "exit_code": r.exit_code,
        "signal": r.signal,
        "stdout": String::from_utf8_lossy(&r.stdout.0),
        "stderr": String::from_utf8_lossy(&r.stderr.0),
        "stdout_truncated": r.stdout_truncated,
        "stderr_truncated": r.stderr_truncated,
        "timed_out": r.timed_out,
        "duration_ms": r.duration_ms,
    })
}

#[tool_router(router = exec_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// Run a command in a session's shell, as if typed at its prompt, and return its output
    /// (as text), exit code and working directory. The shell persists: `cd`, exported
    /// variables and history carry over to the next call. Answers a `session_busy` error,
    /// typing nothing, when the shell is not at its prompt (a program is running there). On
    /// timeout returns what was printed so far with `timed_out: true`; the command goes on
    /// (fetch its end with `session_exec_result`) unless `interrupt_on_timeout` is set.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn session_exec(&self, Parameters(p): Parameters<ExecParams>) -> CallToolResult {
        let ran = async {
            self.check_command(&p.host, &p.command)?;
            let rpc = self.rpc(&p.host).await?;
            let params = wire::ExecParams {
                session_id: p.session_id,
                command: p.command,
                timeout_ms: p.timeout_ms,
                on_timeout: p.interrupt_on_timeout.then_some(OnTimeout::Interrupt),
                max_output: p.max_output,
            };
            Ok::<_, Failure>(automation::session_exec(&rpc, params).await?)
        };
        reply::result(ran.await)
    }

    /// The result of an earlier `session_exec` by its `exec_id`: final once the command ended
    /// (`exit_code` set), else what it printed so far.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn session_exec_result(
        &self,
        Parameters(p): Parameters<ExecResultParams>,
    ) -> CallToolResult {
        let fetched = async {
            let rpc = self.rpc(&p.host).await?;
            Ok::<_, Failure>(automation::exec_result(&rpc, &p.exec_id, p.max_output).await?)
        };
        reply::result(fetched.await)
    }

    /// Wait until a session's output matches one of the patterns (Rust regular expressions,
    /// matched against the output with escape sequences removed). Returns which pattern
    /// matched, the matched text and its offsets; a `timed_out` error when none matched in
    /// time.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn session_expect(&self, Parameters(p): Parameters<ExpectParams>) -> CallToolResult {
        let matched = async {
            let rpc = self.rpc(&p.host).await?;
            let params = wire::ExpectParams {
                session_id: p.session_id,
                from_offset: p.from_offset,
                patterns: p.patterns,
                timeout_ms: p.timeout_ms,
            };
            Ok::<_, Failure>(automation::expect(&rpc, params).await?)
        };
        reply::result(matched.await)
    }

    /// Run a one-shot command without a terminal on a host (or, with `target_session_id`, on
    /// the target of an ssh session, through its existing connection): `argv` runs a program
    /// directly, `shell` runs a command line with `sh -c`. Returns exit code (or signal),
    /// stdout and stderr separately. Nothing persists between calls; use `session_exec` for
    /// that.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn exec_run(&self, Parameters(p): Parameters<RunParams>) -> CallToolResult {
        reply::result(self.run_once(p).await)
    }

    /// Run one command on many hosts (`hosts`: one-shot, `sh -c`, no terminal) or in many
    /// sessions' shells (`sessions`) at once, a few at a time. Returns one result per host or
    /// session, in the order given; a host that fails or is refused by the policy fails only
    /// its own entry.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn group_exec(&self, Parameters(p): Parameters<GroupParams>) -> CallToolResult {
        reply::result(self.run_group(p).await)
    }
}

impl OutpostMcp {
    async fn run_once(&self, p: RunParams) -> Reply<Value> {
        let command = match (&p.argv, &p.shell) {
            (Some(argv), None) => argv.join(" "),
            (None, Some(shell)) => shell.clone(),
            _ => {
                return Err(Failure::Invalid(
                    "give exactly one of argv and shell".into(),
                ))
            }
        };
        self.check_command(&p.host, &command)?;
        let rpc = self.rpc(&p.host).await?;
        let params = wire::RunParams {
            argv: p.argv,
            shell: p.shell,
            cwd: p.cwd,
            env: p.env,
            stdin: p.stdin.map(|s| Base64Bytes(s.into_bytes())),
            timeout_ms: p.timeout_ms,
            max_output: p.max_output,
            target: p
                .target_session_id
                .map(|session_id| RunTarget { session_id }),
        };
        Ok(run_json(&automation::run(&rpc, params).await?))
    }

    /// Whether the policy lets `command` run on `host` through `group_exec`.
    fn group_check(&self, host: &str, command: &str) -> Result<(), Failure> {
        self.with_policy(|p| p.tool_allowed("group_exec", Some(host)))?;
        self.check_command(host, command)?;
        Ok(())
    }

    async fn run_group(&self, p: GroupParams) -> Reply<Value> {
        if p.hosts.is_empty() == p.sessions.is_empty() {
            return Err(Failure::Invalid("give either hosts or sessions".into()));
        }
        let refused = |host: &str, session: Option<&str>, f: Failure| {
            let mut v = json!({"host": host, "ok": false});
            if let Some(s) = session {
                v["session_id"] = json!(s);
            }
            v["error"] = f.to_value()["error"].clone();
            v
        };
        let mut results: Vec<Option<Value>> = Vec::new();
        if !p.hosts.is_empty() {
            let mut allowed = Vec::new();
            for host in &p.hosts {
                match self.group_check(host, &p.command) {
                    Ok(()) => {
                        allowed.push(host.clone());
                        results.push(None);
                    }
                    Err(f) => results.push(Some(refused(host, None, f))),
                }
            }
            let params = wire::RunParams {
                argv: None,
                shell: Some(p.command.clone()),
                cwd: None,
                env: Default::default(),
                stdin: None,
                timeout_ms: p.timeout_ms,
                max_output: None,
                target: None,
            };
            let mut outcomes = group::run_on_hosts(self.conns(), &allowed, &params)
                .await
                .into_iter();
            for slot in results.iter_mut().filter(|r| r.is_none()) {
                *slot = outcomes.next().map(|o| {
                    json!({
                        "host": o.host,
                        "ok": o.ok,
                        "result": o.data.as_ref().map(run_json),
                        "error": o.error,
                    })
                });
            }
        } else {
            let mut allowed = Vec::new();
            for s in &p.sessions {
                match self.group_check(&s.host, &p.command) {
                    Ok(()) => {
                        allowed.push((s.host.clone(), s.session_id.clone()));
                        results.push(None);
                    }
                    Err(f) => results.push(Some(refused(&s.host, Some(&s.session_id), f))),
                }
            }
            let mut command = SessionCommand::new(p.command.clone());
            command.timeout_ms = p.timeout_ms;
            let mut outcomes = group::run_in_sessions(self.conns(), &allowed, &command)
                .await
                .into_iter();
            for slot in results.iter_mut().filter(|r| r.is_none()) {
                *slot = outcomes.next().map(|o| {
                    json!({
                        "host": o.host,
                        "session_id": o.session_id,
                        "ok": o.ok,
                        "result": o.data,
                        "error": o.error,
                    })
                });
            }
        }
        Ok(json!({ "results": results }))
    }
}

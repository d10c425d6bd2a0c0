//! Tools over sessions as terminals: list, open, type (with expect/respond), read by offset,
//! signal, and close or leave running.

use std::time::{Duration, Instant};

use outpost_protocol::exec::ExpectParams;
use outpost_protocol::method;
use outpost_protocol::session::{
    PromptMarkKind, ReadParams, ReadResult, SessionKind, SessionRef, SignalParams,
};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use serde_json::json;

use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::automation::exec as automation;
use crate::engine::store::targets;
use crate::mcp::params::{self, CloseParams, HostParams, InterruptParams, OpenParams, SendParams};
use crate::mcp::reply::{self, Failure, Reply};
use crate::mcp::server::OutpostMcp;
use outpost_protocol::text;

/// How often a `session_read` follow looks for new output.
const FOLLOW_POLL: Duration = Duration::from_millis(25);

/// How long `session_open` waits for a new shell's first prompt.
const READY_WAIT: Duration = Duration::from_secs(10);

/// The default wait of each expect/respond pair, in ms.
const DEFAULT_EXPECT_MS: u64 = 10_000;

/// `session.read` of at most `max` bytes from `from`.
async fn read(rpc: &RpcClient, session_id: &str, from: u64, max: u64) -> Reply<ReadResult> {
    Ok(rpc
        .call::<method::SessionRead>(ReadParams {
            session_id: session_id.into(),
            from_offset: from,
            max_bytes: max.clamp(1, outpost_protocol::session::MAX_READ_BYTES),
        })
        .await?)
}

/// The offset of the next byte the session will produce.
pub(crate) async fn output_end(rpc: &RpcClient, session_id: &str) -> Reply<u64> {
    Ok(read(rpc, session_id, 0, 1).await?.output_end)
}

/// Waits (at most [`READY_WAIT`]) until a new shell session shows its first prompt, so that a
/// `session_exec` right after `session_open` finds the shell ready; whether it did.
async fn first_prompt(rpc: &RpcClient, session_id: &str) -> Reply<bool> {
    let deadline = Instant::now() + READY_WAIT;
    loop {
        let marks = rpc
            .call::<method::SessionMarks>(SessionRef {
                session_id: session_id.into(),
            })
            .await?
            .marks;
        if marks.iter().any(|m| m.kind == PromptMarkKind::CommandStart) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}

#[tool_router(router = session_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// List a host's sessions: id, kind (shell or ssh), title, state (running or exited with
    /// its code), ssh target and link state, working directory, foreground program, terminal
    /// size and output offsets. Sessions live on the host and outlive this server.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn sessions_list(&self, Parameters(p): Parameters<HostParams>) -> CallToolResult {
        let listed = async {
            let rpc = self.rpc(&p.host).await?;
            let r = rpc.call::<method::SessionList>(Default::default()).await?;
            Ok::<_, Failure>(json!({ "sessions": r.sessions }))
        };
        reply::result(listed.await)
    }

    /// Open a new session on a host: a login shell there, or (with `ssh`) an SSH connection
    /// from the host to a target behind it. Returns the session; use its `session_id` with the
    /// other session tools (`ready`: a shell showed its first prompt, so `session_exec` can
    /// run). The session keeps running until closed, even after this server exits.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        open_world_hint = true
    ))]
    async fn session_open(&self, Parameters(p): Parameters<OpenParams>) -> CallToolResult {
        let opened = async {
            self.check_host(&p.host)?;
            self.check_writable(&p.host, "opening a session")?;
            let params = targets::create_params(
                p.ssh.as_deref(),
                p.title.or_else(|| Some("mcp".into())),
                p.cols.unwrap_or(120),
                p.rows.unwrap_or(40),
            )?;
            let shell = params.kind == SessionKind::Shell;
            let rpc = self.rpc(&p.host).await?;
            let session = rpc.call::<method::SessionCreate>(params).await?.session;
            let ready = shell && first_prompt(&rpc, &session.session_id).await?;
            let mut out = serde_json::to_value(&session)
                .map_err(|e| Failure::Invalid(format!("cannot encode the session: {e}")))?;
            out["ready"] = json!(ready);
            Ok::<_, Failure>(out)
        };
        reply::result(opened.await)
    }

    /// Type text into a session's terminal, exactly as given, optionally pressing Enter; then
    /// handle expect/respond pairs in order (wait for the pattern, type the response), e.g. to
    /// answer a `[y/N]` or password prompt. Typed text is never written to the audit log.
    /// Prefer `session_exec` to run a command and get its exit code.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn session_send(&self, Parameters(p): Parameters<SendParams>) -> CallToolResult {
        reply::result(self.send(p).await)
    }

    /// Read a session's output by byte offset: `from_offset` (default: the last `max_bytes`),
    /// at most `max_bytes`; page on with the returned `next_offset`. With `follow_ms`, wait
    /// that long for output when there is none yet. Text has escape sequences removed unless
    /// `raw` is set.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn session_read(&self, Parameters(p): Parameters<params::ReadParams>) -> CallToolResult {
        reply::result(self.read_output(p).await)
    }

    /// Send a signal (default INT, as Ctrl-C) to the program in the foreground of a session's
    /// terminal, e.g. to stop a command that runs too long.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn session_interrupt(
        &self,
        Parameters(p): Parameters<InterruptParams>,
    ) -> CallToolResult {
        let sent = async {
            self.check_writable(&p.host, "a signal")?;
            let signal = p.signal;
            let rpc = self.rpc(&p.host).await?;
            rpc.call::<method::SessionSignal>(SignalParams {
                session_id: p.session_id.clone(),
                signal,
            })
            .await?;
            Ok::<_, Failure>(json!({"session_id": p.session_id, "signal": signal}))
        };
        reply::result(sent.await)
    }

    /// Finish with a session: end it (its processes are killed and its output is gone), or
    /// with `leave_running` leave it running on its host for later (sessions_list finds it
    /// again) or for a person to watch.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn session_close(&self, Parameters(p): Parameters<CloseParams>) -> CallToolResult {
        let closed = async {
            let rpc = self.rpc(&p.host).await?;
            if p.leave_running {
                // Check that it exists, so a typo is not reported as done.
                output_end(&rpc, &p.session_id).await?;
                return Ok(json!({"session_id": p.session_id, "left_running": true}));
            }
            self.check_writable(&p.host, "ending a session")?;
            rpc.call::<method::SessionClose>(SessionRef {
                session_id: p.session_id.clone(),
            })
            .await?;
            Ok::<_, Failure>(json!({"session_id": p.session_id, "closed": true}))
        };
        reply::result(closed.await)
    }
}

impl OutpostMcp {
    async fn send(&self, p: SendParams) -> Reply<serde_json::Value> {
        if p.text.len() > params::MAX_SEND_BYTES {
            return Err(Failure::Invalid(format!(
                "text is {} bytes, more than {}",
                p.text.len(),
                params::MAX_SEND_BYTES
            )));
        }
        if p.text.is_empty() && !p.enter && p.expect.is_empty() {
            return Err(Failure::Invalid("nothing to send".into()));
        }
        if p.expect.len() > params::MAX_EXPECT_PAIRS {
            return Err(Failure::Invalid(format!(
                "more than {} expect/respond pairs",
                params::MAX_EXPECT_PAIRS
            )));
        }
        let timeout_ms = p
            .timeout_ms
            .unwrap_or(DEFAULT_EXPECT_MS)
            .min(params::MAX_WAIT_MS);
        self.check_writable(&p.host, "typing")?;
        if !p.text.is_empty() {
            self.check_command(&p.host, &p.text)?;
        }
        for pair in &p.expect {
            self.check_command(&p.host, &pair.respond)?;
        }
        let patterns: Vec<String> = p.expect.iter().map(|e| e.pattern.clone()).collect();
        if !patterns.is_empty() {
            automation::check_patterns(&patterns).map_err(|e| Failure::Engine(e.into()))?;
        }
        let rpc = self.rpc(&p.host).await?;
        let mut offset = output_end(&rpc, &p.session_id).await?;
        let mut typed = p.text.into_bytes();
        if p.enter {
            typed.push(b'\r');
        }
        let mut bytes = typed.len();
        if !typed.is_empty() {
            rpc.input_confirmed(&p.session_id, &typed).await?;
        }
        let mut matches = Vec::new();
        for pair in p.expect {
            let m = automation::expect(
                &rpc,
                ExpectParams {
                    session_id: p.session_id.clone(),
                    from_offset: Some(offset),
                    patterns: vec![pair.pattern.clone()],
                    timeout_ms: timeout_ms.max(1),
                },
            )
            .await?;
            offset = m.end_offset;
            let mut respond = pair.respond.into_bytes();
            if pair.enter {
                respond.push(b'\r');
            }
            rpc.input_confirmed(&p.session_id, &respond).await?;
            bytes += respond.len();
            matches.push(json!({
                "pattern": pair.pattern,
                "matched": m.matched,
                "offset": m.offset,
                "end_offset": m.end_offset,
            }));
        }
        Ok(json!({
            "session_id": p.session_id,
            "bytes_sent": bytes,
            "matches": matches,
            "next_offset": offset,
        }))
    }

    async fn read_output(&self, p: params::ReadParams) -> Reply<serde_json::Value> {
        let max = p
            .max_bytes
            .unwrap_or(params::DEFAULT_READ_BYTES)
            .clamp(1, params::MAX_READ_BYTES);
        let follow = Duration::from_millis(p.follow_ms.unwrap_or(0).min(params::MAX_WAIT_MS));
        let rpc = self.rpc(&p.host).await?;
        let from = match p.from_offset {
            Some(f) => f,
            None => output_end(&rpc, &p.session_id).await?.saturating_sub(max),
        };
        let deadline = Instant::now() + follow;
        let r = loop {
            let r = read(&rpc, &p.session_id, from, max).await?;
            if !r.data.0.is_empty() || Instant::now() >= deadline {
                break r;
            }
            tokio::time::sleep(FOLLOW_POLL.min(deadline - Instant::now())).await;
        };
        let next = r.offset + r.data.0.len() as u64;
        let mut out = json!({
            "session_id": p.session_id,
            "offset": r.offset,
            "next_offset": next,
            "output_end": r.output_end,
            "more": next < r.output_end,
        });
        if r.offset > from {
            out["skipped_bytes"] = json!(r.offset - from);
        }
        if p.raw {
            out["raw"] = json!(String::from_utf8_lossy(&r.data.0));
        } else {
            out["text"] = json!(text::plain_text(&r.data.0));
        }
        Ok(out)
    }
}

//! `outpost send HOST SESSION TEXT --expect RE --respond TEXT …`: type text, then answer what
//! the session prints, pair by pair in order (`session.expect`, then the response typed).
//!
//! Every pattern is checked before anything is typed. Each wait starts where the last match
//! ended (the first at the output's end before TEXT was typed), so a prompt printed quickly is
//! not missed and a match is never reused. A last `--expect` without its `--respond` only waits.

use outpost_protocol::exec::{ExpectParams, ExpectResult, DEFAULT_EXEC_TIMEOUT_MS};
use outpost_protocol::method;
use outpost_protocol::session::ReadParams;
use serde::Serialize;

use super::commands::{connect, unescape};
use super::output::Output;
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::automation::exec;
use crate::engine::{EngineContext, EngineError};

/// What `send --expect` reports.
#[derive(Debug, Serialize)]
struct Sent {
    session_id: String,
    /// Bytes typed in all (the text and every response).
    bytes: usize,
    /// Each pattern's match, in order.
    matches: Vec<ExpectResult>,
}

/// `send` with `--expect`/`--respond` pairs.
#[derive(Debug)]
pub struct SendExpect {
    /// The host.
    pub host: String,
    /// The session.
    pub session: String,
    /// The text typed first (escapes as `send`).
    pub text: String,
    /// The patterns, in order.
    pub expects: Vec<String>,
    /// The responses, in order (as many as the patterns, or one fewer).
    pub responds: Vec<String>,
    /// Each wait's limit, in seconds.
    pub timeout: Option<f64>,
}

/// Runs `send` with `--expect`/`--respond` pairs.
pub async fn send_expect(
    args: SendExpect,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let SendExpect {
        host,
        session,
        text,
        expects,
        responds,
        timeout,
    } = args;
    if responds.len() > expects.len() || responds.len() + 1 < expects.len() {
        return Err(EngineError::Usage(format!(
            "{} --expect and {} --respond: give them in pairs (a last --expect may stand alone)",
            expects.len(),
            responds.len()
        )));
    }
    for e in &expects {
        exec::check_patterns(std::slice::from_ref(e))?;
    }
    let timeout_ms = super::exec::timeout_ms(timeout)?.unwrap_or(DEFAULT_EXEC_TIMEOUT_MS);
    let conn = connect(&host, ctx).await?;
    let r = converse(&conn.rpc, &session, &text, &expects, &responds, timeout_ms).await;
    conn.close().await;
    let sent = r?;
    out.ok(&sent, String::new);
    Ok(0)
}

async fn converse(
    rpc: &RpcClient,
    session: &str,
    text: &str,
    expects: &[String],
    responds: &[String],
    timeout_ms: u64,
) -> Result<Sent, EngineError> {
    // Where the output stands before anything is typed: the first wait starts there.
    let mut cursor = rpc
        .call::<method::SessionRead>(ReadParams {
            session_id: session.into(),
            from_offset: 0,
            max_bytes: 1,
        })
        .await?
        .output_end;
    let data = unescape(text);
    rpc.input_confirmed(session, &data).await?;
    let mut sent = Sent {
        session_id: session.into(),
        bytes: data.len(),
        matches: Vec::with_capacity(expects.len()),
    };
    for (i, pattern) in expects.iter().enumerate() {
        let m = exec::expect(
            rpc,
            ExpectParams {
                session_id: session.into(),
                from_offset: Some(cursor),
                patterns: vec![pattern.clone()],
                timeout_ms,
            },
        )
        .await?;
        cursor = m.end_offset;
        sent.matches.push(m);
        if let Some(answer) = responds.get(i) {
            let data = unescape(answer);
            rpc.input_confirmed(session, &data).await?;
            sent.bytes += data.len();
        }
    }
    Ok(sent)
}

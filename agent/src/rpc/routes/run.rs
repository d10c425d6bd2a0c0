//! `exec.run` ([`crate::exec::run`]) and `session.expect` ([`crate::exec::expect`]).
//!
//! `session.expect` follows the session's output on a daemon connection of its own, attached
//! from the asked offset (default: the session's end when the call arrives), so the session's
//! shared connection keeps streaming meanwhile; the connection closes with the call, which
//! detaches it. Output is fed to the matcher as it arrives; the answer comes at the first match,
//! at the timeout (`timed_out`, -32011), or when the session has exited and its last output has
//! been matched in vain (`session_not_running`, -32005).

use std::time::Duration;

use outpost_protocol::exec::{ExpectParams, ExpectResult, RunParams, RunResult};
use outpost_protocol::method::{ExecRun, SessionExpect};
use outpost_protocol::session::{LinkState, Restore, SessionKind, SessionState};
use outpost_protocol::{ErrorCode, ErrorObject};
use tokio::io::{AsyncRead, BufReader};

use super::{Context, Handler};
use crate::daemon::frames::{read_frame, write_frame, DaemonReply, DaemonRequest, Frame};
use crate::exec::expect::{Matcher, Patterns};
use crate::exec::run::{check_timeout_ms, Run};
use crate::monitor::remote::ProbeCommand;
use crate::registry::check_id;

fn invalid(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

impl Handler for ExecRun {
    async fn handle(cx: &Context, p: RunParams) -> Result<RunResult, ErrorObject> {
        let target = p.target.clone();
        let run = Run::check(p)?;
        let Some(target) = target else {
            return run.local().await;
        };
        let session_id = &target.session_id;
        check_id(session_id)?;
        let meta = cx.registry.meta(session_id)?;
        let (SessionKind::Ssh, Some(ssh)) = (meta.kind, meta.ssh) else {
            return Err(invalid(format!(
                "session {session_id} is not an ssh session; a target must be one"
            )));
        };
        let unavailable = |msg: String| ErrorObject::new(ErrorCode::TargetUnavailable, msg);
        let ssh = ProbeCommand::for_session(cx.registry.paths(), session_id, &ssh)
            .map_err(unavailable)?;
        // Through the session's master only: when it is not up, `ssh` could only fail.
        let info = cx.registry.info(session_id).await?;
        if info.state != SessionState::Running {
            return Err(ErrorObject::new(
                ErrorCode::SessionNotRunning,
                format!("session {session_id} has exited"),
            ));
        }
        if info.link != Some(LinkState::Up) {
            return Err(unavailable(format!(
                "session {session_id}'s connection to its target is not up (link {:?})",
                info.link
            )));
        }
        run.on_target(&ssh).await
    }
}

/// Why following the output ended without a match.
fn gone(session_id: &str) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::SessionNotFound,
        format!("session {session_id} is gone (its daemon closed the connection)"),
    )
}

fn unexpected(reply: &DaemonReply) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::InternalError,
        format!("unexpected daemon reply {reply:?}"),
    )
}

/// The next reply on a private connection, skipping anything else.
async fn reply<R: AsyncRead + Unpin>(
    recv: &mut BufReader<R>,
    session_id: &str,
) -> Result<DaemonReply, ErrorObject> {
    loop {
        match read_frame(recv).await {
            Ok(Some(Frame::Reply { reply, .. })) => match *reply {
                DaemonReply::Error { code, message } => {
                    return Err(ErrorObject {
                        code,
                        message,
                        data: None,
                    })
                }
                reply => return Ok(reply),
            },
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return Err(gone(session_id)),
        }
    }
}

/// Attaches a private connection and matches the output until a match, the exit or the end.
async fn follow(
    cx: &Context,
    p: &ExpectParams,
    patterns: Patterns,
) -> Result<ExpectResult, ErrorObject> {
    let id = &p.session_id;
    let meta = cx.registry.meta(id)?;
    let stream = crate::socket::connect(&meta.socket)
        .await
        .map_err(|_| gone(id))?;
    let (recv, mut send) = tokio::io::split(stream);
    let mut recv = BufReader::new(recv);
    let from_offset = match p.from_offset {
        Some(offset) => offset,
        None => {
            let info = Frame::Request {
                id: 1,
                req: DaemonRequest::Info,
            };
            write_frame(&mut send, &info).await.map_err(|_| gone(id))?;
            match reply(&mut recv, id).await? {
                DaemonReply::Info { session } => session.output_end,
                other => return Err(unexpected(&other)),
            }
        }
    };
    let attach = Frame::Request {
        id: 2,
        req: DaemonRequest::Attach {
            from_offset: Some(from_offset),
            restore: Restore::Bytes,
            changes: false,
            max_stall_ms: None,
        },
    };
    write_frame(&mut send, &attach)
        .await
        .map_err(|_| gone(id))?;
    let replay_from = match reply(&mut recv, id).await? {
        DaemonReply::Attached { replay_from, .. } => replay_from,
        other => return Err(unexpected(&other)),
    };
    let mut matcher = Matcher::new(patterns, replay_from);
    loop {
        match read_frame(&mut recv).await {
            Ok(Some(Frame::Output { offset, data })) => {
                if offset != matcher.offset() {
                    // The ring overwrote bytes this connection had not taken yet: start over
                    // from what is held.
                    tracing::debug!(session_id = %id, skipped = offset.saturating_sub(matcher.offset()), "expect fell behind");
                    matcher = matcher.restart(offset);
                }
                if let Some(m) = matcher.feed(&data) {
                    return Ok(ExpectResult {
                        pattern: m.pattern,
                        matched: m.matched,
                        offset: m.offset,
                        end_offset: m.end_offset,
                    });
                }
            }
            Ok(Some(Frame::Exit(_))) => {
                return Err(ErrorObject::new(
                    ErrorCode::SessionNotRunning,
                    format!(
                        "session {id} exited with no match in its output up to offset {}",
                        matcher.offset()
                    ),
                ))
            }
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return Err(gone(id)),
        }
    }
}

impl Handler for SessionExpect {
    async fn handle(cx: &Context, p: ExpectParams) -> Result<ExpectResult, ErrorObject> {
        check_id(&p.session_id)?;
        check_timeout_ms(Some(p.timeout_ms))?;
        let patterns = Patterns::compile(&p.patterns).map_err(|e| invalid(e.to_string()))?;
        let timeout = Duration::from_millis(p.timeout_ms);
        tokio::time::timeout(timeout, follow(cx, &p, patterns))
            .await
            .unwrap_or_else(|_| {
                Err(ErrorObject::new(
                    ErrorCode::TimedOut,
                    format!(
                        "no pattern matched the output of session {} within {} ms",
                        p.session_id, p.timeout_ms
                    ),
                ))
            })
    }
}

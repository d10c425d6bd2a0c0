//! `session.exec` and `session.exec_result`: bounds checked here, the exec itself run by the
//! session's daemon ([`crate::exec::daemon`]), so it and its result outlive this agent.
//!
//! `session.exec` talks to the daemon on a connection of its own: the answer may take until the
//! command's timeout, and the session's shared connection must keep streaming meanwhile.

use std::time::Duration;

use outpost_protocol::exec::{
    parse_exec_id, ExecParams, ExecResult, ExecResultParams, OnTimeout, MAX_EXEC_COMMAND_BYTES,
};
use outpost_protocol::method::{SessionExec, SessionExecResult};
use outpost_protocol::{ErrorCode, ErrorObject};

use super::{Context, Handler};
use crate::daemon::frames::{read_frame, write_frame, DaemonReply, DaemonRequest, Frame};
use crate::exec::run::{check_max_output, check_timeout_ms};
use crate::registry::check_id;

/// How long past the command's timeout the daemon may take to answer (an interrupted command
/// gets 5 s to give its prompt back).
const ANSWER_MARGIN: Duration = Duration::from_secs(15);

fn invalid(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

/// The exec request for the daemon, when `p` is within bounds.
fn request(p: &ExecParams) -> Result<DaemonRequest, ErrorObject> {
    check_id(&p.session_id)?;
    if p.command.is_empty() {
        return Err(invalid("command may not be empty"));
    }
    if p.command.len() > MAX_EXEC_COMMAND_BYTES {
        return Err(invalid(format!(
            "command is {} bytes; at most {MAX_EXEC_COMMAND_BYTES}",
            p.command.len()
        )));
    }
    if p.command.contains('\0') {
        return Err(invalid("command may not contain NUL"));
    }
    let timeout_ms = check_timeout_ms(p.timeout_ms)?;
    Ok(DaemonRequest::Exec {
        command: p.command.clone(),
        timeout_ms,
        interrupt: p.on_timeout == Some(OnTimeout::Interrupt),
        max_output: check_max_output(p.max_output)?,
    })
}

fn unexpected(reply: DaemonReply) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::InternalError,
        format!("unexpected reply {reply:?}"),
    )
}

/// The result in a daemon's reply.
fn exec_result(reply: DaemonReply) -> Result<ExecResult, ErrorObject> {
    match reply {
        DaemonReply::Exec { result } => Ok(*result),
        DaemonReply::Error { code, message } => Err(ErrorObject {
            code,
            message,
            data: None,
        }),
        other => Err(unexpected(other)),
    }
}

impl Handler for SessionExec {
    async fn handle(cx: &Context, p: ExecParams) -> Result<ExecResult, ErrorObject> {
        let req = request(&p)?;
        let DaemonRequest::Exec { timeout_ms, .. } = &req else {
            return Err(unexpected(DaemonReply::Done));
        };
        let wait = Duration::from_millis(*timeout_ms) + ANSWER_MARGIN;
        let meta = cx.registry.meta(&p.session_id)?;
        let gone = || {
            ErrorObject::new(
                ErrorCode::SessionNotFound,
                format!("session {} is gone", p.session_id),
            )
        };
        let stream = crate::socket::connect(&meta.socket)
            .await
            .map_err(|_| gone())?;
        let (recv, mut send) = tokio::io::split(stream);
        write_frame(&mut send, &Frame::Request { id: 1, req })
            .await
            .map_err(|_| gone())?;
        let mut recv = tokio::io::BufReader::new(recv);
        let reply = tokio::time::timeout(wait, async {
            loop {
                match read_frame(&mut recv).await {
                    Ok(Some(Frame::Reply { id: 1, reply })) => return Ok(*reply),
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => return Err(gone()),
                }
            }
        })
        .await
        .map_err(|_| {
            ErrorObject::new(
                ErrorCode::InternalError,
                "the session's daemon did not answer the exec in time",
            )
        })??;
        exec_result(reply)
    }
}

impl Handler for SessionExecResult {
    async fn handle(cx: &Context, p: ExecResultParams) -> Result<ExecResult, ErrorObject> {
        let Some((session_id, number)) = parse_exec_id(&p.exec_id) else {
            return Err(invalid(format!(
                "exec_id {:?} is not \"<session_id>.<n>\"",
                p.exec_id
            )));
        };
        let max_output = check_max_output(p.max_output)?;
        // A session that is gone answers session_not_found (-32001), as any session method.
        let conn = cx.registry.conn(session_id).await?;
        exec_result(
            conn.request(DaemonRequest::ExecResult { number, max_output })
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_protocol::exec::EXEC_OUTPUT_RANGE;

    fn params(command: &str) -> ExecParams {
        ExecParams {
            session_id: "abc".into(),
            command: command.into(),
            timeout_ms: None,
            on_timeout: None,
            max_output: None,
        }
    }

    #[test]
    fn bounds_are_checked() {
        assert!(request(&params("true")).is_ok());
        for bad in [
            params(""),
            params("a\0b"),
            params(&"x".repeat(MAX_EXEC_COMMAND_BYTES + 1)),
            ExecParams {
                timeout_ms: Some(0),
                ..params("true")
            },
            ExecParams {
                max_output: Some(EXEC_OUTPUT_RANGE.end() + 1),
                ..params("true")
            },
            ExecParams {
                session_id: "../x".into(),
                ..params("true")
            },
        ] {
            let e = request(&bad)
                .err()
                .unwrap_or_else(|| panic!("{bad:?} passed"));
            assert_eq!(e.code, ErrorCode::InvalidParams.code(), "{bad:?}");
        }
    }
}

//! Agent-owned forwards from the desktop's side: [`open`] asks the host's agent
//! (`forward.open`) for a private Unix socket on the host that leads to each agent-owned
//! forward's destination — from the host itself, or from an `ssh` session's target — and the
//! listener then carries every local connection to that socket on a `direct-streamlocal`
//! channel. The agent keeps the forward when this desktop goes away; [`list`] and [`close`]
//! reach the agent's forwards directly.

use outpost_protocol::forward::{
    ForwardCloseParams, ForwardInfo, ForwardListParams, ForwardOpenParams,
};
use outpost_protocol::{method, ErrorCode};

use super::error::ForwardError;
use super::listener::Bound;
use super::spec::ForwardSpec;
use crate::engine::agent::connect::Connection;
use crate::engine::agent::rpc_client::RpcError;
use crate::engine::ssh::visible;
use crate::engine::store::hosts::Host;
use crate::engine::{EngineContext, EngineError};

/// How a command's `-L` forwards are agent-owned (`--agent-owned`, `--session S`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentOwned {
    /// Reach the destinations from this `ssh` session's target (else from the host).
    pub session: Option<String>,
}

impl AgentOwned {
    /// Only `-L` forwards can be agent-owned, and the session id must be well formed.
    pub fn check(&self, specs: &[ForwardSpec]) -> Result<(), EngineError> {
        if let Some(s) = &self.session {
            if !outpost_protocol::session::valid_session_id(s) {
                return Err(EngineError::Usage(format!(
                    "session {:?} is not a session id (1 to 32 characters of [a-z0-9])",
                    visible(s)
                )));
            }
        }
        if specs
            .iter()
            .any(|s| !matches!(s, ForwardSpec::Local { .. }))
        {
            return Err(EngineError::Usage(
                "-D and -R cannot be agent-owned: only -L forwards are kept by the agent".into(),
            ));
        }
        Ok(())
    }
}

/// Opens (or finds: `forward.open` answers an existing one) the agent's forward of every `-L`
/// spec in `bound` and records its socket there.
pub async fn open(
    host: &Host,
    ctx: &EngineContext,
    bound: &mut [Bound],
    agent: &AgentOwned,
) -> Result<(), EngineError> {
    let conn = Connection::open(host, ctx).await?;
    let mut result = Ok(());
    for b in bound.iter_mut() {
        let ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } = &b.spec
        else {
            continue;
        };
        let params = ForwardOpenParams {
            session_id: agent.session.clone(),
            host: dest_host.clone(),
            port: *dest_port,
        };
        match conn.rpc.call::<method::ForwardOpen>(params).await {
            Ok(info) => {
                tracing::info!(host = %host.name, forward = %info.id, socket = %info.socket, "agent-owned forward");
                b.agent_socket = Some(info.socket);
            }
            Err(e) => {
                result = Err(refused(&host.name, &format!("{dest_host}:{dest_port}"), e));
                break;
            }
        }
    }
    conn.close().await;
    result
}

/// An agent's refusal, `unreachable` told apart.
pub fn refused(host: &str, dest: &str, e: RpcError) -> EngineError {
    match e {
        RpcError::Remote(o) if o.kind() == Some(ErrorCode::Unreachable) => {
            ForwardError::Unreachable {
                dest: dest.to_string(),
                host: host.to_string(),
                reason: o.message,
            }
            .into()
        }
        other => other.into(),
    }
}

/// The host's agent-owned forwards with their state.
pub async fn list(host: &Host, ctx: &EngineContext) -> Result<Vec<ForwardInfo>, EngineError> {
    let conn = Connection::open(host, ctx).await?;
    let r = conn
        .rpc
        .call::<method::ForwardList>(ForwardListParams {})
        .await;
    conn.close().await;
    Ok(r?.forwards)
}

/// Removes the agent-owned forward `id` (as `list` shows it) and its socket on the host.
pub async fn close(host: &Host, ctx: &EngineContext, id: &str) -> Result<(), EngineError> {
    let conn = Connection::open(host, ctx).await?;
    let r = conn
        .rpc
        .call::<method::ForwardClose>(ForwardCloseParams { id: id.to_string() })
        .await;
    conn.close().await;
    match r {
        Ok(_) => Ok(()),
        Err(RpcError::Remote(mut o)) if o.kind() == Some(ErrorCode::ForwardNotFound) => {
            o.message = format!(
                "{} has no agent-owned forward {:?} (see outpost forward list {})",
                host.name,
                visible(id),
                host.name
            );
            Err(RpcError::Remote(o).into())
        }
        Err(RpcError::Remote(o)) if o.kind() == Some(ErrorCode::InvalidParams) => {
            Err(EngineError::Usage(format!(
                "{:?} is not an agent-owned forward id (see outpost forward list {}): {}",
                visible(id),
                host.name,
                o.message
            )))
        }
        Err(e) => Err(e.into()),
    }
}

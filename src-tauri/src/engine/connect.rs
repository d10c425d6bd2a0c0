//! Connecting to a host's agent: start it (locally over pipes, or over SSH after deploying it),
//! then the `initialize` handshake.

use std::time::Instant;

use outpost_protocol::initialize::{ClientInfo, InitializeParams, InitializeResult};
use outpost_protocol::method;
use outpost_protocol::PROTOCOL_VERSION;
use serde::Serialize;

use super::deploy;
use super::hosts::{Host, HostStore};
use super::local::LocalAgent;
use super::rpc_client::{RpcClient, RpcError};
use super::ssh::SshSession;
use super::{targets, EngineContext, EngineError};

/// What `outpost check` reports about a connection.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectInfo {
    /// The saved host's name.
    pub host: String,
    /// The host's own name.
    pub hostname: String,
    /// `os-arch`.
    pub platform: String,
    /// The user the agent runs as.
    pub user: String,
    /// The agent's version.
    pub agent_version: String,
    /// Whether the agent had to be deployed (or upgraded) for this connection.
    pub deployed: bool,
    /// Time from starting to connect to a completed handshake, in milliseconds.
    pub connect_ms: f64,
    /// Round trip of one request on the open connection, in milliseconds.
    pub latency_ms: f64,
    /// Lines the host printed before the agent spoke (shell startup files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preamble: Vec<String>,
}

enum Link {
    Local(LocalAgent),
    Ssh(SshSession),
}

/// An open connection to a host's agent.
pub struct Connection {
    /// The client.
    pub rpc: RpcClient,
    /// What the handshake said.
    pub info: ConnectInfo,
    link: Link,
}

impl Connection {
    /// Connects to `host`: the local agent over pipes, or over SSH (deploying the agent when it
    /// is missing or of another version).
    pub async fn open(host: &Host, ctx: &EngineContext) -> Result<Connection, EngineError> {
        let started = Instant::now();
        let mut exit_watch = None;
        let (rpc, link, deployed, mut preamble) = if host.is_local() {
            let local = LocalAgent::start()?;
            (local.rpc.clone(), Link::Local(local), false, Vec::new())
        } else {
            let store = HostStore::load(&ctx.config_dir)?;
            let target = targets::ssh_target(host, &store)?;
            let ssh = SshSession::connect(
                &target,
                &ctx.known_hosts,
                ctx.prompter.clone(),
                &ctx.credentials,
            )
            .await?;
            let dep = deploy::ensure_agent(&ssh).await?;
            let stream = ssh
                .exec_stream(&deploy::serve_command(deploy::AGENT_VERSION))
                .await?;
            exit_watch = Some(stream.exit_watch());
            let (r, w) = tokio::io::split(stream);
            (
                RpcClient::start(r, w),
                Link::Ssh(ssh),
                dep.uploaded,
                dep.preamble,
            )
        };
        let init = match initialize(&rpc).await {
            Ok(init) => init,
            // The agent died before answering: what it said on stderr is the explanation.
            Err(EngineError::Rpc(RpcError::Closed)) if exit_watch.is_some() => {
                let stderr = exit_watch.as_ref().map(|w| w.stderr()).unwrap_or_default();
                return Err(EngineError::Agent(format!(
                    "the agent on {} exited before answering: {}",
                    host.name,
                    String::from_utf8_lossy(&stderr).trim()
                )));
            }
            Err(e) => return Err(e),
        };
        let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
        let latency_ms = measure_latency(&rpc).await?;
        Ok(Connection {
            info: ConnectInfo {
                host: host.name.clone(),
                hostname: init.host.hostname,
                platform: format!("{}-{}", init.host.os, init.host.arch),
                user: init.host.user,
                agent_version: init.agent_version,
                deployed,
                connect_ms,
                latency_ms,
                preamble: {
                    preamble.extend(rpc.preamble());
                    preamble
                },
            },
            rpc,
            link,
        })
    }

    /// Closes the connection; the host's sessions keep running.
    pub async fn close(self) {
        let Connection { rpc, link, .. } = self;
        drop(rpc);
        match link {
            Link::Local(l) => l.stop().await,
            Link::Ssh(s) => s.disconnect().await,
        }
    }
}

/// The `initialize` handshake, turning garbage before the agent's answer into advice.
pub async fn initialize(rpc: &RpcClient) -> Result<InitializeResult, EngineError> {
    let params = InitializeParams {
        protocol_version: PROTOCOL_VERSION,
        client: ClientInfo {
            name: "outpost-desktop".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
    };
    match rpc.call::<method::Initialize>(params).await {
        Ok(r) => Ok(r),
        Err(e @ (RpcError::Closed | RpcError::Timeout { .. })) if !rpc.preamble().is_empty() => {
            Err(EngineError::Agent(format!(
                "the host printed text where the agent's protocol was expected ({e}). This happens when a shell startup file (~/.bashrc, ~/.profile) prints to standard output; make it print only in interactive shells. First line: {:?}",
                rpc.preamble()[0]
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// One `session.list` round trip, in milliseconds.
async fn measure_latency(rpc: &RpcClient) -> Result<f64, EngineError> {
    let t = Instant::now();
    rpc.call::<method::SessionList>(Default::default()).await?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

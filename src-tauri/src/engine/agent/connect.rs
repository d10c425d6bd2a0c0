//! Connecting to a host's agent: start it (locally over pipes, or over SSH after deploying it,
//! with the desktop's ssh-agent forwarded when the host opts in), then the `initialize`
//! handshake.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use outpost_protocol::initialize::{ClientInfo, InitializeParams, InitializeResult};
use outpost_protocol::method;
use outpost_protocol::PROTOCOL_VERSION;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::engine::agent::deploy;
use crate::engine::agent::local::LocalAgent;
use crate::engine::agent::rpc_client::{RpcClient, RpcError};
use crate::engine::ssh::{self, SshSession, SshTarget};
use crate::engine::store::hosts::{Host, HostStore};
use crate::engine::store::ssh_config::SshConfigs;
use crate::engine::{store::targets, EngineContext, EngineError};

/// What `outpost check` reports about a connection.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    pub preamble: Vec<String>,
}

/// The most a host may print before the agent starts (shell startup files) before giving up.
const MAX_PREAMBLE_BYTES: usize = 64 * 1024;

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
            // Before the agent starts: sshd hands the forwarded socket to every later command.
            if let Some(agent) = agent_to_forward(host, &store, &target) {
                ssh.request_agent_forwarding(&agent).await?;
            }
            // One command when the agent is installed; deploys it first otherwise.
            let started = deploy::start_agent(&ssh, &host.name).await?;
            exit_watch = Some(started.stream.exit_watch());
            let (r, w) = tokio::io::split(started.stream);
            (
                RpcClient::start(std::io::Cursor::new(started.rest).chain(r), w),
                Link::Ssh(ssh),
                started.deployed.uploaded,
                started.deployed.preamble,
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

    /// The process id of a local agent (`None` over SSH).
    pub fn local_agent_pid(&self) -> Option<u32> {
        match &self.link {
            Link::Local(l) => l.pid(),
            Link::Ssh(_) => None,
        }
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

/// The local ssh-agent socket to forward to `host`'s agent, if any: the saved host's switch or
/// `ForwardAgent` from its `ssh_config` resolution, and the agent it names (`IdentityAgent`,
/// else `SSH_AUTH_SOCK`).
fn agent_to_forward(host: &Host, store: &HostStore, target: &SshTarget) -> Option<PathBuf> {
    let configs = SshConfigs::load(store.config_dir());
    let resolved = targets::effective(host, &configs);
    let socket = ssh::agent_to_forward(
        &resolved.effective.forward_agent,
        host.forward_agent,
        &target.agent,
        |v| std::env::var(v).ok(),
    );
    if host.forward_agent || resolved.effective.forward_agent != "no" {
        match &socket {
            Some(s) => {
                tracing::info!(host = %host.name, agent = %s.display(), "forwarding the ssh-agent")
            }
            None => {
                tracing::warn!(host = %host.name, "agent forwarding is on, but there is no local agent to forward (SSH_AUTH_SOCK unset, or IdentityAgent none)")
            }
        }
    }
    socket
}

/// Reads `r` up to and including the line `marker` (printed by the command right before it
/// `exec`s the agent). Returns the lines before it — printed by shell startup files, a last one
/// without its newline included — and the bytes read past the marker line, which are the
/// agent's. A stream that ends before the marker yields everything as lines and no bytes (the
/// agent never started; its stderr says why). Fails after `timeout`, or when more than
/// [`MAX_PREAMBLE_BYTES`] arrive without the marker.
pub async fn read_to_marker<R: AsyncRead + Unpin>(
    r: &mut R,
    marker: &str,
    timeout: Duration,
) -> Result<(Vec<String>, Vec<u8>), String> {
    let needle = format!("{marker}\n");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let found = tokio::time::timeout(timeout, async {
        loop {
            if let Some(at) = buf
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
            {
                return Ok(Some(at));
            }
            if buf.len() > MAX_PREAMBLE_BYTES {
                return Err(format!(
                    "the host printed more than {MAX_PREAMBLE_BYTES} bytes before the agent started (check your shell startup files)"
                ));
            }
            match r.read(&mut chunk).await {
                Ok(0) => return Ok(None),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await
    .map_err(|_| format!("the agent did not start within {timeout:?}"))??;
    let (before, rest) = match found {
        Some(at) => (&buf[..at], buf[at + needle.len()..].to_vec()),
        None => (&buf[..], Vec::new()),
    };
    let lines = String::from_utf8_lossy(before)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Ok((lines, rest))
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

#[cfg(test)]
mod tests {
    use super::*;

    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf;

    const M: &str = "@@m@@";

    /// Hands out its bytes one at a time, so a marker arrives split across reads.
    struct Trickle(Vec<u8>, usize);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            if let Some(&b) = self.0.get(self.1) {
                buf.put_slice(&[b]);
                self.1 += 1;
            }
            Poll::Ready(Ok(()))
        }
    }

    /// The lines before the marker, and the agent's stream as the client reads it (the bytes
    /// read past the marker, then the rest of the stream).
    async fn split_from<R: AsyncRead + Unpin>(mut r: R) -> Result<(Vec<String>, Vec<u8>), String> {
        let (lines, rest) = read_to_marker(&mut r, M, Duration::from_secs(5)).await?;
        let mut agent = Vec::new();
        std::io::Cursor::new(rest)
            .chain(r)
            .read_to_end(&mut agent)
            .await
            .map_err(|e| e.to_string())?;
        Ok((lines, agent))
    }

    /// [`split_from`] with everything in one read and one byte per read: the same answer.
    async fn split(input: &str) -> Result<(Vec<String>, Vec<u8>), String> {
        let whole = split_from(input.as_bytes()).await?;
        let trickled = split_from(Trickle(input.as_bytes().to_vec(), 0)).await?;
        assert_eq!(whole, trickled, "{input:?}");
        Ok(whole)
    }

    #[tokio::test]
    async fn startup_noise_is_split_from_the_agents_stream() {
        // Quiet host.
        let (lines, rest) = split("@@m@@\n{\"jsonrpc\":\"2.0\"}\n").await.unwrap();
        assert!(lines.is_empty());
        assert_eq!(rest, b"{\"jsonrpc\":\"2.0\"}\n");
        // Lines printed by a startup file.
        let (lines, rest) = split("Welcome!\n\nfortune\n@@m@@\n{}").await.unwrap();
        assert_eq!(lines, ["Welcome!", "fortune"]);
        assert_eq!(rest, b"{}");
        // No newline after the noise (printf, a terminal title escape): still split off.
        let (lines, rest) = split("\x1b]0;title\x07Hi@@m@@\n{}\n").await.unwrap();
        assert_eq!(lines, ["\x1b]0;title\x07Hi"]);
        assert_eq!(rest, b"{}\n");
        // The agent never started: everything is reported, nothing is left for the client.
        let (lines, rest) = split("bash: agent: not found\n").await.unwrap();
        assert_eq!(lines, ["bash: agent: not found"]);
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn endless_noise_or_silence_fails() {
        let noise = "x".repeat(MAX_PREAMBLE_BYTES + 10);
        let mut r = noise.as_bytes();
        let err = read_to_marker(&mut r, M, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(err.contains("startup files"), "{err}");
        let (_w, mut silent) = tokio::io::duplex(64);
        let err = read_to_marker(&mut silent, M, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(err.contains("did not start"), "{err}");
    }
}

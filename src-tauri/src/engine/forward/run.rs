//! Running a host's forwards: [`start`] binds every desktop listener first (a port in use fails
//! at once, before anything connects), connects, checks that each `-L` destination answers
//! from the host, asks the host to listen for each `-R` forward ([`remote::bind`]), and asks
//! the host's agent for each agent-owned forward ([`agent::open`]); [`Started::run`] then
//! serves them, keeps the link up across losses ([`link::keep`]; `-R` forwards are asked for
//! again on each new connection), writes the status `outpost forward list` reads, and closes the
//! forwards `outpost forward close` asks it to (a `-R` one is cancelled on the host).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::agent::{self, AgentOwned};
use super::link::{self, LinkState};
use super::listener::{self, Bound};
use super::manager::Task;
use super::relay;
use super::remote::{self, RemoteBound};
use super::spec::ForwardSpec;
use super::stats::ForwardStats;
use super::status::{self, RunStatus, RunningForward, STATUS_EVERY};
use crate::engine::ssh::SshSession;
use crate::engine::store::hosts::Host;
use crate::engine::{EngineContext, EngineError};

/// Forwards bound and connected, not served yet.
pub struct Started {
    host: Host,
    session: SshSession,
    bound: Vec<Bound>,
    remote: Vec<RemoteBound>,
}

/// What [`Started::into_parts`] hands over.
pub struct Parts {
    /// The host.
    pub host: Host,
    /// Its connection, the one every forward below is bound on.
    pub session: SshSession,
    /// The desktop listeners, one per `-L`/`-D` spec, in order.
    pub bound: Vec<Bound>,
    /// The `-R` forwards the host listens for, one per `-R` spec, in order.
    pub remote: Vec<RemoteBound>,
}

/// Binds `specs`, connects to `host`, and checks every `-L` destination from it.
pub async fn start(
    host: &Host,
    ctx: &EngineContext,
    specs: &[ForwardSpec],
) -> Result<Started, EngineError> {
    start_with(host, ctx, specs, None).await
}

/// [`start`], with `agent`: every `-L` is agent-owned (the host's agent opens it, and checks
/// its destination, from the host or from `agent.session`'s target); `-D` is refused.
pub async fn start_with(
    host: &Host,
    ctx: &EngineContext,
    specs: &[ForwardSpec],
    agent: Option<&AgentOwned>,
) -> Result<Started, EngineError> {
    if let Some(a) = agent {
        a.check(specs)?;
    }
    if specs.is_empty() {
        return Err(EngineError::Usage(
            "no forwards given (-L, -D or -R)".into(),
        ));
    }
    let mut bound = Vec::with_capacity(specs.len());
    for s in specs.iter().filter(|s| !s.is_remote()) {
        bound.push(listener::bind(s).await?);
    }
    let session = link::connect(host, ctx).await?;
    let mut remote = Vec::new();
    for s in specs.iter().filter(|s| s.is_remote()) {
        remote.push(remote::bind(&session, &host.name, s).await?);
    }
    for b in bound.iter().filter(|_| agent.is_none()) {
        if let ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } = &b.spec
        {
            let origin = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let probe =
                relay::open_tcp(&session, &host.name, dest_host, *dest_port, origin).await?;
            drop(probe);
        }
    }
    if let Some(a) = agent {
        agent::open(host, ctx, &mut bound, a).await?;
    }
    Ok(Started {
        host: host.clone(),
        session,
        bound,
        remote,
    })
}

impl Started {
    /// The forwards as they listen now.
    pub fn forwards(&self) -> Vec<RunningForward> {
        let remote = self.remote.iter().map(running_remote);
        self.bound.iter().map(running).chain(remote).collect()
    }

    /// The host, its connection, and the forwards bound on it, for a caller that serves them
    /// its own way (the MCP server runs each forward as tasks of its own): each desktop
    /// listener with [`listener::serve`], each `-R` forward with [`remote::spawn`].
    pub fn into_parts(self) -> Parts {
        Parts {
            host: self.host,
            session: self.session,
            bound: self.bound,
            remote: self.remote,
        }
    }

    /// Serves the forwards until a permanent error, or until every one was closed (`Ok`).
    pub async fn run(self, ctx: &EngineContext) -> Result<(), EngineError> {
        let Started {
            host,
            session,
            bound,
            remote,
        } = self;
        let (tx, rx) = watch::channel(None);
        let mut live: HashMap<String, (RunningForward, Arc<ForwardStats>, Task)> = HashMap::new();
        for b in bound {
            let entry = running(&b);
            let stats = b.stats.clone();
            let task = tokio::spawn(listener::serve(b, host.name.clone(), rx.clone()));
            live.insert(entry.id.clone(), (entry, stats, Task::Listener(task)));
        }
        for b in remote {
            let entry = running_remote(&b);
            let stats = b.stats.clone();
            let task = remote::spawn(b, host.name.clone(), rx.clone());
            live.insert(entry.id.clone(), (entry, stats, Task::Remote(task)));
        }
        let state = Arc::new(Mutex::new(LinkState::Up));
        let keeper = {
            let state = state.clone();
            link::keep(&host, ctx, session, tx, move |s| {
                *state.lock().unwrap_or_else(|p| p.into_inner()) = s;
            })
        };
        tokio::pin!(keeper);
        let mut tick = tokio::time::interval(STATUS_EVERY);
        let result = loop {
            tokio::select! {
                e = &mut keeper => break Err(e),
                _ = tick.tick() => {
                    for id in take_close_requests(&ctx.config_dir) {
                        if let Some((f, _, task)) = live.remove(&id) {
                            task.close().await;
                            tracing::info!(host = %host.name, forward = %f.id, "closed");
                        }
                    }
                    if live.is_empty() {
                        break Ok(());
                    }
                    let link = state.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let mut forwards: Vec<RunningForward> = live
                        .values()
                        .map(|(f, stats, _)| RunningForward { stats: stats.snapshot(), ..f.clone() })
                        .collect();
                    forwards.sort_by(|a, b| a.id.cmp(&b.id));
                    RunStatus { pid: std::process::id(), host: host.name.clone(), link, forwards }
                        .write(&ctx.config_dir);
                }
            }
        };
        for (_, _, task) in live.into_values() {
            task.close().await;
        }
        RunStatus::remove(&ctx.config_dir);
        result
    }
}

fn running(b: &Bound) -> RunningForward {
    RunningForward {
        id: b.spec.id(),
        spec: b.spec.clone(),
        local: b.local,
        stats: b.stats.snapshot(),
        agent_socket: b.agent_socket.clone(),
        remote: None,
    }
}

fn running_remote(b: &RemoteBound) -> RunningForward {
    let (bind, port) = b.spec.listen();
    RunningForward {
        id: b.spec.id(),
        spec: b.spec.clone(),
        local: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        stats: b.stats.snapshot(),
        agent_socket: None,
        remote: Some(format!("{bind}:{port}")),
    }
}

/// The file through which `outpost forward close` asks process `pid` to close forwards.
fn close_requests(config_dir: &Path, pid: u32) -> PathBuf {
    status::own_path(config_dir).with_file_name(format!("{pid}.close"))
}

/// Asks the process running forward `id` of `host` to close it; true when one runs it.
pub fn request_close(config_dir: &Path, host: &str, id: &str) -> bool {
    let mut asked = false;
    for s in RunStatus::read_all(config_dir, Some(host)) {
        if s.forwards.iter().any(|f| f.id == id) {
            let path = close_requests(config_dir, s.pid);
            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
            text.push_str(id);
            text.push('\n');
            if let Err(e) = crate::engine::store::config_dir::write_private(&path, text.as_bytes())
            {
                tracing::warn!("cannot ask process {} to close {id}: {e}", s.pid);
                continue;
            }
            asked = true;
        }
    }
    asked
}

/// The ids this process was asked to close since the last call.
fn take_close_requests(config_dir: &Path) -> Vec<String> {
    // Renamed before reading: a request written meanwhile lands in a new file, read next time.
    let path = close_requests(config_dir, std::process::id());
    let taken = path.with_extension("taken");
    if std::fs::rename(&path, &taken).is_err() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(&taken).unwrap_or_default();
    let _ = std::fs::remove_file(&taken);
    text.lines().take(1024).map(str::to_string).collect()
}

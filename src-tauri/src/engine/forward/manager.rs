//! Forwards a long-lived front end (the window) runs itself, per host: each a desktop listener
//! ([`listener::bind`], [`listener::serve`]) over one link per host ([`link::keep`]), added
//! and closed one at a time while the others keep running. A port in use fails at once; an
//! `-L` destination the host cannot reach fails before anything listens; a lost link leaves
//! the listeners bound while it is made again. An agent-owned forward's local port is a
//! listener whose connections go to the forward's socket on the host (`direct-streamlocal`).
//! A `-R` forward is asked of the host on the link ([`remote::bind`], [`remote::spawn`]) and
//! asked again after each reconnect. Closing a forward frees its port (on the desktop, or on
//! the host for `-R`) before [`ForwardManager::close`] returns; the last one of a host ends its
//! link. Each time a host's link comes up (the first time and after each loss) its name goes to
//! [`ForwardManager::links_up`]'s receivers.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use tokio::task::{AbortHandle, JoinHandle};

use super::error::ForwardError;
use super::link::{self, LinkState};
use super::listener::{self, Bound};
use super::relay;
use super::remote::{self, RemoteTask};
use super::spec::ForwardSpec;
use super::stats::{ForwardStats, StatsSnapshot};
use crate::engine::live::connections::Connections;
use crate::engine::ssh::SshSession;
use crate::engine::{EngineError, ErrorReport};

/// A host's link as the window shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ForwardLink {
    /// Connected.
    Up,
    /// Lost; being made again.
    Reconnecting {
        /// The attempt about to be made (from 1).
        attempt: u32,
        /// Why the last connection ended.
        reason: String,
    },
    /// Ended for good (a changed host key, refused credentials); the listeners refuse.
    Failed {
        /// Why.
        error: ErrorReport,
    },
}

/// The agent-owned forward a local port leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTarget {
    /// The forward's id on the host (`f` and 16 hex digits).
    pub id: String,
    /// Its Unix socket on the host.
    pub socket: String,
}

/// One forward the manager runs, as [`ForwardManager::running`] reports it.
#[derive(Clone, Debug)]
pub struct Running {
    /// As asked (port 0 stays 0), to match a saved one.
    pub asked: ForwardSpec,
    /// As bound.
    pub spec: ForwardSpec,
    /// The agent-owned forward it leads to, if it is one's local port.
    pub agent: Option<String>,
    /// Its counters now.
    pub stats: StatsSnapshot,
}

/// One running forward.
struct Live {
    asked: ForwardSpec,
    spec: ForwardSpec,
    agent: Option<String>,
    stats: Arc<ForwardStats>,
    task: Task,
}

/// What serves a running forward (here and in [`super::run`]).
pub(super) enum Task {
    /// A desktop listener (`-L`, `-D`, an agent-owned forward's local port).
    Listener(JoinHandle<()>),
    /// A `-R` forward the host listens for.
    Remote(RemoteTask),
}

impl Task {
    /// Ends it: the desktop port is free (the task is awaited), or the host's port is cancelled.
    pub(super) async fn close(self) {
        match self {
            Task::Listener(t) => {
                t.abort();
                // The listener is dropped with the task: wait for it, so the port is free.
                let _ = t.await;
            }
            Task::Remote(t) => t.close().await,
        }
    }
}

impl Live {
    fn report(&self) -> Running {
        Running {
            asked: self.asked.clone(),
            spec: self.spec.clone(),
            agent: self.agent.clone(),
            stats: self.stats.snapshot(),
        }
    }
}

/// One host's running forwards and the link under them.
struct HostLink {
    sessions: watch::Sender<Option<Arc<SshSession>>>,
    link: Arc<Mutex<ForwardLink>>,
    keeper: AbortHandle,
    live: Vec<Live>,
}

/// The forwards a front end runs, per host.
pub struct ForwardManager {
    hosts: tokio::sync::Mutex<HashMap<String, HostLink>>,
    links_up: broadcast::Sender<String>,
}

/// How many link announcements a slow receiver may fall behind by.
const ANNOUNCED: usize = 64;

impl Default for ForwardManager {
    fn default() -> Self {
        ForwardManager {
            hosts: tokio::sync::Mutex::default(),
            links_up: broadcast::channel(ANNOUNCED).0,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts keeping `host`'s link from `first`; the link's state lands in the returned cell.
fn keep_link(
    hub: Arc<Connections>,
    host: crate::engine::store::hosts::Host,
    first: SshSession,
    links_up: broadcast::Sender<String>,
) -> HostLink {
    let (tx, _) = watch::channel(None);
    let link = Arc::new(Mutex::new(ForwardLink::Up));
    let (sessions, cell) = (tx.clone(), link.clone());
    let keeper = tokio::spawn(async move {
        let (cell2, name) = (cell.clone(), host.name.clone());
        let e = link::keep(&host, hub.context(), first, tx, move |s| {
            *lock(&cell2) = match s {
                LinkState::Up => {
                    // No receiver is fine.
                    let _ = links_up.send(name.clone());
                    ForwardLink::Up
                }
                LinkState::Reconnecting { attempt, reason } => {
                    ForwardLink::Reconnecting { attempt, reason }
                }
            };
        })
        .await;
        tracing::warn!(host = %host.name, "the window's forwards' link ended: {e}");
        *lock(&cell) = ForwardLink::Failed { error: e.report() };
    });
    HostLink {
        sessions,
        link,
        keeper: keeper.abort_handle(),
        live: Vec::new(),
    }
}

/// Probes an `-L` destination from the host: fails with `unreachable` when the host cannot
/// connect to it. An agent-owned forward's local port is not probed (the agent checked it).
async fn probe(bound: &Bound, session: &SshSession, host: &str) -> Result<(), ForwardError> {
    if let (
        ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        },
        None,
    ) = (&bound.spec, &bound.agent_socket)
    {
        let origin = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        drop(relay::open_tcp(session, host, dest_host, *dest_port, origin).await?);
    }
    Ok(())
}

/// A `-R` forward asked for while the host's link is being made again.
fn not_connected(host: &str, spec: &ForwardSpec) -> ForwardError {
    ForwardError::Bind {
        addr: format!("{} on {host}", spec.id()),
        source: std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            format!("{host} is reconnecting; try again when it is connected"),
        ),
    }
}

impl ForwardManager {
    /// Starts `asked` through `host` (an agent-owned forward's local port when `agent` is
    /// given): binds it, connects (or uses the host's link), checks an `-L` destination from
    /// the host, then serves it until closed.
    pub async fn add(
        &self,
        hub: &Arc<Connections>,
        host: &str,
        asked: ForwardSpec,
        agent: Option<AgentTarget>,
    ) -> Result<Running, EngineError> {
        let port = asked.listen().1;
        let saved_host = hub.host(host)?;
        let mut hosts = self.hosts.lock().await;
        if let Some(h) = hosts.get(host) {
            let twin = |l: &Live| {
                (port != 0 && l.asked == asked)
                    || agent
                        .as_ref()
                        .is_some_and(|a| l.agent.as_ref() == Some(&a.id))
            };
            if h.live.iter().any(twin) {
                return Err(ForwardError::Invalid {
                    spec: asked.id(),
                    reason: "it runs already".into(),
                }
                .into());
            }
        }
        // A desktop port binds first: one in use fails before anything connects.
        let mut bound = match asked.is_remote() {
            true => None,
            false => Some(listener::bind(&asked).await?),
        };
        if let Some(b) = bound.as_mut() {
            b.agent_socket = agent.as_ref().map(|a| a.socket.clone());
        }
        // The link: the host's current one, or a new one kept from now on.
        let mut remote = None;
        match hosts.get(host) {
            Some(h) => {
                let current = h.sessions.borrow().clone();
                match (current, &bound) {
                    (Some(session), Some(b)) => probe(b, &session, host).await?,
                    (Some(session), None) => {
                        remote = Some(remote::bind(&session, host, &asked).await?)
                    }
                    (None, Some(_)) => {}
                    (None, None) => return Err(not_connected(host, &asked).into()),
                }
            }
            None => {
                let session = link::connect(&saved_host, hub.context()).await?;
                match &bound {
                    Some(b) => probe(b, &session, host).await?,
                    None => remote = Some(remote::bind(&session, host, &asked).await?),
                }
                let h = keep_link(hub.clone(), saved_host, session, self.links_up.clone());
                hosts.insert(host.to_string(), h);
            }
        }
        let Some(h) = hosts.get_mut(host) else {
            return Err(ForwardError::Store(format!("{host}'s forwards vanished")).into());
        };
        let (spec, stats, task) = match (bound, remote) {
            (Some(b), _) => {
                let (spec, stats) = (b.spec.clone(), b.stats.clone());
                let serve = listener::serve(b, host.to_string(), h.sessions.subscribe());
                (spec, stats, Task::Listener(tokio::spawn(serve)))
            }
            (None, Some(r)) => {
                let (spec, stats) = (r.spec.clone(), r.stats.clone());
                let task = remote::spawn(r, host.to_string(), h.sessions.subscribe());
                (spec, stats, Task::Remote(task))
            }
            (None, None) => return Err(not_connected(host, &asked).into()),
        };
        tracing::info!(host = %host, forward = %spec.id(), agent = ?agent.as_ref().map(|a| &a.id), "forward added");
        let live = Live {
            asked,
            spec,
            agent: agent.map(|a| a.id),
            stats,
            task,
        };
        let report = live.report();
        h.live.push(live);
        Ok(report)
    }

    /// Closes `host`'s running forward whose bound id is `id`, or (`by_agent`) the local port
    /// of agent-owned forward `id`: its port is free when this returns. None when none runs.
    pub async fn close(&self, host: &str, id: &str, by_agent: bool) -> Option<Running> {
        let mut hosts = self.hosts.lock().await;
        let h = hosts.get_mut(host)?;
        let i = h.live.iter().position(|l| {
            if by_agent {
                l.agent.as_deref() == Some(id)
            } else {
                l.spec.id() == id
            }
        })?;
        let l = h.live.remove(i);
        let report = l.report();
        l.task.close().await;
        tracing::info!(host = %host, forward = %report.spec.id(), "forward closed");
        if h.live.is_empty() {
            if let Some(h) = hosts.remove(host) {
                h.keeper.abort();
                h.sessions.send_replace(None);
            }
        }
        Some(report)
    }

    /// The names of the hosts whose link comes up from now on, each time it does (when first
    /// made, and again after each loss).
    pub fn links_up(&self) -> broadcast::Receiver<String> {
        self.links_up.subscribe()
    }

    /// `host`'s link (none when nothing runs) and running forwards, by bound id.
    pub async fn running(&self, host: &str) -> (Option<ForwardLink>, Vec<Running>) {
        let hosts = self.hosts.lock().await;
        let Some(h) = hosts.get(host) else {
            return (None, Vec::new());
        };
        let mut live: Vec<Running> = h.live.iter().map(Live::report).collect();
        live.sort_by_key(|r| r.spec.id());
        let link = lock(&h.link).clone();
        (Some(link), live)
    }
}

//! The forwards panel's commands: a host's forwards as the window runs them (`-L` and `-D`,
//! owned by this desktop process, with their link state and counters) beside the ones saved
//! for it (`forwards.json`, shared with `outpost forward up`); add one, close one, save or
//! forget one. Built from the engine's forward pieces ([`listener::bind`] and
//! [`listener::serve`] per forward, one [`link::keep`] per host): a port in use fails at once,
//! an `-L` destination the host cannot reach fails before anything listens, and a lost link
//! leaves the listeners bound while it is made again. Closing a forward frees its port before
//! the command returns; the last one of a host ends its link.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tauri::State;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

use crate::engine::forward::link::{self, LinkState};
use crate::engine::forward::listener::{self, Bound};
use crate::engine::forward::relay;
use crate::engine::forward::saved::SavedForwards;
use crate::engine::forward::spec::{ForwardSpec, DEFAULT_BIND};
use crate::engine::forward::stats::ForwardStats;
use crate::engine::forward::ForwardError;
use crate::engine::live::connections::Connections;
use crate::engine::ssh::SshSession;
use crate::engine::{EngineError, ErrorReport};
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// Which kind of forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ForwardKind {
    /// `-L`: a desktop port to a destination the host reaches.
    Local,
    /// `-D`: a SOCKS5 server on the desktop.
    Dynamic,
}

/// A forward as the panel's form asks for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewForward {
    /// `-L` or `-D`.
    pub kind: ForwardKind,
    /// The desktop address to listen on (127.0.0.1 when none).
    pub bind: Option<String>,
    /// The desktop port (0: any free one).
    pub port: u16,
    /// The destination host (`-L`).
    pub dest_host: Option<String>,
    /// The destination port (`-L`).
    pub dest_port: Option<u16>,
    /// Also save it for the host.
    pub save: bool,
}

/// A host's link as the panel shows it.
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

/// Counters of a running forward.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ForwardCounts {
    /// Connections accepted so far.
    pub accepted: u64,
    /// Connections open now.
    pub active: u64,
    /// Connections that could not be carried.
    pub failed: u64,
    /// Bytes sent towards the destination.
    pub bytes_out: u64,
    /// Bytes received from the destination.
    pub bytes_in: u64,
}

/// One forward of a host: running here, saved, or both.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ForwardRow {
    /// OpenSSH's spelling with the option letter (`L127.0.0.1:8080:db:5432`), the bound port
    /// filled in when it runs; the id for [`forward_close`] and [`forward_save`].
    pub id: String,
    /// `-L` or `-D`.
    pub kind: ForwardKind,
    /// The desktop address it listens on.
    pub bind: String,
    /// The desktop port (the bound one when it runs).
    pub port: u16,
    /// The destination host (`-L`).
    pub dest_host: Option<String>,
    /// The destination port (`-L`).
    pub dest_port: Option<u16>,
    /// Whether this window runs it.
    pub running: bool,
    /// Whether it is saved for the host.
    pub saved: bool,
    /// Its counters, when it runs.
    pub counts: Option<ForwardCounts>,
}

/// A host's forwards and its link.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HostForwards {
    /// The link of the running forwards (none when none runs).
    pub link: Option<ForwardLink>,
    /// Running ones first (by id), then saved ones not running.
    pub forwards: Vec<ForwardRow>,
}

/// One forward the window runs.
struct Live {
    /// As asked (port 0 stays 0), to match the saved one.
    asked: ForwardSpec,
    /// As bound.
    spec: ForwardSpec,
    stats: Arc<ForwardStats>,
    task: JoinHandle<()>,
}

/// One host's running forwards and the link under them.
struct Host {
    sessions: watch::Sender<Option<Arc<SshSession>>>,
    link: Arc<Mutex<ForwardLink>>,
    keeper: AbortHandle,
    live: Vec<Live>,
}

/// The forwards the window runs, per host (managed by the app).
#[derive(Default)]
pub struct ForwardsState {
    hosts: tokio::sync::Mutex<HashMap<String, Host>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn engine(e: ForwardError) -> CommandError {
    EngineError::from(e).into()
}

/// The spec the panel asked for, checked as the CLI checks `-L`/`-D`.
fn spec_of(f: NewForward) -> CommandResult<ForwardSpec> {
    let NewForward {
        kind,
        bind,
        port,
        dest_host,
        dest_port,
        ..
    } = f;
    let bind = bind
        .filter(|b| !b.trim().is_empty())
        .map(|b| b.trim().to_string())
        .unwrap_or_else(|| DEFAULT_BIND.to_string());
    let spec = match kind {
        ForwardKind::Local => ForwardSpec::Local {
            bind,
            port,
            dest_host: dest_host.unwrap_or_default().trim().to_string(),
            dest_port: dest_port.unwrap_or(0),
        },
        ForwardKind::Dynamic => ForwardSpec::Dynamic { bind, port },
    };
    let bad = |reason: String| {
        engine(ForwardError::Invalid {
            spec: spec.id(),
            reason,
        })
    };
    if let ForwardSpec::Local { dest_port: 0, .. } = spec {
        return Err(bad("the destination port is not 1-65535".into()));
    }
    spec.check().map_err(bad)?;
    Ok(spec)
}

fn row(
    spec: &ForwardSpec,
    running: bool,
    saved: bool,
    counts: Option<ForwardCounts>,
) -> ForwardRow {
    let (kind, dest_host, dest_port) = if let ForwardSpec::Local {
        dest_host,
        dest_port,
        ..
    } = spec
    {
        (
            ForwardKind::Local,
            Some(dest_host.clone()),
            Some(*dest_port),
        )
    } else {
        (ForwardKind::Dynamic, None, None)
    };
    let (bind, port) = spec.listen();
    ForwardRow {
        id: spec.id(),
        kind,
        bind: bind.to_string(),
        port,
        dest_host,
        dest_port,
        running,
        saved,
        counts,
    }
}

fn counts(stats: &ForwardStats) -> ForwardCounts {
    let s = stats.snapshot();
    ForwardCounts {
        accepted: s.accepted,
        active: s.active,
        failed: s.failed,
        bytes_out: s.bytes_out,
        bytes_in: s.bytes_in,
    }
}

/// `host`'s rows: running ones, then saved ones not running.
fn rows(host: Option<&Host>, saved: &[ForwardSpec]) -> Vec<ForwardRow> {
    let mut out = Vec::new();
    let live = host.map_or(&[][..], |h| h.live.as_slice());
    for l in live {
        let is_saved = saved.iter().any(|s| *s == l.asked || *s == l.spec);
        out.push(row(&l.spec, true, is_saved, Some(counts(&l.stats))));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    // The window runs desktop listeners only; other kinds saved for the host are the CLI's.
    let desktop =
        |s: &ForwardSpec| matches!(s, ForwardSpec::Local { .. } | ForwardSpec::Dynamic { .. });
    for s in saved.iter().filter(|s| desktop(s)) {
        if !live.iter().any(|l| *s == l.asked || *s == l.spec) {
            out.push(row(s, false, true, None));
        }
    }
    out
}

/// Starts keeping `host`'s link from `first`; the link's state lands in the returned cell.
fn keep_link(
    hub: Arc<Connections>,
    host: crate::engine::store::hosts::Host,
    first: SshSession,
) -> Host {
    let (tx, _) = watch::channel(None);
    let link = Arc::new(Mutex::new(ForwardLink::Up));
    let (sessions, cell) = (tx.clone(), link.clone());
    let keeper = tokio::spawn(async move {
        let cell2 = cell.clone();
        let e = link::keep(&host, hub.context(), first, tx, move |s| {
            *lock(&cell2) = match s {
                LinkState::Up => ForwardLink::Up,
                LinkState::Reconnecting { attempt, reason } => {
                    ForwardLink::Reconnecting { attempt, reason }
                }
            };
        })
        .await;
        tracing::warn!(host = %host.name, "the window's forwards' link ended: {e}");
        *lock(&cell) = ForwardLink::Failed { error: e.report() };
    });
    Host {
        sessions,
        link,
        keeper: keeper.abort_handle(),
        live: Vec::new(),
    }
}

/// Probes an `-L` destination from the host: fails with `unreachable` when the host cannot
/// connect to it.
async fn probe(spec: &ForwardSpec, session: &SshSession, host: &str) -> CommandResult<()> {
    if let ForwardSpec::Local {
        dest_host,
        dest_port,
        ..
    } = spec
    {
        let origin = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let stream = relay::open_tcp(session, host, dest_host, *dest_port, origin)
            .await
            .map_err(engine)?;
        drop(stream);
    }
    Ok(())
}

/// `host`'s forwards: those this window runs and those saved for it.
#[tauri::command(rename_all = "snake_case")]
pub async fn forwards_list(
    state: State<'_, AppState>,
    forwards: State<'_, ForwardsState>,
    host: String,
) -> CommandResult<HostForwards> {
    let saved = SavedForwards::load(&state.hub.context().config_dir).map_err(engine)?;
    let hosts = forwards.hosts.lock().await;
    let h = hosts.get(&host);
    Ok(HostForwards {
        link: h.map(|h| lock(&h.link).clone()),
        forwards: rows(h, saved.of(&host)),
    })
}

/// Adds a forward through `host` (and saves it when `save`): binds it, checks an `-L`
/// destination from the host, then serves it until closed.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_add(
    state: State<'_, AppState>,
    forwards: State<'_, ForwardsState>,
    host: String,
    forward: NewForward,
) -> CommandResult<ForwardRow> {
    let save = forward.save;
    let asked = spec_of(forward)?;
    let port = asked.listen().1;
    let saved_host = state.hub.host(&host)?;
    let mut hosts = forwards.hosts.lock().await;
    if let Some(h) = hosts.get(&host) {
        if h.live.iter().any(|l| l.asked == asked && port != 0) {
            return Err(CommandError::new(
                "forward_invalid",
                format!("{} runs already", asked.id()),
            ));
        }
    }
    let bound: Bound = listener::bind(&asked).await.map_err(engine)?;
    // The link: the host's current one, or a new one kept from now on.
    match hosts.get(&host) {
        Some(h) => {
            let current = h.sessions.borrow().clone();
            if let Some(session) = current {
                probe(&bound.spec, &session, &host).await?;
            }
        }
        None => {
            let session = link::connect(&saved_host, state.hub.context()).await?;
            probe(&bound.spec, &session, &host).await?;
            let h = keep_link(state.hub.clone(), saved_host.clone(), session);
            hosts.insert(host.clone(), h);
        }
    }
    let Some(h) = hosts.get_mut(&host) else {
        return Err(CommandError::new(
            "internal",
            "the host's forwards vanished",
        ));
    };
    let spec = bound.spec.clone();
    let stats = bound.stats.clone();
    let task = tokio::spawn(listener::serve(bound, host.clone(), h.sessions.subscribe()));
    tracing::info!(host = %host, forward = %spec.id(), "forward added in the window");
    h.live.push(Live {
        asked: asked.clone(),
        spec: spec.clone(),
        stats: stats.clone(),
        task,
    });
    let mut is_saved = false;
    if save {
        let dir = &state.hub.context().config_dir;
        let mut saved = SavedForwards::load(dir).map_err(engine)?;
        saved.add(&host, asked.clone()).map_err(engine)?;
        saved.store(dir).map_err(engine)?;
        is_saved = true;
    }
    Ok(row(&spec, true, is_saved, Some(counts(&stats))))
}

/// Closes running forward `id` of `host`: its port is free when this returns. A saved
/// forward stays saved. False when none runs under that id.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_close(
    forwards: State<'_, ForwardsState>,
    host: String,
    id: String,
) -> CommandResult<bool> {
    let mut hosts = forwards.hosts.lock().await;
    let Some(h) = hosts.get_mut(&host) else {
        return Ok(false);
    };
    let Some(i) = h.live.iter().position(|l| l.spec.id() == id) else {
        return Ok(false);
    };
    let l = h.live.remove(i);
    l.task.abort();
    // The listener is dropped with the task: wait for it, so the port is free on return.
    let _ = l.task.await;
    tracing::info!(host = %host, forward = %id, "forward closed in the window");
    if h.live.is_empty() {
        if let Some(h) = hosts.remove(&host) {
            h.keeper.abort();
            h.sessions.send_replace(None);
        }
    }
    Ok(true)
}

/// Saves (`on`) or forgets forward `id` of `host` in `forwards.json`; a running one keeps
/// running either way.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_save(
    state: State<'_, AppState>,
    forwards: State<'_, ForwardsState>,
    host: String,
    id: String,
    on: bool,
) -> CommandResult<()> {
    let dir = &state.hub.context().config_dir;
    let mut saved = SavedForwards::load(dir).map_err(engine)?;
    let hosts = forwards.hosts.lock().await;
    let live = hosts
        .get(&host)
        .and_then(|h| h.live.iter().find(|l| l.spec.id() == id));
    if on {
        let Some(l) = live else {
            return Err(CommandError::new(
                "not_found",
                format!("{id} does not run in this window"),
            ));
        };
        saved.add(&host, l.asked.clone()).map_err(engine)?;
    } else {
        let mut gone = saved.remove(&host, &id);
        if let Some(l) = live {
            gone |= saved.remove(&host, &l.asked.id());
        }
        if !gone {
            return Err(CommandError::new(
                "not_found",
                format!("{id} is not saved for {host}"),
            ));
        }
    }
    saved.store(dir).map_err(engine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panel_s_fields_become_checked_specs() {
        let new = |kind, bind: Option<&str>, port, dest: Option<&str>, dport| NewForward {
            kind,
            bind: bind.map(str::to_string),
            port,
            dest_host: dest.map(str::to_string),
            dest_port: dport,
            save: false,
        };
        let l = spec_of(new(
            ForwardKind::Local,
            None,
            8080,
            Some(" db "),
            Some(5432),
        ))
        .unwrap();
        assert_eq!(l.id(), "L127.0.0.1:8080:db:5432");
        let d = spec_of(new(ForwardKind::Dynamic, Some("::1"), 1080, None, None)).unwrap();
        assert_eq!(d.id(), "D[::1]:1080");
        for (bind, dest, dport) in [
            (None, Some("db"), Some(0)),
            (None, None, Some(22)),
            (None, Some("a b"), Some(22)),
            (Some("nowhere"), Some("db"), Some(22)),
        ] {
            let e = spec_of(new(ForwardKind::Local, bind, 80, dest, dport)).unwrap_err();
            assert_eq!(e.code, "forward_invalid", "{bind:?} {dest:?} {dport:?}");
        }
    }

    #[test]
    fn saved_forwards_not_running_follow_the_running_ones() {
        let saved = vec![
            ForwardSpec::parse_dynamic("1080").unwrap(),
            ForwardSpec::parse_local("8080:db:5432").unwrap(),
        ];
        let r = rows(None, &saved);
        assert_eq!(r.len(), 2);
        assert!(r
            .iter()
            .all(|f| f.saved && !f.running && f.counts.is_none()));
        assert_eq!(r[1].dest_host.as_deref(), Some("db"));
    }
}

//! The forwards panel's commands: a host's forwards as the window runs them (`-L`, `-D` and
//! `-R`, owned by this desktop process, with their link state and counters) beside the ones saved
//! for it (`forwards.json`, shared with `outpost forward up`); add one, close one, save or
//! forget one. The running is the engine's [`ForwardManager`]: a port in use fails at once, an
//! `-L` destination the host cannot reach fails before anything listens, a lost link leaves
//! the listeners bound while it is made again, and closing a forward frees its port before the
//! command returns. The forwards the host's agent keeps are [`agent`]'s.

pub mod agent;

use std::sync::Arc;

use serde::Serialize;

use crate::engine::forward::manager::{ForwardManager, Running};
use crate::engine::forward::saved::SavedForwards;
use crate::engine::forward::spec::{ForwardSpec, DEFAULT_BIND, DEFAULT_REMOTE_BIND};
use crate::engine::forward::stats::StatsSnapshot;
use crate::engine::forward::ForwardError;
use crate::engine::EngineError;
use crate::gui::commands::host_args::ForwardsOf;
use crate::gui::error::{CommandError, CommandResult};

pub use crate::engine::forward::manager::ForwardLink;

/// Which kind of forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ForwardKind {
    /// `-L`: a desktop port to a destination the host reaches.
    Local,
    /// `-D`: a SOCKS5 server on the desktop.
    Dynamic,
    /// `-R`: a port on the host to a destination the desktop reaches.
    Remote,
}

/// A forward as the panel's form asks for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewForward {
    /// `-L`, `-D` or `-R`.
    pub kind: ForwardKind,
    /// The address to listen on: the desktop's (127.0.0.1 when none), or for `-R` the host's
    /// (`localhost` when none, `*` every address).
    pub bind: Option<String>,
    /// The port to listen on (0: any free one; for `-R` the host picks it).
    pub port: u16,
    /// The destination host (`-L`: as the host reaches it; `-R`: as the desktop does).
    pub dest_host: Option<String>,
    /// The destination port (`-L`, `-R`).
    pub dest_port: Option<u16>,
    /// Also save it for the host.
    pub save: bool,
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
    /// `-L`, `-D` or `-R`.
    pub kind: ForwardKind,
    /// The address it listens on (the host's for `-R`).
    pub bind: String,
    /// The port (the bound one when it runs; the host's for `-R`).
    pub port: u16,
    /// The destination host (`-L`, `-R`).
    pub dest_host: Option<String>,
    /// The destination port (`-L`, `-R`).
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

/// The forwards the window runs, per host (managed by the app).
#[derive(Default)]
pub struct ForwardsState {
    manager: Arc<ForwardManager>,
}

fn engine(e: ForwardError) -> CommandError {
    EngineError::from(e).into()
}

/// What the panel's commands, the window's and the agent-owned ones, do with the host's forwards.
impl ForwardsOf<'_> {
    /// The forwards saved for every host (`forwards.json`).
    fn saved(&self) -> CommandResult<SavedForwards> {
        SavedForwards::load(&self.state.hub.context().config_dir).map_err(engine)
    }

    /// Loads the saved forwards, has `edit` change those of the host (it is given the host's
    /// name), and stores them when it says it changed them. Nothing is stored when it fails.
    fn edit_saved(
        &self,
        edit: impl FnOnce(&mut SavedForwards, &str) -> CommandResult<bool>,
    ) -> CommandResult<()> {
        let dir = &self.state.hub.context().config_dir;
        let mut saved = SavedForwards::load(dir).map_err(engine)?;
        if edit(&mut saved, &self.host)? {
            saved.store(dir).map_err(engine)?;
        }
        Ok(())
    }

    /// The link of the forwards the window runs for the host, and those forwards.
    async fn running(&self) -> (Option<ForwardLink>, Vec<Running>) {
        self.forwards.manager.running(&self.host).await
    }

    /// Closes the running forward `id` (an agent-owned forward's local port when `by_agent`);
    /// false when none runs.
    async fn close(&self, id: &str, by_agent: bool) -> bool {
        let closed = self.forwards.manager.close(&self.host, id, by_agent);
        closed.await.is_some()
    }
}

fn not_found(message: String) -> CommandError {
    CommandError::new("not_found", message)
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
    let default_bind = match kind {
        ForwardKind::Remote => DEFAULT_REMOTE_BIND,
        ForwardKind::Local | ForwardKind::Dynamic => DEFAULT_BIND,
    };
    let bind = bind
        .filter(|b| !b.trim().is_empty())
        .map(|b| b.trim().to_string())
        .unwrap_or_else(|| default_bind.to_string());
    let dest_host = dest_host.unwrap_or_default().trim().to_string();
    let dest_port = dest_port.unwrap_or(0);
    let spec = match kind {
        ForwardKind::Local => ForwardSpec::Local {
            bind,
            port,
            dest_host,
            dest_port,
        },
        ForwardKind::Dynamic => ForwardSpec::Dynamic { bind, port },
        ForwardKind::Remote => ForwardSpec::Remote {
            bind,
            port,
            dest_host,
            dest_port,
        },
    };
    let bad = |reason: String| {
        engine(ForwardError::Invalid {
            spec: spec.id(),
            reason,
        })
    };
    if kind != ForwardKind::Dynamic && dest_port == 0 {
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
    let (kind, dest_host, dest_port) = match spec {
        ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } => (
            ForwardKind::Local,
            Some(dest_host.clone()),
            Some(*dest_port),
        ),
        ForwardSpec::Remote {
            dest_host,
            dest_port,
            ..
        } => (
            ForwardKind::Remote,
            Some(dest_host.clone()),
            Some(*dest_port),
        ),
        ForwardSpec::Dynamic { .. } => (ForwardKind::Dynamic, None, None),
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

fn counts(s: &StatsSnapshot) -> ForwardCounts {
    ForwardCounts {
        accepted: s.accepted,
        active: s.active,
        failed: s.failed,
        bytes_out: s.bytes_out,
        bytes_in: s.bytes_in,
    }
}

/// `host`'s rows: running ones (by id), then saved ones not running. Agent-owned forwards'
/// local ports are [`agent`]'s rows.
fn rows(running: &[Running], saved: &[ForwardSpec]) -> Vec<ForwardRow> {
    let live: Vec<&Running> = running.iter().filter(|r| r.agent.is_none()).collect();
    let mut out = Vec::new();
    for l in &live {
        let is_saved = saved.iter().any(|s| *s == l.asked || *s == l.spec);
        out.push(row(&l.spec, true, is_saved, Some(counts(&l.stats))));
    }
    for s in saved {
        if !live.iter().any(|l| *s == l.asked || *s == l.spec) {
            out.push(row(s, false, true, None));
        }
    }
    out
}

/// `host`'s forwards: those this window runs and those saved for it.
#[tauri::command(rename_all = "snake_case")]
pub async fn forwards_list(of: ForwardsOf<'_>) -> CommandResult<HostForwards> {
    let saved = of.saved()?;
    let (link, running) = of.running().await;
    let forwards = rows(&running, saved.of(&of.host));
    // The link shows when a window forward runs, not only an agent-owned one's local port.
    let link = link.filter(|_| running.iter().any(|r| r.agent.is_none()));
    Ok(HostForwards { link, forwards })
}

/// Adds a forward through `host` (and saves it when `save`): binds it, checks an `-L`
/// destination from the host, then serves it until closed.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_add(of: ForwardsOf<'_>, forward: NewForward) -> CommandResult<ForwardRow> {
    let save = forward.save;
    let asked = spec_of(forward)?;
    let manager = &of.forwards.manager;
    let r = manager
        .add(&of.state.hub, &of.host, asked.clone(), None)
        .await?;
    if save {
        of.edit_saved(|saved, host| saved.add(host, asked).map_err(engine))?;
    }
    Ok(row(&r.spec, true, save, Some(counts(&r.stats))))
}

/// Closes running forward `id` of `host`: its port is free when this returns. A saved
/// forward stays saved. False when none runs under that id.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_close(of: ForwardsOf<'_>, id: String) -> CommandResult<bool> {
    Ok(of.close(&id, false).await)
}

/// Saves (`on`) or forgets forward `id` of `host` in `forwards.json`; a running one keeps
/// running either way.
#[tauri::command(rename_all = "snake_case")]
pub async fn forward_save(of: ForwardsOf<'_>, id: String, on: bool) -> CommandResult<()> {
    let (_, running) = of.running().await;
    let live = running
        .iter()
        .find(|r| r.agent.is_none() && r.spec.id() == id);
    of.edit_saved(|saved, host| {
        if on {
            let Some(l) = live else {
                return Err(not_found(format!("{id} does not run in this window")));
            };
            return saved.add(host, l.asked.clone()).map_err(engine);
        }
        let mut gone = saved.remove(host, &id);
        if let Some(l) = live {
            gone |= saved.remove(host, &l.asked.id());
        }
        if !gone {
            return Err(not_found(format!("{id} is not saved for {host}")));
        }
        Ok(true)
    })
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
        let r = spec_of(new(ForwardKind::Remote, None, 0, Some("web"), Some(3000))).unwrap();
        assert_eq!(r.listen(), ("localhost", 0));
        assert!(r.is_remote());
        assert_eq!(row(&r, false, true, None).kind, ForwardKind::Remote);
        let e = spec_of(new(ForwardKind::Remote, None, 80, Some("web"), None)).unwrap_err();
        assert_eq!(e.code, "forward_invalid");
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
        let r = rows(&[], &saved);
        assert_eq!(r.len(), 2);
        assert!(r
            .iter()
            .all(|f| f.saved && !f.running && f.counts.is_none()));
        assert_eq!(r[1].dest_host.as_deref(), Some("db"));
    }
}

//! The forwards panel's agent-owned forwards: those the host's agent keeps on the jump host
//! (`forward.list`: id, destination, session, state, socket), which outlive this window; add
//! one (`forward.open`, its destination reached from the host or from an `ssh` session's
//! target), close one (`forward.close`), and "open locally": a desktop port whose connections
//! go to the forward's socket on a `direct-streamlocal` channel (as `outpost forward add
//! --agent-owned` does), run by the window's [`ForwardManager`]. A local port can be saved
//! (with the other saved forwards in `forwards.json`); [`restore_saved`] opens the saved ones again when the window
//! starts and after each reconnect of their host (`engine::forward::agent_restore`).

use std::sync::Arc;

use outpost_protocol::forward::{
    valid_forward_id, ForwardCloseParams, ForwardInfo, ForwardListParams, ForwardState,
};
use outpost_protocol::method;
use serde::Serialize;
use tauri::Manager;

use super::{counts, engine, not_found, ForwardCounts, ForwardsState};
use crate::engine::forward::agent_restore;
use crate::engine::forward::agent_saved::SavedAgentForward;
use crate::engine::forward::manager::{AgentTarget, ForwardManager, Running};
use crate::engine::forward::spec::{ForwardSpec, DEFAULT_BIND};
use crate::engine::forward::ForwardError;
use crate::engine::live::connections::Connections;
use crate::engine::ssh::visible;
use crate::engine::EngineError;
use crate::gui::commands::host_args::ForwardsOf;
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// An agent-owned forward's local port in this window.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AgentLocal {
    /// The desktop address it listens on.
    pub bind: String,
    /// The desktop port.
    pub port: u16,
    /// Its counters.
    pub counts: ForwardCounts,
}

/// A saved local port of an agent-owned forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AgentSavedPort {
    /// The desktop address.
    pub bind: String,
    /// The desktop port.
    pub port: u16,
}

/// One agent-owned forward of a host as the panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AgentForwardRow {
    /// Its id on the host (none: a saved port whose forward the host does not have now).
    pub id: Option<String>,
    /// The session whose target reaches the destination (none: the host itself).
    pub session_id: Option<String>,
    /// The destination host.
    pub dest_host: String,
    /// The destination port.
    pub dest_port: u16,
    /// Whether the host's socket takes connections now (none: not on the host).
    pub state: Option<ForwardState>,
    /// The Unix socket on the host.
    pub socket: Option<String>,
    /// Its local port in this window, when open.
    pub local: Option<AgentLocal>,
    /// Its saved local port, if any.
    pub saved: Option<AgentSavedPort>,
}

/// A host's agent-owned forwards.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AgentForwards {
    /// The host's forwards (by id), then saved ports whose forward it does not have.
    pub forwards: Vec<AgentForwardRow>,
}

/// An agent-owned forward as the panel's form asks for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewAgentForward {
    /// Reach the destination from this `ssh` session's target (none: from the host).
    pub session_id: Option<String>,
    /// The destination host.
    pub dest_host: String,
    /// The destination port.
    pub dest_port: u16,
    /// Also open it locally on this desktop port (0: any free one).
    pub local_port: Option<u16>,
    /// The desktop address for the local port (127.0.0.1 when none).
    pub bind: Option<String>,
    /// Save the local port (needs `local_port`).
    pub save: bool,
}

/// The local listener's spec for a forward to `dest_host:dest_port`, checked as `-L` is.
fn local_spec(
    bind: Option<String>,
    port: u16,
    dest_host: &str,
    dest_port: u16,
) -> CommandResult<ForwardSpec> {
    let bind = bind
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| DEFAULT_BIND.to_string());
    let spec = ForwardSpec::Local {
        bind,
        port,
        dest_host: dest_host.trim().to_string(),
        dest_port,
    };
    let bad = |reason: String| {
        engine(ForwardError::Invalid {
            spec: spec.id(),
            reason,
        })
    };
    if dest_port == 0 {
        return Err(bad("the destination port is not 1-65535".into()));
    }
    spec.check().map_err(bad)?;
    Ok(spec)
}

fn bad_session(s: &Option<String>) -> CommandResult<()> {
    match s {
        Some(s) if !outpost_protocol::session::valid_session_id(s) => {
            Err(EngineError::Usage(format!(
                "session {:?} is not a session id (1 to 32 characters of [a-z0-9])",
                visible(s)
            ))
            .into())
        }
        _ => Ok(()),
    }
}

fn bad_id(id: &str) -> CommandResult<()> {
    if valid_forward_id(id) {
        return Ok(());
    }
    Err(EngineError::Usage(format!(
        "{:?} is not an agent-owned forward id (f and 16 hex digits)",
        visible(id)
    ))
    .into())
}

/// The host's agent-owned forwards.
async fn host_forwards(hub: &Connections, host: &str) -> CommandResult<Vec<ForwardInfo>> {
    Ok(hub
        .call::<method::ForwardList>(host, ForwardListParams {})
        .await?
        .forwards)
}

/// Has `host`'s agent open (or find) the forward `spec` leads to, then, when `local`, serves
/// `spec`'s port to it.
async fn open(
    hub: &Arc<Connections>,
    manager: &ForwardManager,
    host: &str,
    session_id: Option<String>,
    spec: &ForwardSpec,
    local: bool,
) -> CommandResult<(ForwardInfo, Option<Running>)> {
    let info = agent_restore::open(hub, host, session_id, spec).await?;
    tracing::info!(host, forward = %info.id, "agent-owned forward opened in the window");
    let running = if local {
        Some(serve_local(hub, manager, host, &info, spec.clone()).await?)
    } else {
        None
    };
    Ok((info, running))
}

/// Serves `spec`'s desktop port to agent-owned forward `info`.
async fn serve_local(
    hub: &Arc<Connections>,
    manager: &ForwardManager,
    host: &str,
    info: &ForwardInfo,
    spec: ForwardSpec,
) -> CommandResult<Running> {
    let target = AgentTarget {
        id: info.id.clone(),
        socket: info.socket.clone(),
    };
    Ok(manager.add(hub, host, spec, Some(target)).await?)
}

impl ForwardsOf<'_> {
    /// Saves `running`'s bound port (an agent-owned forward's, through `session_id`).
    fn save_port(
        &self,
        session_id: Option<String>,
        running: &Running,
    ) -> CommandResult<AgentSavedPort> {
        let entry = SavedAgentForward {
            session_id,
            local: running.spec.clone(),
        };
        self.edit_saved(|saved, host| {
            saved.put_agent(host, entry).map_err(engine)?;
            Ok(true)
        })?;
        Ok(saved_port(&running.spec))
    }

    /// The host's agent-owned forward `id` (checked), as its agent has it.
    async fn agent_forward(&self, id: &str) -> CommandResult<ForwardInfo> {
        bad_id(id)?;
        let infos = host_forwards(&self.state.hub, &self.host).await?;
        infos.into_iter().find(|f| f.id == id).ok_or_else(|| {
            CommandError::new(
                "forward_not_found",
                format!("{} has no agent-owned forward {}", self.host, visible(id)),
            )
        })
    }
}

fn saved_port(spec: &ForwardSpec) -> AgentSavedPort {
    let (bind, port) = spec.listen();
    AgentSavedPort {
        bind: bind.to_string(),
        port,
    }
}

fn local_of(r: &Running) -> AgentLocal {
    let (bind, port) = r.spec.listen();
    AgentLocal {
        bind: bind.to_string(),
        port,
        counts: counts(&r.stats),
    }
}

/// The panel's rows: the host's forwards with their local and saved ports, then saved ports
/// whose forward the host does not have now.
fn rows(
    infos: &[ForwardInfo],
    running: &[Running],
    saved: &[SavedAgentForward],
) -> Vec<AgentForwardRow> {
    let mut out: Vec<AgentForwardRow> = infos
        .iter()
        .map(|f| {
            let local = running.iter().find(|r| r.agent.as_deref() == Some(&f.id));
            let port = saved
                .iter()
                .find(|s| s.leads_to(f.session_id.as_deref(), &f.host, f.port));
            row_of(f, local, port.map(|s| saved_port(&s.local)))
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    for s in saved {
        let ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } = &s.local
        else {
            continue;
        };
        let on_host = infos
            .iter()
            .any(|f| s.leads_to(f.session_id.as_deref(), &f.host, f.port));
        if !on_host {
            out.push(AgentForwardRow {
                id: None,
                session_id: s.session_id.clone(),
                dest_host: dest_host.clone(),
                dest_port: *dest_port,
                state: None,
                socket: None,
                local: None,
                saved: Some(saved_port(&s.local)),
            });
        }
    }
    out
}

fn row_of(
    info: &ForwardInfo,
    local: Option<&Running>,
    saved: Option<AgentSavedPort>,
) -> AgentForwardRow {
    AgentForwardRow {
        id: Some(info.id.clone()),
        session_id: info.session_id.clone(),
        dest_host: info.host.clone(),
        dest_port: info.port,
        state: Some(info.state),
        socket: Some(info.socket.clone()),
        local: local.map(local_of),
        saved,
    }
}

/// `host`'s agent-owned forwards (asked of its agent), with their local and saved ports.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forwards_list(of: ForwardsOf<'_>) -> CommandResult<AgentForwards> {
    let saved = of.saved()?;
    let infos = host_forwards(&of.state.hub, &of.host).await?;
    let (_, running) = of.running().await;
    Ok(AgentForwards {
        forwards: rows(&infos, &running, saved.agent_of(&of.host)),
    })
}

/// Has `host`'s agent open a forward (or answers the one it has), optionally with a local port
/// in this window, saved when `save`.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forward_add(
    of: ForwardsOf<'_>,
    forward: NewAgentForward,
) -> CommandResult<AgentForwardRow> {
    let NewAgentForward {
        session_id,
        dest_host,
        dest_port,
        local_port,
        bind,
        save,
    } = forward;
    bad_session(&session_id)?;
    if save && local_port.is_none() {
        return Err(EngineError::Usage(
            "only a local port can be saved: the forward itself is kept by the agent".into(),
        )
        .into());
    }
    let spec = local_spec(bind, local_port.unwrap_or(0), &dest_host, dest_port)?;
    let (info, running) = open(
        &of.state.hub,
        &of.forwards.manager,
        &of.host,
        session_id.clone(),
        &spec,
        local_port.is_some(),
    )
    .await?;
    let saved = match (&running, save) {
        (Some(r), true) => Some(of.save_port(session_id, r)?),
        _ => None,
    };
    Ok(row_of(&info, running.as_ref(), saved))
}

/// Opens agent-owned forward `id` of `host` locally: a desktop port (`port`, 0: any free one)
/// whose connections go to its socket on the host; saved when `save`.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forward_open_local(
    of: ForwardsOf<'_>,
    id: String,
    bind: Option<String>,
    port: u16,
    save: bool,
) -> CommandResult<AgentForwardRow> {
    let info = of.agent_forward(&id).await?;
    let spec = local_spec(bind, port, &info.host, info.port)?;
    let r = serve_local(&of.state.hub, &of.forwards.manager, &of.host, &info, spec).await?;
    let saved = if save {
        Some(of.save_port(info.session_id.clone(), &r)?)
    } else {
        None
    };
    Ok(row_of(&info, Some(&r), saved))
}

/// Closes agent-owned forward `id`'s local port in this window (the forward stays on the
/// host, and a saved port stays saved); false when none was open.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forward_close_local(of: ForwardsOf<'_>, id: String) -> CommandResult<bool> {
    bad_id(&id)?;
    Ok(of.close(&id, true).await)
}

/// Saves (`on`: the port open in this window) or forgets the local port of agent-owned
/// forward `id` — or, for a saved port whose forward the host no longer has, of the forward to
/// `dest_host:dest_port` through `session_id`.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forward_save(
    of: ForwardsOf<'_>,
    forward: AgentForwardKey,
    on: bool,
) -> CommandResult<()> {
    bad_session(&forward.session_id)?;
    if on {
        let (_, running) = of.running().await;
        let id = forward.id.as_deref().unwrap_or_default();
        let Some(r) = running.iter().find(|r| r.agent.as_deref() == Some(id)) else {
            return Err(not_found(format!(
                "{} has no local port in this window",
                visible(id)
            )));
        };
        of.save_port(forward.session_id, r)?;
        return Ok(());
    }
    let AgentForwardKey {
        session_id,
        dest_host,
        dest_port,
        ..
    } = forward;
    of.edit_saved(|saved, host| {
        if saved.remove_agent(host, session_id.as_deref(), &dest_host, dest_port) {
            return Ok(true);
        }
        Err(not_found(format!(
            "no local port is saved for {}:{dest_port} on {host}",
            visible(&dest_host)
        )))
    })
}

/// Which agent-owned forward [`agent_forward_save`] means.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AgentForwardKey {
    /// Its id on the host, if it has one.
    pub id: Option<String>,
    /// Its session.
    pub session_id: Option<String>,
    /// Its destination host.
    pub dest_host: String,
    /// Its destination port.
    pub dest_port: u16,
}

/// Closes agent-owned forward `id` on `host` (`forward.close`: its socket goes), with its
/// local port here and its saved port.
#[tauri::command(rename_all = "snake_case")]
pub async fn agent_forward_close(of: ForwardsOf<'_>, id: String) -> CommandResult<()> {
    let info = of.agent_forward(&id).await?;
    of.close(&id, true).await;
    let host = &of.host;
    of.state
        .hub
        .call::<method::ForwardClose>(host, ForwardCloseParams { id: id.clone() })
        .await?;
    tracing::info!(host = %host, forward = %id, "agent-owned forward closed in the window");
    of.edit_saved(|saved, host| {
        Ok(saved.remove_agent(host, info.session_id.as_deref(), &info.host, info.port))
    })
}

/// Opens the saved agent-owned forwards' local ports again when the window starts and after
/// each reconnect of their host ([`agent_restore::follow`]); failures are logged, and the panel
/// shows those ports saved but not open.
pub fn restore_saved(app: &tauri::AppHandle) {
    let hub = app.state::<AppState>().hub.clone();
    let manager = app.state::<ForwardsState>().manager.clone();
    tauri::async_runtime::spawn(agent_restore::follow(hub, manager));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::forward::stats::StatsSnapshot;

    fn info(id: &str, session: Option<&str>, port: u16) -> ForwardInfo {
        ForwardInfo {
            id: id.into(),
            socket: format!("/run/x/{id}.sock"),
            session_id: session.map(str::to_string),
            host: "db".into(),
            port,
            state: ForwardState::Active,
        }
    }

    #[test]
    fn rows_join_the_host_s_forwards_with_local_and_saved_ports() {
        let a = info("f0000000000000001", None, 5432);
        let b = info("f0000000000000002", Some("k3v9"), 5432);
        let local = local_spec(None, 9001, "db", 5432).unwrap();
        let running = vec![Running {
            asked: local.clone(),
            spec: local.clone(),
            agent: Some(b.id.clone()),
            stats: StatsSnapshot::default(),
        }];
        let saved = vec![
            SavedAgentForward {
                session_id: Some("k3v9".into()),
                local: local.clone(),
            },
            SavedAgentForward {
                session_id: None,
                local: local_spec(None, 9002, "gone", 80).unwrap(),
            },
        ];
        let r = rows(&[b.clone(), a.clone()], &running, &saved);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].id.as_deref(), Some(a.id.as_str()));
        assert!(r[0].local.is_none() && r[0].saved.is_none());
        assert_eq!(r[1].local.as_ref().map(|l| l.port), Some(9001));
        assert_eq!(r[1].saved.as_ref().map(|s| s.port), Some(9001));
        assert_eq!((r[2].id.as_ref(), r[2].dest_host.as_str()), (None, "gone"));
        assert_eq!(r[2].saved.as_ref().map(|s| s.port), Some(9002));
    }

    #[test]
    fn bad_input_is_refused_with_stable_codes() {
        assert_eq!(
            local_spec(None, 1, "db", 0).unwrap_err().code,
            "forward_invalid"
        );
        assert_eq!(
            local_spec(Some("eth0".into()), 1, "db", 1)
                .unwrap_err()
                .code,
            "forward_invalid"
        );
        assert_eq!(
            local_spec(None, 1, "a b", 1).unwrap_err().code,
            "forward_invalid"
        );
        assert_eq!(bad_id("f../../etc").unwrap_err().code, "usage");
        assert!(bad_id("f0123456789abcdef").is_ok());
        assert_eq!(bad_session(&Some("A B".into())).unwrap_err().code, "usage");
    }
}

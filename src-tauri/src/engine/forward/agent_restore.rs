//! Saved local ports of agent-owned forwards ([`agent_saved`](super::agent_saved)) brought back
//! in a long-lived front end (the window): [`restore_host`] has the host's agent open (or find)
//! each saved forward and serves its saved port in the [`ForwardManager`]; [`follow`] does so
//! for every host with saved ports when it starts, and again for a host each time a connection
//! to it is made — the hub's ([`Connections::connected`]) or the forwards' link
//! ([`ForwardManager::links_up`]) — so a port whose host was down at start, or whose forward the
//! host lost (a rebooted host, a forward closed from elsewhere), comes back after a reconnect.
//!
//! ```ignore
//! // At the window's start, on its runtime; it runs as long as the window.
//! tauri::async_runtime::spawn(agent_restore::follow(hub.clone(), manager.clone()));
//! // … each reconnect of a host restores its saved ports that are not served …
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use outpost_protocol::forward::{ForwardInfo, ForwardOpenParams};
use outpost_protocol::method;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use super::agent::refused;
use super::agent_saved::SavedAgentForward;
use super::manager::{AgentTarget, ForwardManager};
use super::saved::SavedForwards;
use super::spec::ForwardSpec;
use crate::engine::live::connections::Connections;
use crate::engine::EngineError;

/// Has `host`'s agent open (or find: `forward.open` answers an existing one, and starts its
/// keeper again after a reboot) the forward `spec` (an `-L` spec) leads to, reached from
/// `session_id`'s target or from the host.
pub async fn open(
    hub: &Connections,
    host: &str,
    session_id: Option<String>,
    spec: &ForwardSpec,
) -> Result<ForwardInfo, EngineError> {
    let ForwardSpec::Local {
        dest_host,
        dest_port,
        ..
    } = spec
    else {
        return Err(EngineError::Usage(
            "only -L forwards are agent-owned".into(),
        ));
    };
    let params = ForwardOpenParams {
        session_id,
        host: dest_host.clone(),
        port: *dest_port,
    };
    hub.call::<method::ForwardOpen>(host, params)
        .await
        .map_err(|e| match e {
            EngineError::Rpc(e) => refused(host, &format!("{dest_host}:{dest_port}"), e),
            other => other,
        })
}

/// What [`restore_host`] did with one saved port.
#[derive(Debug)]
pub enum Restored {
    /// Its forward's local port runs already, to the forward the agent answers.
    Running,
    /// Served now (again, where it ran to a forward the host no longer has).
    Opened(ForwardInfo),
    /// Not served: why.
    Failed(EngineError),
}

/// Serves each of `host`'s saved agent-owned ports that `manager` does not serve to the
/// forward its agent answers now: one not running is opened; one running to a forward the host
/// no longer has (another id) is closed and opened again on the same port. One result per
/// saved port, in order.
pub async fn restore_host(
    hub: &Arc<Connections>,
    manager: &ForwardManager,
    host: &str,
) -> Result<Vec<(SavedAgentForward, Restored)>, EngineError> {
    let saved = SavedForwards::load(&hub.context().config_dir)?;
    let mut out = Vec::new();
    for s in saved.agent_of(host) {
        let r = restore_one(hub, manager, host, s).await;
        out.push((s.clone(), r));
    }
    Ok(out)
}

async fn restore_one(
    hub: &Arc<Connections>,
    manager: &ForwardManager,
    host: &str,
    saved: &SavedAgentForward,
) -> Restored {
    let info = match open(hub, host, saved.session_id.clone(), &saved.local).await {
        Ok(info) => info,
        Err(e) => return Restored::Failed(e),
    };
    let (_, running) = manager.running(host).await;
    if running
        .iter()
        .any(|r| r.agent.as_deref() == Some(info.id.as_str()))
    {
        return Restored::Running;
    }
    // The saved port serving a forward the host lost: free it for the one the host has now.
    if let Some(stale) = running.iter().find(|r| r.asked == saved.local) {
        manager.close(host, &stale.spec.id(), false).await;
    }
    let target = AgentTarget {
        id: info.id.clone(),
        socket: info.socket.clone(),
    };
    match manager
        .add(hub, host, saved.local.clone(), Some(target))
        .await
    {
        Ok(_) => Restored::Opened(info),
        Err(e) => Restored::Failed(e),
    }
}

/// Restores every host's saved ports now, then each host's again whenever a connection to it
/// is made; runs until dropped. Results are logged (the forwards panel shows a port saved but
/// not open).
pub async fn follow(hub: Arc<Connections>, manager: Arc<ForwardManager>) {
    let (mut connected, mut links_up) = (hub.connected(), manager.links_up());
    // One restore at a time per host; hosts go on side by side.
    let mut turns: HashMap<String, Arc<tokio::sync::Mutex<()>>> = HashMap::new();
    let mut start = |host: String| {
        let turn = turns.entry(host.clone()).or_default().clone();
        let (hub, manager) = (hub.clone(), manager.clone());
        tokio::spawn(async move {
            let _turn = turn.lock().await;
            log(&host, restore_host(&hub, &manager, &host).await);
        });
    };
    match SavedForwards::load(&hub.context().config_dir) {
        Ok(saved) => saved.agent.into_keys().for_each(&mut start),
        Err(e) => tracing::warn!("saved agent-owned forwards not restored: {e}"),
    }
    loop {
        let host = tokio::select! {
            h = next(&mut connected) => h,
            h = next(&mut links_up) => h,
        };
        match host {
            Some(host) => start(host),
            None => return,
        }
    }
}

/// The next host announced; `None` once the announcer is gone. Announcements missed by
/// falling behind are skipped (the later ones restore the same ports).
async fn next(rx: &mut Receiver<String>) -> Option<String> {
    loop {
        match rx.recv().await {
            Ok(host) => return Some(host),
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return None,
        }
    }
}

fn log(host: &str, restored: Result<Vec<(SavedAgentForward, Restored)>, EngineError>) {
    let list = match restored {
        Ok(list) => list,
        Err(e) => return tracing::warn!(%host, "saved agent-owned forwards not restored: {e}"),
    };
    for (s, r) in list {
        let (forward, port) = (s.local.id(), s.local.listen().1);
        match r {
            Restored::Running => {}
            Restored::Opened(info) => {
                tracing::info!(%host, forward = %info.id, port, "saved agent-owned forward restored")
            }
            Restored::Failed(e) => {
                tracing::warn!(%host, %forward, "saved agent-owned forward not restored: {e}")
            }
        }
    }
}

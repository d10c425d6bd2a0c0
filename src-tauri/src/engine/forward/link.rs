//! Keeping a host's SSH connection up for its forwards: [`connect`] once, then [`keep`] it —
//! on a lost link the forwards see "no connection" (their listeners stay bound), and the link
//! is made again after the engine's one [`Backoff`] wait, until a permanent error (a changed
//! host key, refused credentials) ends it.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

use crate::engine::live::follow::Backoff;
use crate::engine::ssh::SshSession;
use crate::engine::store::hosts::{Host, HostStore};
use crate::engine::store::targets;
use crate::engine::{EngineContext, EngineError};

/// The state of a host's link, as `outpost forward list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// Connected.
    Up,
    /// Lost; the next attempt follows after a wait.
    Reconnecting {
        /// The attempt about to be made (from 1).
        attempt: u32,
        /// Why the last connection ended or the last attempt failed.
        reason: String,
    },
}

/// Opens an SSH connection to `host` (through its jump hosts).
pub async fn connect(host: &Host, ctx: &EngineContext) -> Result<SshSession, EngineError> {
    if host.is_local() {
        return Err(EngineError::Usage(
            "forwards go through an SSH host; `local` is this computer".into(),
        ));
    }
    let store = HostStore::load(&ctx.config_dir)?;
    let target = targets::ssh_target(host, &store)?;
    Ok(SshSession::connect(
        &target,
        &ctx.known_hosts,
        ctx.prompter.clone(),
        &ctx.credentials,
    )
    .await?)
}

/// Publishes `first` and every later connection to `host` on `tx` (`None` while there is
/// none) and reports each change to `on_state`. Returns only with a permanent error.
pub async fn keep(
    host: &Host,
    ctx: &EngineContext,
    first: SshSession,
    tx: watch::Sender<Option<Arc<SshSession>>>,
    on_state: impl Fn(LinkState),
) -> EngineError {
    let mut backoff = Backoff::default();
    let mut session = Some(first);
    loop {
        let reason = match session.take() {
            Some(s) => {
                let s = Arc::new(s);
                tx.send_replace(Some(s.clone()));
                on_state(LinkState::Up);
                s.closed().await;
                tx.send_replace(None);
                let reason = s.close_reason().unwrap_or_else(|| "closed".into());
                tracing::info!(host = %host.name, "forwards' link lost: {reason}");
                backoff.reset();
                reason
            }
            None => String::new(),
        };
        let (attempt, wait) = backoff.next_wait();
        if !reason.is_empty() {
            on_state(LinkState::Reconnecting { attempt, reason });
        }
        tokio::time::sleep(wait).await;
        match connect(host, ctx).await {
            Ok(s) => session = Some(s),
            Err(e) if e.is_permanent() => return e,
            Err(e) => {
                tracing::info!(host = %host.name, attempt, "reconnecting the forwards failed: {e}");
                on_state(LinkState::Reconnecting {
                    attempt: attempt + 1,
                    reason: e.to_string(),
                });
            }
        }
    }
}

//! One shared connection per host for a long-lived front end (the GUI).
//!
//! The CLI opens a connection per command; a window keeps many tabs and a monitoring panel open
//! on the same hosts, and they must share one SSH connection (one login, one host-key question)
//! and reconnect together. [`Connections`] holds at most one [`Connection`] per saved host, opens it on
//! first use and again after it was lost (single-flight: concurrent callers wait for the same
//! attempt), and closes them all on [`Connections::shutdown`]. Each connection made, the first
//! and every one after a loss, is announced to [`Connections::connected`]'s receivers (the
//! window restores saved agent-owned forward ports on it). The sessions themselves live on the
//! hosts and never depend on these connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use outpost_protocol::method::Method;

use crate::engine::agent::connect::{ConnectInfo, Connection};
use crate::engine::agent::rpc_client::{RpcClient, RpcError};
use crate::engine::store::hosts::{Host, HostStore};
use crate::engine::{EngineContext, EngineError};

/// One host's slot: the open connection, if any, behind a lock that makes opening single-flight.
#[derive(Default)]
struct Slot {
    conn: tokio::sync::Mutex<Option<Arc<Connection>>>,
}

/// The connections of a front end, keyed by host name.
pub struct Connections {
    ctx: EngineContext,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    connected: tokio::sync::broadcast::Sender<String>,
}

/// How many connection announcements a slow receiver may fall behind by.
const ANNOUNCED: usize = 64;

impl Connections {
    /// An empty hub over `ctx`.
    pub fn new(ctx: EngineContext) -> Arc<Connections> {
        Arc::new(Connections {
            ctx,
            slots: Mutex::default(),
            connected: tokio::sync::broadcast::channel(ANNOUNCED).0,
        })
    }

    /// The names of the hosts connected to from now on, each time a connection is made (the
    /// first, and again after one was lost).
    pub fn connected(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.connected.subscribe()
    }

    /// The engine context (configuration directory, prompter, credentials).
    pub fn context(&self) -> &EngineContext {
        &self.ctx
    }

    /// The saved host named `name` (`local` is always there).
    pub fn host(&self, name: &str) -> Result<Host, EngineError> {
        Ok(HostStore::load(&self.ctx.config_dir)?.get(name)?)
    }

    fn slot(&self, name: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(name.to_string()).or_default().clone()
    }

    /// The open connection to `name`, connecting (or reconnecting) first when there is none
    /// or the last one was lost.
    pub async fn connection(&self, name: &str) -> Result<Arc<Connection>, EngineError> {
        let slot = self.slot(name);
        let mut conn = slot.conn.lock().await;
        if let Some(c) = conn.as_ref() {
            if !c.rpc.is_closed() {
                return Ok(c.clone());
            }
            tracing::info!(host = name, "connection lost; reconnecting");
        }
        let host = self.host(name)?;
        let opened = Arc::new(Connection::open(&host, &self.ctx).await?);
        *conn = Some(opened.clone());
        // No receiver is fine.
        let _ = self.connected.send(name.to_string());
        Ok(opened)
    }

    /// The JSON-RPC client of `name`'s connection.
    pub async fn rpc(&self, name: &str) -> Result<RpcClient, EngineError> {
        Ok(self.connection(name).await?.rpc.clone())
    }

    /// Calls `M` on `name`'s agent; when the connection turns out to be lost, connects again
    /// and retries once.
    pub async fn call<M: Method>(
        &self,
        name: &str,
        params: M::Params,
    ) -> Result<M::Result, EngineError>
    where
        M::Params: Clone,
    {
        let rpc = self.rpc(name).await?;
        match rpc.call::<M>(params.clone()).await {
            Err(RpcError::Closed) => Ok(self.rpc(name).await?.call::<M>(params).await?),
            other => Ok(other?),
        }
    }

    /// Opens a fresh connection to `name` only to report on it ("Test connection"), then closes
    /// it; the shared connection is left alone.
    pub async fn test(&self, name: &str) -> Result<ConnectInfo, EngineError> {
        let host = self.host(name)?;
        let conn = Connection::open(&host, &self.ctx).await?;
        let info = conn.info.clone();
        conn.close().await;
        Ok(info)
    }

    /// Drops the connection to `name` (after its settings changed); the next use reconnects.
    pub async fn forget(&self, name: &str) {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.remove(name)
        };
        if let Some(slot) = slot {
            close_slot(&slot).await;
        }
    }

    /// Closes every connection; the sessions keep running on their hosts.
    pub async fn shutdown(&self) {
        let slots: Vec<Arc<Slot>> = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.drain().map(|(_, s)| s).collect()
        };
        for slot in slots {
            close_slot(&slot).await;
        }
    }
}

async fn close_slot(slot: &Slot) {
    let conn = slot.conn.lock().await.take();
    if let Some(conn) = conn {
        match Arc::try_unwrap(conn) {
            Ok(conn) => conn.close().await,
            // Someone still holds it: it closes when the last holder drops it.
            Err(shared) => drop(shared),
        }
    }
}

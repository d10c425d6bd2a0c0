//! The agent's view of this user's sessions: finding their daemons through the metadata files
//! on disk, connecting to them ([`conn`]), starting new ones ([`create`], [`launch`]), listing,
//! closing, and cleaning up after dead ones. What the client should see goes out through a
//! [`Sink`].

pub mod conn;
pub mod create;
pub mod launch;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use futures::StreamExt as _;

use outpost_protocol::session::{valid_session_id, CreateParams, SessionInfo, SIZE_RANGE};
use outpost_protocol::{ErrorCode, ErrorObject, Notification};

use crate::daemon::frames::{DaemonReply, DaemonRequest};
use crate::daemon::meta::{process_alive, MetaError, SessionMeta};
use crate::outbound::Sink;
use crate::paths::Paths;
use conn::DaemonConn;

/// The most sessions one user may have on a host.
pub const MAX_SESSIONS: u32 = 512;

/// How many daemons [`Registry::list`] asks at once.
const LIST_CONCURRENCY: usize = 16;

/// This agent's sessions and its connections to their daemons.
pub struct Registry<S> {
    paths: Paths,
    out: S,
    conns: Mutex<HashMap<String, (u64, Arc<DaemonConn>)>>,
    /// Serialises connecting, so two requests for one session never open two connections.
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    me: Weak<Registry<S>>,
}

fn invalid(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

fn not_found(id: &str) -> ErrorObject {
    ErrorObject::new(ErrorCode::SessionNotFound, format!("no session {id}"))
}

/// A session's checked metadata file; an untrusted one is logged and counts as missing.
fn load_meta(paths: &Paths, id: &str) -> Result<SessionMeta, ErrorObject> {
    SessionMeta::load(paths, id).map_err(|e| {
        if !matches!(e, MetaError::Missing) {
            tracing::warn!(session_id = id, "ignoring its metadata file: {e}");
        }
        not_found(id)
    })
}

/// Checks a session id's form (-32602 when malformed).
pub fn check_id(id: &str) -> Result<(), ErrorObject> {
    if valid_session_id(id) {
        Ok(())
    } else {
        Err(invalid("session_id must be 1 to 32 characters of [a-z0-9]"))
    }
}

/// Checks terminal dimensions (-32602 when out of range).
pub fn check_size(cols: u16, rows: u16) -> Result<(), ErrorObject> {
    if SIZE_RANGE.contains(&cols) && SIZE_RANGE.contains(&rows) {
        Ok(())
    } else {
        Err(invalid(format!(
            "cols and rows must each be 1..=1000 (got {cols}x{rows})"
        )))
    }
}

impl<S: Sink> Registry<S> {
    /// A registry over `paths`, sending what the client should see through `out`.
    pub fn new(paths: Paths, out: S) -> Arc<Registry<S>> {
        Arc::new_cyclic(|me| Registry {
            paths,
            out,
            conns: Mutex::default(),
            connecting: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            me: me.clone(),
        })
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Arc<DaemonConn>)>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection to a session's daemon, made on first use.
    pub async fn conn(&self, id: &str) -> Result<Arc<DaemonConn>, ErrorObject> {
        check_id(id)?;
        if let Some(c) = self.live_conn(id) {
            return Ok(c);
        }
        let _connecting = self.connecting.lock().await;
        // Someone else may have connected while we waited.
        if let Some(c) = self.live_conn(id) {
            return Ok(c);
        }
        let meta = load_meta(&self.paths, id)?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let me = self.me.clone();
        let sid = id.to_string();
        let on_close = move |attached_unexited: bool| {
            if let Some(reg) = me.upgrade() {
                reg.connection_closed(&sid, generation, attached_unexited);
            }
        };
        let conn = DaemonConn::connect(id, &meta.socket, self.out.clone(), on_close)
            .await
            .map_err(|e| {
                tracing::debug!(session_id = id, "cannot reach daemon: {e}");
                self.reap_if_dead(&meta);
                not_found(id)
            })?;
        let conn = Arc::new(conn);
        self.conns()
            .insert(id.to_string(), (generation, conn.clone()));
        Ok(conn)
    }

    fn live_conn(&self, id: &str) -> Option<Arc<DaemonConn>> {
        self.conns()
            .get(id)
            .filter(|(_, c)| c.is_alive())
            .map(|(_, c)| c.clone())
    }

    fn connection_closed(&self, id: &str, generation: u64, attached_unexited: bool) {
        {
            let mut conns = self.conns();
            if conns.get(id).is_some_and(|(g, _)| *g == generation) {
                conns.remove(id);
            }
        }
        if let Ok(meta) = SessionMeta::load(&self.paths, id) {
            self.reap_if_dead(&meta);
        }
        if attached_unexited {
            // The daemon vanished (killed?) while a client watched: tell it the session ended.
            let out = self.out.clone();
            let session_id = id.to_string();
            tokio::spawn(async move {
                out.notify(Notification::SessionExit(
                    outpost_protocol::session::ExitParams {
                        session_id,
                        exit_code: None,
                        signal: None,
                    },
                ))
                .await;
            });
        }
    }

    /// Removes a session's files when its daemon is dead (`meta` was checked by
    /// [`SessionMeta::load`]: its id is the file's own).
    fn reap_if_dead(&self, meta: &SessionMeta) {
        if !process_alive(meta.daemon_pid) {
            tracing::info!(session_id = %meta.session_id, "cleaning up a dead session");
            SessionMeta::remove_files(&self.paths, &meta.session_id);
        }
    }

    /// A session's checked metadata on disk.
    pub fn meta(&self, id: &str) -> Result<SessionMeta, ErrorObject> {
        check_id(id)?;
        load_meta(&self.paths, id)
    }

    /// The directories this registry works in.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Asks a session's daemon for its description.
    pub async fn info(&self, id: &str) -> Result<SessionInfo, ErrorObject> {
        match self.conn(id).await?.request(DaemonRequest::Info).await? {
            DaemonReply::Info { session } => Ok(session),
            other => Err(ErrorObject::new(
                ErrorCode::InternalError,
                format!("unexpected reply {other:?}"),
            )),
        }
    }

    /// Every live session, oldest first; removes the remains of dead ones on the way. The
    /// daemons are asked [`LIST_CONCURRENCY`] at a time: a daemon busy with a flood answers
    /// late, and one by one, a hundred of them would add up to many seconds.
    pub async fn list(&self) -> Vec<SessionInfo> {
        let mut ids = Vec::new();
        for (id, meta) in SessionMeta::all(&self.paths) {
            let meta = match meta {
                Ok(meta) => meta,
                Err(MetaError::Json(e)) => {
                    // A private file of ours that is no session's metadata is of no use; a
                    // daemon rewrites its own when needed.
                    tracing::warn!(session_id = %id, "removing an unreadable metadata file: {e}");
                    SessionMeta::remove_meta(&self.paths, &id);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(session_id = %id, "ignoring its metadata file: {e}");
                    continue;
                }
            };
            ids.push(meta.session_id);
        }
        let infos: Vec<(String, Result<SessionInfo, ErrorObject>)> =
            futures::stream::iter(ids.into_iter().map(|id| async move {
                let info = self.info(&id).await;
                (id, info)
            }))
            .buffered(LIST_CONCURRENCY)
            .collect()
            .await;
        let mut sessions = Vec::with_capacity(infos.len());
        for (id, info) in infos {
            match info {
                Ok(info) => sessions.push(info),
                Err(e) => tracing::debug!(session_id = %id, "skipped: {e}"),
            }
        }
        sessions
    }

    /// Starts a new session in its own daemon.
    pub async fn create(&self, p: CreateParams) -> Result<SessionInfo, ErrorObject> {
        let spec = create::spec_for(&self.paths, p)?;
        let count = SessionMeta::all(&self.paths).len();
        if count >= MAX_SESSIONS as usize {
            return Err(ErrorObject::new(
                ErrorCode::LimitReached,
                format!("this user already has {count} sessions (the limit is {MAX_SESSIONS}); close some first"),
            ));
        }
        launch::launch(&spec)
            .await
            .map_err(|e| ErrorObject::new(ErrorCode::SessionCreateFailed, e.to_string()))?;
        self.info(&spec.session_id).await
    }

    /// Closes a session: its processes end, its daemon exits, its files go.
    pub async fn close(&self, id: &str) -> Result<(), ErrorObject> {
        let conn = self.conn(id).await?;
        conn.close().await?;
        self.conns().remove(id);
        Ok(())
    }
}

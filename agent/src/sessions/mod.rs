//! The agent's view of this user's sessions: finding their daemons through the records on disk,
//! connecting to them, starting new ones and cleaning up after dead ones.

pub mod conn;
pub mod launch;
pub mod ssh;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use outpost_protocol::session::{
    valid_session_id, CreateParams, SessionInfo, SessionKind, DEFAULT_SCROLLBACK_BYTES,
    SCROLLBACK_RANGE, SIZE_RANGE,
};
use outpost_protocol::{ErrorCode, ErrorObject, Notification};

use crate::daemon::frames::{DaemonReply, DaemonRequest};
use crate::daemon::spec::{DaemonSpec, SshWatch};
use crate::paths::Paths;
use crate::record::{process_alive, SessionRecord};
use crate::rpc::outbound::Outbound;
use conn::DaemonConn;

/// The most sessions one user may have on a host.
pub const MAX_SESSIONS: u32 = 512;

/// The longest title accepted, in bytes.
const MAX_TITLE: usize = 256;

/// This agent's sessions and its connections to their daemons.
pub struct Registry {
    paths: Paths,
    out: Outbound,
    conns: Mutex<HashMap<String, (u64, Arc<DaemonConn>)>>,
    /// Serialises connecting, so two requests for one session never open two connections.
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    me: Weak<Registry>,
}

fn invalid(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

fn not_found(id: &str) -> ErrorObject {
    ErrorObject::new(ErrorCode::SessionNotFound, format!("no session {id}"))
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

fn new_session_id() -> Result<String, ErrorObject> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)
        .map_err(|e| ErrorObject::new(ErrorCode::InternalError, format!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect())
}

impl Registry {
    /// A registry over `paths`, sending notifications through `out`.
    pub fn new(paths: Paths, out: Outbound) -> Arc<Registry> {
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
        let record = SessionRecord::load(&self.paths.record(id)).ok_or_else(|| not_found(id))?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let me = self.me.clone();
        let sid = id.to_string();
        let on_close = move |attached_unexited: bool| {
            if let Some(reg) = me.upgrade() {
                reg.connection_closed(&sid, generation, attached_unexited);
            }
        };
        let conn = DaemonConn::connect(id, &record.socket, self.out.clone(), on_close)
            .await
            .map_err(|e| {
                tracing::debug!(session_id = id, "cannot reach daemon: {e}");
                self.reap_if_dead(&record);
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
        if let Some(record) = SessionRecord::load(&self.paths.record(id)) {
            self.reap_if_dead(&record);
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

    /// Removes a session's files when its daemon is dead.
    fn reap_if_dead(&self, record: &SessionRecord) {
        if !process_alive(record.daemon_pid) {
            tracing::info!(session_id = %record.session_id, "cleaning up a dead session");
            SessionRecord::remove_files(&self.paths, &record.session_id);
        }
    }

    /// A session's record on disk.
    pub fn record(&self, id: &str) -> Result<SessionRecord, ErrorObject> {
        check_id(id)?;
        SessionRecord::load(&self.paths.record(id)).ok_or_else(|| not_found(id))
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

    /// Every live session, oldest first; removes the remains of dead ones on the way.
    pub async fn list(&self) -> Vec<SessionInfo> {
        let mut sessions = Vec::new();
        for (path, record) in SessionRecord::all(&self.paths) {
            let Some(record) = record else {
                // A record nobody can read is of no use; a daemon rewrites its own when needed.
                tracing::warn!(path = %path.display(), "removing an unreadable session record");
                let _ = std::fs::remove_file(&path);
                continue;
            };
            match self.info(&record.session_id).await {
                Ok(info) => sessions.push(info),
                Err(e) => tracing::debug!(session_id = %record.session_id, "skipped: {e}"),
            }
        }
        sessions
    }

    /// Starts a new session in its own daemon.
    pub async fn create(&self, p: CreateParams) -> Result<SessionInfo, ErrorObject> {
        let spec = self.spec_for(p)?;
        let count = SessionRecord::all(&self.paths).len();
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

    /// Validates create params and turns them into a daemon spec.
    fn spec_for(&self, p: CreateParams) -> Result<DaemonSpec, ErrorObject> {
        check_size(p.cols, p.rows)?;
        match (p.kind, &p.ssh, &p.shell, &p.reconnect) {
            (SessionKind::Shell, None, _, None) => {}
            (SessionKind::Shell, _, _, _) => {
                return Err(invalid(
                    "ssh and reconnect are only for sessions of kind \"ssh\"",
                ))
            }
            (SessionKind::Ssh, Some(_), None, _) => {}
            (SessionKind::Ssh, None, _, _) => {
                return Err(invalid("a session of kind \"ssh\" needs ssh: {host, ...}"))
            }
            (SessionKind::Ssh, Some(_), Some(_), _) => {
                return Err(invalid("shell is only for sessions of kind \"shell\""))
            }
        }
        if let Some(r) = &p.reconnect {
            if !(1..=1000).contains(&r.max_attempts)
                || r.max_delay_ms > 600_000
                || r.initial_delay_ms > r.max_delay_ms
            {
                return Err(invalid(
                    "reconnect: max_attempts 1..=1000, initial_delay_ms <= max_delay_ms <= 600000",
                ));
            }
        }
        let scrollback = p.scrollback_bytes.unwrap_or(DEFAULT_SCROLLBACK_BYTES);
        if !SCROLLBACK_RANGE.contains(&scrollback) {
            return Err(invalid(format!(
                "scrollback_bytes must be {}..={} (got {scrollback})",
                SCROLLBACK_RANGE.start(),
                SCROLLBACK_RANGE.end()
            )));
        }
        if let Some(t) = &p.title {
            if t.len() > MAX_TITLE || t.chars().any(char::is_control) {
                return Err(invalid(
                    "title must be at most 256 bytes with no control characters",
                ));
            }
        }
        for (k, v) in &p.env {
            if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
                return Err(invalid(format!(
                    "environment variable {k:?}: names must be non-empty without '=' or NUL, values without NUL"
                )));
            }
        }
        if let Some(cwd) = &p.cwd {
            if cwd.contains('\0') || !std::path::Path::new(cwd).is_dir() {
                return Err(ErrorObject::new(
                    ErrorCode::SessionCreateFailed,
                    format!("cwd {cwd:?} is not a directory"),
                ));
            }
        }
        let session_id = new_session_id()?;
        let (shell, ssh_watch, default_title) = match &p.ssh {
            None => (p.shell.unwrap_or_default(), None, None),
            Some(s) => {
                ssh::validate(s)?;
                let program = ssh::find_ssh()?.to_string_lossy().into_owned();
                let control_path = self
                    .paths
                    .control_path(&session_id)
                    .map_err(|e| ErrorObject::new(ErrorCode::SessionCreateFailed, e.to_string()))?;
                let shell = outpost_protocol::session::ShellSpec {
                    program: Some(program.clone()),
                    args: ssh::argv(s, &control_path),
                };
                let watch = SshWatch {
                    target: s.target(),
                    check_args: ssh::check_argv(s, &control_path),
                    probe_args: ssh::probe_argv(s, &control_path),
                    control_path,
                    program,
                };
                (shell, Some(watch), Some(s.target()))
            }
        };
        if shell
            .program
            .iter()
            .chain(&shell.args)
            .any(|s| s.contains('\0'))
        {
            return Err(invalid("shell program and args may not contain NUL"));
        }
        if shell.program.as_deref() == Some("") {
            return Err(invalid("shell.program may not be empty"));
        }
        if shell.program.is_none() && !shell.args.is_empty() {
            return Err(invalid("shell.args needs shell.program"));
        }
        let title = p.title.or(default_title).unwrap_or_else(|| {
            let prog = shell
                .program
                .clone()
                .or_else(|| std::env::var("SHELL").ok())
                .unwrap_or_else(|| "shell".into());
            prog.rsplit('/').next().unwrap_or("shell").to_string()
        });
        Ok(DaemonSpec {
            session_id,
            kind: p.kind,
            title,
            cols: p.cols,
            rows: p.rows,
            cwd: p.cwd,
            env: p.env,
            scrollback_bytes: scrollback,
            program: shell.program,
            args: shell.args,
            ssh: ssh_watch,
            reconnect: p.reconnect,
        })
    }

    /// Closes a session: its processes end, its daemon exits, its files go.
    pub async fn close(&self, id: &str) -> Result<(), ErrorObject> {
        let conn = self.conn(id).await?;
        conn.request(DaemonRequest::Close).await?;
        self.conns().remove(id);
        Ok(())
    }
}

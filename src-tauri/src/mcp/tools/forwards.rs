//! Tools for port forwards through a host, over the engine's [`forward`] module: each forward
//! runs as tasks inside this server (its listener, and its host's link kept up with the
//! engine's `Backoff`) and ends with the server or with `forward_close`. Saved forwards and
//! `outpost forward up` are the long-lived way. Opening one is refused on read-only hosts.
//!
//! [`forward`]: crate::engine::forward

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use serde::Serialize;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::forward::link::{self, LinkState};
use crate::engine::forward::stats::{ForwardStats, StatsSnapshot};
use crate::engine::forward::{listener, remote, run};
use crate::engine::forward::{ForwardError, ForwardSpec};
use crate::engine::ssh::visible;
use crate::engine::store::hosts::HostStore;
use crate::engine::EngineError;
use crate::mcp::forward_params::{
    CloseParams, ListParams, OpenParams, MAX_FORWARDS, MAX_SPEC_BYTES,
};
use crate::mcp::reply::{self, Failure, Reply};
use crate::mcp::server::OutpostMcp;

/// The link of a forward's host as `forward_list` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Link {
    /// Connected.
    Up,
    /// Lost; the next attempt follows after a wait.
    Reconnecting { attempt: u32, reason: String },
    /// Ended by a permanent error (a changed host key, refused credentials): the forward no
    /// longer listens; close it and open it again.
    Failed { reason: String },
}

impl From<LinkState> for Link {
    fn from(s: LinkState) -> Self {
        match s {
            LinkState::Up => Link::Up,
            LinkState::Reconnecting { attempt, reason } => Link::Reconnecting { attempt, reason },
        }
    }
}

/// One forward this server runs.
struct Running {
    host: String,
    spec: ForwardSpec,
    local: Option<SocketAddr>,
    remote: Option<String>,
    stats: Arc<ForwardStats>,
    link: Arc<Mutex<Link>>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A forward as the tools return it.
#[derive(Serialize)]
struct Shown {
    id: String,
    host: String,
    spec: ForwardSpec,
    /// The desktop address an `-L`/`-D` forward listens on.
    #[serde(skip_serializing_if = "Option::is_none")]
    local: Option<SocketAddr>,
    /// The host's address a `-R` forward listens on (`BIND:PORT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    remote: Option<String>,
    link: Link,
    stats: StatsSnapshot,
}

impl Running {
    fn shown(&self, id: &str) -> Shown {
        Shown {
            id: id.to_string(),
            host: self.host.clone(),
            spec: self.spec.clone(),
            local: self.local,
            remote: self.remote.clone(),
            link: self.link.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            stats: self.stats.snapshot(),
        }
    }
}

/// The forwards this server runs, by id; dropped (and so closed) with the server.
#[derive(Default)]
pub struct ForwardTable(Mutex<BTreeMap<String, Running>>);

impl ForwardTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Running>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `-L SPEC`, `-D SPEC` or `-R SPEC` (the space optional) as a forward.
fn parse(text: &str) -> Reply<ForwardSpec> {
    let invalid = |reason: &str| {
        Failure::Engine(EngineError::from(ForwardError::Invalid {
            spec: text.chars().take(MAX_SPEC_BYTES).collect(),
            reason: reason.into(),
        }))
    };
    if text.len() > MAX_SPEC_BYTES {
        return Err(invalid("longer than 300 bytes"));
    }
    let text = text.trim();
    let parsed = if let Some(rest) = text.strip_prefix("-L") {
        ForwardSpec::parse_local(rest.trim_start())
    } else if let Some(rest) = text.strip_prefix("-D") {
        ForwardSpec::parse_dynamic(rest.trim_start())
    } else if let Some(rest) = text.strip_prefix("-R") {
        ForwardSpec::parse_remote(rest.trim_start())
    } else {
        return Err(invalid(
            "start with -L (e.g. -L 8080:db:5432), -D (e.g. -D 1080) or -R (e.g. -R 8080:127.0.0.1:3000)",
        ));
    };
    parsed.map_err(|e| Failure::Engine(e.into()))
}

/// What carries one forward's connections.
enum Serving {
    /// A desktop listener (`-L`, `-D`).
    Listener(listener::Bound),
    /// A port the host listens on (`-R`).
    Remote(remote::RemoteBound),
}

impl Serving {
    /// Serves the forward through the connection `sessions` holds until the task is dropped
    /// (a `-R` forward's task ends with it, cancelling it on the host).
    async fn serve(self, host: String, sessions: listener::SessionWatch) {
        match self {
            Serving::Listener(b) => listener::serve(b, host, sessions).await,
            Serving::Remote(r) => {
                let _task = remote::spawn(r, host, sessions);
                std::future::pending::<()>().await
            }
        }
    }
}

impl OutpostMcp {
    /// Binds, connects and checks `spec` through `host`, then runs it as a task.
    async fn open_forward(&self, p: OpenParams) -> Reply<Shown> {
        self.check_host(&p.host)?;
        self.check_writable(&p.host, "opening a forward")?;
        let spec = parse(&p.spec)?;
        if self.forwards().lock().len() >= MAX_FORWARDS {
            return Err(Failure::Invalid(format!(
                "{MAX_FORWARDS} forwards are open already: close one first (forward_close)"
            )));
        }
        let ctx = self.conns().context().clone();
        let host = HostStore::load(&ctx.config_dir)
            .map_err(EngineError::from)?
            .get(&p.host)
            .map_err(EngineError::from)?;
        let started = run::start(&host, &ctx, std::slice::from_ref(&spec)).await?;
        let run::Parts {
            host,
            session,
            mut bound,
            mut remote,
        } = started.into_parts();
        // `start` binds one forward per spec: one here, on the desktop or (`-R`) on the host.
        let (spec, local, remote_addr, stats, serving) = match (bound.pop(), remote.pop()) {
            (Some(b), _) => (
                b.spec.clone(),
                Some(b.local),
                None,
                b.stats.clone(),
                Serving::Listener(b),
            ),
            (None, Some(r)) => {
                let (bind, port) = r.spec.listen();
                let at = format!("{bind}:{port}");
                (
                    r.spec.clone(),
                    None,
                    Some(at),
                    r.stats.clone(),
                    Serving::Remote(r),
                )
            }
            (None, None) => {
                return Err(EngineError::Usage("no forwards given (-L, -D or -R)".into()).into())
            }
        };
        let id = spec.id();
        let link = Arc::new(Mutex::new(Link::Up));
        let task = {
            let link = link.clone();
            let (tx, rx) = watch::channel(None);
            tokio::spawn(async move {
                let serve = serving.serve(host.name.clone(), rx);
                let state = link.clone();
                let keep = link::keep(&host, &ctx, session, tx, move |s| {
                    *state.lock().unwrap_or_else(|p| p.into_inner()) = s.into();
                });
                tokio::select! {
                    () = serve => {}
                    e = keep => {
                        tracing::warn!(host = %host.name, "forward ended: {e}");
                        *link.lock().unwrap_or_else(|p| p.into_inner()) =
                            Link::Failed { reason: e.to_string() };
                    }
                }
            })
        };
        let running = Running {
            host: p.host,
            spec,
            local,
            remote: remote_addr,
            stats,
            link,
            task,
        };
        let shown = running.shown(&id);
        tracing::info!(host = %running.host, forward = %id, "opened");
        self.forwards().lock().insert(id, running);
        Ok(shown)
    }
}

#[tool_router(router = forward_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// Open a port forward through a host and keep it while this server runs: `-L
    /// [BIND:]PORT:DEST:DPORT` makes PORT on this computer reach DEST:DPORT as the host sees
    /// it; `-D [BIND:]PORT` is a SOCKS5 proxy whose connections the host makes; `-R
    /// [BIND:]PORT:DEST:DPORT` makes PORT on the host reach DEST:DPORT as this computer sees
    /// it. Binds first (error `port_in_use` when taken; `remote_refused` when the host refuses
    /// an `-R` port), connects, and checks that an `-L` DEST answers from the host (error
    /// `unreachable`); a bad spelling is `forward_invalid`. Returns the forward's id and its
    /// `local` address (`-L`, `-D`) or `remote` address on the host (`-R`). Lost links are made
    /// again; the forward ends with this server (saved forwards with `outpost forward up` last
    /// longer). Refused on read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn forward_open(&self, Parameters(p): Parameters<OpenParams>) -> CallToolResult {
        reply::result(self.open_forward(p).await)
    }

    /// The forwards this server runs: id, host, spec, local (or, for `-R`, remote) address, the host link's state
    /// (`up`, `reconnecting` with the attempt and reason, `failed`) and counters (connections
    /// accepted, active and failed; bytes out towards the destination and in from it).
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn forward_list(&self, Parameters(p): Parameters<ListParams>) -> CallToolResult {
        let table = self.forwards().lock();
        let forwards: Vec<Shown> = table
            .iter()
            .filter(|(_, f)| p.host.as_ref().is_none_or(|h| *h == f.host))
            .map(|(id, f)| f.shown(id))
            .collect();
        reply::result(Ok(json!({ "forwards": forwards })))
    }

    /// Close a forward this server runs (by the id `forward_open` or `forward_list` shows):
    /// its port stops listening. Returns the forward with its final counters.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn forward_close(&self, Parameters(p): Parameters<CloseParams>) -> CallToolResult {
        let removed = self.forwards().lock().remove(&p.id);
        let closed = match removed {
            Some(f) => {
                let shown = f.shown(&p.id);
                drop(f);
                tracing::info!(host = %shown.host, forward = %shown.id, "closed");
                Ok(shown)
            }
            None => Err(Failure::Invalid(format!(
                "this server runs no forward {:?} (see forward_list)",
                visible(&p.id.chars().take(MAX_SPEC_BYTES).collect::<String>())
            ))),
        };
        reply::result(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_need_their_option_letter() {
        assert!(matches!(
            parse("-L 8080:db:5432").unwrap(),
            ForwardSpec::Local {
                dest_port: 5432,
                ..
            }
        ));
        assert!(matches!(
            parse("-D1080").unwrap(),
            ForwardSpec::Dynamic { port: 1080, .. }
        ));
        for bad in ["8080:db:5432", "-L", "-D x", &"-D 1".repeat(100)] {
            match parse(bad) {
                Err(Failure::Engine(e)) => assert_eq!(e.code(), "forward_invalid", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}

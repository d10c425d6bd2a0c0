//! `outpost forward add|up|list|close`: port forwards through a host (`-L`, `-D`, `-R`), over the engine's
//! [`forward`](crate::engine::forward) module. `add` and `up` stay in the foreground keeping
//! their forwards (reconnecting when the link is lost) until interrupted; `list` and `close`
//! act on saved forwards and on those other `outpost forward` processes are running, and (with
//! `--agent`, or an agent forward's id) on the forwards the host's agent keeps.

use clap::Subcommand;
use serde::Serialize;

use super::output::Output;
use crate::engine::forward::agent::{self, AgentOwned};
use crate::engine::forward::run::{self, Started};
use crate::engine::forward::saved::SavedForwards;
use crate::engine::forward::status::{RunStatus, RunningForward};
use crate::engine::forward::ForwardSpec;
use crate::engine::ssh::visible;
use crate::engine::store::hosts::HostStore;
use crate::engine::{EngineContext, EngineError};
use outpost_protocol::forward::{valid_forward_id, ForwardInfo, ForwardState};

/// `outpost forward …`.
#[derive(Subcommand, Debug)]
pub enum ForwardAction {
    /// Forward ports through HOST until interrupted (Ctrl-C): `-L` a local port to a
    /// destination HOST reaches, `-D` a SOCKS5 server whose destinations HOST reaches, `-R` a
    /// port on HOST to a destination this computer reaches.
    Add {
        /// The host the forwards go through.
        host: String,
        /// `[bind:]PORT:DEST:DPORT` (repeatable); bind defaults to 127.0.0.1.
        #[arg(short = 'L', value_name = "[BIND:]PORT:DEST:DPORT")]
        local: Vec<String>,
        /// `[bind:]PORT` (repeatable): a SOCKS5 server.
        #[arg(short = 'D', value_name = "[BIND:]PORT")]
        dynamic: Vec<String>,
        /// `[bind:]PORT:DEST:DPORT` (repeatable): HOST listens on PORT (0: HOST picks one, and
        /// it is printed), each connection goes to DEST:DPORT from this computer; bind defaults
        /// to HOST's loopback, `*` asks for every address (HOST's `GatewayPorts` decides).
        #[arg(short = 'R', value_name = "[BIND:]PORT:DEST:DPORT")]
        remote: Vec<String>,
        /// Also save them for `outpost forward up HOST`.
        #[arg(long)]
        save: bool,
        /// Have HOST's agent keep each `-L` destination as a private Unix socket on HOST, which
        /// outlives this command; the local port leads to that socket.
        #[arg(long)]
        agent_owned: bool,
        /// Reach the `-L` destinations from this `ssh` session's target (implies
        /// `--agent-owned`).
        #[arg(long, value_name = "SESSION")]
        session: Option<String>,
    },
    /// Bring up HOST's saved forwards and keep them until interrupted.
    Up {
        /// The host.
        host: String,
    },
    /// Saved forwards, and running ones with their link state and bytes.
    List {
        /// Only this host's.
        host: Option<String>,
        /// Also ask HOST's agent for the forwards it keeps, with their state.
        #[arg(long, requires = "host")]
        agent: bool,
    },
    /// Forget a saved forward and close it where it runs.
    Close {
        /// The host.
        host: String,
        /// The forward's id, as `outpost forward list` shows it (e.g. `L127.0.0.1:8080:db:5432`,
        /// or an agent-owned forward's `f0123456789abcdef`).
        id: String,
    },
}

/// One saved forward in `list`.
#[derive(Serialize)]
struct SavedEntry<'a> {
    host: &'a str,
    id: String,
    spec: &'a ForwardSpec,
}

/// Runs one `forward` command; returns the exit code.
pub async fn run(
    action: ForwardAction,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    match action {
        ForwardAction::Add {
            host,
            local,
            dynamic,
            remote,
            save,
            agent_owned,
            session,
        } => {
            let agent = (agent_owned || session.is_some()).then_some(AgentOwned { session });
            if agent.is_some() && save {
                return Err(EngineError::Usage(
                    "agent-owned forwards are kept by the agent: --save is for desktop forwards"
                        .into(),
                ));
            }
            let mut specs = Vec::with_capacity(local.len() + dynamic.len() + remote.len());
            for l in &local {
                specs.push(ForwardSpec::parse_local(l)?);
            }
            for d in &dynamic {
                specs.push(ForwardSpec::parse_dynamic(d)?);
            }
            for r in &remote {
                specs.push(ForwardSpec::parse_remote(r)?);
            }
            let started = start(&host, &specs, agent.as_ref(), ctx).await?;
            if save {
                let mut saved = SavedForwards::load(&ctx.config_dir)?;
                for s in &specs {
                    saved.add(&host, s.clone())?;
                }
                saved.store(&ctx.config_dir)?;
            }
            keep(&host, started, out, ctx).await
        }
        ForwardAction::Up { host } => {
            let specs = SavedForwards::load(&ctx.config_dir)?.of(&host).to_vec();
            if specs.is_empty() {
                return Err(EngineError::Usage(format!(
                    "no saved forwards for {host} (outpost forward add {host} -L … --save)"
                )));
            }
            let started = start(&host, &specs, None, ctx).await?;
            keep(&host, started, out, ctx).await
        }
        ForwardAction::List { host, agent } => {
            let saved = SavedForwards::load(&ctx.config_dir)?;
            let saved: Vec<SavedEntry> = saved
                .hosts
                .iter()
                .filter(|(h, _)| host.as_ref().is_none_or(|want| want == *h))
                .flat_map(|(h, list)| {
                    list.iter().map(move |spec| SavedEntry {
                        host: h,
                        id: spec.id(),
                        spec,
                    })
                })
                .collect();
            let running = RunStatus::read_all(&ctx.config_dir, host.as_deref());
            let kept = match (&host, agent) {
                (Some(h), true) => {
                    let h = HostStore::load(&ctx.config_dir)?.get(h)?;
                    Some(agent::list(&h, ctx).await?)
                }
                _ => None,
            };
            let mut json = serde_json::json!({"saved": saved, "running": running});
            if let Some(k) = &kept {
                json["agent"] = serde_json::to_value(k).unwrap_or_default();
            }
            out.ok(&json, || {
                let mut text = list_text(&saved, &running);
                for f in kept.iter().flatten() {
                    text.push_str(&agent_line(host.as_deref().unwrap_or_default(), f));
                }
                text
            });
            Ok(0)
        }
        ForwardAction::Close { host, id } if valid_forward_id(&id) => {
            let h = HostStore::load(&ctx.config_dir)?.get(&host)?;
            agent::close(&h, ctx, &id).await?;
            out.ok(
                &serde_json::json!({"host": host, "id": id, "closed": true}),
                || format!("{id} closed on {host}"),
            );
            Ok(0)
        }
        ForwardAction::Close { host, id } => {
            let mut saved = SavedForwards::load(&ctx.config_dir)?;
            let unsaved = saved.remove(&host, &id);
            if unsaved {
                saved.store(&ctx.config_dir)?;
            }
            let closed = run::request_close(&ctx.config_dir, &host, &id);
            if !unsaved && !closed {
                return Err(EngineError::Usage(format!(
                    "{host} has no forward {:?} (see outpost forward list)",
                    visible(&id)
                )));
            }
            out.ok(
                &serde_json::json!({"host": host, "id": id, "unsaved": unsaved, "closed": closed}),
                || format!("{} closed", visible(&id)),
            );
            Ok(0)
        }
    }
}

/// Binds, connects and checks the destinations (or has the agent open them).
async fn start(
    host: &str,
    specs: &[ForwardSpec],
    agent: Option<&AgentOwned>,
    ctx: &EngineContext,
) -> Result<Started, EngineError> {
    let host = HostStore::load(&ctx.config_dir)?.get(host)?;
    run::start_with(&host, ctx, specs, agent).await
}

/// `\nagent\tjump\tf0123…\tactive\t10.0.0.7:80 via session k3v9q2\t/run/…/f0123….sock`.
fn agent_line(host: &str, f: &ForwardInfo) -> String {
    let state = match f.state {
        ForwardState::Active => "active",
        ForwardState::Waiting => "waiting",
    };
    let from = f
        .session_id
        .as_deref()
        .map(|s| format!(" via session {s}"))
        .unwrap_or_default();
    format!(
        "\nagent\t{host}\t{}\t{state}\t{}:{}{from}\t{}",
        f.id,
        visible(&f.host),
        f.port,
        visible(&f.socket)
    )
}

/// Prints the forwards (one JSON line with `--json`) and serves them until Ctrl-C, SIGTERM,
/// every one closed, or a permanent error.
async fn keep(
    host: &str,
    started: Started,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let forwards = started.forwards();
    out.ok(
        &serde_json::json!({"host": host, "pid": std::process::id(), "forwards": forwards}),
        || {
            let mut lines: Vec<String> = forwards.iter().map(|f| describe(host, f)).collect();
            lines.push("(Ctrl-C to stop)".into());
            lines.join("\n")
        },
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| EngineError::Usage(format!("cannot watch for SIGTERM: {e}")))?;
    let result = tokio::select! {
        r = started.run(ctx) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = term.recv() => Ok(()),
    };
    RunStatus::remove(&ctx.config_dir);
    result.map(|()| 0)
}

/// `127.0.0.1:8080 → db:5432 through jump`, `localhost:40000 on jump → 127.0.0.1:3000 from
/// this computer`.
fn describe(host: &str, f: &RunningForward) -> String {
    match &f.spec {
        ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } => match &f.agent_socket {
            Some(socket) => format!(
                "{} → {}:{dest_port} kept by {host}'s agent at {}",
                f.local,
                visible(dest_host),
                visible(socket)
            ),
            None => format!(
                "{} → {}:{dest_port} through {host}",
                f.local,
                visible(dest_host)
            ),
        },
        ForwardSpec::Dynamic { .. } => format!("{} SOCKS5 through {host}", f.local),
        ForwardSpec::Remote {
            bind,
            port,
            dest_host,
            dest_port,
        } => format!(
            "{}:{port} on {host} → {}:{dest_port} from this computer",
            visible(bind),
            visible(dest_host)
        ),
    }
}

fn list_text(saved: &[SavedEntry], running: &[RunStatus]) -> String {
    let mut lines = Vec::new();
    for s in saved {
        lines.push(format!("saved\t{}\t{}", s.host, s.id));
    }
    for r in running {
        let link = match &r.link {
            crate::engine::forward::link::LinkState::Up => "up".to_string(),
            crate::engine::forward::link::LinkState::Reconnecting { attempt, .. } => {
                format!("reconnecting (attempt {attempt})")
            }
        };
        for f in &r.forwards {
            lines.push(format!(
                "running\t{}\t{}\tpid {}\t{link}\t{} connections\t{} B out\t{} B in",
                r.host, f.id, r.pid, f.stats.accepted, f.stats.bytes_out, f.stats.bytes_in
            ));
        }
    }
    if lines.is_empty() {
        lines.push("no forwards".into());
    }
    lines.join("\n")
}

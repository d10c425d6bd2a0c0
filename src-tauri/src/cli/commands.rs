//! The commands behind the `outpost` command line, each a few calls into the engine.
//!
//! In text mode every string an agent or a target sent (titles, host names, platform, preamble
//! lines, monitoring errors) is printed through [`visible`], so an escape sequence in it (OSC 52
//! clipboard writes, OSC 0 titles, `ESC[2J`) shows as `\033…` instead of reaching the terminal;
//! `attach` and `read` pass session output through raw by design, and `--json` escapes anyway.

use outpost_protocol::method;
use outpost_protocol::monitor::{MonitorTarget, Sample, SnapshotParams, SubscribeParams};
use outpost_protocol::session::{ReadParams, SessionInfo, SessionRef, MAX_READ_BYTES};
use outpost_protocol::{Base64Bytes, ErrorCode};

use super::output::Output;
use super::{Cli, Command, HostsAction};
use crate::engine::agent::connect::Connection;
use crate::engine::agent::rpc_client::RpcError;
use crate::engine::ssh::visible;
use crate::engine::store::hosts::{Host, HostStore, HostsError};
use crate::engine::store::ssh_config::SshConfigs;
use crate::engine::store::targets::{self, parse_destination};
use crate::engine::{store::ssh_config, EngineContext, EngineError};
use outpost_openssh::home_dir;

/// Runs one command; returns the exit code.
pub async fn run(cli: Cli, out: Output, ctx: &EngineContext) -> Result<i32, EngineError> {
    match cli.command {
        Command::Hosts { action } => hosts(action, out, ctx),
        Command::Check { host } => {
            let conn = connect(&host, ctx).await?;
            let info = conn.info.clone();
            conn.close().await;
            out.ok(&info, || {
                format!(
                    "{}: {} ({}), user {}, agent {}{}; connected in {:.0} ms, latency {:.1} ms{}",
                    info.host,
                    visible(&info.hostname),
                    visible(&info.platform),
                    visible(&info.user),
                    visible(&info.agent_version),
                    if info.deployed { " (deployed now)" } else { "" },
                    info.connect_ms,
                    info.latency_ms,
                    if info.preamble.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "\nwarning: the host printed text before the agent started (check your shell startup files): \"{}\"",
                            visible(&info.preamble[0])
                        )
                    }
                )
            });
            Ok(0)
        }
        Command::Sessions { host } => {
            let conn = connect(&host, ctx).await?;
            let list = conn
                .rpc
                .call::<method::SessionList>(Default::default())
                .await;
            conn.close().await;
            let sessions = list?.sessions;
            out.ok(&sessions, || {
                sessions.iter().map(describe).collect::<Vec<_>>().join("\n")
            });
            Ok(0)
        }
        Command::New {
            host,
            ssh,
            title,
            cols,
            rows,
            record,
            record_input,
        } => {
            let (tc, tr) = super::attach::terminal_size().unwrap_or((80, 24));
            let mut params = targets::create_params(
                ssh.as_deref(),
                title,
                cols.unwrap_or(tc),
                rows.unwrap_or(tr),
            )?;
            params.record = record || record_input;
            params.record_input = record_input;
            let conn = connect(&host, ctx).await?;
            let r = conn.rpc.call::<method::SessionCreate>(params).await;
            conn.close().await;
            let session = r?.session;
            out.ok(&session, || visible(&session.session_id));
            Ok(0)
        }
        Command::Attach {
            host,
            session,
            from,
        } => super::attach::attach(&host, &session, from, out, ctx).await,
        Command::Read {
            host,
            session,
            from,
            follow: true,
            ..
        } => super::follow::follow(&host, &session, from, out, ctx).await,
        Command::Read {
            host,
            session,
            from,
            limit,
            ..
        } => read(&host, &session, from, limit, out, ctx).await,
        Command::Send {
            host,
            session,
            text,
            expect,
            respond,
            timeout,
        } if !expect.is_empty() => {
            let args = super::expect::SendExpect {
                host,
                session,
                text,
                expects: expect,
                responds: respond,
                timeout,
            };
            super::expect::send_expect(args, out, ctx).await
        }
        Command::Exec(args) => Ok(super::exec::run(args, out, ctx).await),
        Command::Send {
            host,
            session,
            text,
            ..
        } => {
            let data = unescape(&text);
            let conn = connect(&host, ctx).await?;
            let r = conn.rpc.input_confirmed(&session, &data).await;
            conn.close().await;
            r?;
            out.ok(
                &serde_json::json!({"session_id": session, "bytes": data.len()}),
                String::new,
            );
            Ok(0)
        }
        Command::Close { host, session } => {
            let conn = connect(&host, ctx).await?;
            let r = conn
                .rpc
                .call::<method::SessionClose>(SessionRef {
                    session_id: session.clone(),
                })
                .await;
            conn.close().await;
            r?;
            out.ok(&serde_json::json!({"session_id": session}), String::new);
            Ok(0)
        }
        Command::Monitor {
            host,
            session,
            once,
            interval,
        } => monitor(&host, session, once, interval, out, ctx).await,
        Command::Recordings { action } => super::recordings::run(action, out, ctx).await,
        Command::Forward { action } => super::forward::run(action, out, ctx).await,
        Command::Mcp { policy, audit } => {
            let options = crate::mcp::Options {
                policy,
                audit,
                accept_new_host_key: cli.accept_new_host_key,
            };
            Ok(crate::mcp::run(ctx, options).await)
        }
        Command::Audit { action } => super::audit::run(action, out, ctx),
        Command::Files(cmd) => super::files::run(cmd, out, ctx).await,
    }
}

fn hosts(action: HostsAction, out: Output, ctx: &EngineContext) -> Result<i32, EngineError> {
    let mut store = HostStore::load(&ctx.config_dir)?;
    match action {
        HostsAction::List => {
            let list = store.list();
            out.ok(&list, || {
                list.iter()
                    .map(|h| {
                        if h.is_local() {
                            "local\tThis computer".to_string()
                        } else {
                            let via = if h.proxy_jump.is_empty() {
                                String::new()
                            } else {
                                format!(" via {}", h.proxy_jump.join(","))
                            };
                            format!("{}\t{}{}", h.name, destination(h), via)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        HostsAction::Add {
            name,
            destination: dest,
            identity_files,
            proxy_jump,
            forward_agent,
            replace,
        } => {
            let d = parse_destination(&dest)?;
            let host = Host {
                name,
                hostname: d.host,
                port: d.port,
                user: d.user,
                identity_files,
                proxy_jump: proxy_jump
                    .map(|j| j.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                options: Default::default(),
                source: Some("manual".into()),
                color: None,
                forward_agent,
            };
            store.add(host.clone(), replace)?;
            out.ok(&host, || format!("saved {}", host.name));
        }
        HostsAction::Show { name } => {
            let configs = SshConfigs::load(&ctx.config_dir);
            let host = match store.get(&name) {
                Ok(h) if h.is_local() => {
                    return Err(EngineError::Usage(
                        "local is this computer: no SSH settings apply".into(),
                    ))
                }
                Ok(h) => h,
                Err(HostsError::NotFound(_)) => Host {
                    name: name.clone(),
                    hostname: name.clone(),
                    source: Some(ssh_config::UNSAVED_SOURCE.into()),
                    ..Host::default()
                },
                Err(e) => return Err(e.into()),
            };
            let resolved = targets::effective(&host, &configs);
            for w in resolved.warnings() {
                eprintln!("warning: {}", visible(&w.to_string()));
            }
            let e = &resolved.effective;
            out.ok(e, || show_text(e));
        }
        HostsAction::Remove { name } => {
            store.remove(&name)?;
            out.ok(&serde_json::json!({"name": name}), || {
                format!("removed {name}")
            });
        }
        HostsAction::ImportSshConfig { file } => {
            let ssh_dir = home_dir()
                .map(|h| h.join(".ssh"))
                .ok_or_else(|| EngineError::Usage("no home directory".into()))?;
            let file = file.unwrap_or_else(|| ssh_dir.join("config"));
            let added = store.import(ssh_config::read(&file, &ssh_dir))?;
            out.ok(&serde_json::json!({"added": added}), || {
                if added.is_empty() {
                    "nothing new to import".into()
                } else {
                    format!("imported {}", added.join(", "))
                }
            });
        }
    }
    Ok(0)
}

/// `outpost hosts show` as text: `key value` lines, lists one value per line as `ssh -G`
/// prints them.
fn show_text(e: &outpost_openssh::config::Effective) -> String {
    let mut lines = vec![
        format!("hostname {}", e.hostname),
        format!("port {}", e.port),
        format!("user {}", e.user),
    ];
    let mut list = |key: &str, values: &[String]| {
        lines.extend(values.iter().map(|v| format!("{key} {v}")));
    };
    list("identityfile", &e.identity_files);
    list("certificatefile", &e.certificate_files);
    if !e.proxy_jump.is_empty() {
        lines.push(format!("proxyjump {}", e.proxy_jump.join(",")));
    }
    lines.extend(e.proxy_command.iter().map(|p| format!("proxycommand {p}")));
    lines.push(format!("forwardagent {}", e.forward_agent));
    lines.extend(
        e.identity_agent
            .iter()
            .map(|a| format!("identityagent {a}")),
    );
    lines.push(format!(
        "userknownhostsfile {}",
        e.user_known_hosts_files.join(" ")
    ));
    lines.push(format!(
        "stricthostkeychecking {}",
        e.strict_host_key_checking
    ));
    lines.push(match e.connect_timeout {
        Some(s) => format!("connecttimeout {s}"),
        None => "connecttimeout none".into(),
    });
    lines.push(format!("serveraliveinterval {}", e.server_alive_interval));
    lines
        .iter()
        .map(|l| visible(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Connects to a host by name: a saved one or a `~/.ssh/config` alias.
pub async fn connect(name: &str, ctx: &EngineContext) -> Result<Connection, EngineError> {
    let store = HostStore::load(&ctx.config_dir)?;
    let host = store.get(name)?;
    Connection::open(&host, ctx).await
}

/// `[user@]host[:port]`, written as the protocol writes ssh targets.
fn destination(h: &Host) -> String {
    outpost_protocol::session::SshSpec {
        host: h.hostname.clone(),
        port: h.port,
        user: h.user.clone(),
        ..Default::default()
    }
    .target()
}

/// Turns `\n`, `\r`, `\t`, `\e`, `\\` and `\xHH` into bytes.
pub fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let next = b[i + 1];
            let simple = match next {
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'e' => Some(0x1b),
                b'\\' => Some(b'\\'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            if next == b'x' && i + 3 < b.len() {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok();
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn describe(s: &SessionInfo) -> String {
    let state = match (&s.state, s.exit_code, &s.exit_signal) {
        (outpost_protocol::session::SessionState::Running, _, _) => "running".to_string(),
        (_, Some(c), _) => format!("exited {c}"),
        (_, _, Some(sig)) => format!("killed by {sig}"),
        _ => "exited".to_string(),
    };
    let link = s
        .link
        .map(|l| format!(" link {l:?}").to_lowercase())
        .unwrap_or_default();
    format!(
        "{}\t{}\t{}{}\t{}x{}\t{} bytes\t{}",
        visible(&s.session_id),
        visible(&s.title),
        visible(&state),
        link,
        s.cols,
        s.rows,
        s.output_end,
        visible(&s.created_at)
    )
}

async fn read(
    host: &str,
    session: &str,
    from: Option<u64>,
    limit: Option<u64>,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let conn = connect(host, ctx).await?;
    let result = async {
        let mut offset = from.unwrap_or(0);
        let mut first = None;
        let mut data = Vec::new();
        let mut end;
        loop {
            let want = limit
                .map(|l| l.saturating_sub(data.len() as u64))
                .unwrap_or(MAX_READ_BYTES)
                .min(MAX_READ_BYTES);
            if want == 0 {
                let info = conn
                    .rpc
                    .call::<method::SessionRead>(ReadParams {
                        session_id: session.into(),
                        from_offset: offset,
                        max_bytes: 1,
                    })
                    .await?;
                end = info.output_end;
                break;
            }
            let r = conn
                .rpc
                .call::<method::SessionRead>(ReadParams {
                    session_id: session.into(),
                    from_offset: offset,
                    max_bytes: want,
                })
                .await?;
            first.get_or_insert(r.offset);
            end = r.output_end;
            let n = r.data.0.len() as u64;
            data.extend_from_slice(&r.data.0);
            offset = r.offset + n;
            if n == 0 || offset >= end {
                break;
            }
        }
        Ok::<_, RpcError>((first.unwrap_or(offset), data, end))
    }
    .await;
    conn.close().await;
    let (offset, data, end) = result?;
    if out.json {
        out.ok(
            &serde_json::json!({"offset": offset, "data": Base64Bytes(data), "output_end": end}),
            String::new,
        );
    } else {
        use std::io::Write;
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(&data);
        let _ = so.flush();
    }
    Ok(0)
}

async fn monitor(
    host: &str,
    session: Option<String>,
    once: bool,
    interval: u64,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let target = match session {
        Some(session_id) => MonitorTarget::Session { session_id },
        None => MonitorTarget::Agent,
    };
    let conn = connect(host, ctx).await?;
    if once {
        let r = conn
            .rpc
            .call::<method::MonitorSnapshot>(SnapshotParams { target })
            .await;
        conn.close().await;
        let sample = r?.sample;
        out.ok(&sample, || summary(&sample));
        return Ok(0);
    }
    let sub = conn
        .rpc
        .call::<method::MonitorSubscribe>(SubscribeParams {
            target,
            interval_ms: interval,
        })
        .await?;
    let mut samples = conn.rpc.samples(&sub.subscription_id);
    for s in &sub.history {
        out.ok(s, || summary(s));
    }
    loop {
        tokio::select! {
            s = samples.recv() => match s {
                Some(s) => out.ok(&s.sample, || summary(&s.sample)),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    conn.close().await;
    Ok(0)
}

fn summary(s: &Sample) -> String {
    if let Some(e) = &s.error {
        return format!("error: {}", visible(e));
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    format!(
        "{} cpu {:5.1}%  mem {:.1}/{:.1} GiB  load {:.2} {:.2} {:.2}  net rx {:.0} B/s tx {:.0} B/s  procs {}",
        visible(&s.hostname),
        s.cpu.percent,
        gib(s.memory.used_bytes),
        gib(s.memory.total_bytes),
        s.load[0],
        s.load[1],
        s.load[2],
        s.net.rx_bytes_per_s,
        s.net.tx_bytes_per_s,
        s.processes
    )
}

/// Whether an error says the session does not exist.
pub fn is_not_found(e: &RpcError) -> bool {
    e.code() == Some(ErrorCode::SessionNotFound.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_text_shows_remote_controls_visibly() {
        let mut s = Sample {
            hostname: "evil\x1b]0;pwned\x07\x1b[2J".into(),
            ..Sample::default()
        };
        let text = summary(&s);
        assert!(
            text.starts_with("evil\\033]0;pwned\\007\\033[2J cpu"),
            "{text}"
        );
        s.error = Some("probe failed\x1b]52;c;eA==\x07".into());
        assert_eq!(summary(&s), "error: probe failed\\033]52;c;eA==\\007");
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("a\\nb\\r\\x41\\\\"), b"a\nb\rA\\".to_vec());
        assert_eq!(unescape("\\e["), vec![0x1b, b'[']);
        assert_eq!(unescape("\\q"), b"\\q".to_vec());
    }
}

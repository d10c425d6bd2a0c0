//! Turning a host into an SSH target as `ssh` would: its `~/.ssh/config` resolution
//! ([`SshConfigs`]: `Host`/`Match` blocks, tokens, OpenSSH's defaults) with a saved host's own
//! values over it, then every field honoured — key files in order, the `ProxyJump` chain (each
//! hop resolved through the saved hosts or the configuration itself; only the first hop's own
//! `ProxyJump`/`ProxyCommand` applies, as with `ssh -J`), `ProxyCommand`, `ConnectTimeout`,
//! `ServerAliveInterval`, `IdentityAgent`, `UserKnownHostsFile` and `StrictHostKeyChecking`.
//!
//! Which name is looked up in the configuration: a host from the configuration (imported, or
//! an unsaved alias) by its name, like `ssh NAME`; a host saved by hand by its address, like
//! `ssh ADDRESS`.

use std::path::PathBuf;
use std::time::Duration;

use outpost_protocol::session::{CreateParams, SessionKind, SshSpec};

use crate::engine::ssh::{AgentSource, HostKeyPolicy, SshTarget};
use crate::engine::store::hosts::{Host, HostStore, HostsError};
use crate::engine::store::ssh_config::{Resolved, SshConfigs, UNSAVED_SOURCE};
use crate::engine::EngineError;
use outpost_openssh::config::Effective;
use outpost_openssh::names;

/// How deep `ProxyJump` chains may nest through saved hosts.
const MAX_JUMP_DEPTH: usize = 8;

/// Parses `[user@]host[:port]` (IPv6 addresses in brackets: `[::1]:22`): a usage error when it
/// is not of that form, [`HostsError::Invalid`] when the host or user breaks OpenSSH 9.6's
/// rules ([`names`]).
pub fn parse_destination(d: &str) -> Result<SshSpec, EngineError> {
    let bad = || EngineError::Usage(format!("{d:?} is not [user@]host[:port]"));
    let (user, rest) = match d.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, d),
    };
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let (h, after) = r.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().map_err(|_| bad())?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (h.to_string(), port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().map_err(|_| bad())?)),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() || user.as_deref() == Some("") {
        return Err(bad());
    }
    let invalid = |e: names::NameError| HostsError::Invalid(format!("{d:?}: {e}"));
    names::check_host(&host).map_err(invalid)?;
    if let Some(u) = &user {
        names::check_user(u).map_err(invalid)?;
    }
    Ok(SshSpec {
        host,
        port,
        user,
        ..Default::default()
    })
}

/// The `session.create` parameters for a login shell (`ssh` is `None`) or an SSH session to
/// `[user@]target[:port]` from the agent's host.
pub fn create_params(
    ssh: Option<&str>,
    title: Option<String>,
    cols: u16,
    rows: u16,
) -> Result<CreateParams, EngineError> {
    let ssh = ssh.map(str::trim).map(parse_destination).transpose()?;
    Ok(CreateParams {
        kind: if ssh.is_some() {
            SessionKind::Ssh
        } else {
            SessionKind::Shell
        },
        cols,
        rows,
        title,
        cwd: None,
        env: Default::default(),
        scrollback_bytes: None,
        shell: None,
        ssh,
        reconnect: None,
        record: false,
        record_input: false,
        max_stall_ms: None,
    })
}

/// Whether `host` came from the ssh configuration (imported or not saved at all).
fn from_config(host: &Host) -> bool {
    matches!(
        host.source.as_deref(),
        Some("ssh_config") | Some(UNSAVED_SOURCE)
    )
}

/// What `ssh` would use for `host`: its configuration resolution, with a saved host's own
/// values (user, port, key files, jumps; an imported host's address) over it.
pub fn effective(host: &Host, configs: &SshConfigs) -> Resolved {
    let lookup = if from_config(host) {
        &host.name
    } else {
        &host.hostname
    };
    let mut resolved = configs.resolve(lookup);
    let e = &mut resolved.effective;
    if host.source.as_deref() == Some("ssh_config") && host.hostname != host.name {
        e.hostname = host.hostname.clone();
    }
    if let Some(user) = &host.user {
        e.user = user.clone();
    }
    if let Some(port) = host.port {
        e.port = port;
    }
    if !host.identity_files.is_empty() {
        e.identity_files = host.identity_files.clone();
        resolved.resolution.config.identity_files = host.identity_files.clone();
    }
    if !host.proxy_jump.is_empty() {
        e.proxy_jump = host.proxy_jump.clone();
        e.proxy_command = None;
    }
    resolved
}

/// The SSH target for a host; see the [module documentation](self).
pub fn ssh_target(host: &Host, store: &HostStore) -> Result<SshTarget, EngineError> {
    let configs = SshConfigs::load(store.config_dir());
    resolve(host, store, &configs, 0)
}

fn resolve(
    host: &Host,
    store: &HostStore,
    configs: &SshConfigs,
    depth: usize,
) -> Result<SshTarget, EngineError> {
    if depth > MAX_JUMP_DEPTH {
        return Err(EngineError::Usage(format!(
            "host {:?}: ProxyJump chain deeper than {MAX_JUMP_DEPTH} (a loop?)",
            host.name
        )));
    }
    let resolved = effective(host, configs);
    let mut t = target_of(&resolved, configs)?;
    for (i, jump) in resolved.effective.proxy_jump.iter().enumerate() {
        let mut hop = jump_host(jump, store, configs, depth + 1)?;
        if i > 0 {
            // Like `ssh -J a,b`: b is reached through a, whatever b's own configuration says.
            hop.proxy_jump.clear();
            hop.proxy_command = None;
        }
        t.proxy_jump.push(hop);
    }
    Ok(t)
}

/// One `ProxyJump` entry: a saved host or configuration alias by name, else
/// `[user@]host[:port]` resolved through the configuration with that user and port over it.
fn jump_host(
    jump: &str,
    store: &HostStore,
    configs: &SshConfigs,
    depth: usize,
) -> Result<SshTarget, EngineError> {
    if let Ok(saved) = store.get(jump) {
        if !saved.is_local() {
            return resolve(&saved, store, configs, depth);
        }
    }
    let d = parse_destination(jump)?;
    let host = Host {
        name: d.host.clone(),
        hostname: d.host,
        user: d.user,
        port: d.port,
        source: Some(UNSAVED_SOURCE.into()),
        ..Host::default()
    };
    resolve(&host, store, configs, depth)
}

/// The target for resolved settings (without its jump hosts).
fn target_of(resolved: &Resolved, configs: &SshConfigs) -> Result<SshTarget, EngineError> {
    let e: &Effective = &resolved.effective;
    let ctx = &configs.context;
    let bad = |what: String| EngineError::Usage(format!("ssh config for {}: {what}", e.original));
    let mut t = SshTarget::new(e.hostname.clone(), e.user.clone());
    t.port = e.port;
    // No `IdentityFile` applies: Outpost's default keys, as `ssh` tries its own.
    if !resolved.resolution.config.identity_files.is_empty() {
        t.identity_files = e
            .identity_files
            .iter()
            .map(|f| e.expanded_path(f, ctx).map(PathBuf::from))
            .collect::<Result<_, _>>()
            .map_err(bad)?;
    }
    t.certificate_files = e
        .certificate_files
        .iter()
        .map(|f| e.expanded_path(f, ctx).map(PathBuf::from))
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    if let Some(secs) = e.connect_timeout {
        t.connect_timeout = Duration::from_secs(secs);
    }
    if e.server_alive_interval > 0 {
        t.keepalive = Some(Duration::from_secs(e.server_alive_interval));
    }
    t.agent = match e.identity_agent.as_deref() {
        None | Some("SSH_AUTH_SOCK") => AgentSource::Env,
        Some(a) if a.eq_ignore_ascii_case("none") => AgentSource::Disabled,
        Some(path) => AgentSource::Socket(PathBuf::from(path)),
    };
    t.host_key_policy = HostKeyPolicy::from_config(&e.strict_host_key_checking);
    if resolved.resolution.config.user_known_hosts_files.is_some() {
        t.known_hosts_files = e.user_known_hosts_files.iter().map(PathBuf::from).collect();
    }
    t.proxy_command = e.expanded_proxy_command(ctx).transpose().map_err(bad)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_openssh::config::Context;
    use std::path::Path;

    #[test]
    fn destinations() {
        let d = parse_destination("ann@db:2222").unwrap();
        assert_eq!(
            (d.user.as_deref(), d.host.as_str(), d.port),
            (Some("ann"), "db", Some(2222))
        );
        let d = parse_destination("[::1]:22").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("::1", Some(22)));
        assert!(parse_destination("@db").is_err());
        assert!(parse_destination("db:x").is_err());
        for bad in [
            "x$(id)",
            "x;id",
            "x`id`",
            "x|id",
            "u;id@db",
            "-oProxyCommand=x",
        ] {
            assert!(
                matches!(
                    parse_destination(bad),
                    Err(EngineError::Hosts(HostsError::Invalid(_)))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn jumps_resolve_through_saved_hosts() {
        let t = tempfile::tempdir().unwrap();
        let mut s = HostStore::load(t.path()).unwrap();
        s.add(
            Host {
                name: "bastion".into(),
                hostname: "10.0.0.1".into(),
                user: Some("ops".into()),
                port: Some(2200),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        let db = Host {
            name: "db".into(),
            hostname: "db.internal".into(),
            user: Some("ann".into()),
            proxy_jump: vec!["bastion".into(), "x@edge:23".into()],
            ..Default::default()
        };
        let target = ssh_target(&db, &s).unwrap();
        assert_eq!(target.proxy_jump.len(), 2);
        assert_eq!(target.proxy_jump[0].display_name(), "ops@10.0.0.1:2200");
        assert_eq!(target.proxy_jump[1].display_name(), "x@edge:23");
        let looped = Host {
            name: "loop".into(),
            hostname: "l".into(),
            proxy_jump: vec!["loop".into()],
            ..Default::default()
        };
        s.add(looped.clone(), false).unwrap();
        assert!(ssh_target(&looped, &s).is_err());
    }

    #[test]
    fn config_aliases_resolve_with_every_field() {
        let t = tempfile::tempdir().unwrap();
        let config = t.path().join("config");
        std::fs::write(
            &config,
            concat!(
                "Host bastion\n  HostName 10.0.0.1\n  User ops\n  ProxyJump outer\n",
                "Host outer\n  HostName 192.0.2.9\n",
                "Host *.internal\n  ProxyJump bastion,ann@edge:2222\n",
                "  ServerAliveInterval 5\n  ConnectTimeout 7\n",
                "  StrictHostKeyChecking yes\n  IdentityAgent none\n",
                "  UserKnownHostsFile /k/one /k/%h\n  IdentityFile /keys/%h_%r\n",
                "Host edge\n  ProxyJump never-used\n",
                "Host cmd\n  ProxyCommand ssh -W %h:%p gw\n  User u\n  Port 2022\n",
                "  StrictHostKeyChecking accept-new\n  IdentityAgent /run/agent.sock\n",
            ),
        )
        .unwrap();
        let configs = SshConfigs::read(
            t.path(),
            &config,
            Path::new("/dev/null"),
            Context::current(),
        );
        let store = HostStore::load(t.path()).unwrap();
        let alias = |name: &str| Host {
            name: name.into(),
            hostname: name.into(),
            source: Some(UNSAVED_SOURCE.into()),
            ..Default::default()
        };
        let db = resolve(&alias("db.internal"), &store, &configs, 0).unwrap();
        assert_eq!(db.keepalive, Some(Duration::from_secs(5)));
        assert_eq!(db.connect_timeout, Duration::from_secs(7));
        assert_eq!(db.host_key_policy, HostKeyPolicy::Strict);
        assert_eq!(db.agent, AgentSource::Disabled);
        assert_eq!(
            db.known_hosts_files,
            [PathBuf::from("/k/one"), PathBuf::from("/k/db.internal")]
        );
        let me = &configs.context.local_user;
        assert_eq!(
            db.identity_files,
            [PathBuf::from(format!("/keys/db.internal_{me}"))]
        );
        // The chain: bastion (through its own jump, outer), then edge as written (its own
        // ProxyJump ignored, as with `ssh -J`).
        let names: Vec<String> = db.hops().iter().map(|h| h.display_name()).collect();
        assert_eq!(
            names,
            [
                format!("{me}@192.0.2.9"),
                "ops@10.0.0.1".to_owned(),
                "ann@edge:2222".to_owned(),
                format!("{me}@db.internal"),
            ]
        );
        let cmd = resolve(&alias("cmd"), &store, &configs, 0).unwrap();
        assert_eq!(cmd.proxy_command.as_deref(), Some("ssh -W cmd:2022 gw"));
        assert!(cmd.proxy_jump.is_empty());
        assert_eq!(cmd.host_key_policy, HostKeyPolicy::AcceptNew);
        assert_eq!(cmd.agent, AgentSource::Socket("/run/agent.sock".into()));
        // A saved host's own values win.
        let saved = Host {
            name: "cmd".into(),
            hostname: "cmd".into(),
            user: Some("saved-user".into()),
            proxy_jump: vec!["outer".into()],
            source: Some("ssh_config".into()),
            ..Default::default()
        };
        let s = resolve(&saved, &store, &configs, 0).unwrap();
        assert_eq!(s.user, "saved-user");
        assert_eq!(s.proxy_command, None);
        assert_eq!(s.proxy_jump[0].host, "192.0.2.9");
    }
}

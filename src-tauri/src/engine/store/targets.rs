//! Turning a saved host into an SSH target: defaults, `~/` in key paths, and `ProxyJump`
//! entries resolved through the saved hosts (or read as `[user@]host[:port]`).

use std::path::PathBuf;

use outpost_protocol::session::{CreateParams, SessionKind, SshSpec};

use crate::engine::ssh::SshTarget;
use crate::engine::store::hosts::{Host, HostStore, HostsError};
use crate::engine::EngineError;
use outpost_openssh::{home_dir, names};

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
    })
}

fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The SSH target for a saved host.
pub fn ssh_target(host: &Host, store: &HostStore) -> Result<SshTarget, EngineError> {
    resolve(host, store, 0)
}

fn resolve(host: &Host, store: &HostStore, depth: usize) -> Result<SshTarget, EngineError> {
    if depth > MAX_JUMP_DEPTH {
        return Err(EngineError::Usage(format!(
            "host {:?}: ProxyJump chain deeper than {MAX_JUMP_DEPTH} (a loop?)",
            host.name
        )));
    }
    let mut t = SshTarget::new(host.hostname.clone(), host.user.clone().unwrap_or_default());
    if host.user.is_none() {
        t.user = SshTarget::default().user;
    }
    t.port = host.port.unwrap_or(22);
    t.identity_files = host.identity_files.iter().map(|p| expand(p)).collect();
    for jump in &host.proxy_jump {
        let hop = match store.get(jump) {
            Ok(saved) if !saved.is_local() => resolve(&saved, store, depth + 1)?,
            _ => {
                let d = parse_destination(jump)?;
                let mut hop = SshTarget::new(d.host, d.user.unwrap_or_default());
                if hop.user.is_empty() {
                    hop.user = SshTarget::default().user;
                }
                hop.port = d.port.unwrap_or(22);
                hop
            }
        };
        t.proxy_jump.push(hop);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

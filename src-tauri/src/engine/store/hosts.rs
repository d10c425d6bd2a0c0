//! Saved hosts: a name plus how to reach it, in `hosts.json` in the configuration directory
//! (versioned schema, written atomically, mode 0600). The host `local` ("This computer") always
//! exists and is not stored: its agent is the local binary over pipes, no SSH.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use outpost_openssh::names;
use serde::{Deserialize, Serialize};

use crate::engine::store::config_dir::{write_private, ConfigError};
use crate::engine::store::ssh_config::SshConfigHost;

/// The name of the built-in local host.
pub const LOCAL: &str = "local";

/// The schema version of `hosts.json`.
pub const HOSTS_VERSION: u32 = 1;

/// How a host is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Host {
    /// The name people use (unique).
    pub name: String,
    /// The address or DNS name to connect to.
    pub hostname: String,
    /// The SSH port (22 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The user (the local user when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Private key files to try, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_files: Vec<String>,
    /// Hosts to jump through, in order: saved host names or `[user@]host[:port]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proxy_jump: Vec<String>,
    /// Extra options (reserved for per-host settings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Where it came from: `"manual"` or `"ssh_config"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A colour to tell hosts apart (production red, staging amber …), shown on its row and tabs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<HostColor>,
    /// Forward the desktop's ssh-agent to this host (like `ssh -A`), whatever `ForwardAgent`
    /// in `~/.ssh/config` says; off by default. Its sessions then reach further hosts with the
    /// desktop's keys, and so can root on the host while the desktop is connected.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forward_agent: bool,
}

/// The small palette a host's colour is picked from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HostColor {
    /// Red (e.g. production).
    Red,
    /// Orange.
    Orange,
    /// Yellow (e.g. staging).
    Yellow,
    /// Green (e.g. development).
    Green,
    /// Teal.
    Teal,
    /// Blue.
    Blue,
    /// Purple.
    Purple,
    /// Grey.
    Gray,
}

impl Host {
    /// The built-in local host.
    pub fn local() -> Host {
        Host {
            name: LOCAL.into(),
            hostname: "localhost".into(),
            source: Some("builtin".into()),
            ..Default::default()
        }
    }

    /// Whether this is the built-in local host.
    pub fn is_local(&self) -> bool {
        self.name == LOCAL
    }
}

#[derive(Serialize, Deserialize)]
struct HostsFile {
    version: u32,
    hosts: Vec<Host>,
}

/// Why a host operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HostsError {
    /// Reading or writing the file failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No host by that name.
    #[error("no host named {0:?}; `outpost hosts list` shows the saved hosts")]
    NotFound(String),
    /// The name is taken or reserved.
    #[error("a host named {0:?} already exists")]
    Exists(String),
    /// A field is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// The saved hosts.
pub struct HostStore {
    path: PathBuf,
    hosts: Vec<Host>,
}

/// A field that breaks OpenSSH 9.6's name rules ([`names`]), as [`HostsError::Invalid`].
fn invalid(e: names::NameError) -> HostsError {
    HostsError::Invalid(e.to_string())
}

/// Checks a host's name (no shell characters, no `known_hosts` pattern), address, user and
/// jumps (each a saved name or `[user@]host[:port]`, so the host rule applies to the whole).
fn check_host(host: &Host) -> Result<(), HostsError> {
    names::check_alias(&host.name).map_err(invalid)?;
    names::check_host(&host.hostname).map_err(invalid)?;
    if let Some(u) = &host.user {
        names::check_user(u).map_err(invalid)?;
    }
    for j in &host.proxy_jump {
        names::check_host(j).map_err(invalid)?;
    }
    Ok(())
}

/// Checks a host's fields as saving would, without saving it (for "Test connection" in the form).
pub fn validate(host: &Host) -> Result<(), HostsError> {
    check_host(host)?;
    if host.port == Some(0) {
        return Err(HostsError::Invalid("port must be 1..=65535".into()));
    }
    Ok(())
}

impl HostStore {
    /// Loads `hosts.json` from `dir` (an absent file is an empty list).
    pub fn load(dir: &Path) -> Result<HostStore, HostsError> {
        let path = dir.join("hosts.json");
        let hosts = match std::fs::read(&path) {
            Ok(data) => {
                let f: HostsFile =
                    serde_json::from_slice(&data).map_err(|e| ConfigError::Invalid {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                if f.version > HOSTS_VERSION {
                    return Err(ConfigError::Invalid {
                        path,
                        message: format!(
                            "schema version {} is newer than this Outpost understands ({HOSTS_VERSION})",
                            f.version
                        ),
                    }
                    .into());
                }
                f.hosts
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(ConfigError::Io {
                    what: "cannot read",
                    path,
                    source,
                }
                .into())
            }
        };
        Ok(HostStore { path, hosts })
    }

    /// The configuration directory the hosts are kept in.
    pub fn config_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Every host, `local` first.
    pub fn list(&self) -> Vec<Host> {
        std::iter::once(Host::local())
            .chain(self.hosts.iter().cloned())
            .collect()
    }

    /// A host by name: a saved one, else a name `~/.ssh/config` knows (resolved when
    /// connecting, see [`crate::engine::store::ssh_config::unsaved_host`]).
    pub fn get(&self, name: &str) -> Result<Host, HostsError> {
        if name == LOCAL {
            return Ok(Host::local());
        }
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .cloned()
            .or_else(|| crate::engine::store::ssh_config::unsaved_host(name, self.config_dir()))
            .ok_or_else(|| HostsError::NotFound(name.into()))
    }

    /// Adds a host (or replaces it with `replace`).
    pub fn add(&mut self, host: Host, replace: bool) -> Result<(), HostsError> {
        check_host(&host)?;
        if host.port == Some(0) {
            return Err(HostsError::Invalid("port must be 1..=65535".into()));
        }
        if host.name == LOCAL {
            return Err(HostsError::Exists(LOCAL.into()));
        }
        match self.hosts.iter().position(|h| h.name == host.name) {
            Some(i) if replace => self.hosts[i] = host,
            Some(_) => return Err(HostsError::Exists(host.name)),
            None => self.hosts.push(host),
        }
        self.save()
    }

    /// Removes a host.
    pub fn remove(&mut self, name: &str) -> Result<(), HostsError> {
        let before = self.hosts.len();
        self.hosts.retain(|h| h.name != name);
        if self.hosts.len() == before {
            return Err(HostsError::NotFound(name.into()));
        }
        self.save()
    }

    /// Imports `~/.ssh/config` aliases; returns the names added (existing names are skipped).
    pub fn import(&mut self, found: Vec<SshConfigHost>) -> Result<Vec<String>, HostsError> {
        let mut added = Vec::new();
        for h in found {
            if h.alias == LOCAL || self.hosts.iter().any(|x| x.name == h.alias) {
                continue;
            }
            let host = Host {
                hostname: h.hostname.unwrap_or_else(|| h.alias.clone()),
                name: h.alias,
                port: h.port,
                user: h.user,
                identity_files: h.identity_files,
                proxy_jump: h.proxy_jump,
                options: BTreeMap::new(),
                source: Some("ssh_config".into()),
                color: None,
                forward_agent: false,
            };
            if check_host(&host).is_err() {
                continue;
            }
            added.push(host.name.clone());
            self.hosts.push(host);
        }
        self.save()?;
        Ok(added)
    }

    fn save(&self) -> Result<(), HostsError> {
        let f = HostsFile {
            version: HOSTS_VERSION,
            hosts: self.hosts.clone(),
        };
        let json = serde_json::to_vec_pretty(&f).unwrap_or_default();
        write_private(&self.path, &json)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn add_list_remove_persist() {
        let t = tempfile::tempdir().unwrap();
        let mut s = HostStore::load(t.path()).unwrap();
        assert_eq!(s.list().len(), 1);
        let h = Host {
            name: "jump".into(),
            hostname: "10.0.0.1".into(),
            port: Some(2222),
            ..Default::default()
        };
        s.add(h.clone(), false).unwrap();
        assert!(matches!(
            s.add(h.clone(), false),
            Err(HostsError::Exists(_))
        ));
        let s2 = HostStore::load(t.path()).unwrap();
        assert_eq!(s2.get("jump").unwrap(), h);
        let mode = std::fs::metadata(t.path().join("hosts.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut s2 = s2;
        s2.remove("jump").unwrap();
        // No longer saved: only a name to resolve through ~/.ssh/config, as for `ssh jump`.
        assert_eq!(
            s2.get("jump").unwrap().source.as_deref(),
            Some(crate::engine::store::ssh_config::UNSAVED_SOURCE)
        );
        assert!(s2.get("local").unwrap().is_local());
    }

    #[test]
    fn refuses_option_like_names() {
        let t = tempfile::tempdir().unwrap();
        let mut s = HostStore::load(t.path()).unwrap();
        for bad in [
            "-oProxyCommand=x",
            "a b",
            "",
            "x$(id)",
            "x;id",
            "x`id`",
            "x|id",
        ] {
            let h = Host {
                name: "x".into(),
                hostname: bad.into(),
                ..Default::default()
            };
            assert!(s.add(h, false).is_err(), "{bad:?}");
        }
        for bad_name in ["web*", "db?", "!x", "a,b", "[h]"] {
            let h = Host {
                name: bad_name.into(),
                hostname: "h".into(),
                ..Default::default()
            };
            assert!(s.add(h, false).is_err(), "{bad_name:?}");
        }
        let h = Host {
            name: "h".into(),
            hostname: "h".into(),
            user: Some("u;id".into()),
            ..Default::default()
        };
        assert!(s.add(h, false).is_err());
        let h = Host {
            name: LOCAL.into(),
            hostname: "h".into(),
            ..Default::default()
        };
        assert!(s.add(h, false).is_err());
    }

    #[test]
    fn refuses_newer_schema() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("hosts.json"), r#"{"version":99,"hosts":[]}"#).unwrap();
        assert!(HostStore::load(t.path()).is_err());
    }

    #[test]
    fn a_hosts_colour_is_kept_and_optional() {
        let t = tempfile::tempdir().unwrap();
        // A file written before colours existed.
        std::fs::write(
            t.path().join("hosts.json"),
            r#"{"version":1,"hosts":[{"name":"old","hostname":"o"}]}"#,
        )
        .unwrap();
        let mut s = HostStore::load(t.path()).unwrap();
        assert_eq!(s.get("old").unwrap().color, None);
        let prod = Host {
            name: "prod".into(),
            hostname: "p".into(),
            color: Some(HostColor::Red),
            ..Default::default()
        };
        s.add(prod, false).unwrap();
        let text = std::fs::read_to_string(t.path().join("hosts.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["hosts"][1]["color"], "red", "{text}");
        assert!(v["hosts"][0].get("color").is_none(), "{text}");
        let again = HostStore::load(t.path()).unwrap();
        assert_eq!(again.get("prod").unwrap().color, Some(HostColor::Red));
        // Checked without saving: a bad port or name is refused, a good host passes.
        let mut h = again.get("prod").unwrap();
        assert!(validate(&h).is_ok());
        h.port = Some(0);
        assert!(validate(&h).is_err());
        h.port = None;
        h.hostname = "-oProxyCommand=x".into();
        assert!(validate(&h).is_err());
    }
}

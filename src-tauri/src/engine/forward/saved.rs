//! Saved forwards, per host, in `forwards.json` in the configuration directory (0600, written
//! atomically by the engine's store): what `outpost forward add --save` keeps and
//! `outpost forward up HOST` brings back. Bounded: [`MAX_SAVED_PER_HOST`] forwards a host,
//! [`MAX_FILE_BYTES`] the file; every spec is checked again when read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::agent_saved::SavedAgentForward;
use super::error::ForwardError;
use super::spec::ForwardSpec;
use crate::engine::store::config_dir::write_private;

/// The most forwards saved for one host.
pub const MAX_SAVED_PER_HOST: usize = 64;
/// The largest `forwards.json` read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Every host's saved forwards.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SavedForwards {
    /// Host name → its forwards, in the order they were saved.
    pub hosts: BTreeMap<String, Vec<ForwardSpec>>,
    /// Host name → the saved local ports of its agent-owned forwards (see `agent_saved.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agent: BTreeMap<String, Vec<SavedAgentForward>>,
}

/// The file's path in `config_dir`.
pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("forwards.json")
}

impl SavedForwards {
    /// Reads the saved forwards (none when the file does not exist).
    pub fn load(config_dir: &Path) -> Result<SavedForwards, ForwardError> {
        let p = path(config_dir);
        let err = |m: String| ForwardError::Store(format!("{}: {m}", p.display()));
        let text = match std::fs::metadata(&p) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(err(format!("larger than {MAX_FILE_BYTES} bytes")))
            }
            Ok(_) => std::fs::read_to_string(&p).map_err(|e| err(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(err(e.to_string())),
        };
        let saved: SavedForwards = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        for (host, list) in &saved.hosts {
            if list.len() > MAX_SAVED_PER_HOST {
                return Err(err(format!(
                    "more than {MAX_SAVED_PER_HOST} forwards for {host}"
                )));
            }
            for s in list {
                s.check().map_err(|r| err(format!("{}: {r}", s.id())))?;
            }
        }
        saved.check_agent().map_err(err)?;
        Ok(saved)
    }

    /// Writes the file (0600, atomically).
    pub fn store(&self, config_dir: &Path) -> Result<(), ForwardError> {
        let text =
            serde_json::to_vec_pretty(self).map_err(|e| ForwardError::Store(e.to_string()))?;
        write_private(&path(config_dir), &text).map_err(|e| ForwardError::Store(e.to_string()))
    }

    /// `host`'s saved forwards.
    pub fn of(&self, host: &str) -> &[ForwardSpec] {
        self.hosts.get(host).map_or(&[], Vec::as_slice)
    }

    /// Adds `spec` for `host` unless an equal one is saved; true when it was added.
    pub fn add(&mut self, host: &str, spec: ForwardSpec) -> Result<bool, ForwardError> {
        let list = self.hosts.entry(host.to_string()).or_default();
        if list.contains(&spec) {
            return Ok(false);
        }
        if list.len() >= MAX_SAVED_PER_HOST {
            return Err(ForwardError::Store(format!(
                "{host} has {MAX_SAVED_PER_HOST} saved forwards already"
            )));
        }
        list.push(spec);
        Ok(true)
    }

    /// Removes `host`'s forward whose id is `id`; true when there was one.
    pub fn remove(&mut self, host: &str, id: &str) -> bool {
        let Some(list) = self.hosts.get_mut(host) else {
            return false;
        };
        let before = list.len();
        list.retain(|s| s.id() != id);
        let removed = list.len() != before;
        if list.is_empty() {
            self.hosts.remove(host);
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn saves_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SavedForwards::load(dir.path()).unwrap();
        let l = ForwardSpec::parse_local("8080:db:5432").unwrap();
        assert!(s.add("jump", l.clone()).unwrap());
        assert!(!s.add("jump", l.clone()).unwrap());
        s.add("jump", ForwardSpec::parse_dynamic("1080").unwrap())
            .unwrap();
        s.store(dir.path()).unwrap();
        let mode = std::fs::metadata(path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let back = SavedForwards::load(dir.path()).unwrap();
        assert_eq!(back, s);
        let mut back = back;
        assert!(back.remove("jump", &l.id()));
        assert!(!back.remove("jump", &l.id()));
        assert_eq!(back.of("jump").len(), 1);
        assert!(back.of("other").is_empty());
    }

    #[test]
    fn a_tampered_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            path(dir.path()),
            r#"{"hosts":{"j":[{"kind":"local","bind":"127.0.0.1","port":1,"dest_host":"a b","dest_port":2}]}}"#,
        )
        .unwrap();
        let e = SavedForwards::load(dir.path()).unwrap_err();
        assert_eq!(e.code(), "config");
    }
}

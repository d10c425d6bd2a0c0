//! Forward records on disk: one `<id>.json` per forward in [`record_dir`] (0700, files 0600,
//! written atomically). Records are checked again as they are read: a file whose name, id,
//! session id or destination does not pass is skipped with a warning, and at most
//! [`MAX_FORWARDS`] are read.

use std::path::Path;

use outpost_openssh::names;
use outpost_protocol::forward::{valid_forward_id, MAX_DEST_HOST, MAX_FORWARDS};
use outpost_protocol::session::valid_session_id;

use super::{record_dir, Record};
use crate::paths::{ensure_private_dir, write_atomic, PathError, Paths};

/// Checks a destination host: 1 to [`MAX_DEST_HOST`] bytes and OpenSSH's host-name rules (no
/// leading `-`, no shell or control characters).
pub fn check_dest(host: &str, port: u16) -> Result<(), String> {
    if host.len() > MAX_DEST_HOST {
        return Err(format!(
            "destination host is {} bytes; at most {MAX_DEST_HOST} are allowed",
            host.len()
        ));
    }
    names::check_host(host).map_err(|e| format!("destination {e}"))?;
    if port == 0 {
        return Err("destination port must be 1-65535".into());
    }
    Ok(())
}

/// Whether a record read from disk is well formed.
fn check(r: &Record) -> Result<(), String> {
    if !valid_forward_id(&r.id) {
        return Err("bad id".into());
    }
    if let Some(s) = &r.session_id {
        if !valid_session_id(s) {
            return Err("bad session id".into());
        }
    }
    check_dest(&r.host, r.port)
}

/// A new random forward id.
pub fn new_id() -> std::io::Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!("f{:016x}", u64::from_be_bytes(b)))
}

/// Every readable record, by id.
pub fn all(paths: &Paths) -> Vec<Record> {
    let dir = record_dir(paths);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten().take(4 * MAX_FORWARDS) {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
            continue;
        };
        if !valid_forward_id(id) {
            continue;
        }
        match read(&entry.path()) {
            Ok(r) if r.id == id => out.push(r),
            Ok(_) => tracing::warn!(forward = id, "record names another id; skipped"),
            Err(e) => tracing::warn!(forward = id, "unreadable record skipped: {e}"),
        }
        if out.len() == MAX_FORWARDS {
            break;
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn read(path: &Path) -> Result<Record, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() || meta.len() > 4096 {
        return Err("not a small regular file".into());
    }
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let r: Record = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    check(&r)?;
    Ok(r)
}

/// The record of forward `id`, if there is one.
pub fn get(paths: &Paths, id: &str) -> Option<Record> {
    if !valid_forward_id(id) {
        return None;
    }
    read(&record_dir(paths).join(format!("{id}.json"))).ok()
}

/// Writes `r` (atomically, 0600).
pub fn save(paths: &Paths, r: &Record) -> Result<(), PathError> {
    let dir = record_dir(paths);
    ensure_private_dir(&dir)?;
    let json = serde_json::to_vec_pretty(r).unwrap_or_default();
    write_atomic(&dir.join(format!("{}.json", r.id)), &json)
}

/// Removes forward `id`'s record; true when there was one.
pub fn remove(paths: &Paths, id: &str) -> bool {
    valid_forward_id(id)
        && std::fs::remove_file(record_dir(paths).join(format!("{id}.json"))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(t: &Path) -> Paths {
        Paths::new(&t.join("run"), &t.join("state"), 1000)
    }

    #[test]
    fn records_round_trip_and_bad_files_are_skipped() {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = paths(t.path());
        let r = Record {
            id: new_id().unwrap_or_else(|e| panic!("{e}")),
            session_id: None,
            host: "db.internal".into(),
            port: 5432,
            master: None,
        };
        save(&p, &r).unwrap_or_else(|e| panic!("{e}"));
        let dir = record_dir(&p);
        // A record whose destination would be read as an option, and one under a bad name.
        let evil = Record {
            id: "f00000000000000aa".into(),
            host: "-oProxyCommand=x".into(),
            ..r.clone()
        };
        std::fs::write(
            dir.join("f00000000000000aa.json"),
            serde_json::to_vec(&evil).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("x.json"), b"{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all(&p), vec![r.clone()]);
        assert_eq!(get(&p, &r.id), Some(r.clone()));
        assert!(remove(&p, &r.id));
        assert!(!remove(&p, &r.id));
        assert!(all(&p).is_empty());
    }

    #[test]
    fn destinations_are_checked() {
        assert!(check_dest("10.0.0.7", 80).is_ok());
        assert!(check_dest("db.internal", 0).is_err());
        assert!(check_dest("", 80).is_err());
        assert!(check_dest("-oProxyCommand=x", 80).is_err());
        assert!(check_dest("a$(id)", 80).is_err());
        assert!(check_dest(&"a".repeat(254), 80).is_err());
    }
}

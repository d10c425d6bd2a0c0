//! The MCP server's audit log: one JSON line per tool call, appended to a 0600 file
//! ([`AUDIT_FILE`] in the configuration directory), each line carrying the SHA-256 of the line
//! before it (`prev`) and of itself (`hash`), so that changing, inserting, reordering or
//! removing a line (other than lines at the end) breaks the chain at that line.
//!
//! ```json
//! {"prev":"<64 hex>","seq":7,"time":"2026-12-04T22:01:02.345Z","tool":"session_exec","host":"local","session":"k3x9","arguments":{…},"outcome":{"ok":true,"exit_code":0},"duration_ms":12,"hash":"<64 hex>"}
//! ```
//!
//! `prev` of the first line is [`GENESIS`] and otherwise the SHA-256 of the whole previous
//! line (without its newline); `hash` is the SHA-256 of the line up to `,"hash"` followed by
//! `}` (the line without its own hash); `seq` counts lines from 1. Whoever can write the file
//! can also rewrite every line after a change with new hashes: the chain shows changes, it does
//! not prevent them (docs/mcp.md says how to keep a copy elsewhere). Several servers may
//! append to the same file: each append holds an exclusive `flock` while it reads the last line
//! and writes its own. [`verify`] checks a file and names the first line that breaks the chain
//! (`outpost audit verify`). Arguments are redacted before they get here ([`super::redact`]).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The audit log's name in the configuration directory.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// The `prev` of the first line: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The longest line [`verify`] reads; a longer one is a bad line.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Why the audit log cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The log could not be locked.
    #[error("cannot lock {path}: {errno}")]
    Lock {
        /// The file.
        path: PathBuf,
        /// The reason.
        errno: nix::errno::Errno,
    },
}

/// How a tool call ended, as the log keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The call succeeded.
    pub ok: bool,
    /// The error's code (`policy_refused`, `rpc_32009`, …) when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The error's message when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The policy rule that refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The exit code of a command that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// One tool call, as logged.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// The tool's name.
    pub tool: String,
    /// The host it acted on, when it names one.
    pub host: Option<String>,
    /// The session it acted on, when it names one.
    pub session: Option<String>,
    /// Its arguments, secrets redacted.
    pub arguments: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took, in ms.
    pub duration_ms: u64,
}

/// A line as written: the chain fields, the time, then the record.
#[derive(Serialize)]
struct Line<'a> {
    prev: &'a str,
    seq: u64,
    time: String,
    #[serde(flatten)]
    record: &'a Record,
}

/// The hex SHA-256 of `line` (without its newline).
pub fn line_hash(line: &[u8]) -> String {
    Sha256::digest(line)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The current time, RFC 3339 in UTC with milliseconds.
fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The audit log at a path.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// Opens (creating) the log at `path`, its directory 0700 and the file 0600 (tightened when
    /// it exists with other permissions).
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::engine::store::config_dir::ensure_dir(dir).map_err(|e| AuditError::Io {
                what: "cannot create the directory of",
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })?;
        }
        let log = AuditLog {
            path: path.to_path_buf(),
        };
        let file = log.open_file()?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|source| log.io("cannot set the permissions of", source))?;
        Ok(log)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, what: &'static str, source: std::io::Error) -> AuditError {
        AuditError::Io {
            what,
            path: self.path.clone(),
            source,
        }
    }

    fn open_file(&self) -> Result<File, AuditError> {
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&self.path)
            .map_err(|source| self.io("cannot open", source))
    }

    /// Appends `record` as the next line of the chain.
    pub fn append(&self, record: &Record) -> Result<(), AuditError> {
        let file = self.open_file()?;
        let mut file =
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| AuditError::Lock {
                path: self.path.clone(),
                errno,
            })?;
        let (last, ends_with_newline) =
            last_line(&mut file).map_err(|source| self.io("cannot read", source))?;
        let (prev, seq) = match &last {
            None => (GENESIS.to_string(), 1),
            Some(line) => {
                let seq = serde_json::from_slice::<Value>(line)
                    .ok()
                    .and_then(|v| v.get("seq").and_then(Value::as_u64))
                    .unwrap_or(0);
                (line_hash(line), seq + 1)
            }
        };
        let line = Line {
            prev: &prev,
            seq,
            time: now(),
            record,
        };
        let mut bytes = Vec::with_capacity(512);
        if !ends_with_newline {
            bytes.push(b'\n');
        }
        let start = bytes.len();
        serde_json::to_writer(&mut bytes, &line)
            .map_err(|e| self.io("cannot encode a line of", std::io::Error::other(e)))?;
        let own = line_hash(&bytes[start..]);
        bytes.pop();
        bytes.extend_from_slice(format!(",\"hash\":\"{own}\"}}\n").as_bytes());
        file.write_all(&bytes)
            .and_then(|()| file.sync_data())
            .map_err(|source| self.io("cannot append to", source))
    }
}

/// The last line of `file` (without its newline; `None` when the file is empty) and whether the
/// file ends with a newline.
fn last_line(file: &mut File) -> std::io::Result<(Option<Vec<u8>>, bool)> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((None, true));
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut pos = len;
    let mut ends_with_newline = None;
    loop {
        let step = pos.min(64 * 1024);
        pos -= step;
        file.seek(SeekFrom::Start(pos))?;
        let mut chunk = vec![0u8; step as usize];
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        let nl = *ends_with_newline.get_or_insert(tail.last() == Some(&b'\n'));
        let body = if nl {
            &tail[..tail.len() - 1]
        } else {
            &tail[..]
        };
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            return Ok((Some(body[i + 1..].to_vec()), nl));
        }
        if pos == 0 {
            return Ok((Some(body.to_vec()), nl));
        }
    }
}

/// A line without its own hash (as hashed) and the hash it carries.
fn own_hash(line: &[u8]) -> Option<(Vec<u8>, String)> {
    const TAIL: usize = ",\"hash\":\"\"}".len() + 64;
    let cut = line.len().checked_sub(TAIL)?;
    let tail = std::str::from_utf8(&line[cut..]).ok()?;
    let hash = tail.strip_prefix(",\"hash\":\"")?.strip_suffix("\"}")?;
    let mut content = line[..cut].to_vec();
    content.push(b'}');
    Some((content, hash.to_string()))
}

/// A checked log: its line count and the hash of its last line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The number of lines.
    pub lines: u64,
    /// The SHA-256 of the last line (what the next line's `prev` will be).
    pub last_hash: String,
}

/// The first line that breaks the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct BadLine {
    /// Its number, from 1.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks the chain of the log at `path`: every line a JSON object whose `prev` is the hash of
/// the line before (or [`GENESIS`]) and whose `seq` is its line number.
pub fn verify(path: &Path) -> Result<Result<Verified, BadLine>, AuditError> {
    let file = File::open(path).map_err(|source| AuditError::Io {
        what: "cannot open",
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut expected = GENESIS.to_string();
    let mut n = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| AuditError::Io {
                what: "cannot read",
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        let bad = |reason: String| Ok(Err(BadLine { line: n, reason }));
        if buf.last() != Some(&b'\n') {
            return bad(if buf.len() > MAX_LINE_BYTES {
                format!("longer than {MAX_LINE_BYTES} bytes")
            } else {
                "the last line is not complete (no newline)".into()
            });
        }
        let line = &buf[..buf.len() - 1];
        let value: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => return bad(format!("not JSON: {e}")),
        };
        match value.get("prev").and_then(Value::as_str) {
            Some(p) if p == expected => {}
            Some(_) => {
                return bad(if n == 1 {
                    "its prev is not the genesis hash: lines before it were removed".into()
                } else {
                    format!(
                        "its prev does not match the SHA-256 of line {}: that line or this one was changed, or lines were removed or inserted",
                        n - 1
                    )
                })
            }
            None => return bad("no prev hash".into()),
        }
        if value.get("seq").and_then(Value::as_u64) != Some(n) {
            return bad(format!("its seq is not {n}"));
        }
        match own_hash(line) {
            Some((content, hash)) if line_hash(&content) == hash => {}
            Some(_) => {
                return bad("its content does not match its hash: the line was changed".into())
            }
            None => return bad("no hash at its end".into()),
        }
        expected = line_hash(line);
    }
    Ok(Ok(Verified {
        lines: n,
        last_hash: expected,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tool: &str) -> Record {
        Record {
            tool: tool.into(),
            host: Some("local".into()),
            session: None,
            arguments: serde_json::json!({"host": "local"}),
            outcome: Outcome {
                ok: true,
                ..Outcome::default()
            },
            duration_ms: 1,
        }
    }

    #[test]
    fn a_chain_verifies_and_a_change_is_named() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub/audit.jsonl");
        let log = AuditLog::open(&path).unwrap_or_else(|e| panic!("{e}"));
        for t in ["a", "b", "c", "d"] {
            log.append(&record(t)).unwrap_or_else(|e| panic!("{e}"));
        }
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let ok = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.as_ref().map(|v| v.lines), Ok(4), "{ok:?}");

        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let changed = text.replacen("\"tool\":\"b\"", "\"tool\":\"x\"", 1);
        std::fs::write(&path, &changed).unwrap_or_else(|e| panic!("{e}"));
        let bad = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.map_err(|b| b.line), Err(2), "line 2 changed");

        // A line changed with its own hash made anew breaks the next line's prev.
        let mut forged: Vec<String> = changed.lines().map(str::to_string).collect();
        let (content, _) = own_hash(forged[1].as_bytes()).unwrap_or_else(|| panic!("no hash"));
        let cut = forged[1].len() - 75;
        forged[1] = format!(
            "{},\"hash\":\"{}\"}}",
            &forged[1][..cut],
            line_hash(&content)
        );
        std::fs::write(&path, format!("{}\n", forged.join("\n"))).unwrap_or_else(|e| panic!("{e}"));
        let bad = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.map_err(|b| b.line), Err(3), "line 3's prev breaks");

        // The last line is covered by its own hash.
        let last = text.replacen("\"tool\":\"d\"", "\"tool\":\"z\"", 1);
        std::fs::write(&path, &last).unwrap_or_else(|e| panic!("{e}"));
        let bad = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.map_err(|b| b.line), Err(4));

        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n", lines[1..].join("\n")))
            .unwrap_or_else(|e| panic!("{e}"));
        let bad = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.map_err(|b| b.line), Err(1));

        // A torn last line is reported, and the next append starts a line of its own.
        std::fs::write(&path, format!("{}\n{{\"prev\":", lines.join("\n")))
            .unwrap_or_else(|e| panic!("{e}"));
        log.append(&record("e")).unwrap_or_else(|e| panic!("{e}"));
        let bad = verify(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.map_err(|b| b.line), Err(5));
    }
}

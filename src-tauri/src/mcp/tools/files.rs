//! Tools on remote files, over the engine's transfer layer ([`crate::engine::transfer`]): SFTP
//! on a host (or on an ssh session's target, through the session's connection), copies through
//! a temporary name renamed into place, SHA-256 verified. Every call opens its own connection
//! and closes it. Tools that change something are refused on read-only hosts.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use outpost_protocol::session::valid_session_id;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use russh_sftp::protocol::{FileAttributes, OpenFlags, StatusCode};
use serde_json::{json, Value};

use crate::engine::transfer::copy::{download_file, upload_file, CopyOptions};
use crate::engine::transfer::open::{open, Opened};
use crate::engine::transfer::path::RemotePath;
use crate::engine::transfer::progress::silent;
use crate::engine::transfer::remote::EntryKind;
use crate::engine::transfer::{ErrorKind, TransferError};
use crate::engine::EngineError;
use crate::mcp::file_params::{
    CopyParams, Encoding, FileAt, MkdirParams, MoveParams, ReadParams, WriteParams,
    DEFAULT_FILE_READ, MAX_FILE_READ, MAX_FILE_WRITE, MAX_PATH_BYTES,
};
use crate::mcp::reply::{self, Failure, Reply};
use crate::mcp::server::OutpostMcp;

/// The most entries `files_list` returns.
pub const MAX_LIST_ENTRIES: usize = 10_000;

/// A checked remote path.
fn remote(host: &str, session: Option<&str>, path: &str) -> Reply<RemotePath> {
    if path.is_empty() || path.len() > MAX_PATH_BYTES || path.contains('\0') {
        return Err(Failure::Invalid(format!(
            "path must be 1 to {MAX_PATH_BYTES} bytes without NUL"
        )));
    }
    if let Some(s) = session {
        if !valid_session_id(s) {
            return Err(Failure::Invalid(format!("{s:?} is not a session id")));
        }
    }
    Ok(RemotePath {
        host: host.to_string(),
        session: session.map(str::to_string),
        path: path.to_string(),
    })
}

/// A transfer error as a tool failure (its code: `not_found`, `exists`, …).
fn failed(e: TransferError) -> Failure {
    Failure::Engine(EngineError::from(e))
}

/// An absolute local path.
fn local_path(p: &str) -> Reply<PathBuf> {
    let path = Path::new(p);
    if !path.is_absolute() || p.len() > MAX_PATH_BYTES || p.contains('\0') {
        return Err(Failure::Invalid(
            "local_path must be an absolute path on the computer the server runs on".into(),
        ));
    }
    Ok(path.to_path_buf())
}

/// A new private file name in the temporary directory, for `file_write`'s content.
fn scratch_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "outpost-mcp-write-{}-{n}-{nanos}",
        std::process::id()
    ))
}

/// `bytes` as `file_read` returns them: text when they are UTF-8 (a character cut at the end
/// is left for the next read), else base64. The encoding and how many bytes it holds.
fn encode(mut bytes: Vec<u8>, eof: bool) -> (Encoding, String, usize) {
    match std::str::from_utf8(&bytes) {
        Ok(_) => {
            let n = bytes.len();
            (
                Encoding::Text,
                String::from_utf8(bytes).unwrap_or_default(),
                n,
            )
        }
        Err(e) if e.error_len().is_none() && !eof && e.valid_up_to() > 0 => {
            bytes.truncate(e.valid_up_to());
            let n = bytes.len();
            (
                Encoding::Text,
                String::from_utf8(bytes).unwrap_or_default(),
                n,
            )
        }
        Err(_) => {
            let n = bytes.len();
            (
                Encoding::Base64,
                base64::engine::general_purpose::STANDARD.encode(bytes),
                n,
            )
        }
    }
}

/// A single file's copy: never resumed (a tool call is one attempt), verified when asked.
fn copy_options(verify: bool, overwrite: bool) -> CopyOptions {
    CopyOptions {
        verify,
        resume: false,
        no_clobber: !overwrite,
    }
}

fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Text => "text",
        Encoding::Base64 => "base64",
    }
}

impl OutpostMcp {
    /// Opens the file system of `at` once the policy allows its host (and, for `write`, lets
    /// `what` change it).
    async fn open_fs(&self, at: &RemotePath, write: Option<&str>) -> Reply<Opened> {
        self.check_host(&at.host)?;
        if let Some(what) = write {
            self.check_writable(&at.host, what)?;
        }
        Ok(open(at, self.conns().context()).await?)
    }

    /// Runs `f` on the opened file system of `at`, then closes it.
    async fn on_fs<T, F>(&self, at: RemotePath, write: Option<&str>, f: F) -> Reply<T>
    where
        F: for<'a> FnOnce(&'a Opened, &'a RemotePath) -> futures::future::BoxFuture<'a, Reply<T>>,
    {
        let o = self.open_fs(&at, write).await?;
        let r = f(&o, &at).await;
        o.close().await;
        r
    }
}

async fn read_chunk(o: &Opened, path: &str, offset: u64, max: u64) -> Reply<Value> {
    let shown = o.fs.show(path);
    let entry = o.fs.stat(path).await.map_err(failed)?.ok_or_else(|| {
        failed(TransferError::new(
            ErrorKind::NotFound,
            &shown,
            "no such file",
        ))
    })?;
    if entry.kind == EntryKind::Dir {
        return Err(failed(TransferError::new(
            ErrorKind::IsADirectory,
            &shown,
            "is a directory: use files_list",
        )));
    }
    let sftp = o.fs.sftp(path).map_err(failed)?.clone();
    let handle = sftp
        .open(path, OpenFlags::READ, FileAttributes::empty())
        .await
        .map_err(|e| failed(o.fs.sftp_error(path, &e)))?
        .handle;
    let mut data = Vec::new();
    let mut eof = false;
    let mut at = offset;
    let mut err = None;
    while (data.len() as u64) < max {
        let want = u32::try_from((max - data.len() as u64).min(64 * 1024)).unwrap_or(65536);
        match sftp.read(handle.as_str(), at, want).await {
            Ok(d) if d.data.is_empty() => {
                eof = true;
                break;
            }
            Ok(d) => {
                at += d.data.len() as u64;
                data.extend_from_slice(&d.data);
            }
            Err(russh_sftp::client::error::Error::Status(s))
                if s.status_code == StatusCode::Eof =>
            {
                eof = true;
                break;
            }
            Err(e) => {
                err = Some(failed(o.fs.sftp_error(path, &e)));
                break;
            }
        }
    }
    let _ = sftp.close(handle).await;
    if let Some(e) = err {
        return Err(e);
    }
    let eof = eof || offset + data.len() as u64 >= entry.size;
    let (encoding, content, n) = encode(data, eof);
    let next = offset + n as u64;
    Ok(json!({
        "path": shown,
        "size": entry.size,
        "offset": offset,
        "bytes": n,
        "next_offset": next,
        "eof": eof && next >= entry.size.max(next),
        "encoding": encoding_name(encoding),
        "content": content,
    }))
}

async fn mkdir_at(o: &Opened, path: &str, parents: bool) -> Result<(), TransferError> {
    if parents {
        o.fs.mkdir_all(path, 0o755).await
    } else {
        o.fs.mkdir(path, 0o755).await
    }
}

#[tool_router(router = file_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// List a remote directory: each entry's name, kind (`file`, `dir`, `symlink`, `other`),
    /// size, permission bits and modification time (seconds since 1970). A file path lists
    /// that file alone. On the host, or with `session_id` on an ssh session's target.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn files_list(&self, Parameters(p): Parameters<FileAt>) -> CallToolResult {
        let listed = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            self.on_fs(at, None, |o, at| {
                Box::pin(async move {
                    let mut entries = match o.fs.stat(&at.path).await.map_err(failed)? {
                        Some(e) if e.kind != EntryKind::Dir => vec![e],
                        _ => o.fs.read_dir(&at.path).await.map_err(failed)?,
                    };
                    let truncated = entries.len() > MAX_LIST_ENTRIES;
                    entries.truncate(MAX_LIST_ENTRIES);
                    Ok(json!({"path": o.fs.show(&at.path), "entries": entries, "truncated": truncated}))
                })
            })
            .await
        };
        reply::result(listed.await)
    }

    /// What a remote path is: kind, size, permission bits, modification time; `exists: false`
    /// when nothing is there (not an error).
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn file_stat(&self, Parameters(p): Parameters<FileAt>) -> CallToolResult {
        let stated = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            self.on_fs(at, None, |o, at| {
                Box::pin(async move {
                    Ok(match o.fs.stat(&at.path).await.map_err(failed)? {
                        Some(e) => json!({"path": o.fs.show(&at.path), "exists": true, "entry": e}),
                        None => json!({"path": o.fs.show(&at.path), "exists": false}),
                    })
                })
            })
            .await
        };
        reply::result(stated.await)
    }

    /// Read part of a remote file: at most `max_bytes` (default 65536, at most 1048576) from
    /// `offset`. Returns `content` as text when the bytes are UTF-8 (`encoding: "text"`), else
    /// base64 (`encoding: "base64"`), with the file's `size`, `next_offset` to continue from,
    /// and `eof`. For whole large files use `file_download`.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn file_read(&self, Parameters(p): Parameters<ReadParams>) -> CallToolResult {
        let read = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let max = p.max_bytes.unwrap_or(DEFAULT_FILE_READ);
            if max == 0 || max > MAX_FILE_READ {
                return Err(Failure::Invalid(format!(
                    "max_bytes must be 1 to {MAX_FILE_READ}"
                )));
            }
            let offset = p.offset;
            self.on_fs(at, None, |o, at| {
                Box::pin(async move { read_chunk(o, &at.path, offset, max).await })
            })
            .await
        };
        reply::result(read.await)
    }

    /// Create or replace a small remote file (at most 1048576 bytes) with `content` (text, or
    /// base64 with `encoding: "base64"`). The data goes to a temporary name beside the file,
    /// its SHA-256 is checked there, then it is renamed into place: readers never see half a
    /// file. Returns the bytes written and their SHA-256. Refused on read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn file_write(&self, Parameters(p): Parameters<WriteParams>) -> CallToolResult {
        let written = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let data = match p.encoding {
                Encoding::Text => p.content.into_bytes(),
                Encoding::Base64 => base64::engine::general_purpose::STANDARD
                    .decode(p.content.as_bytes())
                    .map_err(|e| Failure::Invalid(format!("content is not base64: {e}")))?,
            };
            if data.len() > MAX_FILE_WRITE {
                return Err(Failure::Invalid(format!(
                    "content is {} bytes, more than {MAX_FILE_WRITE}: use file_upload",
                    data.len()
                )));
            }
            let mode = p.mode.unwrap_or(0o644);
            if mode > 0o7777 {
                return Err(Failure::Invalid(
                    "mode must be at most 0o7777 (4095)".into(),
                ));
            }
            let opts = copy_options(true, p.overwrite);
            self.on_fs(at, Some("writing a file"), |o, at| {
                Box::pin(async move {
                    let scratch = scratch_path();
                    let staged = stage(&scratch, &data, mode);
                    let r = match staged {
                        Ok(()) => upload_file(&o.fs, &scratch, &at.path, opts, &silent())
                            .await
                            .map_err(failed),
                        Err(e) => Err(Failure::Invalid(format!(
                            "cannot stage the content in {}: {e}",
                            scratch.display()
                        ))),
                    };
                    let _ = std::fs::remove_file(&scratch);
                    let c = r?;
                    Ok(json!({"path": o.fs.show(&at.path), "bytes": c.bytes, "sha256": c.sha256}))
                })
            })
            .await
        };
        reply::result(written.await)
    }

    /// Copy a file from this computer (`local_path`, absolute) to a remote path (a file path,
    /// not a directory), through a temporary name renamed into place; with `verify` (default)
    /// the SHA-256 of both sides is compared first. Returns bytes and the SHA-256. Refused on
    /// read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn file_upload(&self, Parameters(p): Parameters<CopyParams>) -> CallToolResult {
        let copied = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let local = local_path(&p.local_path)?;
            let opts = copy_options(p.verify, p.overwrite);
            self.on_fs(at, Some("uploading a file"), |o, at| {
                Box::pin(async move {
                    let c = upload_file(&o.fs, &local, &at.path, opts, &silent())
                        .await
                        .map_err(failed)?;
                    Ok(json!({"from": local.display().to_string(), "to": o.fs.show(&at.path), "bytes": c.bytes, "sha256": c.sha256}))
                })
            })
            .await
        };
        reply::result(copied.await)
    }

    /// Copy a remote file to this computer (`local_path`, absolute; a file path, not a
    /// directory), through a temporary name renamed into place; with `verify` (default) the
    /// SHA-256 of both sides is compared first. Returns bytes and the SHA-256.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn file_download(&self, Parameters(p): Parameters<CopyParams>) -> CallToolResult {
        let copied = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let local = local_path(&p.local_path)?;
            let opts = copy_options(p.verify, p.overwrite);
            self.on_fs(at, None, |o, at| {
                Box::pin(async move {
                    let c = download_file(&o.fs, &at.path, &local, opts, &silent())
                        .await
                        .map_err(failed)?;
                    Ok(json!({"from": o.fs.show(&at.path), "to": local.display().to_string(), "bytes": c.bytes, "sha256": c.sha256}))
                })
            })
            .await
        };
        reply::result(copied.await)
    }

    /// Create a remote directory (permissions 0o755); with `parents`, also the missing ones
    /// above it, succeeding when it already exists. Refused on read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        open_world_hint = true
    ))]
    async fn file_mkdir(&self, Parameters(p): Parameters<MkdirParams>) -> CallToolResult {
        let made = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let parents = p.parents;
            self.on_fs(at, Some("creating a directory"), |o, at| {
                Box::pin(async move {
                    mkdir_at(o, &at.path, parents).await.map_err(failed)?;
                    Ok(json!({"path": o.fs.show(&at.path), "created": true}))
                })
            })
            .await
        };
        reply::result(made.await)
    }

    /// Remove a remote file, symbolic link or empty directory (`not_empty` for a directory
    /// with entries: remove those first). Refused on read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn file_remove(&self, Parameters(p): Parameters<FileAt>) -> CallToolResult {
        let removed = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            self.on_fs(at, Some("removing a file"), |o, at| {
                Box::pin(async move {
                    let shown = o.fs.show(&at.path);
                    match o.fs.stat(&at.path).await.map_err(failed)? {
                        None => Err(failed(TransferError::new(
                            ErrorKind::NotFound,
                            &shown,
                            "no such file or directory",
                        ))),
                        Some(e) if e.kind == EntryKind::Dir => {
                            o.fs.remove_dir(&at.path).await.map_err(failed)?;
                            Ok(json!({"path": shown, "removed": "dir"}))
                        }
                        Some(_) => {
                            o.fs.remove_file(&at.path).await.map_err(failed)?;
                            Ok(json!({"path": shown, "removed": "file"}))
                        }
                    }
                })
            })
            .await
        };
        reply::result(removed.await)
    }

    /// Rename or move a remote file or directory to `to` on the same host (or session
    /// target). Fails with `exists` when `to` exists, unless `overwrite` (files only).
    /// Refused on read-only hosts.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        open_world_hint = true
    ))]
    async fn file_move(&self, Parameters(p): Parameters<MoveParams>) -> CallToolResult {
        let moved = async {
            let at = remote(&p.host, p.session_id.as_deref(), &p.path)?;
            let to = remote(&p.host, p.session_id.as_deref(), &p.to)?.path;
            let overwrite = p.overwrite;
            self.on_fs(at, Some("moving a file"), |o, at| {
                Box::pin(async move {
                    o.fs.rename(&at.path, &to, overwrite)
                        .await
                        .map_err(failed)?;
                    Ok(json!({"from": o.fs.show(&at.path), "to": o.fs.show(&to)}))
                })
            })
            .await
        };
        reply::result(moved.await)
    }
}

/// Writes `data` to a new private file `path` with permission bits `mode`.
fn stage(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_text_or_base64() {
        let (e, s, n) = encode(b"hi\n".to_vec(), true);
        assert_eq!((e, s.as_str(), n), (Encoding::Text, "hi\n", 3));
        // A character cut at the end of a chunk is left for the next read.
        let (e, s, n) = encode("aé".as_bytes()[..2].to_vec(), false);
        assert_eq!((e, s.as_str(), n), (Encoding::Text, "a", 1));
        let (e, s, n) = encode(vec![0xff, 0, 1], true);
        assert_eq!((e, s.as_str(), n), (Encoding::Base64, "/wAB", 3));
    }

    #[test]
    fn paths_are_bounded() {
        assert!(remote("h", None, "").is_err());
        assert!(remote("h", None, "a\0b").is_err());
        assert!(remote("h", Some("NOT ID"), "a").is_err());
        assert!(remote("h", Some("ab12"), "a").is_ok());
        assert!(local_path("rel/x").is_err());
        assert!(local_path("/abs/x").is_ok());
    }
}

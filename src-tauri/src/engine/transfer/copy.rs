//! Copying one file between this computer and a [`RemoteFs`], in either direction.
//!
//! * **Streaming, bounded, pipelined.** Downloads move in reads and uploads in writes as large as
//!   the server takes ([`RemoteFs::read_len`], [`RemoteFs::write_len`]: 252 KiB for OpenSSH,
//!   which says 255 KiB through `limits@openssh.com`), at most [`DOWNLOAD_IN_FLIGHT_BYTES`] and
//!   [`UPLOAD_IN_FLIGHT_BYTES`] outstanding (so a round trip is not paid per request).
//!   Either way the memory of a copy is bounded whatever the file's size.
//! * **Never half a file under the final name.** Data goes to [`temp_name`] (`.NAME.outpost-part`
//!   in the destination directory); after the last check its permissions and modification time
//!   are set, then it is renamed over the destination (`posix-rename` on the server,
//!   `rename(2)` here).
//! * **Resume.** With `resume`, a temporary file left by an interrupted copy is kept when its
//!   bytes are the source's first bytes: both sides hash that prefix (`head -c N | sha256sum`
//!   there), and the copy continues after it. Otherwise it starts over.
//! * **No stale writer.** An interrupted upload's server (`sftp-server`, or `cat`) may live on
//!   after the link is cut, with writes still queued for it (in the jump host's `sshd`, the
//!   ControlMaster, the kernel's buffers), and keeps writing into the file it has open long
//!   after a new copy started. So a copy never writes into an inode an earlier attempt had
//!   open: a fresh start removes the old temporary file and creates a new one exclusively; a
//!   resume first moves the old one aside and copies its first N bytes into a new file under the
//!   temporary name ([`fence`]), and hashes that copy, which only this copy writes to.
//! * **Verify.** With `verify`, the SHA-256 of what was sent (hashed while streaming, prefix
//!   included) is compared with `sha256sum` of the written file on the remote side before the
//!   rename; a mismatch removes the temporary file and fails with `checksum_mismatch`.
//! * **Without SFTP** (a server with no `Subsystem sftp`) the data goes through `cat` on an exec
//!   channel, and is always verified.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use futures::stream::{FuturesOrdered, FuturesUnordered, StreamExt};
use russh_sftp::protocol::{FileAttributes, OpenFlags};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::error::{from_io, from_stderr, kind_error, ErrorKind, TransferError};
use super::progress::{Progress, ProgressEvent};
use super::remote::{base_name, join, parent_of, EntryKind, RemoteFs};

/// Bytes per local read when a resumed copy hashes the part already there; the `cat` fallback's
/// loops move four of these at a time.
pub const CHUNK: usize = 64 * 1024;

/// Bytes of read requests outstanding at once in a download: 32 reads of 252 KiB for OpenSSH
/// ([`RemoteFs::read_len`]), 64 of 64 KiB for a server that does not say what it takes.
pub const DOWNLOAD_IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// Bytes of write requests outstanding at once in an upload: 32 writes of 252 KiB for
/// OpenSSH, 128 of 64 KiB for a server that does not say what it takes. Through the jump host
/// the data crosses two windows of 2 MiB (the jump host's `sshd`, then the ControlMaster's
/// channel to the target) and the pipes and sockets between them, so this keeps both full with
/// as much again queued. A copy holds about this much in memory: 16 MiB measured no faster
/// and peaked near 49 MiB RSS.
pub const UPLOAD_IN_FLIGHT_BYTES: usize = 8 * 1024 * 1024;

/// How long a copy waits for any answer to its outstanding requests before it calls the link
/// dead (`disconnected`). The SSH keepalives normally say so within 9 s, but a connection whose
/// loop is stuck (a full send buffer or a full channel on a dead link) sends no keepalive; this
/// bound does not depend on it.
pub const STALL: Duration = Duration::from_secs(20);

/// `fut`, or `disconnected` when it gives no answer within [`STALL`].
async fn or_stalled<T>(
    fut: impl std::future::Future<Output = T>,
    shown: &str,
) -> Result<T, TransferError> {
    tokio::time::timeout(STALL, fut).await.map_err(|_| {
        TransferError::new(
            ErrorKind::Disconnected,
            shown,
            format!(
                "no answer for {} s: the connection is gone; `--resume` continues the copy",
                STALL.as_secs()
            ),
        )
    })
}

/// What a copy may do.
#[derive(Clone, Copy, Debug, Default)]
pub struct CopyOptions {
    /// Compare SHA-256 on both sides before the final rename.
    pub verify: bool,
    /// Continue from a temporary file an interrupted copy left (its prefix checked).
    pub resume: bool,
    /// Fail with `exists` instead of replacing a destination file.
    pub no_clobber: bool,
}

/// What one file's copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileCopied {
    /// Bytes in the file.
    pub bytes: u64,
    /// Bytes kept from an earlier attempt.
    pub resumed: u64,
    /// The SHA-256 both sides agreed on, when verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The temporary name a copy to `path` writes first: `.NAME.outpost-part` beside it.
pub fn temp_name(path: &str) -> String {
    let name = format!(".{}.outpost-part", base_name(path));
    match parent_of(path) {
        Some(dir) => join(dir, &name),
        None => name,
    }
}

/// Permission bits and modification time of a local file.
pub fn local_mode_mtime(meta: &std::fs::Metadata) -> (u32, u64) {
    use std::os::unix::fs::MetadataExt;
    (
        meta.mode() & 0o7777,
        u64::try_from(meta.mtime()).unwrap_or(0),
    )
}

/// Reads until `buf` is full or the file ends; the count read.
async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = file.read(&mut buf[got..]).await?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

/// Hashes the first `len` bytes of `file` (from its current position) into `hasher`; the hex
/// digest of that prefix.
async fn hash_prefix(
    file: &mut tokio::fs::File,
    len: u64,
    hasher: &mut Sha256,
) -> std::io::Result<String> {
    let mut buf = vec![0u8; CHUNK];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        let n = read_full(file, &mut buf[..want]).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(hex(hasher.clone().finalize().as_slice()))
}

/// The first `len` bytes of a local file and of a remote one, which a resume compares.
struct Prefix<'a> {
    local: &'a str,
    remote: &'a str,
    len: u64,
}

/// Where a copy resumes: `p.len` when the local file's first `p.len` bytes (read from `file`'s
/// current position into `hasher`) hash the same as the remote file's, else 0 (and `hasher`
/// starts over).
async fn resume_from(
    fs: &RemoteFs,
    file: &mut tokio::fs::File,
    p: Prefix<'_>,
    hasher: &mut Sha256,
) -> Result<u64, TransferError> {
    if p.len == 0 {
        return Ok(0);
    }
    let mine = hash_prefix(file, p.len, hasher)
        .await
        .map_err(|e| from_io(p.local, &e))?;
    let theirs = fs.sha256(p.remote, Some(p.len)).await?;
    if mine == theirs {
        return Ok(p.len);
    }
    tracing::info!(file = %p.local, "the partial copy differs; starting over");
    *hasher = Sha256::new();
    Ok(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which way a copy goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// From this computer to the remote side.
    Up,
    /// From the remote side to this computer.
    Down,
}

/// One file's copy once its ends, resume point and size are known: what the SFTP and `cat`
/// halves of both directions take, and the progress events they send.
struct Plan<'a> {
    /// Up or down.
    way: Way,
    /// The remote side.
    fs: &'a RemoteFs,
    /// The remote file written (an upload's temporary file) or read (a download's source).
    remote: &'a str,
    /// The local file as errors name it: an upload's source, a download's temporary file.
    local_shown: &'a str,
    /// The source as progress events name it.
    file: String,
    /// Where the data starts: bytes kept from an earlier attempt.
    offset: u64,
    /// The source's size.
    size: u64,
    /// Where the events go.
    progress: &'a Progress,
}

impl Plan<'_> {
    /// Sends the start event, then moves the data between `local` and the remote file (SFTP,
    /// or `cat` without it), hashing it into `hasher`. Returns the bytes in the file.
    async fn copy(
        &self,
        local: &mut tokio::fs::File,
        hasher: &mut Sha256,
    ) -> Result<u64, TransferError> {
        self.start();
        match (self.way, self.fs.has_sftp()) {
            (Way::Up, true) => upload_sftp(self, local, hasher).await,
            (Way::Up, false) => upload_cat(self, local, hasher).await,
            (Way::Down, true) => download_sftp(self, local, hasher).await,
            (Way::Down, false) => download_cat(self, local, hasher).await,
        }
    }

    fn start(&self) {
        (self.progress)(ProgressEvent::Start {
            file: self.file.clone(),
            size: self.size,
            resumed: self.offset,
        });
    }

    fn bytes(&self, done: u64, size: u64) {
        (self.progress)(ProgressEvent::Bytes {
            file: self.file.clone(),
            done,
            size,
        });
    }

    /// Sends the done event; what the copy did.
    fn done(self, bytes: u64, sha256: Option<String>) -> FileCopied {
        (self.progress)(ProgressEvent::Done {
            file: self.file,
            size: bytes,
            sha256: sha256.clone(),
        });
        FileCopied {
            bytes,
            resumed: self.offset,
            sha256,
        }
    }
}

/// `checksum_mismatch` for `shown`: the copy's digest is not the source's; the copy is gone.
fn mismatch(shown: String, copy: &str, source: &str) -> TransferError {
    TransferError::new(
        ErrorKind::ChecksumMismatch,
        shown,
        format!("SHA-256 of the copy is {copy}, of the source {source}; the copy was removed"),
    )
}

/// Uploads local file `local` to `remote` (a file path, not a directory).
pub async fn upload_file(
    fs: &RemoteFs,
    local: &Path,
    remote: &str,
    opts: CopyOptions,
    progress: &Progress,
) -> Result<FileCopied, TransferError> {
    let shown = local.display().to_string();
    let mut file = tokio::fs::File::open(local)
        .await
        .map_err(|e| from_io(&shown, &e))?;
    let meta = file.metadata().await.map_err(|e| from_io(&shown, &e))?;
    if meta.is_dir() {
        return Err(kind_error(ErrorKind::IsADirectory, &shown));
    }
    let size = meta.len();
    match fs.stat(remote).await? {
        Some(e) if e.kind == EntryKind::Dir => {
            return Err(kind_error(ErrorKind::IsADirectory, &fs.show(remote)))
        }
        Some(_) if opts.no_clobber => return Err(kind_error(ErrorKind::Exists, &fs.show(remote))),
        _ => {}
    }
    let tmp = temp_name(remote);
    let mut hasher = Sha256::new();
    let mut offset = 0;
    if opts.resume {
        if let Some(part) = fs.stat(&tmp).await? {
            if part.kind == EntryKind::File
                && part.size > 0
                && part.size <= size
                && fence(fs, &tmp, part.size).await?
            {
                let prefix = Prefix {
                    local: &shown,
                    remote: &tmp,
                    len: part.size,
                };
                offset = resume_from(fs, &mut file, prefix, &mut hasher).await?;
                if offset == 0 {
                    file.seek(std::io::SeekFrom::Start(0))
                        .await
                        .map_err(|e| from_io(&shown, &e))?;
                }
            }
        }
    }
    let plan = Plan {
        way: Way::Up,
        fs,
        remote: &tmp,
        local_shown: &shown,
        file: shown.clone(),
        offset,
        size,
        progress,
    };
    let sent = plan.copy(&mut file, &mut hasher).await?;
    let digest = hex(hasher.finalize().as_slice());
    let mut sha256 = None;
    if opts.verify || !fs.has_sftp() {
        let theirs = fs.sha256(&tmp, None).await?;
        if theirs != digest {
            let _ = remove_remote(fs, &tmp).await;
            return Err(mismatch(fs.show(remote), &theirs, &digest));
        }
        sha256 = Some(digest);
    }
    let (mode, mtime) = local_mode_mtime(&meta);
    set_remote_mode_mtime(fs, &tmp, mode, mtime).await?;
    if fs.has_sftp() {
        fs.rename(&tmp, remote, true).await?;
    } else {
        let mut out = fs.run(&["mv", "-f", "--", &tmp, remote], None).await?;
        if !out.success() {
            out.stderr.truncate(2000);
            return Err(from_stderr(&fs.show(remote), &out.stderr_text()));
        }
    }
    Ok(plan.done(sent, sha256))
}

/// The name [`fence`] moves an interrupted upload's temporary file `tmp` to:
/// `.NAME.outpost-stale` beside it.
fn stale_name(tmp: &str) -> String {
    let name = base_name(tmp);
    let name = name.strip_suffix(".outpost-part").unwrap_or(name);
    let stale = format!("{name}.outpost-stale");
    match parent_of(tmp) {
        Some(dir) => join(dir, &stale),
        None => stale,
    }
}

/// Shuts out the writer of an interrupted upload before it is resumed: moves the temporary
/// file `tmp` aside ([`stale_name`]), copies its first `len` bytes into a new file (mode 0600)
/// under `tmp`, and removes the old name. An old `sftp-server` or `cat` that still has the
/// old file open, with writes queued for it, writes into that unlinked inode only; the resumed
/// copy, its check of the kept prefix, its final hash, mode, time and rename all see a file
/// nobody else writes to. False (with the reason logged) when that could not be done: the copy
/// then starts over, in a new file too.
async fn fence(fs: &RemoteFs, tmp: &str, len: u64) -> Result<bool, TransferError> {
    let stale = stale_name(tmp);
    let len = len.to_string();
    let script =
        "umask 077 && mv -f -- \"$1\" \"$2\" && set -C && head -c \"$3\" -- \"$2\" > \"$1\"; \
                  s=$?; rm -f -- \"$2\"; exit $s";
    let out = fs
        .run(&["sh", "-c", script, "sh", tmp, &stale, &len], None)
        .await?;
    if !out.success() {
        tracing::info!(file = %fs.show(tmp), stderr = %out.stderr_text(), "cannot keep the partial copy; starting over");
        return Ok(false);
    }
    Ok(true)
}

/// Sets a remote file's permission bits and modification (and access) time: SFTP `setstat`,
/// or `chmod` and `touch`.
async fn set_remote_mode_mtime(
    fs: &RemoteFs,
    path: &str,
    mode: u32,
    mtime: u64,
) -> Result<(), TransferError> {
    if fs.has_sftp() {
        return fs.set_mode_mtime(path, mode, mtime).await;
    }
    let mode = format!("{mode:o}");
    let stamp = format!("@{mtime}");
    let out = fs
        .run(
            &[
                "sh",
                "-c",
                "chmod \"$1\" \"$3\" && touch -m -d \"$2\" \"$3\"",
                "sh",
                &mode,
                &stamp,
                path,
            ],
            None,
        )
        .await?;
    if !out.success() {
        return Err(from_stderr(&fs.show(path), &out.stderr_text()));
    }
    Ok(())
}

/// Removes a remote file, through SFTP or `rm`.
async fn remove_remote(fs: &RemoteFs, path: &str) -> Result<(), TransferError> {
    if fs.has_sftp() {
        fs.remove_file(path).await
    } else {
        fs.run(&["rm", "-f", "--", path], None).await.map(drop)
    }
}

/// The SFTP half of [`upload_file`]: pipelined writes into the temporary file from the
/// plan's offset (a fresh start first removes what is there and creates the file anew,
/// exclusively). Returns the file's size.
async fn upload_sftp(
    p: &Plan<'_>,
    file: &mut tokio::fs::File,
    hasher: &mut Sha256,
) -> Result<u64, TransferError> {
    let (fs, shown, tmp, offset, size) = (p.fs, p.local_shown, p.remote, p.offset, p.size);
    let sftp = fs.sftp(tmp)?.clone();
    let mut flags = OpenFlags::WRITE | OpenFlags::CREATE;
    if offset == 0 {
        // A new inode: an earlier attempt's server may still write into the old one.
        match sftp.remove(tmp).await {
            Ok(_) => {}
            Err(russh_sftp::client::error::Error::Status(s))
                if s.status_code == russh_sftp::protocol::StatusCode::NoSuchFile => {}
            Err(e) => return Err(fs.sftp_error(tmp, &e)),
        }
        flags |= OpenFlags::EXCLUDE | OpenFlags::TRUNCATE;
    }
    let attrs = FileAttributes {
        permissions: Some(0o600),
        ..FileAttributes::empty()
    };
    let handle = match sftp.open(tmp, flags, attrs).await {
        Ok(h) => h.handle,
        Err(e) => {
            let err = fs.sftp_error(tmp, &e);
            return Err(fs.refine(tmp, err).await);
        }
    };
    let chunk = fs.write_len();
    let in_flight = (UPLOAD_IN_FLIGHT_BYTES / chunk).max(4);
    let mut inflight = FuturesUnordered::new();
    let mut pos = offset;
    let mut done = offset;
    let mut eof = false;
    let mut last_report = std::time::Instant::now();
    let result: Result<(), TransferError> = loop {
        while !eof && inflight.len() < in_flight {
            let mut buf = vec![0u8; chunk];
            let n = match read_full(file, &mut buf).await {
                Ok(n) => n,
                Err(e) => return Err(from_io(shown, &e)),
            };
            if n == 0 {
                eof = true;
                break;
            }
            buf.truncate(n);
            hasher.update(&buf);
            let s = sftp.clone();
            let h = handle.clone();
            let at = pos;
            pos += n as u64;
            inflight.push(async move { s.write(h, at, buf).await.map(|_| n as u64) });
        }
        let next = match or_stalled(inflight.next(), shown).await {
            Ok(next) => next,
            Err(e) => break Err(e),
        };
        match next {
            None => break Ok(()),
            Some(Ok(n)) => {
                done += n;
                if last_report.elapsed() >= Duration::from_millis(100) || done == size {
                    last_report = std::time::Instant::now();
                    p.bytes(done, size);
                }
            }
            Some(Err(e)) => break Err(fs.sftp_error(tmp, &e)),
        }
    };
    if let Err(mut e) = result {
        drop(inflight);
        let _ = or_stalled(sftp.close(handle), shown).await;
        if e.kind == ErrorKind::Failed && disk_full(fs, tmp).await {
            e.kind = ErrorKind::NoSpace;
            e.message = format!("no space left on the device ({})", e.message);
        }
        return Err(e);
    }
    sftp.close(handle)
        .await
        .map_err(|e| fs.sftp_error(tmp, &e))?;
    Ok(pos)
}

/// Whether the file system holding `path` has no blocks left for the user.
async fn disk_full(fs: &RemoteFs, path: &str) -> bool {
    let Ok(sftp) = fs.sftp(path) else {
        return false;
    };
    match sftp.statvfs(path).await {
        Ok(v) => {
            v.blocks_avail == 0 || v.blocks_avail.saturating_mul(v.fragment_size) < CHUNK as u64 * 2
        }
        Err(_) => false,
    }
}

/// The no-SFTP half of [`upload_file`]: `cat` (appending from the plan's offset) into the
/// temporary file (a fresh start removes what is there and creates it anew, exclusively).
async fn upload_cat(
    p: &Plan<'_>,
    file: &mut tokio::fs::File,
    hasher: &mut Sha256,
) -> Result<u64, TransferError> {
    let (fs, shown, tmp, offset, size) = (p.fs, p.local_shown, p.remote, p.offset, p.size);
    let script = if offset == 0 {
        "umask 077 && rm -f -- \"$1\" && set -C && exec cat > \"$1\""
    } else {
        "exec cat >> \"$1\""
    };
    let mut stream = fs.stream(&["sh", "-c", script, "sh", tmp]).await?;
    let watch = stream.exit_watch();
    let mut buf = vec![0u8; CHUNK * 4];
    let mut done = offset;
    let mut write_failed = None;
    loop {
        let n = read_full(file, &mut buf)
            .await
            .map_err(|e| from_io(shown, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Err(e) = stream.write_all(&buf[..n]).await {
            write_failed = Some(e);
            break;
        }
        done += n as u64;
        p.bytes(done, size);
    }
    let _ = stream.shutdown().await;
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink).await;
    let exit = watch.wait().await;
    if exit.exit_status != Some(0) || write_failed.is_some() {
        let stderr = String::from_utf8_lossy(&watch.stderr()).into_owned();
        let mut e = from_stderr(&fs.show(tmp), &stderr);
        if stderr.trim().is_empty() {
            if let Some(w) = write_failed {
                e = TransferError::new(ErrorKind::Disconnected, fs.show(tmp), w.to_string());
            }
        }
        return Err(e);
    }
    Ok(done)
}

/// Downloads `remote` (a file) to local path `local` (a file path, not a directory).
pub async fn download_file(
    fs: &RemoteFs,
    remote: &str,
    local: &Path,
    opts: CopyOptions,
    progress: &Progress,
) -> Result<FileCopied, TransferError> {
    let shown = fs.show(remote);
    let local_shown = local.display().to_string();
    let entry = fs
        .stat(remote)
        .await?
        .ok_or_else(|| kind_error(ErrorKind::NotFound, &shown))?;
    if entry.kind == EntryKind::Dir {
        return Err(kind_error(ErrorKind::IsADirectory, &shown));
    }
    match std::fs::metadata(local) {
        Ok(m) if m.is_dir() => return Err(kind_error(ErrorKind::IsADirectory, &local_shown)),
        Ok(_) if opts.no_clobber => return Err(kind_error(ErrorKind::Exists, &local_shown)),
        _ => {}
    }
    let size = entry.size;
    let tmp = std::path::PathBuf::from(temp_name(&local.to_string_lossy()));
    let tmp_shown = tmp.display().to_string();
    let mut hasher = Sha256::new();
    let mut offset = 0;
    if opts.resume {
        if let Ok(mut part) = tokio::fs::File::open(&tmp).await {
            let len = part.metadata().await.map(|m| m.len()).unwrap_or(0);
            if len <= size {
                let prefix = Prefix {
                    local: &tmp_shown,
                    remote,
                    len,
                };
                offset = resume_from(fs, &mut part, prefix, &mut hasher).await?;
            }
        }
    }
    let mut out = {
        use std::os::unix::fs::OpenOptionsExt;
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).mode(0o600);
        let f = o.open(&tmp).map_err(|e| from_io(&tmp_shown, &e))?;
        f.set_len(offset).map_err(|e| from_io(&tmp_shown, &e))?;
        tokio::fs::File::from_std(f)
    };
    out.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| from_io(&tmp_shown, &e))?;
    let plan = Plan {
        way: Way::Down,
        fs,
        remote,
        local_shown: &tmp_shown,
        file: shown,
        offset,
        size,
        progress,
    };
    let got = plan.copy(&mut out, &mut hasher).await?;
    out.flush().await.map_err(|e| from_io(&tmp_shown, &e))?;
    out.sync_all().await.map_err(|e| from_io(&tmp_shown, &e))?;
    let out = out.into_std().await;
    let digest = hex(hasher.finalize().as_slice());
    let mut sha256 = None;
    if opts.verify || !fs.has_sftp() {
        let theirs = fs.sha256(remote, None).await?;
        if theirs != digest {
            drop(out);
            let _ = std::fs::remove_file(&tmp);
            return Err(mismatch(local_shown, &digest, &theirs));
        }
        sha256 = Some(digest);
    }
    set_local_mode_mtime(&out, &tmp_shown, entry.mode, entry.mtime)?;
    drop(out);
    if opts.no_clobber && std::fs::symlink_metadata(local).is_ok() {
        return Err(kind_error(ErrorKind::Exists, &local_shown));
    }
    std::fs::rename(&tmp, local).map_err(|e| from_io(&local_shown, &e))?;
    Ok(plan.done(got, sha256))
}

/// Sets an open local file's permission bits and modification (and access) time.
pub fn set_local_mode_mtime(
    file: &std::fs::File,
    shown: &str,
    mode: u32,
    mtime: u64,
) -> Result<(), TransferError> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))
        .map_err(|e| from_io(shown, &e))?;
    let t = UNIX_EPOCH + Duration::from_secs(mtime);
    file.set_times(std::fs::FileTimes::new().set_modified(t).set_accessed(t))
        .map_err(|e| from_io(shown, &e))
}

/// The SFTP half of [`download_file`]: pipelined reads, written in order. Returns the bytes
/// in the file.
async fn download_sftp(
    p: &Plan<'_>,
    out: &mut tokio::fs::File,
    hasher: &mut Sha256,
) -> Result<u64, TransferError> {
    let (fs, remote, tmp_shown, offset, size) = (p.fs, p.remote, p.local_shown, p.offset, p.size);
    let sftp = fs.sftp(remote)?.clone();
    let handle = sftp
        .open(remote, OpenFlags::READ, FileAttributes::empty())
        .await
        .map_err(|e| fs.sftp_error(remote, &e))?
        .handle;
    let chunk = fs.read_len();
    let in_flight = (DOWNLOAD_IN_FLIGHT_BYTES / chunk).clamp(4, 64);
    let mut inflight = FuturesOrdered::new();
    let mut next = offset;
    let mut done = offset;
    let mut last_report = std::time::Instant::now();
    let result: Result<(), TransferError> = 'outer: loop {
        while next < size && inflight.len() < in_flight {
            let len = u32::try_from((size - next).min(chunk as u64)).unwrap_or(chunk as u32);
            let s = sftp.clone();
            let h = handle.clone();
            let at = next;
            next += u64::from(len);
            inflight.push_back(async move { (at, len, s.read(h, at, len).await) });
        }
        let next = match or_stalled(inflight.next(), tmp_shown).await {
            Ok(next) => next,
            Err(e) => break Err(e),
        };
        let Some((at, len, r)) = next else {
            break Ok(());
        };
        let mut data = match r {
            Ok(d) => d.data,
            Err(russh_sftp::client::error::Error::Status(s))
                if s.status_code == russh_sftp::protocol::StatusCode::Eof =>
            {
                // The file shrank since its size was read: it ends here.
                break Ok(());
            }
            Err(e) => break Err(fs.sftp_error(remote, &e)),
        };
        // A short read (allowed by the protocol): read the rest before going on.
        while data.len() < len as usize {
            let got = data.len() as u64;
            let rest = len - got as u32;
            match sftp.read(handle.as_str(), at + got, rest).await {
                Ok(d) if !d.data.is_empty() => data.extend_from_slice(&d.data),
                Ok(_) => break,
                Err(russh_sftp::client::error::Error::Status(s))
                    if s.status_code == russh_sftp::protocol::StatusCode::Eof =>
                {
                    break
                }
                Err(e) => break 'outer Err(fs.sftp_error(remote, &e)),
            }
        }
        hasher.update(&data);
        if let Err(e) = out.write_all(&data).await {
            break Err(from_io(tmp_shown, &e));
        }
        done += data.len() as u64;
        if data.len() < len as usize {
            // Ended early: the file shrank.
            break Ok(());
        }
        if last_report.elapsed() >= Duration::from_millis(100) || done == size {
            last_report = std::time::Instant::now();
            p.bytes(done, size);
        }
    };
    drop(inflight);
    let _ = or_stalled(sftp.close(handle), tmp_shown).await;
    result.map(|()| done)
}

/// The no-SFTP half of [`download_file`]: `cat` (or `tail -c +N` to resume) on an exec channel.
async fn download_cat(
    p: &Plan<'_>,
    out: &mut tokio::fs::File,
    hasher: &mut Sha256,
) -> Result<u64, TransferError> {
    let (fs, remote, tmp_shown, offset, size) = (p.fs, p.remote, p.local_shown, p.offset, p.size);
    let from = format!("+{}", offset + 1);
    let argv: Vec<&str> = if offset == 0 {
        vec!["cat", "--", remote]
    } else {
        vec!["tail", "-c", &from, "--", remote]
    };
    let mut stream = fs.stream(&argv).await?;
    let watch = stream.exit_watch();
    let mut buf = vec![0u8; CHUNK * 4];
    let mut done = offset;
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| {
            TransferError::new(ErrorKind::Disconnected, fs.show(remote), e.to_string())
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .await
            .map_err(|e| from_io(tmp_shown, &e))?;
        done += n as u64;
        p.bytes(done, size.max(done));
    }
    let exit = watch.wait().await;
    if exit.exit_status != Some(0) {
        return Err(from_stderr(
            &fs.show(remote),
            &String::from_utf8_lossy(&watch.stderr()),
        ));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_sit_beside_the_destination() {
        assert_eq!(temp_name("/d/f.txt"), "/d/.f.txt.outpost-part");
        assert_eq!(temp_name("f"), ".f.outpost-part");
        assert_eq!(temp_name("a/b"), "a/.b.outpost-part");
        assert_eq!(
            stale_name(&temp_name("/d/f.txt")),
            "/d/.f.txt.outpost-stale"
        );
        assert_eq!(stale_name(&temp_name("f")), ".f.outpost-stale");
    }
}

//! The file panel's commands: list a directory, make one, rename and remove, on a host
//! (`HOST:`) or on the target of one of its `ssh` sessions (`HOST:SESSION:`); and transfers —
//! local files uploaded into a remote directory, remote files downloaded into a local folder —
//! that run in the background, push their progress as `transfer` events ([`TransferEvent`]) and
//! can be cancelled. Thin over [`crate::engine::transfer`]: one open file system per place,
//! kept while the panel is open ([`FilesState`]); an interrupted or cancelled transfer leaves
//! only the engine's `.NAME.outpost-part`, never a half-written file under the final name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use outpost_protocol::session::valid_session_id;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tokio::task::AbortHandle;

use crate::engine::transfer::copy::CopyOptions;
use crate::engine::transfer::error::kind_error;
use crate::engine::transfer::open::{open, Opened};
use crate::engine::transfer::path::{RemotePath, MAX_ARG_BYTES};
use crate::engine::transfer::progress::{Progress, ProgressEvent};
use crate::engine::transfer::remote::{join, Entry, EntryKind};
use crate::engine::transfer::{tree, ErrorKind, TransferError};
use crate::engine::{EngineError, ErrorReport};
use crate::gui::commands::host_args::FilesAt;
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// The most files one upload or download request names.
pub const MAX_ITEMS: usize = 256;
/// The most entries a listing returns (the rest are counted in [`Listing::omitted`]).
pub const MAX_LISTED: usize = 10_000;
/// How often a running transfer reports its bytes, at most.
const EVENT_EVERY: Duration = Duration::from_millis(150);

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A device, socket or fifo.
    Other,
}

/// One entry of a listed directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FileEntry {
    /// The name (last path component).
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (`0o7777`).
    pub mode: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

impl From<Entry> for FileEntry {
    fn from(e: Entry) -> Self {
        FileEntry {
            name: e.name,
            kind: match e.kind {
                EntryKind::File => FileKind::File,
                EntryKind::Dir => FileKind::Dir,
                EntryKind::Symlink => FileKind::Symlink,
                EntryKind::Other => FileKind::Other,
            },
            size: e.size,
            mode: e.mode,
            mtime: e.mtime,
        }
    }
}

/// A listed directory.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Listing {
    /// The directory, absolute (a relative request is resolved against the login directory).
    pub path: String,
    /// The login directory there.
    pub home: String,
    /// Its entries, sorted by name (at most [`MAX_LISTED`]).
    pub entries: Vec<FileEntry>,
    /// Entries left out past [`MAX_LISTED`].
    pub omitted: u64,
}

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This computer to the remote side.
    Upload,
    /// The remote side to this computer.
    Download,
}

/// A transfer as it starts.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TransferStarted {
    /// Its id, in its events and for [`transfer_cancel`].
    pub id: String,
    /// Which way.
    pub direction: Direction,
    /// What is copied (a local path, or `HOST:path`).
    pub source: String,
    /// Where to (a local folder, or `HOST:dir`).
    pub dest: String,
}

/// Where a transfer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Copying.
    Running,
    /// Every file is in place.
    Done,
    /// Stopped by an error (in [`TransferEvent::error`]).
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

/// A transfer's progress, pushed as the `transfer` event.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TransferEvent {
    /// The transfer.
    pub id: String,
    /// Where it is.
    pub state: TransferState,
    /// The file being copied (the last one, once finished).
    pub file: String,
    /// Bytes of that file in place.
    pub file_done: u64,
    /// Its size.
    pub file_size: u64,
    /// Bytes in place over every file of the transfer.
    pub bytes: u64,
    /// Files complete.
    pub files: u64,
    /// Why it failed (the engine's codes: `not_found`, `permission_denied`, `no_space`, …).
    pub error: Option<ErrorReport>,
}

/// One open place: its file system and login directory.
struct Place {
    opened: Opened,
    home: String,
}

/// A running transfer: how to stop it and what it reported last.
struct Running {
    abort: AbortHandle,
    tally: Arc<Mutex<TransferEvent>>,
}

/// The panel's open file systems and running transfers (managed by the app).
#[derive(Default)]
pub struct FilesState {
    places: Mutex<HashMap<String, Arc<Place>>>,
    transfers: Mutex<HashMap<String, Running>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn invalid(message: impl Into<String>) -> CommandError {
    CommandError::new("invalid", message)
}

/// Checks a path from the window: not empty, bounded, no NUL.
pub(crate) fn checked_path(path: &str) -> CommandResult<()> {
    if path.is_empty() {
        return Err(invalid("empty path"));
    }
    if path.len() > MAX_ARG_BYTES {
        return Err(invalid(format!("path longer than {MAX_ARG_BYTES} bytes")));
    }
    if path.contains('\0') {
        return Err(invalid("paths may not contain NUL"));
    }
    Ok(())
}

/// Checks the paths of one upload or download: 1 to [`MAX_ITEMS`], each a path.
fn checked_items(items: &[String], what: &str) -> CommandResult<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(invalid(format!("name 1 to {MAX_ITEMS} files to {what}")));
    }
    items.iter().try_for_each(|s| checked_path(s))
}

/// The place `host` (and `session`) names, checked.
fn place(host: &str, session: Option<String>) -> CommandResult<RemotePath> {
    if host.is_empty() || host.len() > 255 || host.contains(['\0', ':', '/']) {
        return Err(invalid(format!("{host:?} is not a host name")));
    }
    if let Some(s) = &session {
        if !valid_session_id(s) {
            return Err(invalid(format!("{s:?} is not a session id")));
        }
    }
    Ok(RemotePath {
        host: host.to_string(),
        session,
        path: ".".into(),
    })
}

/// `path` made absolute against `home`.
fn absolute(home: &str, path: &str) -> String {
    match path {
        "." | "~" => home.to_string(),
        p if p.starts_with('/') => p.to_string(),
        p => join(home, p.strip_prefix("~/").unwrap_or(p)),
    }
}

impl FilesState {
    fn next(&self) -> String {
        format!("t{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The open file system of `at`, opened (and its login directory asked) when needed.
    async fn place(&self, at: &RemotePath, app: &AppState) -> CommandResult<Arc<Place>> {
        let key = at.label();
        if let Some(p) = lock(&self.places).get(&key) {
            return Ok(p.clone());
        }
        let opened = open(at, app.hub.context()).await?;
        let home = match opened.fs.run(&["pwd"], None).await {
            Ok(out) if out.exit_status == Some(0) => {
                String::from_utf8_lossy(&out.stdout).trim().to_string()
            }
            Ok(out) => {
                let e = TransferError::new(
                    ErrorKind::Failed,
                    at.label(),
                    format!(
                        "cannot find the login directory: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                );
                opened.close().await;
                return Err(EngineError::from(e).into());
            }
            Err(e) => {
                opened.close().await;
                return Err(EngineError::from(e).into());
            }
        };
        let p = Arc::new(Place { opened, home });
        lock(&self.places).insert(key, p.clone());
        Ok(p)
    }

    /// Forgets `at`'s file system when `e` says its connection is gone, and returns `e`.
    fn settle(&self, at: &RemotePath, e: TransferError) -> CommandError {
        if e.kind == ErrorKind::Disconnected {
            lock(&self.places).remove(&at.label());
        }
        // OpenSSH's server says "Failure" for most things; once refined, the kind's words say more.
        let e = if e.message == "Failure" && e.kind != ErrorKind::Failed {
            kind_error(e.kind, &e.path)
        } else {
            e
        };
        EngineError::from(e).into()
    }
}

impl FilesAt<'_> {
    /// The place the window named, checked and opened.
    async fn open(&self) -> CommandResult<(RemotePath, Arc<Place>)> {
        let at = place(&self.host, self.session.clone())?;
        let p = self.files.place(&at, &self.state).await?;
        Ok((at, p))
    }

    /// The place opened, and `path` (checked) made absolute there.
    async fn open_path(&self, path: &str) -> CommandResult<(RemotePath, Arc<Place>, String)> {
        checked_path(path)?;
        let (at, p) = self.open().await?;
        let path = absolute(&p.home, path);
        Ok((at, p, path))
    }

    /// Forgets the place's file system when `e` says its connection is gone, and returns `e`.
    fn settle(&self, at: &RemotePath, e: TransferError) -> CommandError {
        self.files.settle(at, e)
    }
}

/// Lists directory `path` (relative to the login directory; `.` is it) of `host`, or of the
/// target of its session `session`.
#[tauri::command(rename_all = "snake_case")]
pub async fn files_list(at: FilesAt<'_>, path: String) -> CommandResult<Listing> {
    let (place, p, path) = at.open_path(&path).await?;
    let entries = p
        .opened
        .fs
        .read_dir(&path)
        .await
        .map_err(|e| at.settle(&place, e))?;
    let omitted = entries.len().saturating_sub(MAX_LISTED) as u64;
    Ok(Listing {
        path,
        home: p.home.clone(),
        entries: entries
            .into_iter()
            .take(MAX_LISTED)
            .map(FileEntry::from)
            .collect(),
        omitted,
    })
}

/// Creates directory `path` (mode 0755).
#[tauri::command(rename_all = "snake_case")]
pub async fn files_mkdir(at: FilesAt<'_>, path: String) -> CommandResult<()> {
    let (place, p, path) = at.open_path(&path).await?;
    let fs = &p.opened.fs;
    match fs.mkdir(&path, 0o755).await {
        Ok(()) => Ok(()),
        Err(e) => Err(at.settle(&place, fs.refine(&path, e).await)),
    }
}

/// Renames `from` to `to` on the same side, never replacing what `to` names (`exists`).
#[tauri::command(rename_all = "snake_case")]
pub async fn files_rename(at: FilesAt<'_>, from: String, to: String) -> CommandResult<()> {
    checked_path(&to)?;
    let (place, p, from) = at.open_path(&from).await?;
    let to = absolute(&p.home, &to);
    p.opened
        .fs
        .rename(&from, &to, false)
        .await
        .map_err(|e| at.settle(&place, e))
}

/// Removes `path`: a file, or a directory with everything in it. Returns how many entries
/// were removed.
#[tauri::command(rename_all = "snake_case")]
pub async fn files_remove(at: FilesAt<'_>, path: String) -> CommandResult<u64> {
    let (place, p, path) = at.open_path(&path).await?;
    if path == "/" || path == p.home {
        return Err(invalid(format!(
            "{path} is not removed from the file panel"
        )));
    }
    tree::remove(&p.opened.fs, &path, true)
        .await
        .map_err(|e| at.settle(&place, e))
}

/// Closes the panel's connection to `host` (or to its session's target).
#[tauri::command(rename_all = "snake_case")]
pub async fn files_close(at: FilesAt<'_>) -> CommandResult<()> {
    let place = place(&at.host, at.session.clone())?;
    let gone = lock(&at.files.places).remove(&place.label());
    if let Some(place) = gone.and_then(|p| Arc::try_unwrap(p).ok()) {
        place.opened.close().await;
    }
    Ok(())
}

/// The folder downloads go to unless the user picks another: `~/Downloads`.
#[tauri::command(rename_all = "snake_case")]
pub fn files_downloads_dir() -> CommandResult<String> {
    let home = outpost_openssh::home_dir()
        .ok_or_else(|| CommandError::new("config", "no home directory (HOME is not set)"))?;
    Ok(home.join("Downloads").display().to_string())
}

/// The sink that turns the engine's progress into `transfer` events, at most one per
/// [`EVENT_EVERY`] while bytes flow.
fn progress_sink(app: AppHandle, tally: Arc<Mutex<TransferEvent>>) -> Progress {
    // Bytes of the files already complete, and when bytes were last reported.
    let own: Mutex<(u64, Option<Instant>)> = Mutex::new((0, None));
    Arc::new(move |ev: ProgressEvent| {
        let mut t = lock(&tally);
        let mut own = lock(&own);
        let due = match ev {
            ProgressEvent::Start {
                file,
                size,
                resumed,
            } => {
                t.file = file;
                t.file_size = size;
                t.file_done = resumed;
                true
            }
            ProgressEvent::Bytes { done, size, .. } => {
                t.file_done = done;
                t.file_size = size;
                let due = own.1.is_none_or(|at| at.elapsed() >= EVENT_EVERY);
                if due {
                    own.1 = Some(Instant::now());
                }
                due
            }
            ProgressEvent::Done { size, .. } => {
                t.files += 1;
                own.0 += size;
                t.file_done = size;
                t.file_size = size;
                true
            }
        };
        t.bytes = own.0
            + if t.file_done < t.file_size {
                t.file_done
            } else {
                0
            };
        if due {
            if let Err(e) = app.emit("transfer", t.clone()) {
                tracing::warn!("cannot report a transfer's progress: {e}");
            }
        }
    })
}

/// What one transfer does, given its file system and progress sink.
enum Job {
    Up { src: PathBuf, dir: String },
    Down { src: String, dir: PathBuf },
}

impl FilesState {
    /// Starts `job` on `place`; it reports through `transfer` events and ends by itself.
    fn spawn(
        &self,
        app: &AppHandle,
        at: &RemotePath,
        place: Arc<Place>,
        job: Job,
    ) -> TransferStarted {
        let id = self.next();
        let (direction, source, dest) = match &job {
            Job::Up { src, dir } => (
                Direction::Upload,
                src.display().to_string(),
                place.opened.fs.show(dir),
            ),
            Job::Down { src, dir } => (
                Direction::Download,
                place.opened.fs.show(src),
                dir.display().to_string(),
            ),
        };
        let tally = Arc::new(Mutex::new(TransferEvent {
            id: id.clone(),
            state: TransferState::Running,
            file: source.clone(),
            file_done: 0,
            file_size: 0,
            bytes: 0,
            files: 0,
            error: None,
        }));
        let progress = progress_sink(app.clone(), tally.clone());
        let opts = CopyOptions::default();
        let (app2, tally2, id2, at2) = (app.clone(), tally.clone(), id.clone(), at.clone());
        // Listed before the task can end: it removes itself from the list under this lock.
        let mut running = lock(&self.transfers);
        let task = tokio::spawn(async move {
            let fs = &place.opened.fs;
            let r = match job {
                Job::Up { src, dir } => tree::upload(fs, &src, &dir, true, opts, &progress).await,
                Job::Down { src, dir } => {
                    tree::download(fs, &src, &dir, true, opts, &progress).await
                }
            };
            let files = app2.state::<FilesState>();
            let last = {
                let mut t = lock(&tally2);
                match r {
                    Ok(_) => t.state = TransferState::Done,
                    Err(e) => {
                        t.state = TransferState::Failed;
                        t.error = Some(files.settle(&at2, fs.settle(e)));
                    }
                }
                t.clone()
            };
            // Gone from the list first: a cancel from now on finds nothing to stop.
            lock(&files.transfers).remove(&id2);
            if let Err(e) = app2.emit("transfer", last) {
                tracing::warn!("cannot report a transfer's end: {e}");
            }
        });
        running.insert(
            id.clone(),
            Running {
                abort: task.abort_handle(),
                tally,
            },
        );
        drop(running);
        tracing::info!(transfer = %id, ?direction, %source, %dest, "transfer started");
        TransferStarted {
            id,
            direction,
            source,
            dest,
        }
    }
}

impl FilesAt<'_> {
    /// What uploads and downloads share once their paths are checked: opens the place and
    /// starts one transfer per item of `items` there, its job made by `job` from the place's
    /// login directory and the item.
    async fn start_each(
        &self,
        app: &AppHandle,
        items: Vec<String>,
        job: impl Fn(&str, String) -> Job,
    ) -> CommandResult<Vec<TransferStarted>> {
        let (at, p) = self.open().await?;
        Ok(items
            .into_iter()
            .map(|item| {
                let job = job(p.home.as_str(), item);
                self.files.spawn(app, &at, p.clone(), job)
            })
            .collect())
    }
}

/// Uploads the local files or folders `sources` (absolute paths) into remote directory `dir`;
/// one transfer each.
#[tauri::command(rename_all = "snake_case")]
pub async fn files_upload(
    app: AppHandle,
    at: FilesAt<'_>,
    sources: Vec<String>,
    dir: String,
) -> CommandResult<Vec<TransferStarted>> {
    checked_items(&sources, "upload")?;
    for s in &sources {
        if !Path::new(s).is_absolute() {
            return Err(invalid(format!("{s:?} is not an absolute local path")));
        }
    }
    checked_path(&dir)?;
    let start = at.start_each(&app, sources, |home, src| Job::Up {
        src: src.into(),
        dir: absolute(home, &dir),
    });
    start.await
}

/// Downloads the remote files or directories `paths` into local folder `dir` (created when
/// missing); one transfer each.
#[tauri::command(rename_all = "snake_case")]
pub async fn files_download(
    app: AppHandle,
    at: FilesAt<'_>,
    paths: Vec<String>,
    dir: String,
) -> CommandResult<Vec<TransferStarted>> {
    checked_path(&dir)?;
    let local = PathBuf::from(&dir);
    if !local.is_absolute() {
        return Err(invalid(format!("{dir:?} is not an absolute local folder")));
    }
    checked_items(&paths, "download")?;
    std::fs::create_dir_all(&local)
        .map_err(|e| EngineError::from(crate::engine::transfer::error::from_io(&dir, &e)))?;
    let start = at.start_each(&app, paths, |home, src| Job::Down {
        src: absolute(home, &src),
        dir: local.clone(),
    });
    start.await
}

/// Cancels transfer `id`; false when it had already ended. What it wrote stays under the
/// temporary name only.
#[tauri::command(rename_all = "snake_case")]
pub fn transfer_cancel(
    app: AppHandle,
    files: State<'_, FilesState>,
    id: String,
) -> CommandResult<bool> {
    let Some(r) = lock(&files.transfers).remove(&id) else {
        return Ok(false);
    };
    r.abort.abort();
    let mut last = lock(&r.tally).clone();
    last.state = TransferState::Cancelled;
    tracing::info!(transfer = %id, "transfer cancelled");
    if let Err(e) = app.emit("transfer", last) {
        tracing::warn!("cannot report a cancelled transfer: {e}");
    }
    Ok(true)
}

impl FilesAt<'_> {
    /// Starts downloading remote `path` of the place to the local file `file` itself, not into
    /// a folder: the window's "Download to…", whose save dialog chose the name
    /// ([`crate::gui::commands::files_picker`] checks `file`).
    pub(crate) async fn download_as(
        &self,
        app: &AppHandle,
        path: &str,
        file: PathBuf,
    ) -> CommandResult<TransferStarted> {
        let (at, p, src) = self.open_path(path).await?;
        Ok(self.files.spawn(app, &at, p, Job::Down { src, dir: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_absolute_against_the_login_directory() {
        assert_eq!(absolute("/home/u", "."), "/home/u");
        assert_eq!(absolute("/home/u", "~"), "/home/u");
        assert_eq!(absolute("/home/u", "a/b"), "/home/u/a/b");
        assert_eq!(absolute("/home/u", "~/a"), "/home/u/a");
        assert_eq!(absolute("/home/u", "/etc"), "/etc");
    }

    #[test]
    fn bad_places_and_paths_are_refused() {
        assert_eq!(place("", None).unwrap_err().code, "invalid");
        assert_eq!(place("h:x", None).unwrap_err().code, "invalid");
        assert_eq!(place("h", Some("../x".into())).unwrap_err().code, "invalid");
        assert_eq!(place("h", Some("ab12".into())).unwrap().label(), "h:ab12:");
        assert!(checked_path("").is_err());
        assert!(checked_path("a\0b").is_err());
        assert!(checked_path(&"a".repeat(MAX_ARG_BYTES + 1)).is_err());
        assert!(checked_path("/tmp").is_ok());
    }
}

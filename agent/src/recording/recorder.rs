//! The daemon's recorder: takes output, input and resizes where they happen and hands them to
//! the writer thread ([`super::writer`]) through a bounded queue, so the PTY reader never waits
//! for a disk.
//!
//! Off, each hook costs one atomic load. On, an event is copied into the queue with
//! `try_send`; when the queue is full (or holds [`MAX_QUEUED_BYTES`]) the event is dropped and
//! counted, and the next event that gets through carries the count, which the writer turns into
//! a marker in the file. Output is handed over in the order the ring gets it: the output hook
//! runs under the lock that orders the ring ([`crate::daemon::state::Shared::push_output`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use outpost_protocol::recording::{
    DEFAULT_RECORDINGS_KEPT, DEFAULT_RECORDING_MAX_BYTES, RECORDINGS_KEPT_RANGE,
    RECORDING_MAX_BYTES_RANGE,
};
use outpost_protocol::ErrorCode;
use serde::{Deserialize, Serialize};

use super::writer::{self, CastFile, Limits};
use crate::daemon::frames::DaemonReply;
use crate::daemon::spec::DaemonSpec;

/// The most events waiting for the writer.
pub const QUEUE_EVENTS: usize = 8192;

/// The most bytes waiting for the writer: beyond this, events are dropped and counted.
pub const MAX_QUEUED_BYTES: usize = 8 * 1024 * 1024;

/// What a new daemon is told about recordings (a field of its spec).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSpec {
    /// The recordings directory (0700), `<state>/recordings`.
    pub dir: PathBuf,
    /// Record from the first byte.
    #[serde(default)]
    pub on: bool,
    /// Record input too.
    #[serde(default)]
    pub input: bool,
}

/// Why recording could not start.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The daemon was started without a recordings directory (by an older agent).
    #[error(
        "this session was started by an agent without recordings; start a new session to record"
    )]
    Unconfigured,
    /// A limit is out of range.
    #[error("{0}")]
    Limit(String),
    /// The file or its directory could not be made.
    #[error("cannot start a recording: {0}")]
    Io(String),
}

/// What one event carries.
#[derive(Debug)]
pub(super) enum What {
    /// Output bytes.
    Output(Vec<u8>),
    /// Input bytes.
    Input(Vec<u8>),
    /// A new size.
    Resize(u16, u16),
}

/// One event for the writer.
#[derive(Debug)]
pub(super) struct Event {
    /// Since the recording started.
    pub t: Duration,
    /// What happened.
    pub what: What,
    /// Events (and their bytes) dropped just before this one.
    pub dropped: (u64, u64),
}

impl Event {
    /// The bytes it holds (what it counts in the queue).
    pub(super) fn len(&self) -> usize {
        match &self.what {
            What::Output(d) | What::Input(d) => d.len(),
            What::Resize(..) => 0,
        }
    }
}

/// Who the session is, for file names and headers.
#[derive(Clone, Debug)]
struct Config {
    dir: PathBuf,
    session_id: String,
    term: String,
}

/// A recording in progress.
struct Active {
    tx: SyncSender<Event>,
    start: Instant,
    input: bool,
    dropped: (u64, u64),
    queued: Arc<AtomicUsize>,
    name: Arc<Mutex<String>>,
}

#[derive(Default)]
struct Inner {
    config: Option<Config>,
    cols: u16,
    rows: u16,
    /// The last part number used, shared with the writer that rotates files (names carry it,
    /// so they never repeat within a session).
    parts: Arc<AtomicU32>,
    active: Option<Active>,
}

/// A session's recorder (one per daemon, in its shared state).
#[derive(Default)]
pub struct Recorder {
    on: AtomicBool,
    inner: Mutex<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Recorder {
    /// Sets who the session is, and starts recording when its spec says so. Called once,
    /// before the PTY reader starts; without a record spec (from an older agent) recording
    /// stays unavailable.
    pub fn configure(&self, spec: &DaemonSpec) -> Result<(), RecordError> {
        let Some(record) = &spec.record else {
            return Ok(());
        };
        {
            let mut inner = lock(&self.inner);
            inner.config = Some(Config {
                dir: record.dir.clone(),
                session_id: spec.session_id.clone(),
                // The terminal type the program sees (see `crate::terminal::pty`).
                term: spec
                    .env
                    .get("TERM")
                    .map_or("xterm-256color", String::as_str)
                    .to_string(),
            });
            inner.cols = spec.cols;
            inner.rows = spec.rows;
        }
        if record.on {
            self.start(record.input, None, None)?;
        }
        Ok(())
    }

    /// Starts recording (or, when recording already, changes whether input is recorded);
    /// returns the file being written.
    pub fn start(
        &self,
        input: bool,
        max_bytes: Option<u64>,
        keep: Option<u32>,
    ) -> Result<String, RecordError> {
        let max_bytes = within(
            "max_bytes",
            max_bytes.unwrap_or(DEFAULT_RECORDING_MAX_BYTES),
            &RECORDING_MAX_BYTES_RANGE,
        )?;
        let keep = within(
            "keep",
            keep.unwrap_or(DEFAULT_RECORDINGS_KEPT),
            &RECORDINGS_KEPT_RANGE,
        )?;
        let mut inner = lock(&self.inner);
        if let Some(a) = inner.active.as_mut() {
            a.input = input;
            return Ok(lock(&a.name).clone());
        }
        let config = inner.config.clone().ok_or(RecordError::Unconfigured)?;
        let limits = Limits {
            max_bytes,
            keep: keep as usize,
        };
        let part = inner.parts.fetch_add(1, Ordering::AcqRel) + 1;
        let file = CastFile::create(
            &config.dir,
            &config.session_id,
            part,
            (inner.cols, inner.rows),
            &config.term,
        )
        .map_err(|e| RecordError::Io(e.to_string()))?;
        writer::prune(&config.dir, &config.session_id, limits.keep, &file.name);
        let name = Arc::new(Mutex::new(file.name.clone()));
        let queued = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = sync_channel(QUEUE_EVENTS);
        let job = writer::Job {
            rx,
            file,
            limits,
            queued: queued.clone(),
            name: name.clone(),
            session_id: config.session_id.clone(),
            dir: config.dir.clone(),
            term: config.term.clone(),
            size: (inner.cols, inner.rows),
            parts: inner.parts.clone(),
        };
        let first = lock(&name).clone();
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || job.run())
            .map_err(|e| RecordError::Io(e.to_string()))?;
        tracing::info!(recording = %first, "recording started");
        inner.active = Some(Active {
            tx,
            start: Instant::now(),
            input,
            dropped: (0, 0),
            queued,
            name,
        });
        self.on.store(true, Ordering::Release);
        Ok(first)
    }

    /// Stops recording: the writer writes what is queued and closes the file.
    pub fn stop(&self) {
        let mut inner = lock(&self.inner);
        self.on.store(false, Ordering::Release);
        if let Some(a) = inner.active.take() {
            tracing::info!(recording = %lock(&a.name), "recording stopped");
        }
    }

    /// The file being written, while recording.
    pub fn current(&self) -> Option<String> {
        let inner = lock(&self.inner);
        inner.active.as_ref().map(|a| lock(&a.name).clone())
    }

    /// Output bytes, in the ring's order.
    pub fn output(&self, data: &[u8]) {
        if self.on.load(Ordering::Acquire) {
            self.send(|_| Some(What::Output(data.to_vec())));
        }
    }

    /// Bytes a client typed (recorded only when asked).
    pub fn input(&self, data: &[u8]) {
        if self.on.load(Ordering::Acquire) {
            self.send(|input| input.then(|| What::Input(data.to_vec())));
        }
    }

    /// A new terminal size (kept for the next file's header even when not recording).
    pub fn resize(&self, cols: u16, rows: u16) {
        let mut inner = lock(&self.inner);
        inner.cols = cols;
        inner.rows = rows;
        drop(inner);
        if self.on.load(Ordering::Acquire) {
            self.send(|_| Some(What::Resize(cols, rows)));
        }
    }

    fn send(&self, what: impl FnOnce(bool) -> Option<What>) {
        let mut inner = lock(&self.inner);
        let Some(a) = inner.active.as_mut() else {
            return;
        };
        let Some(what) = what(a.input) else {
            return;
        };
        let ev = Event {
            t: a.start.elapsed(),
            what,
            dropped: a.dropped,
        };
        let len = ev.len();
        if a.queued.load(Ordering::Acquire) + len > MAX_QUEUED_BYTES {
            a.dropped.0 += 1;
            a.dropped.1 += len as u64;
            return;
        }
        a.queued.fetch_add(len, Ordering::AcqRel);
        match a.tx.try_send(ev) {
            Ok(()) => a.dropped = (0, 0),
            Err(TrySendError::Full(_)) => {
                a.queued.fetch_sub(len, Ordering::AcqRel);
                a.dropped.0 += 1;
                a.dropped.1 += len as u64;
            }
            Err(TrySendError::Disconnected(_)) => {
                // The writer gave up (the disk failed); it said why in the log.
                self.on.store(false, Ordering::Release);
                inner.active = None;
            }
        }
    }
}

/// `value` when it lies in `range`, else a [`RecordError::Limit`] naming `what`.
fn within<T: PartialOrd + std::fmt::Display>(
    what: &str,
    value: T,
    range: &std::ops::RangeInclusive<T>,
) -> Result<T, RecordError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(RecordError::Limit(format!(
            "{what} must be {}..={}",
            range.start(),
            range.end()
        )))
    }
}

/// The daemon's answer to a `Record` request.
pub fn reply(
    recorder: &Recorder,
    running: bool,
    on: bool,
    input: bool,
    max_bytes: Option<u64>,
    keep: Option<u32>,
) -> DaemonReply {
    let error = |code: ErrorCode, message: String| DaemonReply::Error {
        code: code.code(),
        message,
    };
    if !on {
        recorder.stop();
        return DaemonReply::Recording { name: None };
    }
    if !running {
        return error(
            ErrorCode::SessionNotRunning,
            "the session has exited".into(),
        );
    }
    match recorder.start(input, max_bytes, keep) {
        Ok(name) => DaemonReply::Recording { name: Some(name) },
        Err(e @ RecordError::Limit(_)) => error(ErrorCode::InvalidParams, e.to_string()),
        Err(e) => error(ErrorCode::InternalError, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn spec(dir: PathBuf) -> DaemonSpec {
        DaemonSpec {
            record: Some(RecordSpec {
                dir,
                on: true,
                input: false,
            }),
            ..DaemonSpec::for_test("rectest")
        }
    }

    /// An event too big for the queue is dropped and counted; the file says so with a marker,
    /// and the character split across the gap becomes U+FFFD rather than broken JSON.
    #[test]
    fn a_dropped_event_is_marked_in_the_file() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("recordings");
        let rec = Recorder::default();
        rec.configure(&spec(dir.clone())).unwrap();
        let name = rec.current().unwrap();
        rec.output(b"a\xc3");
        rec.output(&vec![b'x'; MAX_QUEUED_BYTES + 1]);
        rec.resize(100, 30);
        rec.output(b"\xa9b");
        rec.input(b"not recorded");
        rec.stop();
        assert_eq!(rec.current(), None);
        let file = dir.join(&name);
        let deadline = Instant::now() + Duration::from_secs(10);
        let lines = loop {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<serde_json::Value> = text
                .lines()
                .skip(1)
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if lines.len() >= 5 || Instant::now() > deadline {
                break lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let events: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l[1].as_str().unwrap(), l[2].as_str().unwrap()))
            .collect();
        let marker = format!(
            "outpost: 1 events ({} bytes) not recorded: the disk writer fell behind",
            MAX_QUEUED_BYTES + 1
        );
        assert_eq!(
            events,
            [
                ("o", "a"),
                ("o", "\u{fffd}"),
                ("m", marker.as_str()),
                ("r", "100x30"),
                ("o", "\u{fffd}b"),
            ]
        );
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
    }
}

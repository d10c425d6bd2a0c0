//! The recorder's writer thread: turns queued events into asciicast lines, starts a new file at
//! the size bound and keeps at most a number of files per session.
//!
//! Files are created `O_EXCL | O_NOFOLLOW`, 0600, in the private recordings directory (0700,
//! checked). The buffer is flushed whenever the queue runs empty, so what was recorded is on
//! disk moments later even if the daemon then ends abruptly. When events were dropped (the
//! queue was full), an `"m"` marker says how many before the next event, and an incomplete
//! UTF-8 sequence across the gap is written as U+FFFD.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outpost_protocol::recording::parse_recording_name;
use time::OffsetDateTime;

use super::asciicast::{self, Code, Utf8Carry};
use super::recorder::{Event, What};
use crate::paths::ensure_private_dir;

/// The size bound and how many files to keep.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Start a new file before one would pass this size.
    pub max_bytes: u64,
    /// Keep at most this many files of the session.
    pub keep: usize,
}

/// An open recording file.
pub(super) struct CastFile {
    /// Its name in the recordings directory.
    pub name: String,
    out: BufWriter<File>,
    bytes: u64,
    events: u64,
}

/// `YYYYMMDDTHHMMSSmmmZ` for now, UTC; and the Unix time in seconds.
fn stamp() -> (String, i64) {
    let now = OffsetDateTime::now_utc();
    let s = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    );
    (s, now.unix_timestamp())
}

impl CastFile {
    /// Creates the next file of a session with its header.
    pub fn create(
        dir: &Path,
        session_id: &str,
        part: u32,
        (cols, rows): (u16, u16),
        term: &str,
    ) -> std::io::Result<CastFile> {
        ensure_private_dir(dir).map_err(std::io::Error::other)?;
        let (stamp, unix) = stamp();
        let name = format!("{stamp}-{session_id}-{:04}.cast", part % 10_000);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir.join(&name))?;
        let mut f = CastFile {
            name,
            out: BufWriter::with_capacity(64 * 1024, file),
            bytes: 0,
            events: 0,
        };
        let header = asciicast::header(cols, rows, unix, term);
        f.out.write_all(header.as_bytes())?;
        f.bytes = header.len() as u64;
        Ok(f)
    }
}

/// Removes the session's oldest files so that at most `keep` remain (never `current`).
pub(super) fn prune(dir: &Path, session_id: &str, keep: usize, current: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| parse_recording_name(n).is_some_and(|(_, id, _)| id == session_id))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    for n in names.iter().filter(|n| *n != current).take(excess) {
        match std::fs::remove_file(dir.join(n)) {
            Ok(()) => tracing::info!(recording = %n, "removed an old recording"),
            Err(e) => tracing::warn!(recording = %n, "cannot remove an old recording: {e}"),
        }
    }
}

/// What the writer thread works on.
pub(super) struct Job {
    pub rx: Receiver<Event>,
    pub file: CastFile,
    pub limits: Limits,
    /// Bytes queued; the writer takes off what it receives.
    pub queued: Arc<AtomicUsize>,
    /// The current file's name, for `session.record`'s answer.
    pub name: Arc<Mutex<String>>,
    pub session_id: String,
    pub dir: PathBuf,
    pub term: String,
    /// The terminal size, for the next file's header.
    pub size: (u16, u16),
    /// The last part number used.
    pub parts: Arc<AtomicU32>,
}

impl Job {
    /// Writes until the recorder lets go of the queue (or the disk fails).
    pub fn run(mut self) {
        let mut out = Utf8Carry::default();
        let mut inp = Utf8Carry::default();
        // Times in a file count from its first moment: the recording's start, then each
        // rotation's.
        let mut t0 = Duration::ZERO;
        let mut last = Duration::ZERO;
        loop {
            let ev = match self.rx.try_recv() {
                Ok(ev) => ev,
                Err(TryRecvError::Empty) => {
                    if let Err(e) = self.file.out.flush() {
                        return self.fail(e);
                    }
                    match self.rx.recv() {
                        Ok(ev) => ev,
                        Err(_) => break,
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            self.queued.fetch_sub(ev.len(), Ordering::AcqRel);
            last = ev.t;
            let mut lines = Vec::with_capacity(2);
            if ev.dropped.0 > 0 {
                let gap = out.finish();
                if !gap.is_empty() {
                    lines.push((Code::Output, gap));
                }
                lines.push((
                    Code::Marker,
                    format!(
                        "outpost: {} events ({} bytes) not recorded: the disk writer fell behind",
                        ev.dropped.0, ev.dropped.1
                    ),
                ));
            }
            match ev.what {
                What::Output(d) => lines.push((Code::Output, out.decode(&d))),
                What::Input(d) => lines.push((Code::Input, inp.decode(&d))),
                What::Resize(c, r) => {
                    self.size = (c, r);
                    lines.push((Code::Resize, format!("{c}x{r}")));
                }
            }
            for (code, text) in lines {
                if text.is_empty() {
                    continue;
                }
                if let Err(e) = self.write(&mut t0, ev.t, code, &text) {
                    return self.fail(e);
                }
            }
        }
        let rest = out.finish();
        let r = if rest.is_empty() {
            Ok(())
        } else {
            self.write(&mut t0, last, Code::Output, &rest)
        };
        if let Err(e) = r.and_then(|()| self.file.out.flush()) {
            self.fail(e);
        }
    }

    fn write(
        &mut self,
        t0: &mut Duration,
        t: Duration,
        code: Code,
        text: &str,
    ) -> std::io::Result<()> {
        let mut line = asciicast::event(t.saturating_sub(*t0), code, text);
        if self.file.events > 0 && self.file.bytes + line.len() as u64 > self.limits.max_bytes {
            self.file.out.flush()?;
            let part = self.parts.fetch_add(1, Ordering::AcqRel) + 1;
            let next = CastFile::create(&self.dir, &self.session_id, part, self.size, &self.term)?;
            tracing::info!(recording = %next.name, "recording continues in a new file");
            *self.name.lock().unwrap_or_else(|p| p.into_inner()) = next.name.clone();
            self.file = next;
            prune(
                &self.dir,
                &self.session_id,
                self.limits.keep,
                &self.file.name,
            );
            *t0 = t;
            line = asciicast::event(Duration::ZERO, code, text);
        }
        self.file.out.write_all(line.as_bytes())?;
        self.file.bytes += line.len() as u64;
        self.file.events += 1;
        Ok(())
    }

    fn fail(self, e: std::io::Error) {
        tracing::warn!(recording = %self.file.name, "recording stopped: cannot write: {e}");
    }
}

//! A sampler's history on disk, so charts fill from it after the agent restarts.
//!
//! The agent lives only as long as its client (the window's agent exits with the window), so
//! history kept in memory alone is empty after every restart of the app. Each sampler appends
//! its samples, one JSON line each, to `<state>/monitor/<target>-<interval>.jsonl` (0600, in a
//! private directory) and a new sampler for the same target and interval starts from the lines
//! of the last [`HISTORY_MS`]. The file is rewritten (atomically, newest lines kept) when it
//! holds twice a window of lines; files nobody has written for longer than a window are
//! removed, and a session's file goes with the session.
//!
//! What is read back is checked like any input: lines over the protocol's line limit, lines that
//! do not parse, samples outside the window or beyond the protocol's list bounds are skipped, and
//! at most one sample per half interval is kept (two agents of one user may sample the same
//! target at once).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use outpost_protocol::monitor::{MonitorTarget, Sample, HISTORY_MS, MAX_CORES, MAX_DISKS, MAX_TOP};
use outpost_protocol::MAX_LINE_BYTES;

use crate::paths::{ensure_private_dir, write_atomic, Paths};

/// The most bytes of a journal file read back.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// How far in the future a sample's time may be and still be believed.
const CLOCK_SLACK_MS: u64 = 60_000;

/// One sampler's file.
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    /// Lines in the file (as far as this journal knows).
    lines: usize,
    /// Samples one window holds.
    capacity: usize,
    interval_ms: u64,
}

/// The file name of a target's journal.
fn file_name(target: &MonitorTarget, interval_ms: u64) -> String {
    match target {
        MonitorTarget::Agent => format!("agent-{interval_ms}.jsonl"),
        // Session ids are checked (`valid_session_id`: lowercase hex) before a sampler exists.
        MonitorTarget::Session { session_id } => format!("{session_id}-{interval_ms}.jsonl"),
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// True when a sample read back stays within what the agent itself ever sends.
fn within_bounds(s: &Sample) -> bool {
    s.cpu.per_core.len() <= MAX_CORES && s.disks.len() <= MAX_DISKS && s.top.len() <= MAX_TOP
}

impl Journal {
    /// The journal of `target` at `interval_ms` under `paths`' state directory; `None` (logged)
    /// when its directory cannot be made private. Removes journals older than a window.
    pub fn open(paths: &Paths, target: &MonitorTarget, interval_ms: u64) -> Option<Journal> {
        let dir = paths.monitor_history();
        if let Err(e) = ensure_private_dir(&dir) {
            tracing::warn!("monitoring history is not kept on disk: {e}");
            return None;
        }
        remove_stale(&dir, Duration::from_millis(HISTORY_MS));
        Some(Journal {
            path: dir.join(file_name(target, interval_ms)),
            file: None,
            lines: 0,
            capacity: usize::try_from(HISTORY_MS / interval_ms.max(1)).unwrap_or(usize::MAX),
            interval_ms,
        })
    }

    /// The samples of the last window before `now_ms`, oldest first, at most one window's worth.
    pub fn load(&mut self, now_ms: u64) -> VecDeque<Sample> {
        let (samples, lines) = read(&self.path, now_ms, self.interval_ms);
        self.lines = lines;
        let mut samples: VecDeque<Sample> = samples.into();
        while samples.len() > self.capacity {
            samples.pop_front();
        }
        samples
    }

    /// Appends one sample; rewrites the file with the last window when it has grown to twice
    /// that. Failures are logged: the history on disk is a convenience.
    pub fn append(&mut self, sample: &Sample) {
        if let Err(e) = self.try_append(sample) {
            tracing::debug!("monitoring history {}: {e}", self.path.display());
            self.file = None;
        }
    }

    fn try_append(&mut self, sample: &Sample) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(sample)?;
        if line.len() >= MAX_LINE_BYTES {
            return Ok(());
        }
        line.push(b'\n');
        if self.lines >= self.capacity.saturating_mul(2) {
            self.compact(sample.at)?;
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(open_append(&self.path)?),
        };
        // One write per line: with O_APPEND another agent's lines never land inside it.
        file.write_all(&line)?;
        self.lines += 1;
        Ok(())
    }

    /// Rewrites the file with the samples of the last window.
    fn compact(&mut self, now_ms: u64) -> std::io::Result<()> {
        let (samples, _) = read(&self.path, now_ms, self.interval_ms);
        let start = samples.len().saturating_sub(self.capacity);
        let mut text = Vec::new();
        for s in &samples[start..] {
            serde_json::to_writer(&mut text, s)?;
            text.push(b'\n');
        }
        write_atomic(&self.path, &text).map_err(std::io::Error::other)?;
        self.file = None;
        self.lines = samples.len() - start;
        Ok(())
    }

    /// Removes the file (the session is gone).
    pub fn remove(&mut self) {
        self.file = None;
        if let Err(e) = fs::remove_file(&self.path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::debug!("removing {}: {e}", self.path.display());
            }
        }
    }
}

/// The checked samples of a journal file within the window before `now_ms`, oldest first, and
/// how many lines the file had.
fn read(path: &Path, now_ms: u64, interval_ms: u64) -> (Vec<Sample>, usize) {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(_) => return (Vec::new(), 0),
    };
    let from = now_ms.saturating_sub(HISTORY_MS);
    let until = now_ms.saturating_add(CLOCK_SLACK_MS);
    let mut reader = BufReader::new(file.take(MAX_FILE_BYTES));
    let mut samples = Vec::new();
    let mut lines = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // A line longer than the limit is read no further than the limit plus one byte.
        match (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() != Some(&b'\n') {
            // Over-long: skip the rest of it. A partial last line (a crash mid-write) ends here.
            if buf.len() <= MAX_LINE_BYTES {
                break;
            }
            let mut rest = Vec::new();
            if reader.read_until(b'\n', &mut rest).is_err() {
                break;
            }
            lines += 1;
            continue;
        }
        lines += 1;
        if let Ok(s) = serde_json::from_slice::<Sample>(&buf) {
            if (from..=until).contains(&s.at) && within_bounds(&s) {
                samples.push(s);
            }
        }
    }
    samples.sort_by_key(|s| s.at);
    // At most one sample per half interval: two samplers of one target interleave otherwise.
    let gap = interval_ms / 2;
    let mut kept: Vec<Sample> = Vec::with_capacity(samples.len());
    for s in samples {
        if kept.last().is_none_or(|l| s.at >= l.at + gap.max(1)) {
            kept.push(s);
        }
    }
    (kept, lines)
}

/// Removes the journals in `dir` not written for longer than `age`.
fn remove_stale(dir: &Path, age: Duration) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|d| d > age));
        if old {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_protocol::monitor::CpuSample;

    fn sample(at: u64, cpu: f64) -> Sample {
        Sample {
            at,
            hostname: "h".into(),
            cpu: CpuSample {
                percent: cpu,
                per_core: vec![cpu],
            },
            ..Default::default()
        }
    }

    fn paths(t: &tempfile::TempDir) -> Paths {
        let p = Paths::new(&t.path().join("run"), &t.path().join("state"), 0);
        p.ensure().unwrap();
        ensure_private_dir(&p.monitor_history()).unwrap();
        p
    }

    #[test]
    fn a_new_journal_reads_what_an_earlier_one_wrote() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let now = 1_000_000_000;
        let mut j = Journal::open(&p, &MonitorTarget::Agent, 2000).unwrap();
        assert!(j.load(now).is_empty());
        for i in 0..5 {
            j.append(&sample(now + i * 2000, i as f64));
        }
        drop(j);
        let mut again = Journal::open(&p, &MonitorTarget::Agent, 2000).unwrap();
        let got: Vec<(u64, f64)> = again
            .load(now + 10_000)
            .iter()
            .map(|s| (s.at, s.cpu.percent))
            .collect();
        assert_eq!(
            got,
            (0..5)
                .map(|i| (now + i * 2000, i as f64))
                .collect::<Vec<_>>()
        );
        // Another interval or target has its own file.
        let mut other = Journal::open(&p, &MonitorTarget::Agent, 1000).unwrap();
        assert!(other.load(now + 10_000).is_empty());
        let meta = fs::metadata(p.monitor_history().join("agent-2000.jsonl")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn old_samples_bad_lines_and_duplicates_are_skipped_and_the_file_stays_bounded() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let now = 5_000_000_000;
        let path = p.monitor_history().join("agent-2000.jsonl");
        let mut text = Vec::new();
        for s in [sample(now - HISTORY_MS - 1, 1.0), sample(now - 4000, 2.0)] {
            serde_json::to_writer(&mut text, &s).unwrap();
            text.push(b'\n');
        }
        text.extend_from_slice(b"not json\n");
        text.extend(vec![b'x'; MAX_LINE_BYTES + 10]);
        text.push(b'\n');
        // Another agent's sample 500 ms later: closer than half the interval.
        serde_json::to_writer(&mut text, &sample(now - 3500, 9.0)).unwrap();
        text.push(b'\n');
        serde_json::to_writer(&mut text, &sample(now - 2000, 3.0)).unwrap();
        text.push(b'\n');
        text.extend_from_slice(b"{\"at\":"); // a line cut by a crash
        fs::write(&path, &text).unwrap();
        let mut j = Journal::open(&p, &MonitorTarget::Agent, 2000).unwrap();
        let got: Vec<f64> = j.load(now).iter().map(|s| s.cpu.percent).collect();
        assert_eq!(got, vec![2.0, 3.0]);

        // Appending far more than a window keeps the file within two windows' lines.
        let capacity = (HISTORY_MS / 2000) as usize;
        for i in 0..(capacity as u64 * 5) {
            j.append(&sample(now + i * 2000, 0.0));
        }
        let lines = fs::read(&path).unwrap().split(|b| *b == b'\n').count() - 1;
        assert!(lines <= capacity * 2 + 1, "{lines} lines");
        let last = now + (capacity as u64 * 5 - 1) * 2000;
        let loaded = j.load(last);
        assert_eq!(loaded.len(), capacity);
        assert_eq!(loaded.back().map(|s| s.at), Some(last));
    }

    #[test]
    fn removing_a_sessions_journal() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let target = MonitorTarget::Session {
            session_id: "0123456789abcdef0123456789abcdef".into(),
        };
        let mut j = Journal::open(&p, &target, 2000).unwrap();
        j.append(&sample(10, 1.0));
        let path = p
            .monitor_history()
            .join("0123456789abcdef0123456789abcdef-2000.jsonl");
        assert!(path.exists());
        j.remove();
        assert!(!path.exists());
    }

    #[test]
    fn a_symlinked_journal_is_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let p = paths(&t);
        let elsewhere = t.path().join("elsewhere");
        fs::write(&elsewhere, b"").unwrap();
        std::os::unix::fs::symlink(&elsewhere, p.monitor_history().join("agent-2000.jsonl"))
            .unwrap();
        let mut j = Journal::open(&p, &MonitorTarget::Agent, 2000).unwrap();
        j.append(&sample(10, 1.0));
        assert_eq!(fs::read(&elsewhere).unwrap(), b"");
    }
}

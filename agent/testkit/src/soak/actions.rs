//! The soak's operations on sessions, each one protocol call (or a few) followed by the checks
//! that call allows: create, burst, detach, attach (from the frontier, from an earlier offset,
//! or from whatever is held), read, resize, make the program exit, and close.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use outpost_protocol::method;
use outpost_protocol::session::{
    AttachParams, CreateParams, InputParams, ReadParams, ResizeParams, SessionKind, SessionRef,
    SessionState, ShellSpec,
};
use outpost_protocol::Base64Bytes;

use super::book::Tracked;
use super::expected::{EXIT_CODE, PROGRAM, READY};
use super::procs;
use super::runner::Runner;
use crate::process::ProcessId;

/// Ring sizes a session may get (64 KiB is the protocol's minimum; 2 MiB its default).
const RINGS: [u64; 3] = [64 * 1024, 256 * 1024, 2 * 1024 * 1024];

/// The anchors' ring: small enough that their warm-up burst fills it, so their daemons' memory
/// is at its steady state before sampling starts.
pub(crate) const ANCHOR_RING: u64 = 256 * 1024;

/// Lines of the anchors' warm-up burst: more than [`ANCHOR_RING`] bytes.
pub(crate) const WARM_UP_LINES: u64 = 45_000;

/// How long output may take to arrive completely (a burst of 60 000 lines, slow machines).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a closed session's processes may take to disappear.
const GONE_TIMEOUT: Duration = Duration::from_secs(15);

impl Runner {
    fn session_file(&self, dir: &str, id: &str, ext: &str) -> PathBuf {
        self.home.join(dir).join(format!("{id}.{ext}"))
    }

    /// Creates a session (an anchor when `anchor`); attaches it at once with probability 0.6
    /// (anchors always).
    pub(crate) fn create(&mut self, anchor: bool) -> Result<String> {
        let ring = if anchor {
            ANCHOR_RING
        } else {
            RINGS[self.rng.usize(..RINGS.len())]
        };
        let params = CreateParams {
            kind: SessionKind::Shell,
            cols: self.rng.u16(40..=200),
            rows: self.rng.u16(10..=60),
            title: Some(format!("soak-{}", self.book.counters.created + 1)),
            cwd: None,
            env: Default::default(),
            scrollback_bytes: Some(ring),
            shell: Some(ShellSpec {
                program: Some("/bin/sh".into()),
                args: vec!["-c".into(), PROGRAM.into()],
            }),
            ssh: None,
            reconnect: None,
            record: false,
            record_input: false,
            max_stall_ms: None,
        };
        let info = self.call::<method::SessionCreate>(params)?.session;
        let id = info.session_id.clone();
        if info.state != SessionState::Running
            || info.scrollback_bytes != ring
            || info.output_start != 0
        {
            self.book
                .fail(format!("a new session looks wrong: {info:?}"));
        }
        let mut t = Tracked::new(id.clone(), anchor, ring);
        t.child = ProcessId::of(info.pid);
        let record = self.session_file("state/sessions", &id, "json");
        let daemon_pid = std::fs::read(&record)
            .ok()
            .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
            .and_then(|v| v["daemon_pid"].as_u64())
            .and_then(|p| u32::try_from(p).ok());
        match daemon_pid {
            Some(pid) => t.daemon = ProcessId::of(pid),
            None => self.book.fail(format!(
                "no daemon_pid in {} after session.create",
                record.display()
            )),
        }
        self.ever
            .extend(t.daemon.iter().chain(t.child.iter()).copied());
        self.book.sessions.insert(id.clone(), t);
        let c = &mut self.book.counters;
        c.created += 1;
        c.max_alive = c.max_alive.max(self.book.sessions.len());
        if anchor || self.rng.f64() < 0.6 {
            self.attach(&id, Some(0))?;
        }
        Ok(id)
    }

    /// Attaches `id` from `from`, checking the result.
    pub(crate) fn attach(&mut self, id: &str, from: Option<u64>) -> Result<()> {
        let r = self.call::<method::SessionAttach>(AttachParams {
            session_id: id.to_string(),
            from_offset: from,
            restore: Default::default(),
            max_stall_ms: None,
        })?;
        self.book.on_attached(id, from, &r);
        Ok(())
    }

    /// Reattaches a detached session: from the frontier (mostly), from an earlier offset (a
    /// deliberate replay, possibly older than the ring), or with no offset (all held output).
    pub(crate) fn reattach(&mut self, id: &str) -> Result<()> {
        let Some(s) = self.book.sessions.get(id) else {
            return Ok(());
        };
        let from = match self.rng.u32(0..10) {
            0..=6 => Some(s.frontier),
            7 | 8 => {
                let back = self.rng.u64(0..=s.scrollback + s.scrollback / 4);
                Some(s.frontier.saturating_sub(back))
            }
            _ => None,
        };
        self.attach(id, from)
    }

    /// Stops `id`'s stream.
    pub(crate) fn detach(&mut self, id: &str) -> Result<()> {
        self.call::<method::SessionDetach>(SessionRef {
            session_id: id.to_string(),
        })?;
        self.book.counters.detaches += 1;
        if let Some(s) = self.book.sessions.get_mut(id) {
            s.stream = None;
        }
        Ok(())
    }

    /// Whether `id` printed `ready` (echo is off): known from its stream, or read.
    fn ensure_ready(&mut self, id: &str) -> Result<bool> {
        match self.book.sessions.get(id) {
            Some(s) if s.ready => return Ok(true),
            Some(_) => {}
            None => return Ok(false),
        }
        let r = self.call::<method::SessionRead>(ReadParams {
            session_id: id.to_string(),
            from_offset: 0,
            max_bytes: READY.len() as u64,
        })?;
        let ready = r.offset == 0 && r.data.0 == READY;
        if !ready && !READY.starts_with(&r.data.0) {
            self.book.fail(format!(
                "{id} began its output with {:?}",
                String::from_utf8_lossy(&r.data.0)
            ));
        }
        if let Some(s) = self.book.sessions.get_mut(id) {
            s.ready |= ready;
        }
        Ok(ready)
    }

    fn input(&mut self, id: &str, data: &[u8]) -> Result<()> {
        self.call::<method::SessionInput>(InputParams {
            session_id: id.to_string(),
            data: Base64Bytes(data.to_vec()),
        })?;
        Ok(())
    }

    /// Asks `id` for `lines` more lines (when it is ready).
    pub(crate) fn burst(&mut self, id: &str, lines: u64) -> Result<()> {
        if !self.ensure_ready(id)? {
            return Ok(());
        }
        // Booked before it is sent: the output may arrive before the call's answer.
        if let Some(s) = self.book.sessions.get_mut(id) {
            s.expected.push_burst(lines);
        }
        self.input(id, format!("{lines}\r").as_bytes())?;
        let c = &mut self.book.counters;
        c.bursts += 1;
        c.lines += lines;
        Ok(())
    }

    /// A random burst size: mostly small, sometimes thousands of lines, rarely tens of thousands.
    pub(crate) fn burst_size(&mut self) -> u64 {
        match self.rng.u32(0..100) {
            0..=84 => self.rng.u64(1..=300),
            85..=97 => self.rng.u64(300..=5_000),
            _ => self.rng.u64(5_000..=60_000),
        }
    }

    /// Reads a random range of `id`'s held output and compares it with the expected stream.
    pub(crate) fn read_check(&mut self, id: &str) -> Result<()> {
        let Some(s) = self.book.sessions.get(id) else {
            return Ok(());
        };
        let (frontier, ring, expected_len) = (s.frontier, s.scrollback, s.expected.len());
        let from = frontier.saturating_sub(self.rng.u64(0..=ring + ring / 4));
        let max = self.rng.u64(1..=65_536);
        let r = self.call::<method::SessionRead>(ReadParams {
            session_id: id.to_string(),
            from_offset: from,
            max_bytes: max,
        })?;
        let data = &r.data.0;
        let c = &mut self.book.counters;
        c.reads += 1;
        c.read_bytes += data.len() as u64;
        let mut problems = Vec::new();
        if r.offset < from || r.output_end < frontier || r.output_end > expected_len {
            problems.push(format!(
                "{id}: read from {from} answered offset {} output_end {} (received up to {frontier}, asked for {expected_len})",
                r.offset, r.output_end
            ));
        } else {
            let want = max.min(r.output_end - r.offset);
            if data.len() as u64 != want {
                problems.push(format!(
                    "{id}: read {max} bytes at {} gave {}, expected {want}",
                    r.offset,
                    data.len()
                ));
            }
            if r.offset > from && r.output_end - r.offset != r.output_end.min(ring) {
                problems.push(format!(
                    "{id}: read from {from} started at {} although the ring ({ring} bytes) should hold from {}",
                    r.offset,
                    r.output_end.saturating_sub(ring)
                ));
            }
            let s = &self.book.sessions[id];
            if let Some(m) = s.expected.mismatch(r.offset, data) {
                problems.push(format!("{id}: session.read returned wrong bytes: {m}"));
            }
        }
        for p in problems {
            self.book.fail(p);
        }
        Ok(())
    }

    /// Checks the skips seen in streams: the ring must no longer have held the skipped bytes.
    pub(crate) fn check_skips(&mut self) -> Result<()> {
        for (id, offset) in std::mem::take(&mut self.book.skip_checks) {
            if !self.book.sessions.contains_key(&id) {
                continue;
            }
            let r = self.call::<method::SessionRead>(ReadParams {
                session_id: id.clone(),
                from_offset: offset,
                max_bytes: 1,
            })?;
            if r.offset == offset && offset < r.output_end {
                self.book.fail(format!(
                    "{id}: the stream skipped from {offset} although the ring still holds it"
                ));
            }
        }
        Ok(())
    }

    /// A new random terminal size for `id`.
    pub(crate) fn resize(&mut self, id: &str) -> Result<()> {
        let (cols, rows) = (self.rng.u16(20..=300), self.rng.u16(5..=100));
        self.call::<method::SessionResize>(ResizeParams {
            session_id: id.to_string(),
            cols,
            rows,
        })?;
        self.book.counters.resizes += 1;
        Ok(())
    }

    /// Makes `id`'s program exit (input `x`), waits until the session shows it, then closes it.
    pub(crate) fn exit_and_close(&mut self, id: &str) -> Result<()> {
        if !self.ensure_ready(id)? {
            return Ok(());
        }
        if let Some(s) = self.book.sessions.get_mut(id) {
            s.exit_requested = true;
        }
        self.input(id, b"x\r")?;
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        loop {
            let attached = self.book.sessions[id].stream.is_some();
            if attached && self.book.sessions[id].exit.is_some() {
                break;
            }
            let info = self
                .list()?
                .into_iter()
                .find(|s| s.session_id == id)
                .with_context(|| format!("{id} vanished after its program exited"))?;
            if info.state == SessionState::Exited {
                if info.exit_code != Some(EXIT_CODE) {
                    self.book
                        .fail(format!("{id} exited with {info:?}, not {EXIT_CODE}"));
                }
                if !attached {
                    break;
                }
            }
            if Instant::now() >= deadline {
                bail!("{id} did not exit within {DRAIN_TIMEOUT:?} of `x`");
            }
            self.pump(Duration::from_millis(50));
        }
        self.book.counters.exited += 1;
        self.close(id)
    }

    /// Receives all of `id`'s asked-for output (attaching from the frontier if needed), then
    /// closes it and checks that its daemon, program, socket, record and log are gone.
    pub(crate) fn close(&mut self, id: &str) -> Result<()> {
        if self
            .book
            .sessions
            .get(id)
            .is_some_and(|s| s.stream.is_none())
        {
            let from = self.book.sessions[id].frontier;
            self.attach(id, Some(from))?;
        }
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        while !self.book.sessions[id].drained() {
            if Instant::now() >= deadline {
                let s = &self.book.sessions[id];
                bail!(
                    "{id}: output stopped at {:?} (frontier {}) of {} bytes asked for",
                    s.stream,
                    s.frontier,
                    s.expected.len()
                );
            }
            self.pump(Duration::from_millis(50));
        }
        let log = self.session_file("state/logs", id, "log");
        if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("panicked")) {
            self.book.fail(format!(
                "{id}'s daemon log reports a panic: {}",
                log.display()
            ));
        }
        if let Some(s) = self.book.sessions.get_mut(id) {
            s.closing = true;
        }
        self.call::<method::SessionClose>(SessionRef {
            session_id: id.to_string(),
        })?;
        let Some(s) = self.book.sessions.remove(id) else {
            return Ok(());
        };
        self.book.counters.closed += 1;
        for (dir, ext) in [
            ("state/sessions", "json"),
            ("state/logs", "log"),
            ("run/d1", "sock"),
        ] {
            let path = self.session_file(dir, id, ext);
            if path.exists() {
                self.book
                    .fail(format!("{} is left after closing {id}", path.display()));
            }
        }
        let procs: Vec<ProcessId> = s.daemon.iter().chain(s.child.iter()).copied().collect();
        let deadline = Instant::now() + GONE_TIMEOUT;
        while procs.iter().any(ProcessId::exists) && Instant::now() < deadline {
            self.reap();
            std::thread::sleep(Duration::from_millis(20));
        }
        for p in procs.iter().filter(|p| p.exists()) {
            self.book.fail(format!(
                "process {} of {id} still exists {GONE_TIMEOUT:?} after session.close",
                p.pid
            ));
            procs::kill9(p.pid);
        }
        Ok(())
    }
}

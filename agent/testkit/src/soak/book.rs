//! The soak's book-keeping: what each session was asked to print ([`Expected`]), where its
//! current output stream stands, what was received, replayed or lost, the counters of the run
//! and every failure found.
//!
//! Every `session.output` byte is compared with the expected stream at its offset. Within one
//! attachment offsets must continue exactly; a jump forward (the daemon skipped a slow client)
//! is allowed only when the ring no longer holds the skipped bytes, which the runner checks
//! right after ([`Book::skip_checks`]). A reattach must start exactly at
//! `clamp(from_offset, output_start, output_end)`, be `truncated` exactly when bytes were
//! overwritten, and the ring must hold `min(output_end, scrollback)` bytes. Each session keeps
//! a *frontier*: every byte before it was received or is counted as lost (with its reason).

use std::collections::BTreeMap;

use outpost_protocol::session::{AttachResult, ExitParams, OutputParams};

use super::agent::Note;
use super::expected::Expected;
use crate::process::ProcessId;

/// The most failure messages kept (all are counted).
const MAX_FAILURES_KEPT: usize = 100;

/// One session's output stream on the current agent.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    /// The offset the next notification must start at.
    pub next: u64,
}

/// One live session of the soak.
#[derive(Debug)]
pub struct Tracked {
    /// The session id.
    pub id: String,
    /// Kept from start to end (its daemon's memory is sampled).
    pub anchor: bool,
    /// What it was asked to print.
    pub expected: Expected,
    /// `ready` was seen: echo is off, input may be sent.
    pub ready: bool,
    /// The ring's capacity.
    pub scrollback: u64,
    /// The attachment on the current agent, if any.
    pub stream: Option<Stream>,
    /// Every byte before this offset was received or counted as lost.
    pub frontier: u64,
    /// The session's daemon, from its record.
    pub daemon: Option<ProcessId>,
    /// The session's program.
    pub child: Option<ProcessId>,
    /// `x` was typed: the program is ending.
    pub exit_requested: bool,
    /// `session.close` was sent: a `session.exit` (SIGHUP) may come first.
    pub closing: bool,
    /// The `session.exit` notification, once received.
    pub exit: Option<ExitParams>,
}

impl Tracked {
    /// A session just created.
    pub fn new(id: String, anchor: bool, scrollback: u64) -> Tracked {
        Tracked {
            id,
            anchor,
            expected: Expected::new(),
            ready: false,
            scrollback,
            stream: None,
            frontier: 0,
            daemon: None,
            child: None,
            exit_requested: false,
            closing: false,
            exit: None,
        }
    }

    /// All asked-for output has been received (or counted as lost).
    pub fn drained(&self) -> bool {
        self.frontier == self.expected.len()
            && self.stream.is_some_and(|s| s.next == self.expected.len())
    }
}

/// What happened during the run.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Sessions created (anchors included).
    pub created: u64,
    /// Sessions closed.
    pub closed: u64,
    /// Sessions whose program was made to exit (`x`) before closing.
    pub exited: u64,
    /// The most sessions alive at once.
    pub max_alive: usize,
    /// Bursts of output asked for.
    pub bursts: u64,
    /// Lines asked for.
    pub lines: u64,
    /// `session.output` notifications received.
    pub notifications: u64,
    /// Bytes received for the first time (each checked against the expected stream).
    pub bytes_new: u64,
    /// Bytes received again, by attaching from an earlier offset (checked too).
    pub bytes_replayed: u64,
    /// Bytes lost because the ring overwrote them while no client was attached.
    pub bytes_lost_truncated: u64,
    /// Bytes lost because the daemon skipped a slow client.
    pub bytes_lost_skipped: u64,
    /// `session.attach` calls.
    pub attaches: u64,
    /// Attaches from an offset older than the frontier (deliberate replays).
    pub replays: u64,
    /// Attaches that reported `truncated`.
    pub truncated_attaches: u64,
    /// `session.detach` calls.
    pub detaches: u64,
    /// `session.read` checks, and the bytes they compared.
    pub reads: u64,
    /// Bytes compared by `session.read` checks.
    pub read_bytes: u64,
    /// `session.resize` calls.
    pub resizes: u64,
    /// `session.list` comparisons.
    pub list_checks: u64,
    /// Agents started.
    pub agent_starts: u64,
    /// Agents killed with SIGKILL.
    pub agent_kills: u64,
    /// Sessions re-attached by a new agent after a kill.
    pub resumed_after_kill: u64,
    /// Directory checks (runtime and state directories hold only live sessions).
    pub dir_checks: u64,
    /// Orphaned processes (ended daemons, launchers, killed agents' children) reaped.
    pub reaped: u64,
}

/// What the final checks found left over (all zero in a good run).
#[derive(Clone, Copy, Debug, Default)]
pub struct Leaks {
    /// Live processes whose environment names the soak's `$OUTPOST_HOME`.
    pub home_processes: usize,
    /// Agents, daemons and programs of the run that still exist, zombies included.
    pub run_processes: usize,
    /// Zombie children of the soak process.
    pub zombies: usize,
    /// Files in the runtime and state directories after every session was closed.
    pub files: usize,
}

/// Everything the soak keeps about its sessions.
#[derive(Default)]
pub struct Book {
    /// The live sessions by id.
    pub sessions: BTreeMap<String, Tracked>,
    /// The counters.
    pub counters: Counters,
    /// The failures kept (at most [`MAX_FAILURES_KEPT`]).
    pub failures: Vec<String>,
    /// How many failures were found.
    pub failure_count: u64,
    /// `(session, offset)` of skips to check: the ring must no longer hold `offset`.
    pub skip_checks: Vec<(String, u64)>,
    /// What the final checks found.
    pub leaks: Leaks,
}

impl Book {
    /// Records a failure.
    pub fn fail(&mut self, what: String) {
        self.failure_count += 1;
        if self.failures.len() < MAX_FAILURES_KEPT {
            crate::note(&format!("soak FAILURE: {what}"));
            self.failures.push(what);
        }
    }

    /// Handles one notification.
    pub fn on_note(&mut self, note: Note) {
        match note {
            Note::Output(o) => self.on_output(o),
            Note::Exit(e) => self.on_exit(e),
            Note::Violation(v) => self.fail(format!("protocol violation: {v}")),
        }
    }

    fn on_output(&mut self, o: OutputParams) {
        self.counters.notifications += 1;
        let data = &o.data.0;
        let Some(s) = self.sessions.get_mut(&o.session_id) else {
            let what = format!(
                "{} bytes of output at {} for {}, which is not live",
                data.len(),
                o.offset,
                o.session_id
            );
            return self.fail(what);
        };
        let mut problems = Vec::new();
        let next = match s.stream {
            Some(st) => st.next,
            None => {
                problems.push(format!(
                    "output at {} for {} while it is not attached",
                    o.offset, s.id
                ));
                o.offset
            }
        };
        let end = o.offset + data.len() as u64;
        if o.offset < next {
            problems.push(format!(
                "output of {} at {} overlaps what this attachment already delivered (next was {next})",
                s.id, o.offset
            ));
        } else if o.offset > next {
            let lost = o.offset.saturating_sub(next.max(s.frontier));
            self.counters.bytes_lost_skipped += lost;
            self.skip_checks.push((s.id.clone(), next));
        }
        if let Some(m) = s.expected.mismatch(o.offset, data) {
            problems.push(format!("output of {} is wrong: {m}", s.id));
        }
        let fresh = end.saturating_sub(o.offset.max(s.frontier));
        self.counters.bytes_new += fresh;
        self.counters.bytes_replayed += data.len() as u64 - fresh;
        s.frontier = s.frontier.max(end);
        if s.stream.is_some() {
            s.stream = Some(Stream { next: end });
        }
        if !s.ready && end >= super::expected::READY.len() as u64 {
            s.ready = true;
        }
        for p in problems {
            self.fail(p);
        }
    }

    fn on_exit(&mut self, e: ExitParams) {
        let Some(s) = self.sessions.get_mut(&e.session_id) else {
            let what = format!("session.exit for {}, which is not live", e.session_id);
            return self.fail(what);
        };
        let mut problems = Vec::new();
        if s.closing && !s.exit_requested {
            // Closing ends the program with SIGHUP; attached clients hear of it first.
        } else if !s.exit_requested {
            problems.push(format!("{} exited unasked: {e:?}", s.id));
        } else if e.exit_code != Some(super::expected::EXIT_CODE) {
            problems.push(format!(
                "{} exited with {e:?}, not {}",
                s.id,
                super::expected::EXIT_CODE
            ));
        }
        if let Some(st) = s.stream {
            if st.next != s.expected.len() {
                problems.push(format!(
                    "session.exit for {} came at offset {} before its last byte {}",
                    s.id,
                    st.next,
                    s.expected.len()
                ));
            }
        }
        s.exit = Some(e);
        for p in problems {
            self.fail(p);
        }
    }

    /// Checks an attach result against the protocol's rules and starts the session's stream.
    pub fn on_attached(&mut self, id: &str, from: Option<u64>, r: &AttachResult) {
        self.counters.attaches += 1;
        let Some(s) = self.sessions.get_mut(id) else {
            return;
        };
        let mut problems = Vec::new();
        let info = &r.session;
        let (start, end) = (info.output_start, info.output_end);
        if end - start.min(end) != end.min(info.scrollback_bytes) {
            problems.push(format!(
                "{id}: the ring holds [{start}, {end}) with capacity {}; it should hold the last min(end, capacity) bytes",
                info.scrollback_bytes
            ));
        }
        if end > s.expected.len() {
            problems.push(format!(
                "{id}: output_end {end} beyond the {} bytes asked for",
                s.expected.len()
            ));
        }
        if end < s.frontier {
            problems.push(format!(
                "{id}: output_end {end} is behind bytes already received ({})",
                s.frontier
            ));
        }
        let (want, truncated) = match from {
            Some(f) => (f.clamp(start, end), f < start),
            None => (start, false),
        };
        if r.replay_from != want || r.truncated != truncated {
            problems.push(format!(
                "{id}: attach from {from:?} on [{start}, {end}) answered replay_from {} truncated {}, expected {want} and {truncated}",
                r.replay_from, r.truncated
            ));
        }
        if r.truncated {
            self.counters.truncated_attaches += 1;
        }
        if r.replay_from < s.frontier {
            self.counters.replays += 1;
        } else {
            self.counters.bytes_lost_truncated += r.replay_from - s.frontier;
            s.frontier = r.replay_from;
        }
        s.stream = Some(Stream {
            next: r.replay_from,
        });
        for p in problems {
            self.fail(p);
        }
    }
}

//! The client's reader thread and the state it fills: it reads the agent's standard output line
//! by line, sorts each line with the protocol's one-pass reader
//! ([`AgentMessage::parse`]), and only appends: output to its session's [`Stream`], responses
//! to the table of replies by id, other notifications to the list of [`Event`]s. No
//! `serde_json::Value` is built for a line, so a debug-built test keeps up with many flooding
//! sessions.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use outpost_protocol::incoming::AgentMessage;
use outpost_protocol::{ErrorObject, RequestId, MAX_LINE_BYTES};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::event::{Entry, Event};
use super::stream::{Mode, Stream};

/// A response as filed by the reader.
#[derive(Debug)]
pub struct Reply {
    /// The raw `result`, or the error.
    pub outcome: Result<Box<RawValue>, ErrorObject>,
    /// When it was read.
    pub at: Instant,
}

/// Everything read so far.
#[derive(Default)]
pub(crate) struct State {
    pub responses: HashMap<RequestId, Reply>,
    pub null_id: VecDeque<Reply>,
    pub events: Vec<Event>,
    pub streams: HashMap<String, Stream>,
    /// Attach requests in flight: id → (session, how to keep its output).
    pub pending_attach: HashMap<RequestId, (String, Mode)>,
    pub violations: Vec<String>,
    pub journal: Option<VecDeque<Entry>>,
    pub lines: u64,
    pub eof: bool,
}

#[derive(Default)]
struct Gate {
    paused: bool,
    parked: bool,
}

/// The state shared between the client and its reader thread.
#[derive(Default)]
pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub cv: Condvar,
    gate: Mutex<Gate>,
    gate_cv: Condvar,
}

/// Locks a mutex, ignoring poisoning (a failed test must still clean up).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Deserialize)]
struct ReplayFrom {
    replay_from: u64,
}

/// The first 200 characters of a line, for a violation's message.
fn head(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned()
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Sorts and files one line (without its newline).
    fn handle_line(&self, line: &[u8]) {
        let at = Instant::now();
        let msg = AgentMessage::parse(line);
        let mut st = self.state();
        st.lines += 1;
        let entry = match msg {
            Err(e) => {
                let v = format!(
                    "stdout line is not a JSON-RPC message ({e}): {}",
                    head(line)
                );
                st.violations.push(v.clone());
                Some(Entry::Violation(v))
            }
            Ok(AgentMessage::Output(out)) => {
                let st = &mut *st;
                match st.streams.get_mut(out.session_id) {
                    Some(s) => {
                        let known = s.errors.len();
                        s.push(&out, at);
                        let new: Vec<String> = s.errors[known..]
                            .iter()
                            .map(|e| format!("output of {}: {e}", out.session_id))
                            .collect();
                        st.violations.extend(new);
                    }
                    None => st.violations.push(format!(
                        "session.output for {:?} at {} with no attach result before it",
                        out.session_id, out.offset
                    )),
                }
                match st.journal.is_some() {
                    true => Some(match out.decode() {
                        Ok(data) => Entry::Output {
                            session_id: out.session_id.to_string(),
                            offset: out.offset,
                            data,
                        },
                        Err(e) => Entry::Violation(format!("session.output: {e}")),
                    }),
                    false => None,
                }
            }
            Ok(AgentMessage::Response { id, outcome }) => {
                let reply = Reply {
                    outcome: outcome.map(ToOwned::to_owned),
                    at,
                };
                match &id {
                    None => st.null_id.push_back(reply),
                    Some(id) => {
                        if let (Some((sid, mode)), Ok(raw)) =
                            (st.pending_attach.remove(id), &reply.outcome)
                        {
                            match serde_json::from_str::<ReplayFrom>(raw.get()) {
                                Ok(r) => {
                                    st.streams.insert(sid, Stream::new(r.replay_from, mode));
                                }
                                Err(e) => st
                                    .violations
                                    .push(format!("attach result without replay_from: {e}")),
                            }
                        }
                        if st.responses.insert(id.clone(), reply).is_some() {
                            st.violations.push(format!("second response with id {id}"));
                        }
                    }
                }
                st.journal.is_some().then_some(Entry::Response(id))
            }
            Ok(AgentMessage::Notification(n)) => {
                let event = Event {
                    method: n.method().to_string(),
                    line: String::from_utf8_lossy(line).into_owned(),
                    output_received: 0,
                    at,
                    notification: Some(n),
                };
                Some(self.event(&mut st, event))
            }
            Ok(AgentMessage::Unknown { method }) => {
                let event = Event {
                    method,
                    notification: None,
                    line: String::from_utf8_lossy(line).into_owned(),
                    output_received: 0,
                    at,
                };
                Some(self.event(&mut st, event))
            }
        };
        if let (Some(entry), Some(j)) = (entry, st.journal.as_mut()) {
            j.push_back(entry);
        }
    }

    fn event(&self, st: &mut State, mut event: Event) -> Entry {
        event.output_received = event
            .session_id()
            .and_then(|sid| st.streams.get(sid))
            .map_or(0, |s| s.received);
        st.events.push(event.clone());
        Entry::Event(event)
    }

    /// Blocks while reading is paused.
    fn gate(&self) {
        let mut g = lock(&self.gate);
        if g.paused {
            g.parked = true;
            self.gate_cv.notify_all();
            while g.paused {
                g = self.gate_cv.wait(g).unwrap_or_else(|p| p.into_inner());
            }
            g.parked = false;
        }
    }

    /// Pauses reading; returns whether the reader parked before `deadline`.
    pub fn pause(&self, deadline: Instant) -> bool {
        let mut g = lock(&self.gate);
        g.paused = true;
        while !g.parked {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self
                .gate_cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Resumes reading.
    pub fn resume(&self) {
        lock(&self.gate).paused = false;
        self.gate_cv.notify_all();
    }

    /// Reads lines until the end of `stdout`.
    pub fn read_loop(&self, stdout: impl Read) {
        let mut r = BufReader::with_capacity(1 << 20, stdout);
        let mut line = Vec::new();
        let limit = MAX_LINE_BYTES as u64 + 1;
        loop {
            self.gate();
            line.clear();
            match (&mut r).take(limit).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.last() == Some(&b'\n') => {
                    line.pop();
                    self.handle_line(&line);
                    self.cv.notify_all();
                }
                Ok(n) if n as u64 == limit => {
                    self.state().violations.push(format!(
                        "a line longer than {MAX_LINE_BYTES} bytes: {}",
                        head(&line)
                    ));
                    break;
                }
                // A line cut short by the agent's death is not a message; only the journal,
                // which accounts for every byte, records it.
                Ok(_) => {
                    if let Some(j) = self.state().journal.as_mut() {
                        j.push_back(Entry::Violation(format!(
                            "a line without its newline: {}",
                            head(&line)
                        )));
                    }
                    break;
                }
            }
        }
        self.state().eof = true;
        self.cv.notify_all();
        let mut g = lock(&self.gate);
        g.parked = true;
        self.gate_cv.notify_all();
    }
}

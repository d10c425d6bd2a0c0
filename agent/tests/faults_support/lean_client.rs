//! A lean client of the real agent for floods: it reads `session.output` lines by their fixed
//! layout (session id, offset, base64 length) instead of parsing and decoding each one, so a
//! debug-built test keeps up with many flooding sessions the way the release-built desktop
//! does, and what is measured is the agent rather than the test's own JSON parser.
//!
//! It checks what the full harness (`support::Agent`) checks for every session it attached:
//! offsets never go backwards and every skip is recorded. Only sessions attached with
//! `keep = true` have their bytes decoded and kept. Every other line (responses, other
//! notifications) is parsed as JSON; a line that is neither is a violation that fails the next
//! wait.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::{file_tail, Home, RpcError};

/// What arrived of one attached session's output.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// The offset the next chunk should start at.
    pub next: u64,
    /// Bytes received.
    pub received: u64,
    /// Skips in the offsets: `(expected, got)`.
    pub gaps: Vec<(u64, u64)>,
    /// The bytes received, for sessions attached with `keep`.
    pub data: Option<Vec<u8>>,
}

#[derive(Default)]
struct State {
    responses: HashMap<u64, Value>,
    pending_attach: HashMap<u64, (String, bool)>,
    streams: HashMap<String, Stream>,
    violations: Vec<String>,
    eof: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The start of every `session.output` line the agent writes.
const OUTPUT_HEAD: &[u8] =
    br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":""#;

/// `(session id, offset, base64 data)` of an output line in the agent's layout.
fn split_output(line: &[u8]) -> Option<(&str, u64, &[u8])> {
    let rest = line.strip_prefix(OUTPUT_HEAD)?;
    let quote = rest.iter().position(|&b| b == b'"')?;
    let sid = std::str::from_utf8(&rest[..quote]).ok()?;
    let rest = rest[quote..].strip_prefix(br#"","offset":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let offset = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let data = rest[digits..]
        .strip_prefix(br#","data":""#)?
        .strip_suffix(br#""}}"#)?;
    Some((sid, offset, data))
}

/// How many bytes a base64 text holds.
fn b64_len(data: &[u8]) -> u64 {
    let pad = data.iter().rev().take_while(|&&b| b == b'=').count();
    (data.len() / 4 * 3).saturating_sub(pad) as u64
}

impl Shared {
    fn output(&self, st: &mut State, sid: &str, offset: u64, data: &[u8]) {
        let Some(s) = st.streams.get_mut(sid) else {
            st.violations.push(format!(
                "output for {sid} at {offset} before its attach result"
            ));
            return;
        };
        if offset < s.next {
            st.violations.push(format!(
                "output of {sid} at {offset} overlaps what arrived up to {}",
                s.next
            ));
            return;
        }
        if offset > s.next {
            s.gaps.push((s.next, offset));
        }
        let len = match &mut s.data {
            Some(kept) => match B64.decode(data) {
                Ok(bytes) => {
                    kept.extend_from_slice(&bytes);
                    bytes.len() as u64
                }
                Err(e) => {
                    st.violations.push(format!("bad base64 for {sid}: {e}"));
                    return;
                }
            },
            None => b64_len(data),
        };
        s.next = offset + len;
        s.received += len;
    }

    fn line(&self, line: &[u8]) {
        let mut st = lock(&self.state);
        if let Some((sid, offset, data)) = split_output(line) {
            self.output(&mut st, sid, offset, data);
            return;
        }
        let msg: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                let head = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
                st.violations.push(format!("not JSON ({e}): {head}"));
                return;
            }
        };
        if msg["jsonrpc"] != "2.0" {
            st.violations.push(format!("not JSON-RPC 2.0: {msg}"));
        } else if let Some(id) = msg["id"].as_u64() {
            if let Some((sid, keep)) = st.pending_attach.remove(&id) {
                if let Some(from) = msg["result"]["replay_from"].as_u64() {
                    let stream = Stream {
                        next: from,
                        data: keep.then(Vec::new),
                        ..Stream::default()
                    };
                    st.streams.insert(sid, stream);
                }
            }
            st.responses.insert(id, msg);
        } else if msg["method"] == "session.output" {
            // Not in the agent's usual layout (the fast path above): parse it fully.
            let p = &msg["params"];
            match (
                p["session_id"].as_str(),
                p["offset"].as_u64(),
                p["data"].as_str(),
            ) {
                (Some(sid), Some(offset), Some(data)) => {
                    self.output(&mut st, sid, offset, data.as_bytes())
                }
                _ => st
                    .violations
                    .push(format!("malformed session.output: {msg}")),
            }
        }
    }
}

/// `outpost-agent serve --stdio` with a lean reader.
pub struct LeanClient {
    child: Mutex<Child>,
    pid: u32,
    stdin: Mutex<Option<ChildStdin>>,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    next_id: AtomicU64,
    log: std::path::PathBuf,
}

impl LeanClient {
    /// Starts an agent in `home` and initializes it.
    pub fn start(home: &Home) -> LeanClient {
        let log = home.root().join("lean-client.stderr");
        let err = std::fs::File::create(&log).expect("creating the agent's stderr file");
        let mut child = home
            .command()
            .args(["serve", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .expect("starting outpost-agent serve --stdio");
        let stdout = child.stdout.take().expect("agent stdout");
        let stdin = child.stdin.take();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let reader = std::thread::Builder::new()
            .name("lean-reader".into())
            .spawn(move || {
                let mut r = BufReader::with_capacity(1 << 20, stdout);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match r.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line.last() != Some(&b'\n') => break,
                        Ok(_) => {
                            line.pop();
                            s.line(&line);
                            s.cv.notify_all();
                        }
                    }
                }
                lock(&s.state).eof = true;
                s.cv.notify_all();
            })
            .expect("starting the reader thread");
        let c = LeanClient {
            pid: child.id(),
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            shared,
            reader: Some(reader),
            next_id: AtomicU64::new(1),
            log,
        };
        c.call(
            "initialize",
            json!({"protocol_version": 1, "client": {"name": "outpost-faults", "version": "0"}}),
        )
        .expect("initialize");
        c
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn send(&self, msg: &Value) {
        let mut line = serde_json::to_vec(msg).expect("encoding JSON");
        line.push(b'\n');
        let mut stdin = lock(&self.stdin);
        let ok = stdin
            .as_mut()
            .is_some_and(|s| s.write_all(&line).and_then(|()| s.flush()).is_ok());
        assert!(ok, "cannot write to the agent's stdin{}", self.context());
    }

    fn context(&self) -> String {
        format!(
            "\n--- agent stderr (tail) ---\n{}",
            file_tail(&self.log, 4000)
        )
    }

    /// Sends a request; returns its id.
    pub fn send_request(&self, method: &str, params: Value) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the answer to request `id`.
    pub fn response(&self, id: u64, timeout: Duration) -> Result<Value, RpcError> {
        let msg = self.wait(&format!("the answer to request {id}"), timeout, |st| {
            st.responses.remove(&id)
        });
        match msg.get("error") {
            Some(e) => Err((
                e["code"].as_i64().unwrap_or(0),
                e["message"].as_str().unwrap_or("").to_string(),
            )),
            None => Ok(msg["result"].clone()),
        }
    }

    /// Calls a method and waits (up to 20 s) for its answer.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.send_request(method, params);
        self.response(id, crate::support::DEADLINE)
    }

    /// Sends a notification.
    pub fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Attaches to a session from its oldest byte; with `keep`, its bytes are kept.
    pub fn attach(&self, sid: &str, keep: bool) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.shared.state)
            .pending_attach
            .insert(id, (sid.to_string(), keep));
        self.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "session.attach",
                          "params": {"session_id": sid}}),
        );
        match self.response(id, crate::support::DEADLINE) {
            Ok(v) => v,
            Err(e) => panic!("attach {sid}: {e:?}{}", self.context()),
        }
    }

    /// Bytes received so far for a session (0 if not attached).
    pub fn received(&self, sid: &str) -> u64 {
        lock(&self.shared.state)
            .streams
            .get(sid)
            .map_or(0, |s| s.received)
    }

    /// A copy of a session's stream.
    pub fn stream(&self, sid: &str) -> Stream {
        lock(&self.shared.state)
            .streams
            .get(sid)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `cond` holds for a session's stream.
    pub fn wait_stream(
        &self,
        sid: &str,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Stream) -> bool,
    ) {
        self.wait(what, timeout, |st| {
            st.streams.get(sid).filter(|s| cond(s)).map(|_| ())
        });
    }

    /// Waits until `f` returns something, failing at a violation, at the end of the agent's
    /// output or after `timeout`.
    fn wait<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&mut State) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.shared.state);
        loop {
            assert!(
                st.violations.is_empty(),
                "protocol violations: {:#?}{}",
                st.violations,
                self.context()
            );
            if let Some(v) = f(&mut st) {
                return v;
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                let eof = st.eof;
                drop(st);
                panic!(
                    "waiting for {what}: {}{}",
                    if eof {
                        "the agent's output ended"
                    } else {
                        "timed out"
                    },
                    self.context()
                );
            }
            st = self
                .shared
                .cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Panics if anything the agent wrote was not a well-formed message.
    pub fn assert_no_violations(&self) {
        let st = lock(&self.shared.state);
        assert!(
            st.violations.is_empty(),
            "protocol violations: {:#?}{}",
            st.violations,
            self.context()
        );
    }
}

impl Drop for LeanClient {
    fn drop(&mut self) {
        lock(&self.stdin).take();
        let mut child = lock(&self.child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        drop(child);
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout read here is the one the agent writes (its own encoder makes the line).
    #[test]
    fn output_lines_are_split_by_layout() {
        let line = outpost_agent::rpc::outbound::encode_output("abc123", 42, b"hello");
        let line = line.strip_suffix(b"\n").expect("a line");
        let (sid, offset, data) = split_output(line).expect("the agent's layout");
        assert_eq!((sid, offset), ("abc123", 42));
        assert_eq!(b64_len(data), 5);
        assert_eq!(b64_len(b"YQ=="), 1);
        assert!(split_output(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#).is_none());
    }
}

//! [`Client`]: the real agent over pipes, with typed calls, responses filed by id and every
//! attached session's output reassembled.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use outpost_protocol::initialize::{ClientInfo, InitializeParams, InitializeResult};
use outpost_protocol::method::{self, Method};
use outpost_protocol::session::{AttachParams, AttachResult};
use outpost_protocol::{RequestId, PROTOCOL_VERSION};
use serde::Serialize;
use serde_json::Value;

use super::error::ClientError;
use super::event::{Entry, Event};
use super::reader::{lock, Reply, Shared, State};
use super::stream::{Mode, Stream};

/// How long a call waits for its answer unless told otherwise (test machines have 2 slow
/// cores).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How a [`Client`] is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// A name for failure messages and the reader thread (`agent-1`, …).
    pub name: String,
    /// Where the agent's standard error goes (appended); `None` discards it.
    pub stderr: Option<PathBuf>,
    /// Keep an in-order journal of everything read (see [`Client::take_journal`]).
    pub journal: bool,
    /// How output of a session attached with [`Client::call`] (rather than
    /// [`Client::attach`]) is kept.
    pub attach_mode: Mode,
    /// How long [`Client::call`] waits.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: "agent".into(),
            stderr: None,
            journal: false,
            attach_mode: Mode::default(),
            timeout: DEADLINE,
        }
    }
}

/// A client of `outpost-agent serve --stdio`. See the [module docs](super).
pub struct Client {
    opts: Options,
    pid: Option<u32>,
    child: Mutex<Option<Child>>,
    stdin: Mutex<Option<Box<dyn Write + Send>>>,
    shared: Arc<Shared>,
    reader: Mutex<Option<JoinHandle<()>>>,
    next_id: AtomicI64,
}

impl Client {
    /// Starts `cmd` (a command for the agent binary, with its environment set) as
    /// `serve --stdio` with piped standard streams.
    pub fn spawn(mut cmd: Command, opts: Options) -> Result<Client, ClientError> {
        let stderr = match &opts.stderr {
            Some(p) => Stdio::from(
                std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|source| ClientError::Io {
                        what: format!("opening {}", p.display()),
                        source,
                    })?,
            ),
            None => Stdio::null(),
        };
        let mut child = cmd
            .args(["serve", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|source| ClientError::Io {
                what: format!("starting {:?} serve --stdio", cmd.get_program()),
                source,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both streams are piped");
        };
        let mut c = Client::over(stdin, stdout, opts)?;
        c.pid = Some(child.id());
        *lock(&c.child) = Some(child);
        Ok(c)
    }

    /// Speaks to an agent over given streams (an SSH channel, a socket pair); the agent's
    /// process, if any, is the caller's.
    pub fn over(
        stdin: impl Write + Send + 'static,
        stdout: impl std::io::Read + Send + 'static,
        opts: Options,
    ) -> Result<Client, ClientError> {
        let shared = Arc::new(Shared::default());
        if opts.journal {
            shared.state().journal = Some(Default::default());
        }
        let s = shared.clone();
        let reader = std::thread::Builder::new()
            .name(format!("{}-reader", opts.name))
            .spawn(move || s.read_loop(stdout))
            .map_err(|source| ClientError::Io {
                what: "starting the reader thread".into(),
                source,
            })?;
        Ok(Client {
            opts,
            pid: None,
            child: Mutex::new(None),
            stdin: Mutex::new(Some(Box::new(stdin))),
            shared,
            reader: Mutex::new(Some(reader)),
            next_id: AtomicI64::new(1),
        })
    }

    /// The name given in [`Options::name`].
    pub fn name(&self) -> &str {
        &self.opts.name
    }

    /// The agent's process id, when this client started it.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The last `n` bytes of the agent's standard error (empty when it is not kept).
    pub fn stderr_tail(&self, n: usize) -> String {
        self.opts
            .stderr
            .as_deref()
            .map(|p| crate::text::file_tail(p, n))
            .unwrap_or_default()
    }

    /// The agent's standard error file, if kept.
    pub fn stderr_path(&self) -> Option<&Path> {
        self.opts.stderr.as_deref()
    }

    // --- Sending -------------------------------------------------------------------------

    /// A fresh request id.
    pub fn next_id(&self) -> RequestId {
        RequestId::Number(self.next_id.fetch_add(1, Ordering::SeqCst))
    }

    /// Writes bytes (prepared lines, or anything at all) to the agent's standard input;
    /// returns when they were written.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<Instant, ClientError> {
        let mut stdin = lock(&self.stdin);
        let io = |source| ClientError::Io {
            what: format!("writing to {}'s stdin", self.opts.name),
            source,
        };
        let s = stdin.as_mut().ok_or_else(|| {
            io(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "stdin is closed",
            ))
        })?;
        s.write_all(bytes).and_then(|()| s.flush()).map_err(io)?;
        Ok(Instant::now())
    }

    fn send_message(
        &self,
        id: Option<&RequestId>,
        method: &str,
        params: &impl Serialize,
    ) -> Result<Instant, ClientError> {
        #[derive(Serialize)]
        struct Out<'a, P> {
            jsonrpc: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            id: Option<&'a RequestId>,
            method: &'a str,
            params: &'a P,
        }
        let mut line = serde_json::to_vec(&Out {
            jsonrpc: "2.0",
            id,
            method,
            params,
        })
        .map_err(|e| ClientError::Io {
            what: format!("encoding {method}"),
            source: e.into(),
        })?;
        line.push(b'\n');
        self.send_raw(&line)
    }

    /// Sends a request for `M`; returns its id.
    pub fn request<M: Method>(&self, params: &M::Params) -> Result<RequestId, ClientError> {
        let id = self.next_id();
        if M::NAME == method::SessionAttach::NAME {
            self.expect_attach(&id, params, self.opts.attach_mode);
        }
        self.send_message(Some(&id), M::NAME, params)?;
        Ok(id)
    }

    /// Sends a request with untyped params (for malformed or unknown calls); returns its id.
    pub fn request_value(&self, method: &str, params: Value) -> Result<RequestId, ClientError> {
        let id = self.next_id();
        if method == method::SessionAttach::NAME {
            self.expect_attach(&id, &params, self.opts.attach_mode);
        }
        match params {
            Value::Null => self.send_message(Some(&id), method, &serde_json::Map::new())?,
            p => self.send_message(Some(&id), method, &p)?,
        };
        Ok(id)
    }

    /// Sends a notification for `M` (no id, no answer).
    pub fn notify<M: Method>(&self, params: &M::Params) -> Result<(), ClientError> {
        self.send_message(None, M::NAME, params).map(drop)
    }

    /// Sends a notification with untyped params.
    pub fn notify_value(&self, method: &str, params: Value) -> Result<(), ClientError> {
        self.send_message(None, method, &params).map(drop)
    }

    /// Makes the answer to attach request `id` start a stream kept as `mode`.
    fn expect_attach(&self, id: &RequestId, params: &impl Serialize, mode: Mode) {
        let sid = serde_json::to_value(params)
            .ok()
            .and_then(|p| p.get("session_id")?.as_str().map(str::to_string));
        if let Some(sid) = sid {
            self.shared
                .state()
                .pending_attach
                .insert(id.clone(), (sid, mode));
        }
    }

    // --- Answers -------------------------------------------------------------------------

    /// Waits up to `timeout` for the answer to `id`, raw.
    pub fn reply(&self, id: &RequestId, timeout: Duration) -> Result<Reply, ClientError> {
        self.wait_state(
            &format!("the answer to request {id}"),
            timeout,
            false,
            |st| st.responses.remove(id),
        )
    }

    /// Waits for the answer to `id` and reads it as `M`'s result.
    pub fn result<M: Method>(
        &self,
        id: &RequestId,
        timeout: Duration,
    ) -> Result<M::Result, ClientError> {
        let raw = self.reply(id, timeout)?.outcome.map_err(ClientError::Rpc)?;
        serde_json::from_str(raw.get()).map_err(|e| ClientError::Decode {
            method: M::NAME,
            result: raw.get().chars().take(500).collect(),
            error: e.to_string(),
        })
    }

    /// Calls `M` and waits ([`Options::timeout`]) for its result.
    pub fn call<M: Method>(&self, params: &M::Params) -> Result<M::Result, ClientError> {
        self.call_within::<M>(params, self.opts.timeout)
    }

    /// Calls `M` and waits up to `timeout` for its result.
    pub fn call_within<M: Method>(
        &self,
        params: &M::Params,
        timeout: Duration,
    ) -> Result<M::Result, ClientError> {
        let id = self.request::<M>(params)?;
        self.result::<M>(&id, timeout)
    }

    /// Calls a method with untyped params; the result as JSON.
    pub fn call_value(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.request_value(method, params)?;
        let raw = self
            .reply(&id, self.opts.timeout)?
            .outcome
            .map_err(ClientError::Rpc)?;
        serde_json::from_str(raw.get()).map_err(|e| ClientError::Decode {
            method: "(untyped)",
            result: raw.get().chars().take(500).collect(),
            error: e.to_string(),
        })
    }

    /// `initialize` with this build's protocol version.
    pub fn initialize(&self) -> Result<InitializeResult, ClientError> {
        self.call::<method::Initialize>(&InitializeParams {
            protocol_version: PROTOCOL_VERSION,
            client: ClientInfo {
                name: format!("outpost-testkit/{}", self.opts.name),
                version: env!("CARGO_PKG_VERSION").into(),
            },
        })
    }

    /// `session.attach`, its output kept as `mode` from the result's `replay_from` on.
    pub fn attach(&self, params: &AttachParams, mode: Mode) -> Result<AttachResult, ClientError> {
        let id = self.next_id();
        self.expect_attach(&id, params, mode);
        self.send_message(Some(&id), method::SessionAttach::NAME, params)?;
        self.result::<method::SessionAttach>(&id, self.opts.timeout)
    }

    /// Untyped `session.attach` (params as given), its output kept as `mode`.
    pub fn attach_value(&self, params: Value, mode: Mode) -> Result<Value, ClientError> {
        let id = self.next_id();
        self.expect_attach(&id, &params, mode);
        self.send_message(Some(&id), method::SessionAttach::NAME, &params)?;
        let raw = self
            .reply(&id, self.opts.timeout)?
            .outcome
            .map_err(ClientError::Rpc)?;
        serde_json::from_str(raw.get()).map_err(|e| ClientError::Decode {
            method: method::SessionAttach::NAME,
            result: raw.get().chars().take(500).collect(),
            error: e.to_string(),
        })
    }

    /// Waits for the next answer with `"id": null` (errors about unreadable lines).
    pub fn null_id_reply(&self, timeout: Duration) -> Result<Reply, ClientError> {
        self.wait_state("an answer with id null", timeout, false, |st| {
            st.null_id.pop_front()
        })
    }

    /// Answers with `"id": null` received and not yet taken.
    pub fn pending_null_id_replies(&self) -> usize {
        self.shared.state().null_id.len()
    }

    // --- Output and notifications --------------------------------------------------------

    /// A copy of a session's stream, if attached.
    pub fn stream(&self, sid: &str) -> Option<Stream> {
        self.shared.state().streams.get(sid).cloned()
    }

    /// Reads a session's stream in place (no copy of its bytes).
    pub fn with_stream<T>(&self, sid: &str, f: impl FnOnce(&Stream) -> T) -> Option<T> {
        self.shared.state().streams.get(sid).map(f)
    }

    /// Bytes received so far for a session (0 if not attached).
    pub fn received(&self, sid: &str) -> u64 {
        self.with_stream(sid, |s| s.received).unwrap_or(0)
    }

    /// Waits until `cond` holds for a session's stream; fails at a protocol violation, at a
    /// violation in that stream, at the end of the agent's output, or after `timeout`.
    pub fn wait_stream(
        &self,
        sid: &str,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Stream) -> bool,
    ) -> Result<Stream, ClientError> {
        self.wait_state(what, timeout, true, |st| {
            let s = st.streams.get(sid)?;
            if !s.errors.is_empty() {
                st.violations.push(format!(
                    "output of {sid} is not contiguous: {:#?}",
                    s.errors
                ));
                return None;
            }
            cond(s).then(|| s.clone())
        })
    }

    /// Every notification other than output so far.
    pub fn events(&self) -> Vec<Event> {
        self.shared.state().events.clone()
    }

    /// Waits for a notification matching `pred`.
    pub fn wait_event(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Result<Event, ClientError> {
        self.wait_state(what, timeout, false, |st| {
            st.events.iter().find(|e| pred(e)).cloned()
        })
    }

    /// Takes the journal (with [`Options::journal`]) from its start through the response to
    /// `through`, or all of it when `through` is `None` or has not arrived.
    pub fn take_journal(&self, through: Option<&RequestId>) -> Vec<Entry> {
        let mut st = self.shared.state();
        let Some(j) = st.journal.as_mut() else {
            return Vec::new();
        };
        let end = through
            .and_then(|id| {
                j.iter()
                    .position(|e| matches!(e, Entry::Response(Some(r)) if r == id))
            })
            .map_or(j.len(), |i| i + 1);
        j.drain(..end).collect()
    }

    /// Waits up to `timeout` until the journal holds something.
    pub fn wait_journal(&self, timeout: Duration) {
        let _ = self.wait_state("a message", timeout, false, |st| {
            st.journal.as_ref().filter(|j| !j.is_empty()).map(drop)
        });
    }

    /// What the agent wrote that breaks the protocol (lines that are not messages, output
    /// before its attach result, a second answer to one id).
    pub fn violations(&self) -> Vec<String> {
        self.shared.state().violations.clone()
    }

    /// Fails if there is any [violation](Self::violations).
    pub fn check_violations(&self) -> Result<(), ClientError> {
        let v = self.violations();
        match v.is_empty() {
            true => Ok(()),
            false => Err(ClientError::Violations(v)),
        }
    }

    /// Lines read so far, and whether the agent's output has ended.
    pub fn lines_read(&self) -> (u64, bool) {
        let st = self.shared.state();
        (st.lines, st.eof)
    }

    /// Waits until `f` returns something, failing (when `strict`) at a violation, at the end
    /// of the agent's output, or after `timeout`.
    fn wait_state<T>(
        &self,
        what: &str,
        timeout: Duration,
        strict: bool,
        mut f: impl FnMut(&mut State) -> Option<T>,
    ) -> Result<T, ClientError> {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state();
        loop {
            if strict && !st.violations.is_empty() {
                return Err(ClientError::Violations(st.violations.clone()));
            }
            if let Some(v) = f(&mut st) {
                return Ok(v);
            }
            if strict && !st.violations.is_empty() {
                return Err(ClientError::Violations(st.violations.clone()));
            }
            let now = Instant::now();
            if st.eof {
                return Err(ClientError::Closed { what: what.into() });
            }
            if now >= deadline {
                return Err(ClientError::Timeout {
                    what: what.into(),
                    after: timeout,
                });
            }
            st = self
                .shared
                .cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    // --- Flow and process control --------------------------------------------------------

    /// Stops reading the agent's standard output (so it backs up); returns once the reader
    /// thread is parked, false if it did not park within `timeout`.
    pub fn pause_reading(&self, timeout: Duration) -> bool {
        self.shared.pause(Instant::now() + timeout)
    }

    /// Resumes reading the agent's standard output.
    pub fn resume_reading(&self) {
        self.shared.resume();
    }

    /// Closes the agent's standard input (as when the SSH channel drops).
    pub fn close_stdin(&self) {
        lock(&self.stdin).take();
    }

    /// The agent's exit status, if this client started it and it has exited.
    pub fn try_wait(&self) -> Option<ExitStatus> {
        lock(&self.child).as_mut()?.try_wait().ok().flatten()
    }

    /// Whether the agent this client started still runs.
    pub fn is_running(&self) -> bool {
        lock(&self.child)
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Waits up to `timeout` for the agent to exit.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if Instant::now() >= deadline || lock(&self.child).is_none() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the agent with SIGKILL (an error if it had already exited and been waited for, or
    /// was not started by this client) and waits until everything it wrote has been read.
    pub fn kill9(&self) -> std::io::Result<ExitStatus> {
        let status = match lock(&self.child).as_mut() {
            Some(c) => match c.kill() {
                Ok(()) => c.wait(),
                Err(e) => {
                    let _ = c.wait();
                    Err(e)
                }
            },
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "this client did not start the agent",
            )),
        };
        self.resume_reading();
        if let Some(h) = lock(&self.reader).take() {
            let _ = h.join();
        }
        lock(&self.stdin).take();
        status
    }
}

impl Drop for Client {
    /// Closes the agent's stdin, gives it 5 s to exit, then kills it.
    fn drop(&mut self) {
        self.resume_reading();
        self.close_stdin();
        self.wait_exit(Duration::from_secs(5));
        if let Some(c) = lock(&self.child).as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.pid.is_some() {
            if let Some(h) = lock(&self.reader).take() {
                let _ = h.join();
            }
        }
    }
}

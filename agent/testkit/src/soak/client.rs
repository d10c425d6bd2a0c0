//! The soak's client: the real `outpost-agent serve --stdio` over pipes, spoken to with typed
//! JSON-RPC calls.
//!
//! A reader thread parses every line the agent writes and passes it on in order; [`AgentProc::call`]
//! hands every notification that arrives before the response to a callback, so the caller sees
//! notifications and responses in exactly the order the agent wrote them (which is what the
//! protocol's ordering rules are about). Anything on standard output that is not a JSON-RPC
//! message is reported as a [`Note::Violation`].

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use outpost_protocol::initialize::{ClientInfo, InitializeParams, InitializeResult};
use outpost_protocol::jsonrpc::Outcome;
use outpost_protocol::session::{ExitParams, OutputParams};
use outpost_protocol::{method, ErrorObject, Message, Method, RequestId, PROTOCOL_VERSION};
use serde_json::{json, Value};

/// The longest line read from the agent (its own limit is 4 MiB; output notifications are
/// smaller).
const MAX_LINE: usize = 8 * 1024 * 1024;

/// A notification (or a protocol violation) from the agent.
#[derive(Debug)]
pub enum Note {
    /// `session.output`.
    Output(OutputParams),
    /// `session.exit`.
    Exit(ExitParams),
    /// A line that is not a message the soak expects.
    Violation(String),
}

/// What the reader thread passes on.
enum Incoming {
    Response(i64, std::result::Result<Value, ErrorObject>),
    Note(Note),
    Closed,
}

/// A call that got an error response.
#[derive(Debug)]
pub struct RpcFailure(pub ErrorObject);

impl std::fmt::Display for RpcFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.0.code, self.0.message)
    }
}

impl std::error::Error for RpcFailure {}

/// A running agent.
pub struct AgentProc {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Incoming>,
    next_id: i64,
    closed: bool,
    /// The agent's process id.
    pub pid: u32,
    /// When it was started.
    pub started: Instant,
}

impl AgentProc {
    /// Starts `agent serve --stdio` with `$OUTPOST_HOME` = `home`, its standard error appended
    /// to `log`.
    pub fn start(agent: &Path, home: &Path, log: &Path) -> Result<AgentProc> {
        let err = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let mut child = Command::new(agent)
            .args(["serve", "--stdio"])
            .env("OUTPOST_HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {}", agent.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("the agent's stdout is not piped")?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("soak-agent-reader".into())
            .spawn(move || {
                let mut r = BufReader::with_capacity(1 << 16, stdout);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match (&mut r).take(MAX_LINE as u64).read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    if tx.send(parse(&line)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Incoming::Closed);
            })
            .context("cannot start the reader thread")?;
        Ok(AgentProc {
            pid: child.id(),
            stdin: child.stdin.take(),
            child,
            rx,
            next_id: 1,
            closed: false,
            started: Instant::now(),
        })
    }

    /// `initialize`.
    pub fn initialize(&mut self, on_note: &mut dyn FnMut(Note)) -> Result<InitializeResult> {
        self.call::<method::Initialize>(
            InitializeParams {
                protocol_version: PROTOCOL_VERSION,
                client: ClientInfo {
                    name: "outpost-soak".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
            },
            Duration::from_secs(30),
            on_note,
        )
    }

    /// Calls `M` and waits up to `timeout` for its response; every notification that arrives
    /// first goes to `on_note`, in order. An error response is an error carrying
    /// [`RpcFailure`].
    pub fn call<M: Method>(
        &mut self,
        params: M::Params,
        timeout: Duration,
        on_note: &mut dyn FnMut(Note),
    ) -> Result<M::Result> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": M::NAME, "params": params});
        let mut line = serde_json::to_vec(&msg)?;
        line.push(b'\n');
        let stdin = self.stdin.as_mut().context("the agent's stdin is closed")?;
        stdin
            .write_all(&line)
            .and_then(|()| stdin.flush())
            .with_context(|| format!("writing {} to the agent", M::NAME))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Some(Incoming::Response(got, outcome)) if got == id => {
                    let value = outcome.map_err(RpcFailure)?;
                    return serde_json::from_value(value.clone())
                        .with_context(|| format!("{} answered {value}", M::NAME));
                }
                Some(Incoming::Response(got, _)) => {
                    on_note(Note::Violation(format!(
                        "a response to id {got} while waiting for {id} ({})",
                        M::NAME
                    )));
                }
                Some(Incoming::Note(n)) => on_note(n),
                Some(Incoming::Closed) => bail!("the agent closed its stdout during {}", M::NAME),
                None if self.closed => bail!("the agent closed its stdout during {}", M::NAME),
                None => bail!("no answer to {} within {timeout:?}", M::NAME),
            }
        }
    }

    /// Passes on every notification that arrives within `wait` (or is already there).
    pub fn pump(&mut self, wait: Duration, on_note: &mut dyn FnMut(Note)) {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Some(Incoming::Note(n)) => on_note(n),
                Some(Incoming::Response(id, _)) => on_note(Note::Violation(format!(
                    "an unexpected response to id {id}"
                ))),
                Some(Incoming::Closed) | None => return,
            }
        }
    }

    fn recv(&mut self, wait: Duration) -> Option<Incoming> {
        if self.closed {
            return None;
        }
        let got = if wait.is_zero() {
            self.rx.try_recv().ok()
        } else {
            match self.rx.recv_timeout(wait) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(Incoming::Closed),
            }
        };
        if matches!(got, Some(Incoming::Closed)) {
            self.closed = true;
        }
        got
    }

    /// SIGKILL, then waits for it.
    pub fn kill9(mut self) -> Result<ExitStatus> {
        self.child.kill().context("kill -9 of the agent")?;
        self.child.wait().context("waiting for the killed agent")
    }

    /// Closes the agent's stdin (the client went away) and waits up to `timeout` for it to exit.
    pub fn close_stdin(mut self, timeout: Duration) -> Result<ExitStatus> {
        drop(self.stdin.take());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(anyhow!("the agent did not exit within {timeout:?} of EOF"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sorts one line from the agent.
fn parse(line: &[u8]) -> Incoming {
    let violation = |why: String| {
        Incoming::Note(Note::Violation(format!(
            "{why}: {:?}",
            String::from_utf8_lossy(&line[..line.len().min(200)])
        )))
    };
    if line.last() != Some(&b'\n') {
        return violation("a line without its newline (or longer than 8 MiB)".into());
    }
    match Message::parse(line) {
        Ok(Message::Response(r)) => match r.id {
            Some(RequestId::Number(id)) => Incoming::Response(
                id,
                match r.outcome {
                    Outcome::Result(v) => Ok(v),
                    Outcome::Error(e) => Err(e),
                },
            ),
            other => violation(format!("a response with id {other:?}")),
        },
        Ok(Message::Notification(n)) => {
            let params = n.params.unwrap_or(Value::Null);
            match n.method.as_str() {
                "session.output" => match serde_json::from_value(params) {
                    Ok(p) => Incoming::Note(Note::Output(p)),
                    Err(e) => violation(format!("bad session.output params ({e})")),
                },
                "session.exit" => match serde_json::from_value(params) {
                    Ok(p) => Incoming::Note(Note::Exit(p)),
                    Err(e) => violation(format!("bad session.exit params ({e})")),
                },
                other => violation(format!("an unexpected notification {other}")),
            }
        }
        Ok(Message::Request(_)) => violation("a request from the agent".into()),
        Err(e) => violation(format!("not JSON-RPC ({e})")),
    }
}

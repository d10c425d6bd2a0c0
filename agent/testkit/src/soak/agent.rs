//! The soak's agent: the real `outpost-agent serve --stdio`, spoken to through the testkit's
//! [`Client`] with its in-order journal, so the soak sees notifications and responses in exactly
//! the order the agent wrote them (which is what the protocol's ordering rules are about).
//!
//! [`AgentProc::call`] hands every notification that arrived before the response to a callback;
//! [`AgentProc::pump`] hands on what arrives while the soak waits. Anything that is not a
//! message the soak expects is reported as a [`Note::Violation`].

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use outpost_protocol::initialize::InitializeResult;
use outpost_protocol::session::{ExitParams, OutputParams};
use outpost_protocol::{Base64Bytes, Method, RequestId};

use crate::client::{Client, ClientError, Entry, Mode, Options};

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

/// A running agent.
pub struct AgentProc {
    client: Client,
    /// The agent's process id.
    pub pid: u32,
    /// When it was started.
    pub started: Instant,
}

impl AgentProc {
    /// Starts `agent serve --stdio` with `$OUTPOST_HOME` = `home`, its standard error appended
    /// to `log`.
    pub fn start(agent: &Path, home: &Path, log: &Path) -> Result<AgentProc> {
        let mut cmd = Command::new(agent);
        cmd.env("OUTPOST_HOME", home);
        let opts = Options {
            name: "soak-agent".into(),
            stderr: Some(log.to_path_buf()),
            journal: true,
            // The book reassembles and checks every session's output itself.
            attach_mode: Mode::count_only(),
            ..Options::default()
        };
        let client = Client::spawn(cmd, opts)
            .with_context(|| format!("cannot start {}", agent.display()))?;
        Ok(AgentProc {
            pid: client.pid().context("a spawned agent has a pid")?,
            client,
            started: Instant::now(),
        })
    }

    /// `initialize`.
    pub fn initialize(&mut self, on_note: &mut dyn FnMut(Note)) -> Result<InitializeResult> {
        self.call::<outpost_protocol::method::Initialize>(
            outpost_protocol::initialize::InitializeParams {
                protocol_version: outpost_protocol::PROTOCOL_VERSION,
                client: outpost_protocol::initialize::ClientInfo {
                    name: "outpost-soak".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                },
            },
            Duration::from_secs(30),
            on_note,
        )
    }

    /// Calls `M` and waits up to `timeout` for its response; every notification that arrives
    /// first goes to `on_note`, in order. An error response is an error carrying the agent's
    /// [`ClientError::Rpc`].
    pub fn call<M: Method>(
        &mut self,
        params: M::Params,
        timeout: Duration,
        on_note: &mut dyn FnMut(Note),
    ) -> Result<M::Result> {
        let id = self.client.request::<M>(&params)?;
        let result = self.client.result::<M>(&id, timeout);
        deliver(self.client.take_journal(Some(&id)), Some(&id), on_note);
        match result {
            Err(ClientError::Closed { .. }) => {
                Err(anyhow!("the agent closed its stdout during {}", M::NAME))
            }
            Err(ClientError::Timeout { .. }) => {
                Err(anyhow!("no answer to {} within {timeout:?}", M::NAME))
            }
            r => Ok(r?),
        }
    }

    /// Passes on every notification that arrives within `wait` (or is already there).
    pub fn pump(&mut self, wait: Duration, on_note: &mut dyn FnMut(Note)) {
        let deadline = Instant::now() + wait;
        loop {
            deliver(self.client.take_journal(None), None, on_note);
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.client.lines_read().1 {
                deliver(self.client.take_journal(None), None, on_note);
                return;
            }
            self.client.wait_journal(left);
        }
    }

    /// SIGKILL, then waits for it.
    pub fn kill9(self) -> Result<ExitStatus> {
        self.client.kill9().context("kill -9 of the agent")
    }

    /// Closes the agent's stdin (the client went away) and waits up to `timeout` for it to exit.
    pub fn close_stdin(self, timeout: Duration) -> Result<ExitStatus> {
        self.client.close_stdin();
        match self.client.wait_exit(timeout) {
            Some(status) => Ok(status),
            None => {
                let _ = self.client.kill9();
                Err(anyhow!("the agent did not exit within {timeout:?} of EOF"))
            }
        }
    }
}

/// Hands journal entries on as notes; the response to `own` (the call being answered) is not
/// one, any other response is a violation.
fn deliver(entries: Vec<Entry>, own: Option<&RequestId>, on_note: &mut dyn FnMut(Note)) {
    for e in entries {
        match e {
            Entry::Output {
                session_id,
                offset,
                data,
            } => on_note(Note::Output(OutputParams {
                session_id,
                offset,
                data: Base64Bytes(data),
            })),
            Entry::Event(ev) => match ev.exit() {
                Some(x) => on_note(Note::Exit(x.clone())),
                None => on_note(Note::Violation(format!(
                    "an unexpected notification {}",
                    ev.method
                ))),
            },
            Entry::Response(id) if id.as_ref() == own && own.is_some() => {}
            Entry::Response(id) => on_note(Note::Violation(format!(
                "an unexpected response to id {id:?}"
            ))),
            Entry::Violation(v) => on_note(Note::Violation(v)),
        }
    }
}

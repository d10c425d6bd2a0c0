//! Driving a session of the agent for a benchmark, over the testkit's one client
//! ([`Client`](crate::client::Client)): starting the agent (tracked for the teardown), creating,
//! typing into and attaching to sessions, waiting for bytes or for a session's end, and the CPU
//! of the client's reader thread (the bench's reading client).
//!
//! The client reads the agent's output on its own thread and stamps every line with the moment
//! it was read ([`Stream::last_at`], [`Event::at`], [`Reply::at`](crate::client::Reply)), so a
//! bench times what arrived when, not when its own thread woke up to look.

use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use outpost_protocol::session::InputParams;
use outpost_protocol::{method, Base64Bytes};
use serde_json::{json, Value};

use super::cleanup;
use crate::client::{Client, ClientError, Event, Mode, Options, Stream};
use crate::procfs;

/// How long a request of a bench may wait for its answer.
pub const ANSWER: Duration = Duration::from_secs(60);

/// The client's options for a bench: `name` (which names its reader thread,
/// `<name>-reader`), the agent's standard error appended to `log`.
pub fn options(name: &str, log: &Path) -> Options {
    Options {
        name: name.into(),
        stderr: Some(log.to_path_buf()),
        timeout: ANSWER,
        ..Options::default()
    }
}

/// Starts `cmd serve --stdio` (`cmd` runs the agent binary, its environment set) as client
/// `name`, tracked for the teardown.
pub fn spawn_client(mut cmd: Command, name: &str, log: &Path) -> Result<Client> {
    let tag = cleanup::tag();
    if !tag.is_empty() {
        cmd.env(cleanup::TAG_VAR, tag);
    }
    let client = Client::spawn(cmd, options(name, log)).context("starting the agent")?;
    if let Some(pid) = client.pid() {
        cleanup::track(pid);
    }
    Ok(client)
}

/// [`spawn_client`], then `initialize`; returns the client and the `initialize` result.
pub fn spawn_agent(cmd: Command, name: &str, log: &Path) -> Result<(Client, Value)> {
    let client = spawn_client(cmd, name, log)?;
    let init = initialize(&client, name)?;
    Ok((client, init))
}

/// Ends a client [`spawn_agent`] started: closes the agent's stdin, gives it 5 s to exit, then
/// kills it (the client's drop), and forgets its pid.
pub fn shutdown(client: Client) {
    let pid = client.pid();
    drop(client);
    if let Some(pid) = pid {
        cleanup::untrack(pid);
    }
}

/// A client over the stdio of `child`, a process that prints one line of its own (returned)
/// before it becomes the agent (e.g. `ssh HOST 'echo …; exec outpost-agent serve --stdio'`).
pub fn over_child(child: &mut Child, name: &str, log: &Path) -> Result<(Client, String)> {
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("the agent's process has no stdout"))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow!("the agent's process has no stdin"))?;
    // Byte by byte, so nothing of the agent's first message is read here.
    let mut first = Vec::new();
    let mut b = [0u8; 1];
    while first.len() < 4096 {
        match stdout.read(&mut b) {
            Ok(0) => break,
            Ok(_) if b[0] == b'\n' => break,
            Ok(_) => first.push(b[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).context("reading the agent's first line"),
        }
    }
    let client = Client::over(stdin, stdout, options(name, log))?;
    Ok((client, String::from_utf8_lossy(&first).trim().to_string()))
}

/// `initialize`, as client `name`; its result.
pub fn initialize(client: &Client, name: &str) -> Result<Value> {
    Ok(client.call_value(
        "initialize",
        json!({"protocol_version": 1, "client": {"name": name, "version": "0"}}),
    )?)
}

/// Creates a shell session running `program args` on a `cols`×`rows` terminal; returns the
/// session's info (`session_id`, `pid`, …).
pub fn create_shell(
    client: &Client,
    program: &str,
    args: &[&str],
    (cols, rows): (u16, u16),
) -> Result<Value> {
    let r = client.call_value(
        "session.create",
        json!({"kind": "shell", "cols": cols, "rows": rows,
               "shell": {"program": program, "args": args}}),
    )?;
    Ok(r["session"].clone())
}

/// The session id in a session's info.
pub fn session_id(info: &Value) -> Result<String> {
    info["session_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no session_id in {info}"))
}

/// The session as the agent reports it now (`session.list`). A request on the session's
/// daemon connection also wakes that connection's sender.
pub fn session_info(client: &Client, sid: &str) -> Result<Value> {
    let list = client.call_value("session.list", json!({}))?;
    list["sessions"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["session_id"] == sid))
        .cloned()
        .ok_or_else(|| anyhow!("session {sid} is not listed"))
}

/// Types `data` (a `session.input` notification; no answer comes back).
pub fn input(client: &Client, sid: &str, data: &[u8]) -> Result<()> {
    Ok(client.notify::<method::SessionInput>(&InputParams {
        session_id: sid.to_string(),
        data: Base64Bytes(data.to_vec()),
    })?)
}

/// `session.close`.
pub fn close(client: &Client, sid: &str) -> Result<()> {
    client.call_value("session.close", json!({"session_id": sid}))?;
    Ok(())
}

/// Attaches to `sid`, its output kept as `mode`; returns the attach result.
pub fn attach(client: &Client, sid: &str, mode: Mode) -> Result<Value> {
    Ok(client.attach_value(json!({"session_id": sid}), mode)?)
}

/// Waits up to `timeout` for the kept bytes of `sid` to contain `needle`; the stream then.
pub fn wait_for_bytes(
    client: &Client,
    sid: &str,
    needle: &[u8],
    timeout: Duration,
) -> Result<Stream, ClientError> {
    client.wait_stream(sid, "its marker", timeout, |s| s.contains(needle))
}

/// The `session.exit` of `sid`, if it came within `timeout`.
pub fn wait_exit(client: &Client, sid: &str, timeout: Duration) -> Result<Option<Event>> {
    match client.wait_event("the session's exit", timeout, |e| {
        e.exit().is_some_and(|x| x.session_id == sid)
    }) {
        Ok(e) => Ok(Some(e)),
        Err(ClientError::Timeout { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How a session ended, from its `session.exit`: "exit code N", "signal S" or "daemon gone".
pub fn exit_text(e: &Event) -> String {
    match e.exit().map(|x| (x.exit_code, x.signal.as_deref())) {
        Some((Some(c), _)) => format!("exit code {c}"),
        Some((_, Some(s))) => format!("signal {s}"),
        _ => "daemon gone".into(),
    }
}

/// The `stat` file of the reader thread of client `name` in this process (its thread is named
/// `<name>-reader`, cut to the kernel's 15 bytes). A new thread names itself once it runs, so
/// this looks for up to 2 s.
pub fn reader_thread_stat(name: &str) -> Option<std::path::PathBuf> {
    let comm: String = format!("{name}-reader").chars().take(15).collect();
    crate::process::wait_for(Duration::from_secs(2), || {
        std::fs::read_dir("/proc/self/task")
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|t| std::fs::read_to_string(t.join("comm")).is_ok_and(|c| c.trim_end() == comm))
            .map(|t| t.join("stat"))
    })
}

/// CPU ticks (user + system) of the thread whose `stat` file is `path` (0 when it is gone).
pub fn thread_ticks(path: &Path) -> u64 {
    procfs::stat_at(path).map_or(0, |s| s.cpu_ticks())
}

//! The harness shared by the agent's integration tests.
//!
//! Everything here drives the real `outpost-agent` binary over real pipes; sessions are real
//! PTYs with real shells, run by real detached daemons. Each test makes a [`Home`] (a private
//! `$OUTPOST_HOME` in a short temporary directory) and starts one or more [`Agent`]s in it.
//!
//! An [`Agent`] owns the child process and a reader thread that parses every line the agent
//! writes: responses are filed by id, `session.output` notifications are reassembled per session
//! by a [`Collector`] (which checks that offsets are contiguous, starting at the attach's
//! `replay_from`), and every other notification is kept as an [`Event`]. Anything on standard
//! output that is not a JSON-RPC 2.0 message is recorded as a protocol violation and fails the
//! next wait.
//!
//! Nothing here synchronises with fixed sleeps: every wait polls a condition against a deadline.
//!
//! Clean-up: dropping an [`Agent`] closes every session it created or attached to (if it still
//! runs), then ends the agent. Dropping the last handle on a [`Home`] kills whatever is left that
//! belongs to it: every process whose environment names this `$OUTPOST_HOME` (agents, daemons,
//! shells and their children) and every process in a recorded session's terminal session. PID 1
//! on the test machines may not reap orphans, so a zombie counts as "no process" throughout.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

/// The agent binary under test.
pub const AGENT_BIN: &str = env!("CARGO_BIN_EXE_outpost-agent");

/// How long any single wait may take before the test fails (CI machines have 2 slow cores).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The shell sessions run: no rc files, so start-up is fast and output predictable.
pub const BASH: &str = "/bin/bash";

/// A JSON-RPC error as `(code, message)`.
pub type RpcError = (i64, String);

/// Locks a mutex, ignoring poisoning (a failed test must still clean up).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Base64 of `data`, as `session.input` wants it.
pub fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `data` holds `line` as a whole terminal line: between CR/LF (or the ends). Bash
/// writes control sequences and a lone CR before a command's output, so splitting on LF alone
/// is not enough.
pub fn has_line(data: &[u8], line: &[u8]) -> bool {
    data.split(|&b| b == b'\n' || b == b'\r').any(|l| l == line)
}

/// How often `needle` occurs in `hay` (non-overlapping).
pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = find(&hay[at..], needle) {
        n += 1;
        at += i + needle.len();
    }
    n
}

/// The last `n` bytes of `data` as readable text, for failure messages.
pub fn tail_text(data: &[u8], n: usize) -> String {
    let from = data.len().saturating_sub(n);
    String::from_utf8_lossy(&data[from..])
        .escape_debug()
        .to_string()
}

/// The last `n` bytes of a file as text (empty if unreadable).
pub fn file_tail(path: &Path, n: usize) -> String {
    let data = fs::read(path).unwrap_or_default();
    let from = data.len().saturating_sub(n);
    String::from_utf8_lossy(&data[from..]).to_string()
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// The fields of `/proc/PID/stat` the tests use.
#[derive(Clone, Debug)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// Command name (without the parentheses).
    pub comm: String,
    /// State letter (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Parent pid.
    pub ppid: u32,
    /// Process group.
    pub pgrp: i32,
    /// Session id.
    pub session: i32,
}

/// Reads `/proc/PID/stat`; `None` if the process does not exist.
pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let mut rest = text[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    let session = rest.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        comm,
        state,
        ppid,
        pgrp,
        session,
    })
}

/// Every process visible in `/proc`.
pub fn all_procs() -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_stat)
        .collect()
}

/// Whether a process exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

/// Waits until `pid` is gone (or a zombie); panics after `timeout`.
pub fn wait_pid_gone(pid: u32, what: &str, timeout: Duration) {
    wait_until(timeout, &format!("{what} (pid {pid}) to be gone"), || {
        !pid_alive(pid)
    });
}

/// Live (non-zombie) children of `ppid` whose command name is `comm`.
pub fn children_named(ppid: u32, comm: &str) -> Vec<u32> {
    all_procs()
        .into_iter()
        .filter(|p| p.ppid == ppid && p.comm == comm && p.state != 'Z')
        .map(|p| p.pid)
        .collect()
}

/// Sends SIGKILL to `pid`, ignoring errors.
pub fn kill9(pid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// This machine's host name, read independently of the agent.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("reading /proc/sys/kernel/hostname")
        .trim()
        .to_string()
}

/// Every entry under `dir` (recursively, not following symlinks), `dir` itself first.
pub fn walk(dir: &Path) -> Vec<(PathBuf, fs::Metadata)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(rd) = fs::read_dir(&p) {
                todo.extend(rd.flatten().map(|e| e.path()));
            }
        }
        out.push((p, meta));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Home
// ---------------------------------------------------------------------------------------------

/// A private `$OUTPOST_HOME` for one test, in a short temporary directory, and the agents
/// started in it. Agent logs go next to it (not inside it), so the home holds only what the
/// agent itself writes.
#[derive(Clone)]
pub struct Home {
    inner: Arc<HomeInner>,
}

struct HomeInner {
    root: tempfile::TempDir,
    home: PathBuf,
    agents: AtomicUsize,
    /// Directories outside `root` to remove at the end (see [`Home::remove_on_drop`]).
    extra_dirs: Mutex<Vec<PathBuf>>,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    /// A fresh home: `/tmp/ohXXXXXX/h` (not created; the agent creates it).
    pub fn new() -> Home {
        Self::with_subdir("h")
    }

    /// A fresh home at `/tmp/ohXXXXXX/<sub>` (`sub` may hold several components).
    pub fn with_subdir(sub: &str) -> Home {
        let root = tempfile::Builder::new()
            .prefix("oh")
            .tempdir_in("/tmp")
            .expect("creating a temporary directory");
        let home = root.path().join(sub);
        Home {
            inner: Arc::new(HomeInner {
                root,
                home,
                agents: AtomicUsize::new(0),
                extra_dirs: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The `$OUTPOST_HOME` path.
    pub fn path(&self) -> &Path {
        &self.inner.home
    }

    /// The temporary directory holding the home (and the agents' logs).
    pub fn root(&self) -> &Path {
        self.inner.root.path()
    }

    /// A command running the agent binary with this `$OUTPOST_HOME`.
    pub fn command(&self) -> Command {
        let mut c = Command::new(AGENT_BIN);
        c.env("OUTPOST_HOME", self.path())
            .current_dir(self.root())
            .stdin(Stdio::null());
        c
    }

    /// Starts `outpost-agent serve --stdio` in this home (not initialized).
    pub fn agent(&self) -> Agent {
        Agent::spawn(self.inner.clone(), Command::new(AGENT_BIN))
    }

    /// Starts the agent through `cmd`, a command for the agent binary prepared elsewhere (as
    /// another user, inside a network namespace): it gets `serve --stdio`, this home's
    /// `OUTPOST_HOME` and piped standard streams.
    pub fn agent_via(&self, cmd: Command) -> Agent {
        Agent::spawn(self.inner.clone(), cmd)
    }

    /// Hands the home's temporary directory to another user, so an agent running as that user
    /// can create its home there.
    pub fn give_to(&self, uid: u32, gid: u32) {
        std::os::unix::fs::chown(self.root(), Some(uid), Some(gid))
            .expect("handing the home to the test user");
    }

    /// Starts an agent and initializes it.
    pub fn agent_initialized(&self) -> Agent {
        let a = self.agent();
        a.initialize();
        a
    }

    /// The record file of a session.
    pub fn record_path(&self, sid: &str) -> PathBuf {
        self.path()
            .join("state/sessions")
            .join(format!("{sid}.json"))
    }

    /// The log file of a session's daemon.
    pub fn log_path(&self, sid: &str) -> PathBuf {
        self.path().join("state/logs").join(format!("{sid}.log"))
    }

    /// The default socket path of a session (for short homes).
    pub fn socket_path(&self, sid: &str) -> PathBuf {
        self.path().join("run/d1").join(format!("{sid}.sock"))
    }

    /// A session's record, parsed; `None` if missing or unreadable.
    pub fn record(&self, sid: &str) -> Option<Value> {
        let data = fs::read(self.record_path(sid)).ok()?;
        serde_json::from_slice(&data).ok()
    }

    /// Removes `dir` (recursively) when the home goes away. Only short socket directories
    /// (`/tmp/outpost-<uid>/h<hash>`) are accepted.
    pub fn remove_on_drop(&self, dir: &Path) {
        assert!(
            is_short_socket_dir(dir),
            "refusing to remove {}",
            dir.display()
        );
        lock(&self.inner.extra_dirs).push(dir.to_path_buf());
    }

    /// Every entry under the home that is not a directory.
    pub fn files(&self) -> Vec<PathBuf> {
        walk(self.path())
            .into_iter()
            .filter(|(_, m)| !m.is_dir())
            .map(|(p, _)| p)
            .collect()
    }
}

impl HomeInner {
    /// Kills everything left that belongs to this home and removes sockets kept outside it.
    fn cleanup(&self) {
        let me = std::process::id();
        let mut env_entry = b"OUTPOST_HOME=".to_vec();
        env_entry.extend_from_slice(self.home.as_os_str().as_bytes());
        let mut daemons = BTreeSet::new();
        let mut sessions = BTreeSet::new();
        let mut sockets = Vec::new();
        if let Ok(rd) = fs::read_dir(self.home.join("state/sessions")) {
            for e in rd.flatten() {
                let Ok(data) = fs::read(e.path()) else {
                    continue;
                };
                let Ok(rec) = serde_json::from_slice::<Value>(&data) else {
                    continue;
                };
                if let Some(p) = rec["daemon_pid"].as_u64() {
                    daemons.insert(p as u32);
                }
                if let Some(p) = rec["child_pid"].as_u64() {
                    sessions.insert(p as i32);
                }
                if let Some(s) = rec["socket"].as_str() {
                    sockets.push(PathBuf::from(s));
                }
            }
        }
        for p in all_procs() {
            if p.pid == me || p.state == 'Z' {
                continue;
            }
            let in_session = sessions.contains(&p.session);
            let is_daemon = daemons.contains(&p.pid)
                && fs::read(format!("/proc/{}/cmdline", p.pid))
                    .is_ok_and(|c| find(&c, b"outpost-agent").is_some());
            let ours = fs::read(format!("/proc/{}/environ", p.pid))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == env_entry));
            if in_session || is_daemon || ours {
                kill9(p.pid);
            }
        }
        // Sockets of homes too deep for a socket path live in `/tmp/outpost-<uid>/h<hash>/d1/`;
        // that directory holds only this home's sockets.
        let mut dirs = std::mem::take(&mut *lock(&self.extra_dirs));
        for s in sockets {
            if s.starts_with(&self.home) {
                continue;
            }
            let _ = fs::remove_file(&s);
            dirs.extend(s.parent().and_then(Path::parent).map(Path::to_path_buf));
        }
        for d in dirs {
            if is_short_socket_dir(&d) {
                let _ = fs::remove_dir_all(&d);
            }
        }
    }
}

/// Whether `dir` looks like `/tmp/outpost-<uid>/h<hash>`.
fn is_short_socket_dir(dir: &Path) -> bool {
    let parent_ok = dir
        .parent()
        .is_some_and(|p| p.to_string_lossy().starts_with("/tmp/outpost-"));
    let name_ok = dir.file_name().is_some_and(|n| {
        let n = n.to_string_lossy();
        n.len() > 1 && n.starts_with('h') && n[1..].bytes().all(|b| b.is_ascii_hexdigit())
    });
    parent_ok && name_ok
}

impl Drop for HomeInner {
    fn drop(&mut self) {
        self.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------
// Output collection
// ---------------------------------------------------------------------------------------------

/// How a session's output is collected.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Every chunk must start where the previous ended (a gap is an error). When false, gaps
    /// are recorded in [`Collector::gaps`] instead; going backwards is always an error.
    pub contiguous: bool,
    /// Keep at most this many of the latest bytes in [`Collector::data`].
    pub keep: usize,
}

impl Default for Mode {
    fn default() -> Self {
        Mode {
            contiguous: true,
            keep: usize::MAX,
        }
    }
}

impl Mode {
    /// For floods: gaps allowed (and recorded), only the last MiB kept.
    pub fn lenient() -> Mode {
        Mode {
            contiguous: false,
            keep: 1024 * 1024,
        }
    }
}

/// One session's output as received by one agent since its last successful attach.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    /// The attach's `replay_from`.
    pub replay_from: u64,
    /// The offset the next chunk should start at (the end of what was received).
    pub next: u64,
    /// The bytes received, in order (only the latest [`Mode::keep`] bytes).
    pub data: Vec<u8>,
    /// Bytes dropped from the front of `data` because of [`Mode::keep`].
    pub dropped: u64,
    /// Total bytes received.
    pub received: u64,
    /// Number of `session.output` notifications received.
    pub chunks: u64,
    /// Jumps in the offsets: `(expected, got)` with `got > expected`.
    pub gaps: Vec<(u64, u64)>,
    /// Violations (gaps in contiguous mode, overlaps, bad data).
    pub errors: Vec<String>,
    mode: Mode,
}

impl Collector {
    fn new(replay_from: u64, mode: Mode) -> Self {
        Collector {
            replay_from,
            next: replay_from,
            mode,
            ..Default::default()
        }
    }

    fn push(&mut self, offset: u64, bytes: &[u8]) {
        if offset < self.next {
            self.errors.push(format!(
                "output at offset {offset} (len {}) overlaps what was already received up to {}",
                bytes.len(),
                self.next
            ));
        } else if offset > self.next {
            if self.mode.contiguous {
                self.errors.push(format!(
                    "gap: output at offset {offset}, expected {}",
                    self.next
                ));
            }
            self.gaps.push((self.next, offset));
        }
        self.next = offset + bytes.len() as u64;
        self.received += bytes.len() as u64;
        self.chunks += 1;
        self.data.extend_from_slice(bytes);
        // Trim in batches (keeping between `keep` and twice that) so a flood costs no quadratic
        // copying.
        if self.data.len() > self.mode.keep.saturating_mul(2) {
            let cut = self.data.len() - self.mode.keep;
            self.data.drain(..cut);
            self.dropped += cut as u64;
        }
    }

    /// Whether the received bytes contain `needle`.
    pub fn contains(&self, needle: &[u8]) -> bool {
        find(&self.data, needle).is_some()
    }
}

/// A notification other than `session.output`, with how much output of its session had been
/// received when it arrived.
#[derive(Clone, Debug)]
pub struct Event {
    /// The whole message.
    pub msg: Value,
    /// [`Collector::received`] of the notification's session at that moment (0 if none).
    pub output_received: u64,
}

impl Event {
    /// The method name.
    pub fn method(&self) -> &str {
        self.msg["method"].as_str().unwrap_or("")
    }

    /// The params.
    pub fn params(&self) -> &Value {
        &self.msg["params"]
    }
}

#[derive(Default)]
struct State {
    responses: HashMap<String, Value>,
    null_id: VecDeque<Value>,
    events: Vec<Event>,
    sessions: HashMap<String, Collector>,
    pending_attach: HashMap<String, String>,
    modes: HashMap<String, Mode>,
    violations: Vec<String>,
    eof: bool,
}

#[derive(Default)]
struct GateState {
    paused: bool,
    parked: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    gate: Mutex<GateState>,
    gate_cv: Condvar,
}

impl Shared {
    fn handle_line(&self, line: &[u8]) {
        let mut st = lock(&self.state);
        let text = String::from_utf8_lossy(line);
        let msg: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                let head: String = text.chars().take(200).collect();
                st.violations
                    .push(format!("stdout line is not JSON ({e}): {head}"));
                return;
            }
        };
        if msg.get("jsonrpc") != Some(&json!("2.0")) || !msg.is_object() {
            let head: String = text.chars().take(200).collect();
            st.violations
                .push(format!("stdout line is not a JSON-RPC 2.0 object: {head}"));
            return;
        }
        if let Some(id) = msg.get("id") {
            if msg.get("result").is_some() == msg.get("error").is_some() {
                st.violations.push(format!(
                    "response needs exactly one of result and error: {msg}"
                ));
                return;
            }
            if id.is_null() {
                st.null_id.push_back(msg);
            } else {
                let key = id.to_string();
                if let Some(sid) = st.pending_attach.remove(&key) {
                    if let Some(from) = msg["result"]["replay_from"].as_u64() {
                        let mode = st.modes.get(&sid).copied().unwrap_or_default();
                        st.sessions.insert(sid, Collector::new(from, mode));
                    }
                }
                if st.responses.insert(key, msg.clone()).is_some() {
                    st.violations.push(format!("second response with id {id}"));
                }
            }
        } else if msg["method"] == "session.output" {
            let p = &msg["params"];
            let sid = p["session_id"].as_str().unwrap_or("").to_string();
            let (Some(offset), Some(data)) = (p["offset"].as_u64(), p["data"].as_str()) else {
                st.violations
                    .push(format!("malformed session.output: {}", text));
                return;
            };
            let bytes = match B64.decode(data) {
                Ok(b) => b,
                Err(e) => {
                    st.violations
                        .push(format!("session.output with bad base64: {e}"));
                    return;
                }
            };
            match st.sessions.get_mut(&sid) {
                Some(c) => c.push(offset, &bytes),
                None => st.violations.push(format!(
                    "session.output for {sid:?} at {offset} with no attach result before it"
                )),
            }
        } else if msg.get("method").is_some() {
            let sid = msg["params"]["session_id"].as_str().unwrap_or("");
            let output_received = st.sessions.get(sid).map_or(0, |c| c.received);
            st.events.push(Event {
                msg,
                output_received,
            });
        } else {
            st.violations
                .push(format!("neither response nor notification: {msg}"));
        }
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

    fn read_loop(&self, stdout: ChildStdout) {
        let mut r = BufReader::with_capacity(256 * 1024, stdout);
        let mut line = Vec::new();
        loop {
            self.gate();
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                // A line cut short by the agent's death is not a message.
                Ok(_) if line.last() != Some(&b'\n') => break,
                Ok(_) => {
                    line.pop();
                    self.handle_line(&line);
                    self.cv.notify_all();
                }
            }
        }
        lock(&self.state).eof = true;
        self.cv.notify_all();
        let mut g = lock(&self.gate);
        g.parked = true;
        self.gate_cv.notify_all();
    }
}

// ---------------------------------------------------------------------------------------------
// Agent
// ---------------------------------------------------------------------------------------------

/// A running `outpost-agent serve --stdio`.
pub struct Agent {
    home: Arc<HomeInner>,
    name: String,
    pid: u32,
    child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    shared: Arc<Shared>,
    reader: Mutex<Option<JoinHandle<()>>>,
    next_id: AtomicI64,
    known: Mutex<BTreeSet<String>>,
    log: PathBuf,
}

fn parse_response(msg: Value) -> Result<Value, RpcError> {
    if let Some(e) = msg.get("error") {
        let code = e["code"].as_i64().unwrap_or(0);
        let message = e["message"].as_str().unwrap_or("").to_string();
        Err((code, message))
    } else {
        Ok(msg["result"].clone())
    }
}

impl Agent {
    fn spawn(home: Arc<HomeInner>, mut cmd: Command) -> Agent {
        let n = home.agents.fetch_add(1, Ordering::SeqCst) + 1;
        let name = format!("agent-{n}");
        let log = home.root.path().join(format!("{name}.stderr"));
        let err = fs::File::create(&log).expect("creating the agent's stderr file");
        let mut child = cmd
            .args(["serve", "--stdio"])
            .env("OUTPOST_HOME", &home.home)
            .current_dir(home.root.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .expect("starting outpost-agent serve --stdio");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("agent stdout");
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let reader = std::thread::Builder::new()
            .name(format!("{name}-reader"))
            .spawn(move || s.read_loop(stdout))
            .expect("starting the reader thread");
        Agent {
            home,
            name,
            pid: child.id(),
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            shared,
            reader: Mutex::new(Some(reader)),
            next_id: AtomicI64::new(1),
            known: Mutex::new(BTreeSet::new()),
            log,
        }
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The agent's standard error so far.
    pub fn stderr(&self) -> String {
        file_tail(&self.log, 64 * 1024)
    }

    fn context(&self) -> String {
        format!(
            "\n--- {} stderr (tail) ---\n{}",
            self.name,
            file_tail(&self.log, 4000)
        )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Panics if the agent wrote anything that is not a well-formed JSON-RPC message.
    pub fn assert_no_violations(&self) {
        let st = self.state();
        assert!(
            st.violations.is_empty(),
            "{}: protocol violations on stdout: {:#?}{}",
            self.name,
            st.violations,
            self.context()
        );
    }

    /// Writes raw bytes to the agent's standard input; false if it is closed.
    pub fn try_send_raw(&self, bytes: &[u8]) -> bool {
        let mut stdin = lock(&self.stdin);
        let Some(s) = stdin.as_mut() else {
            return false;
        };
        s.write_all(bytes).and_then(|()| s.flush()).is_ok()
    }

    /// Writes raw bytes to the agent's standard input.
    pub fn send_raw(&self, bytes: &[u8]) {
        assert!(
            self.try_send_raw(bytes),
            "{}: cannot write to the agent's stdin{}",
            self.name,
            self.context()
        );
    }

    /// Writes one JSON message and a newline.
    pub fn send_json(&self, msg: &Value) {
        let mut line = serde_json::to_vec(msg).expect("encoding JSON");
        line.push(b'\n');
        self.send_raw(&line);
    }

    /// Sends a notification (no id, no response).
    pub fn notify(&self, method: &str, params: Value) {
        let mut msg = json!({"jsonrpc": "2.0", "method": method});
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send_json(&msg);
    }

    fn take_id(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Sends a request; returns its id.
    pub fn send_request(&self, method: &str, params: Value) -> Value {
        let id = json!(self.take_id());
        self.send_request_with_id(id.clone(), method, params);
        id
    }

    fn send_request_with_id(&self, id: Value, method: &str, params: Value) {
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send_json(&msg);
    }

    /// Waits for the response to `id`; `None` on timeout or if the agent's output ended first.
    pub fn try_response(&self, id: &Value, timeout: Duration) -> Option<Result<Value, RpcError>> {
        let key = id.to_string();
        let deadline = Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if let Some(msg) = st.responses.remove(&key) {
                return Some(parse_response(msg));
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                return None;
            }
            st = self
                .shared
                .cv
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits for the response to `id`; panics on timeout.
    pub fn response(&self, id: &Value, what: &str) -> Result<Value, RpcError> {
        let r = self.try_response(id, DEADLINE);
        self.assert_no_violations();
        match r {
            Some(r) => r,
            None => panic!(
                "{}: no response to {what} (id {id}) within {DEADLINE:?} (agent output ended: {}){}",
                self.name,
                self.state().eof,
                self.context()
            ),
        }
    }

    /// Calls a method and waits for its answer.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.send_request(method, params);
        self.response(&id, method)
    }

    /// Calls a method that must succeed.
    pub fn call_ok(&self, method: &str, params: Value) -> Value {
        match self.call(method, params.clone()) {
            Ok(v) => v,
            Err(e) => panic!(
                "{}: {method} {params} failed: {e:?}{}",
                self.name,
                self.context()
            ),
        }
    }

    /// Calls a method that must fail with `code`; returns the message.
    pub fn call_err(&self, method: &str, params: Value, code: i64) -> String {
        match self.call(method, params.clone()) {
            Ok(v) => panic!(
                "{}: {method} {params} should fail with {code} but returned {v}",
                self.name
            ),
            Err((c, m)) => {
                assert_eq!(
                    c, code,
                    "{}: {method} {params} failed with {c} ({m}), expected {code}",
                    self.name
                );
                m
            }
        }
    }

    /// Waits for the next response with `"id": null` (errors about unreadable lines).
    pub fn null_id_response(&self) -> Value {
        let deadline = Instant::now() + DEADLINE;
        let mut st = self.state();
        loop {
            if let Some(v) = st.null_id.pop_front() {
                return v;
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                drop(st);
                panic!(
                    "{}: no response with id null within {DEADLINE:?}{}",
                    self.name,
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

    /// Responses with `"id": null` received and not yet taken.
    pub fn pending_null_id_responses(&self) -> usize {
        self.state().null_id.len()
    }

    /// `initialize` with protocol version 1; returns the result.
    pub fn initialize(&self) -> Value {
        self.call_ok(
            "initialize",
            json!({"protocol_version": 1, "client": {"name": "outpost-tests", "version": "0"}}),
        )
    }

    /// The default params of a test shell session: bash without rc files, a plain prompt, no
    /// history file, started in the test's temporary directory.
    pub fn bash_params(&self, cols: u16, rows: u16) -> Value {
        json!({
            "kind": "shell",
            "cols": cols,
            "rows": rows,
            "cwd": self.home.root.path(),
            "env": {"PS1": "$ ", "HISTFILE": "", "LC_ALL": "C"},
            "shell": {"program": BASH, "args": ["--norc", "--noprofile"]},
        })
    }

    /// `session.create` with raw params; remembers the session for clean-up.
    pub fn create(&self, params: Value) -> Result<Value, RpcError> {
        let r = self.call("session.create", params)?;
        if let Some(sid) = r["session"]["session_id"].as_str() {
            lock(&self.known).insert(sid.to_string());
        }
        Ok(r["session"].clone())
    }

    /// Creates a bash session with [`Agent::bash_params`] plus `extra` (whose keys override).
    pub fn create_bash_with(&self, extra: Value) -> Value {
        let mut params = self.bash_params(80, 24);
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                params[k] = v;
            }
        }
        match self.create(params.clone()) {
            Ok(s) => s,
            Err(e) => panic!(
                "{}: session.create {params} failed: {e:?}{}",
                self.name,
                self.context()
            ),
        }
    }

    /// Creates a bash session of the given size; returns its `SessionInfo`.
    pub fn create_bash(&self, cols: u16, rows: u16) -> Value {
        self.create_bash_with(json!({"cols": cols, "rows": rows}))
    }

    /// Sets how a session's output is collected (takes effect at the next attach).
    pub fn set_mode(&self, sid: &str, mode: Mode) {
        self.state().modes.insert(sid.to_string(), mode);
    }

    /// `session.attach`; on success, output collection starts at `replay_from`.
    pub fn attach(&self, sid: &str, from_offset: Option<u64>) -> Result<Value, RpcError> {
        let id = json!(self.take_id());
        let mut params = json!({"session_id": sid});
        if let Some(f) = from_offset {
            params["from_offset"] = json!(f);
        }
        self.state()
            .pending_attach
            .insert(id.to_string(), sid.to_string());
        self.send_request_with_id(id.clone(), "session.attach", params);
        let r = self.response(&id, "session.attach");
        if r.is_ok() {
            lock(&self.known).insert(sid.to_string());
        }
        r
    }

    /// Attaches and panics on failure.
    pub fn attach_ok(&self, sid: &str, from_offset: Option<u64>) -> Value {
        match self.attach(sid, from_offset) {
            Ok(v) => v,
            Err(e) => panic!(
                "{}: attach {sid} failed: {e:?}{}",
                self.name,
                self.context()
            ),
        }
    }

    /// Types bytes into a session (as a request, so errors show).
    pub fn input(&self, sid: &str, data: &[u8]) -> Result<Value, RpcError> {
        self.call(
            "session.input",
            json!({"session_id": sid, "data": b64(data)}),
        )
    }

    /// Types a line (and Enter) into a session; panics on failure.
    pub fn type_line(&self, sid: &str, line: &str) {
        let data = format!("{line}\n");
        if let Err(e) = self.input(sid, data.as_bytes()) {
            panic!("{}: typing {line:?} failed: {e:?}", self.name);
        }
    }

    /// `session.list`'s sessions.
    pub fn list(&self) -> Vec<Value> {
        let r = self.call_ok("session.list", json!({}));
        r["sessions"].as_array().cloned().unwrap_or_default()
    }

    /// One session as `session.list` shows it.
    pub fn session(&self, sid: &str) -> Option<Value> {
        self.list()
            .into_iter()
            .find(|s| s["session_id"].as_str() == Some(sid))
    }

    /// `session.read` of up to `max` bytes from `from`: `(offset, data, output_end)`.
    pub fn read(&self, sid: &str, from: u64, max: u64) -> (u64, Vec<u8>, u64) {
        let r = self.call_ok(
            "session.read",
            json!({"session_id": sid, "from_offset": from, "max_bytes": max}),
        );
        let data = B64
            .decode(r["data"].as_str().expect("read data"))
            .expect("read data is base64");
        (
            r["offset"].as_u64().expect("read offset"),
            data,
            r["output_end"].as_u64().expect("read output_end"),
        )
    }

    /// Reads a session's whole held output with `session.read`: `(offset of first byte, bytes)`.
    pub fn read_all(&self, sid: &str) -> (u64, Vec<u8>) {
        let (first, mut data, mut end) = self.read(sid, 0, 1024 * 1024);
        let mut next = first + data.len() as u64;
        while next < end {
            let (at, more, e) = self.read(sid, next, 1024 * 1024);
            assert_eq!(at, next, "session.read skipped from {next} to {at}");
            next += more.len() as u64;
            data.extend_from_slice(&more);
            end = e;
        }
        (first, data)
    }

    /// `session.close`, forgetting the session.
    pub fn close(&self, sid: &str) -> Result<Value, RpcError> {
        let r = self.call("session.close", json!({"session_id": sid}));
        if r.is_ok() {
            lock(&self.known).remove(sid);
        }
        r
    }

    /// What this agent has collected of a session's output.
    pub fn output(&self, sid: &str) -> Collector {
        self.state().sessions.get(sid).cloned().unwrap_or_default()
    }

    /// Waits until `cond` holds for a session's collector; panics (with the output's tail)
    /// after `timeout`, at the first violation, or if the agent's output ends first.
    pub fn wait_output_until(
        &self,
        sid: &str,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Collector) -> bool,
    ) -> Collector {
        let deadline = Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if !st.violations.is_empty() {
                let v = st.violations.clone();
                drop(st);
                panic!(
                    "{}: protocol violations: {v:#?}{}",
                    self.name,
                    self.context()
                );
            }
            let c = st.sessions.get(sid);
            if let Some(c) = c {
                assert!(
                    c.errors.is_empty(),
                    "{}: output of {sid} is not contiguous: {:#?}",
                    self.name,
                    c.errors
                );
                if cond(c) {
                    return c.clone();
                }
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                let tail = c.map(|c| tail_text(&c.data, 1500)).unwrap_or_default();
                let eof = st.eof;
                drop(st);
                panic!(
                    "{}: waiting for {what} in the output of {sid}: {} \n--- output tail ---\n{tail}{}",
                    self.name,
                    if eof { "the agent's output ended" } else { "timed out" },
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

    /// Waits until a session's collected output contains `needle`.
    pub fn wait_for_output(&self, sid: &str, needle: &[u8], timeout: Duration) -> Collector {
        let what = format!("{:?}", String::from_utf8_lossy(needle));
        // Only look at what arrived since the last look (plus an overlap for a needle split
        // across chunks), in absolute stream positions since `data` may be trimmed in front.
        let mut seen = 0u64;
        self.wait_output_until(sid, &what, timeout, |c| {
            let total = c.dropped + c.data.len() as u64;
            if total < seen {
                seen = 0;
            }
            let from = seen.saturating_sub(needle.len() as u64).max(c.dropped) - c.dropped;
            seen = total;
            find(&c.data[from as usize..], needle).is_some()
        })
    }

    /// Waits until a session's collected output holds `line` as a whole terminal line.
    pub fn wait_for_line(&self, sid: &str, line: &str, timeout: Duration) -> Collector {
        let what = format!("the line {line:?}");
        self.wait_output_until(sid, &what, timeout, |c| has_line(&c.data, line.as_bytes()))
    }

    /// Every non-output notification so far.
    pub fn events(&self) -> Vec<Event> {
        self.state().events.clone()
    }

    /// Waits for a notification matching `pred`.
    pub fn wait_event(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Event) -> bool,
    ) -> Event {
        let deadline = Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if let Some(e) = st.events.iter().find(|e| pred(e)) {
                return e.clone();
            }
            let now = Instant::now();
            if st.eof || now >= deadline {
                let evs: Vec<String> = st.events.iter().map(|e| e.msg.to_string()).collect();
                drop(st);
                panic!(
                    "{}: no {what} within {timeout:?}; events so far: {evs:#?}{}",
                    self.name,
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

    /// Waits for the `session.exit` notification of a session.
    pub fn wait_exit(&self, sid: &str) -> Event {
        self.wait_event(&format!("session.exit for {sid}"), DEADLINE, |e| {
            e.method() == "session.exit" && e.params()["session_id"] == sid
        })
    }

    /// Stops reading the agent's standard output (so it backs up); returns once the reader
    /// thread is parked.
    pub fn pause_reading(&self) {
        let mut g = lock(&self.shared.gate);
        g.paused = true;
        let deadline = Instant::now() + DEADLINE;
        while !g.parked {
            let now = Instant::now();
            assert!(
                now < deadline,
                "{}: the reader did not pause (no output?)",
                self.name
            );
            g = self
                .shared
                .gate_cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Resumes reading the agent's standard output.
    pub fn resume_reading(&self) {
        let mut g = lock(&self.shared.gate);
        g.paused = false;
        self.shared.gate_cv.notify_all();
    }

    /// The agent's resident memory in KiB (`VmRSS`), `None` once it is gone.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Closes the agent's standard input (as when the SSH channel drops).
    pub fn close_stdin(&self) {
        lock(&self.stdin).take();
    }

    /// Waits for the agent to exit; panics after `timeout`.
    pub fn wait_exit_status(&self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = lock(&self.child).try_wait().expect("try_wait") {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{}: still running {timeout:?} after its stdin closed{}",
                self.name,
                self.context()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the agent process still runs.
    pub fn is_running(&self) -> bool {
        matches!(lock(&self.child).try_wait(), Ok(None))
    }

    /// Kills the agent with SIGKILL and waits until everything it wrote has been read.
    pub fn kill9(&self) {
        {
            let mut c = lock(&self.child);
            let _ = c.kill();
            let _ = c.wait();
        }
        self.resume_reading();
        if let Some(h) = lock(&self.reader).take() {
            let _ = h.join();
        }
        lock(&self.stdin).take();
    }

    /// Sessions this agent created or attached to and has not closed.
    pub fn known_sessions(&self) -> Vec<String> {
        lock(&self.known).iter().cloned().collect()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.resume_reading();
        if self.is_running() {
            let deadline = Instant::now() + DEADLINE;
            let known: Vec<String> = lock(&self.known).iter().cloned().collect();
            for sid in known {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let id = json!(self.take_id());
                let mut msg = serde_json::to_vec(&json!({
                    "jsonrpc": "2.0", "id": id, "method": "session.close",
                    "params": {"session_id": sid},
                }))
                .unwrap_or_default();
                msg.push(b'\n');
                if !self.try_send_raw(&msg) {
                    break;
                }
                let _ = self.try_response(&id, (deadline - now).min(Duration::from_secs(10)));
            }
            self.close_stdin();
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.is_running() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        {
            let mut c = lock(&self.child);
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(h) = lock(&self.reader).take() {
            let _ = h.join();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.context());
        }
    }
}

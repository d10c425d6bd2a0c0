//! Helpers for the monitoring tests (`tests/monitor.rs`) and the monitoring cost benchmark
//! (`benches/monitor_cost.rs`): an agent running as a test user "on the jump host" of an
//! `outpost-testkit` topology, `ssh` sessions from it to the target, `monitor.sample`
//! notifications filed by subscription, and figures of this machine read independently of the
//! agent (`/proc`, `statvfs`, sysfs).
//!
//! Every wait polls a condition against a deadline; nothing synchronises with fixed sleeps.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use outpost_testkit::{public_key_of, require_root, TestUser, Topology};
use serde_json::{json, Value};

use crate::support::{Agent, Home, AGENT_BIN};

/// How long a session's link may take to come up (login over the topology on a slow machine).
pub const LINK_DEADLINE: Duration = Duration::from_secs(40);

// ---------------------------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------------------------

/// The `sample`s of every `monitor.sample` notification for `sub` received so far, in arrival
/// order.
pub fn samples_of(agent: &Agent, sub: &str) -> Vec<Value> {
    agent
        .events()
        .into_iter()
        .filter(|e| e.method() == "monitor.sample" && e.params()["subscription_id"] == sub)
        .map(|e| e.params()["sample"].clone())
        .collect()
}

/// Every `monitor.sample` notification received so far, as `(subscription_id, sample)`.
pub fn all_samples(agent: &Agent) -> Vec<(String, Value)> {
    agent
        .events()
        .into_iter()
        .filter(|e| e.method() == "monitor.sample")
        .map(|e| {
            (
                e.params()["subscription_id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                e.params()["sample"].clone(),
            )
        })
        .collect()
}

/// Polls `cond` on the samples of `sub` until it holds; panics with `what` (and the samples
/// seen) after `timeout` or when the agent has exited.
pub fn wait_samples(
    agent: &Agent,
    sub: &str,
    what: &str,
    timeout: Duration,
    mut cond: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let samples = samples_of(agent, sub);
        if cond(&samples) {
            return samples;
        }
        if Instant::now() >= deadline || !agent.is_running() {
            let brief: Vec<String> = samples.iter().map(brief).collect();
            panic!(
                "subscription {sub}: {} waiting for {what}; {} samples so far:\n{}\n--- agent stderr ---\n{}",
                if agent.is_running() {
                    format!("timed out after {timeout:?}")
                } else {
                    "the agent exited".to_string()
                },
                samples.len(),
                brief.join("\n"),
                agent.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `sub` has received at least `n` samples; returns them all.
pub fn wait_n_samples(agent: &Agent, sub: &str, n: usize, timeout: Duration) -> Vec<Value> {
    wait_samples(agent, sub, &format!("{n} samples"), timeout, |s| {
        s.len() >= n
    })
}

/// One line describing a sample, for failure messages.
pub fn brief(s: &Value) -> String {
    match s["error"].as_str() {
        Some(e) => format!("  at={} error={e:?}", s["at"]),
        None => format!(
            "  at={} host={} cpu={} mem={}",
            s["at"], s["hostname"], s["cpu"]["percent"], s["memory"]["used_bytes"]
        ),
    }
}

/// A sample's `at` (panics when missing).
pub fn at(s: &Value) -> u64 {
    s["at"]
        .as_u64()
        .unwrap_or_else(|| panic!("sample without at: {s}"))
}

/// Whether a sample carries `error`.
pub fn is_error(s: &Value) -> bool {
    s.get("error").is_some_and(|e| !e.is_null())
}

/// `monitor.subscribe`; returns `(subscription_id, history)`.
pub fn subscribe(agent: &Agent, target: Value, interval_ms: u64) -> (String, Vec<Value>) {
    let r = agent.call_ok(
        "monitor.subscribe",
        json!({"target": target, "interval_ms": interval_ms}),
    );
    let id = r["subscription_id"]
        .as_str()
        .unwrap_or_else(|| panic!("subscribe result without subscription_id: {r}"))
        .to_string();
    let history = r["history"]
        .as_array()
        .unwrap_or_else(|| panic!("subscribe result without history: {r}"))
        .clone();
    (id, history)
}

/// `monitor.snapshot`; returns the sample.
pub fn snapshot(agent: &Agent, target: Value) -> Value {
    agent.call_ok("monitor.snapshot", json!({"target": target}))["sample"].clone()
}

/// The target of an `ssh` session, as `monitor.*` wants it.
pub fn session_target(sid: &str) -> Value {
    json!({"session_id": sid})
}

/// A number field of a sample (panics when missing or not a number).
pub fn f(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// An integer field of a sample (panics when missing or not an unsigned integer).
pub fn u(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what} is not an unsigned integer: {v}"))
}

/// The interface `name` of a sample's `net.interfaces`, if listed.
pub fn interface<'a>(s: &'a Value, name: &str) -> Option<&'a Value> {
    s["net"]["interfaces"]
        .as_array()?
        .iter()
        .find(|i| i["name"] == name)
}

// ---------------------------------------------------------------------------------------------
// This machine, read independently of the agent
// ---------------------------------------------------------------------------------------------

/// A `/proc/meminfo` field in bytes.
pub fn meminfo_bytes(field: &str) -> u64 {
    let text = fs::read_to_string("/proc/meminfo").expect("reading /proc/meminfo");
    let line = text
        .lines()
        .find(|l| l.split(':').next() == Some(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/meminfo"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad /proc/meminfo line {line:?}"));
    kib * 1024
}

/// The number of processors in `/proc/cpuinfo`.
pub fn cpuinfo_count() -> usize {
    fs::read_to_string("/proc/cpuinfo")
        .expect("reading /proc/cpuinfo")
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count()
}

/// What `nproc` prints: the processors this process may run on.
pub fn nproc() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0)
}

/// `/proc/uptime`'s first figure.
pub fn uptime_s() -> f64 {
    fs::read_to_string("/proc/uptime")
        .expect("reading /proc/uptime")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("parsing /proc/uptime")
}

/// `/proc/loadavg`'s three figures.
pub fn loadavg() -> [f64; 3] {
    let text = fs::read_to_string("/proc/loadavg").expect("reading /proc/loadavg");
    let mut w = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
    [w.next().unwrap(), w.next().unwrap(), w.next().unwrap()]
}

/// The kernel release (`uname -r`).
pub fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .expect("reading /proc/sys/kernel/osrelease")
        .trim()
        .to_string()
}

/// The byte counters of network interface `dev` in this namespace: `(rx, tx)`.
pub fn if_counters(dev: &str) -> (u64, u64) {
    let read = |which: &str| -> u64 {
        let p = format!("/sys/class/net/{dev}/statistics/{which}_bytes");
        fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("reading {p}: {e}"))
            .trim()
            .parse()
            .unwrap()
    };
    (read("rx"), read("tx"))
}

/// Processes that are not kernel threads, counted from `/proc` the way `ps` would.
pub fn user_process_count() -> usize {
    const PF_KTHREAD: u64 = 0x0020_0000;
    let Ok(dir) = fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            // Field 9 (flags) is the 7th after the closing parenthesis.
            stat[close + 1..]
                .split_whitespace()
                .nth(6)
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|flags| flags & PF_KTHREAD == 0)
        })
        .count()
}

/// One mount from `/proc/self/mountinfo`.
#[derive(Clone, Debug)]
pub struct Mount {
    /// The mounted directory (within the filesystem: `/` for a whole filesystem).
    pub root: String,
    /// Where it is mounted.
    pub mount_point: String,
    /// Filesystem type.
    pub fs: String,
    /// Mount source (e.g. `/dev/vda`).
    pub source: String,
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let code = std::str::from_utf8(&b[i + 1..i + 4])
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok());
            if let Some(v) = code {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every mount of this process's mount namespace.
pub fn mounts() -> Vec<Mount> {
    let text = fs::read_to_string("/proc/self/mountinfo").expect("reading mountinfo");
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let left: Vec<&str> = left.split_whitespace().collect();
            let right: Vec<&str> = right.split_whitespace().collect();
            Some(Mount {
                root: unescape(left.get(3)?),
                mount_point: unescape(left.get(4)?),
                fs: right.first()?.to_string(),
                source: unescape(right.get(1)?),
            })
        })
        .collect()
}

/// Filesystem types that must never be listed as disks.
pub const PSEUDO_FS: &[&str] = &[
    "tmpfs",
    "devtmpfs",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "overlay",
    "squashfs",
    "ramfs",
    "devpts",
    "mqueue",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "autofs",
    "fusectl",
    "configfs",
    "nsfs",
    "hugetlbfs",
    "binfmt_misc",
];

/// Filesystem types of real block storage, which must be listed when mounted whole.
pub const BLOCK_FS: &[&str] = &["ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "vfat"];

/// `statvfs` of a mount point: `(f_blocks * f_frsize, (f_blocks - f_bfree) * f_frsize)`.
pub fn statvfs_total_used(mount: &str) -> (u64, u64) {
    let v = nix::sys::statvfs::statvfs(mount).unwrap_or_else(|e| panic!("statvfs {mount}: {e}"));
    let frsize = v.fragment_size();
    (v.blocks() * frsize, (v.blocks() - v.blocks_free()) * frsize)
}

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

/// A TCP echo server whose listening socket lives in another network namespace (the jump
/// host's), served by threads of this process; stopped on drop.
pub struct EchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Listens on `ip` (an address of network namespace `ns`) on a free port.
    pub fn start_in(ns: &str, ip: IpAddr) -> EchoServer {
        let listener = outpost_testkit::process::in_netns(Some(ns), move || {
            TcpListener::bind(SocketAddr::new(ip, 0))
        })
        .expect("entering the jump namespace")
        .expect("listening in the jump namespace");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if conn.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                });
            }
        });
        EchoServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop (from the test's namespace, like every client).
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends `total` bytes to an [`EchoServer`] in 4 KiB chunks and reads each back; returns the
/// bytes echoed.
pub fn echo_exchange(addr: SocketAddr, total: usize) -> u64 {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connecting to the echo server at {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let chunk = [0x5au8; 4096];
    let mut back = [0u8; 4096];
    let mut echoed = 0u64;
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len());
        s.write_all(&chunk[..n])
            .expect("writing to the echo server");
        s.read_exact(&mut back[..n]).expect("reading the echo");
        echoed += n as u64;
        left -= n;
    }
    echoed
}

/// A thread exchanging data with an [`EchoServer`] every few milliseconds until dropped, so
/// both directions of the link carry traffic at every moment.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    echoed: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Traffic {
    /// Starts the exchange.
    pub fn start(addr: SocketAddr) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let echoed = Arc::new(AtomicU64::new(0));
        let (s, n) = (stop.clone(), echoed.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                n.fetch_add(echo_exchange(addr, 16 * 1024), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Traffic {
            stop,
            echoed,
            thread: Some(thread),
        }
    }

    /// Bytes echoed so far (each crossed the link twice).
    pub fn echoed(&self) -> u64 {
        self.echoed.load(Ordering::SeqCst)
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A thread spinning on one core until dropped (so CPU figures have something to show).
pub struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts spinning.
    pub fn start() -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut x = 0u64;
            while !s.load(Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        });
        Spinner {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The jump host: an agent as a test user inside the topology's jump namespace
// ---------------------------------------------------------------------------------------------

/// A topology, a test user authorized on it, and an initialized agent running as that user on
/// the jump host. Field order is drop order: the agent (which closes its sessions) first, then
/// whatever is left of its home, then the servers and namespaces, then the user.
pub struct JumpAgent {
    /// The agent, on the jump host.
    pub agent: Agent,
    /// Its `$OUTPOST_HOME`.
    pub home: Home,
    /// The topology.
    pub topo: Topology,
    /// The user the agent runs as.
    pub user: TestUser,
    /// The user's private key, authorized on the target.
    pub key: PathBuf,
    /// A known_hosts file trusting the target.
    pub known_hosts: PathBuf,
}

impl JumpAgent {
    /// Builds the topology, the user and the agent.
    pub fn start() -> JumpAgent {
        Self::start_with(Topology::builder())
    }

    /// Like [`JumpAgent::start`] with topology options.
    pub fn start_with(builder: outpost_testkit::TopologyBuilder) -> JumpAgent {
        require_root();
        let topo = builder.build().expect("building the test topology");
        let user = TestUser::create("mon").expect("creating the test user");
        let key = user
            .generate_key("id_ed25519", None)
            .expect("generating a key");
        topo.authorize_key(&user, &public_key_of(&key).expect("public key"))
            .expect("authorizing the key");
        let known_hosts = user
            .write_file(".ssh/known_hosts_topo", topo.known_hosts(), 0o600)
            .expect("writing known_hosts");
        let home = Home::new();
        home.give_to(user.uid, user.gid);
        let agent = home.agent_via(topo.jump_exec(&user, AGENT_BIN));
        agent.initialize();
        JumpAgent {
            agent,
            home,
            topo,
            user,
            key,
            known_hosts,
        }
    }

    /// `session.create` params of an `ssh` session to the target: keys only, strict host keys
    /// against our known_hosts, no config file; `options` are added (and override).
    pub fn ssh_params(&self, options: Value, reconnect: Option<Value>) -> Value {
        let addr = self.topo.target_addr();
        let mut opts = json!({
            "StrictHostKeyChecking": "yes",
            "UserKnownHostsFile": self.known_hosts.to_string_lossy(),
            "GlobalKnownHostsFile": "/dev/null",
            "IdentitiesOnly": "yes",
            "BatchMode": "yes",
            "ConnectTimeout": "5",
        });
        if let Value::Object(extra) = options {
            for (k, v) in extra {
                opts[k] = v;
            }
        }
        let mut p = json!({
            "kind": "ssh",
            "cols": 80,
            "rows": 24,
            "ssh": {
                "host": addr.ip().to_string(),
                "port": addr.port(),
                "user": self.user.name,
                "identity_file": self.key.to_string_lossy(),
                "options": opts,
            },
        });
        if let Some(r) = reconnect {
            p["reconnect"] = r;
        }
        p
    }

    /// Creates an `ssh` session to the target and waits until its link is up; returns its id.
    pub fn ssh_session(&self, options: Value, reconnect: Option<Value>) -> String {
        let params = self.ssh_params(options, reconnect);
        let s = match self.agent.create(params.clone()) {
            Ok(s) => s,
            Err(e) => panic!("session.create {params} failed: {e:?}"),
        };
        let sid = s["session_id"].as_str().expect("session_id").to_string();
        self.wait_link(&sid, "up", LINK_DEADLINE);
        sid
    }

    /// Polls `session.list` until the session's link is `state`; panics (with the session's
    /// terminal output) after `timeout`.
    pub fn wait_link(&self, sid: &str, state: &str, timeout: Duration) {
        self.wait_link_where(sid, &format!("{state:?}"), timeout, |l| l == state);
    }

    /// Polls `session.list` until the session's link state satisfies `pred`; panics like
    /// [`JumpAgent::wait_link`].
    pub fn wait_link_where(
        &self,
        sid: &str,
        state: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.agent.session(sid);
            if s.as_ref()
                .is_some_and(|s| s["link"].as_str().is_some_and(&pred))
            {
                return;
            }
            if Instant::now() >= deadline {
                let out = if s.is_some() {
                    let (_, data) = self.agent.read_all(sid);
                    crate::support::tail_text(&data, 2000)
                } else {
                    String::new()
                };
                panic!(
                    "session {sid}: link not {state} within {timeout:?}: {s:?}\n--- terminal ---\n{out}\n--- agent stderr ---\n{}\n--- target sshd log ---\n{}",
                    self.agent.stderr(),
                    self.topo.target().log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

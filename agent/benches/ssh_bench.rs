//! `ssh_bench`: output throughput of an `ssh` session of the agent running on a jump host, against
//! nested OpenSSH from the desktop (issue 3 §7: `cat` of a 256 MiB file on the target, agent ÷
//! nested ≥ 1.0×), with one-hop `ssh` on the jump host as the floor.
//!
//! ```text
//! cargo bench -p outpost-agent --bench ssh_bench               # full run (256 MiB, N = 5), updates docs/benchmarks.md
//! cargo bench -p outpost-agent --bench ssh_bench -- --quick    # smoke run (32 MiB, N = 2), prints only
//! ```
//!
//! Options after `--`: `--quick` (or `OUTPOST_BENCH_QUICK=1`), `--reps N`, `--mib M` (file size),
//! `--no-doc` (never write the document), `--doc` (write it after a quick run too), `--paths
//! agent,nested,onehop,agent-ssh` (only some routes, e.g. to profile one; never writes the
//! document nor the results file), `--run`.
//!
//! Every run of all routes also saves its figures as `ssh_bench.json` in the results directory
//! (`target/bench-results`, see `outpost_testkit::summary`) for the summary of `make bench`.
//!
//! Set-up: the `outpost-testkit` topology (desktop = the bench's own network namespace → "jump"
//! namespace → "target" namespace, the target reachable only from jump; loopback servers where
//! namespaces are not permitted, which the report then says), a throwaway user whose key is
//! authorized on both sshds, and a file of printable lines in that user's home (jump and target
//! share the machine's filesystem). Four routes, interleaved in every repetition (the order
//! rotates):
//!
//! * **(a) agent** (the issue's figure): the release `outpost-agent serve --stdio` runs as the
//!   user inside the jump namespace; the bench is its JSON-RPC client on its stdio. A
//!   `kind:"ssh"` session to the target with `remote_command` = the gate below; `session.attach`,
//!   then every `session.output` decoded until `session.exit`.
//! * **(b) nested**: `ssh -tt USER@JUMP 'ssh -tt USER@TARGET GATE'` run as the user from the bench's
//!   namespace, stdout read until EOF.
//! * **(c) one hop**: `ssh -tt USER@TARGET GATE` run as the user inside the jump namespace, stdout read
//!   until EOF: what the agent's session pays in any case.
//! * **(d) agent via ssh** (reference): as (a), but the agent is the remote command of `ssh` from
//!   the bench's namespace to the jump sshd, and the JSON-RPC travels over that `ssh`, as it does
//!   between the desktop and the agent.
//!
//! The gate is `stty -echo; printf @gate@; read _; exec cat FILE`: the clock starts when the bench
//! types the newline that opens it (so connection set-up is not timed; it is reported apart) and
//! stops at the end of the stream. CPU time comes from `/proc/PID/stat` (see [`Accounting`]).
//! The verdict compares the medians of (a) and (b); the ratio of the two runs of each repetition
//! is reported too.
//!
//! Needs root (users, namespaces, sshd). Everything is removed at the end, on error, on panic
//! and on SIGINT/SIGTERM/SIGHUP (sessions are closed, then the fixture kills the agent, the
//! daemons, the servers and the user's processes and deletes the namespaces and the user). The
//! agent binary is copied next to the agent's home first, so a concurrent `cargo build --release`
//! cannot pull it away from under the session daemons. Under `cargo test --benches` (no `--bench`
//! argument) the program does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/ssh_support/mod.rs"]
mod ssh_support;
#[path = "../tests/support/mod.rs"]
mod support;

use outpost_testkit::report::{loadavg, write_section};
use outpost_testkit::summary::{BenchResults, Measure, Stats};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use ssh_support::Fixture;

const START: &str = "<!-- ssh-bench:start -->";
const END: &str = "<!-- ssh-bench:end -->";
const MIB: f64 = 1024.0 * 1024.0;
/// Terminal size of every path's remote PTY (the agent's session and the `-tt` clients).
const COLS: u16 = 200;
const ROWS: u16 = 50;
/// What the gate prints once the remote side is ready.
const GATE_MARK: &[u8] = b"@gate@";
/// Issue 3 §7: agent ÷ nested.
const TARGET_RATIO: f64 = 1.0;
/// A path that delivers nothing for this long has failed.
const STALL: Duration = Duration::from_secs(30);
/// How often the poller reads the CPU time of the processes of a run.
const POLL: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

struct Opts {
    quick: bool,
    reps: usize,
    bytes: u64,
    doc: bool,
    /// The paths to run (all unless `--paths` names some).
    paths: Vec<Route>,
    args: Vec<String>,
}

fn options() -> Result<Option<Opts>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench" || a == "--run") {
        return Ok(None);
    }
    let value = |name: &str| -> Result<Option<u64>> {
        match args.iter().position(|a| a == name) {
            None => Ok(None),
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse::<u64>().ok())
                .map(Some)
                .ok_or_else(|| anyhow!("{name} wants a positive number")),
        }
    };
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var("OUTPOST_BENCH_QUICK").is_ok_and(|v| v == "1");
    let reps = value("--reps")?.unwrap_or(if quick { 2 } else { 5 }).max(1) as usize;
    let mib = value("--mib")?
        .unwrap_or(if quick { 32 } else { 256 })
        .max(1);
    let paths = match args.iter().position(|a| a == "--paths") {
        None => Route::ALL.to_vec(),
        Some(i) => {
            let list = args
                .get(i + 1)
                .ok_or_else(|| anyhow!("--paths wants agent,nested,onehop,agent-ssh"))?;
            list.split(',')
                .map(|w| match w.trim() {
                    "agent" => Ok(Route::Agent),
                    "nested" => Ok(Route::Nested),
                    "onehop" | "one-hop" => Ok(Route::OneHop),
                    "agent-ssh" => Ok(Route::AgentSsh),
                    other => Err(anyhow!(
                        "--paths: unknown path {other:?} (agent, nested, onehop, agent-ssh)"
                    )),
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    // A partial run (profiling one path) never replaces the document's figures.
    let doc = if args.iter().any(|a| a == "--no-doc") || paths.len() < Route::ALL.len() {
        false
    } else {
        !quick || args.iter().any(|a| a == "--doc")
    };
    // The options as given, for the report's command line.
    let shown: Vec<String> = args
        .iter()
        .filter(|a| *a != "--bench" && *a != "--run")
        .cloned()
        .collect();
    Ok(Some(Opts {
        quick,
        reps,
        bytes: mib << 20,
        doc,
        paths,
        args: shown,
    }))
}

// ---------------------------------------------------------------------------------------------
// Interruption: SIGINT/SIGTERM/SIGHUP stop the run, and the normal unwinding cleans up.
// ---------------------------------------------------------------------------------------------

static STOP: AtomicBool = AtomicBool::new(false);
/// Processes the bench started and reads from; killed on a signal so no read blocks for long.
static TRACKED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn track(pid: u32) {
    TRACKED.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
}

fn untrack(pid: u32) {
    TRACKED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|&p| p != pid);
}

fn check_stop() -> Result<()> {
    if STOP.load(Ordering::SeqCst) {
        bail!("interrupted by a signal");
    }
    Ok(())
}

/// Blocks the signals in every thread (call before any thread starts) and handles them on a
/// thread of their own: the first one stops the run (tracked processes are killed, every wait
/// fails, the fixture's destructors clean up); a second one exits at once.
fn install_signals() -> Result<()> {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(s);
    }
    set.thread_block().context("blocking signals")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut seen = 0;
            while let Ok(sig) = set.wait() {
                seen += 1;
                if seen > 1 {
                    eprintln!("ssh_bench: {sig:?} again: exiting without finishing the clean-up (the next run of the test kit removes what is left)");
                    std::process::exit(130);
                }
                eprintln!("ssh_bench: {sig:?}: stopping; cleaning up");
                STOP.store(true, Ordering::SeqCst);
                for &pid in TRACKED.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    // SAFETY: kill(2) with a specific positive pid of our own child.
                    unsafe {
                        libc::kill(pid as libc::pid_t, libc::SIGKILL);
                    }
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn tail_text(data: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&data[data.len().saturating_sub(n)..]).into_owned()
}

fn first_line(cmd: &mut Command) -> String {
    cmd.stdin(Stdio::null())
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}

/// Writes `bytes` of printable lines (76 base64-alphabet characters and `\n`, like `base64` of
/// random data); returns the number of lines (each becomes `\r\n` on the target's PTY).
fn make_data_file(path: &Path, bytes: u64) -> Result<u64> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut seed = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .context("reading /dev/urandom")?;
    let mut state = u64::from_le_bytes(seed) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    let (mut written, mut lines) = (0u64, 0u64);
    let mut line = [0u8; 77];
    while written < bytes {
        for chunk in line[..76].chunks_mut(10) {
            let mut r = next();
            for c in chunk {
                *c = ALPHABET[(r & 63) as usize];
                r >>= 6;
            }
        }
        line[76] = b'\n';
        let take = (bytes - written).min(77) as usize;
        let mut part = line[..take].to_vec();
        if let Some(last) = part.last_mut() {
            *last = b'\n';
        }
        f.write_all(&part)?;
        written += take as u64;
        lines += 1;
    }
    f.flush()?;
    Ok(lines)
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc
// ---------------------------------------------------------------------------------------------

/// The fields of `/proc/PID/stat` that matter here; times in clock ticks.
#[derive(Clone, Debug)]
struct PStat {
    ppid: u32,
    comm: String,
    /// utime + stime.
    own: u64,
    /// cutime + cstime (children waited for).
    cum: u64,
    start: u64,
}

fn parse_stat(text: &str) -> Option<PStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let f: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
    // f[0] is field 3 (state): field N is f[N - 3].
    let num = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(PStat {
        ppid: num(4)? as u32,
        comm,
        own: num(14)? + num(15)?,
        cum: num(16)? + num(17)?,
        start: num(22)?,
    })
}

fn pstat(pid: u32) -> Option<PStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU ticks of the calling thread.
fn thread_ticks() -> u64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|t| parse_stat(&t))
        .map_or(0, |s| s.own)
}

fn hz() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as f64
}

/// Every process now, by pid.
fn process_table() -> HashMap<u32, PStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, pstat(pid)?)))
        .collect()
}

/// The descendants of `root` in `table` (not `root`), restricted to the subtrees of `only` when
/// given, without the subtrees of `exclude`.
fn descendants(
    table: &HashMap<u32, PStat>,
    root: u32,
    only: Option<&[u32]>,
    exclude: &[u32],
) -> Vec<u32> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (&pid, s) in table {
            if s.ppid == parent && pid != root && !found.contains(&pid) {
                if exclude.contains(&pid)
                    || (parent == root && only.is_some_and(|o| !o.contains(&pid)))
                {
                    continue;
                }
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// A process tree whose CPU time a run counts.
#[derive(Clone)]
struct TreeSpec {
    name: &'static str,
    root: u32,
    /// Whether the root's own time counts (not for the bench itself, whose threads do other
    /// work; its reaped children do count).
    root_own: bool,
    /// Only these children of the root (and what is below them).
    only: Option<Vec<u32>>,
    /// Not these descendants (nor what is below them): they are counted in trees of their own.
    exclude: Vec<u32>,
}

impl TreeSpec {
    /// A whole tree, its root's own time included.
    fn whole(name: &'static str, root: u32) -> TreeSpec {
        TreeSpec {
            name,
            root,
            root_own: true,
            only: None,
            exclude: Vec::new(),
        }
    }

    /// The bench's child `pid` and what is below it.
    fn child(name: &'static str, pid: u32) -> TreeSpec {
        TreeSpec {
            name,
            root: std::process::id(),
            root_own: false,
            only: Some(vec![pid]),
            exclude: Vec::new(),
        }
    }
}

/// A tree's CPU at one moment: the root's own (if counted) and reaped-children time plus every
/// live descendant's own and reaped-children time. The difference of two marks is the CPU the
/// tree spent in between, whether its processes are still running or have ended and been reaped
/// meanwhile.
#[derive(Clone, Default)]
struct Mark {
    root_own: u64,
    total: u64,
    /// Live descendants: pid → (start time, comm, own + reaped children).
    live: HashMap<u32, (u64, String, u64)>,
}

fn mark(spec: &TreeSpec, table: &HashMap<u32, PStat>) -> Mark {
    let mut m = Mark::default();
    if let Some(r) = table.get(&spec.root) {
        m.root_own = r.own;
        m.total = r.cum + if spec.root_own { r.own } else { 0 };
    }
    for pid in descendants(table, spec.root, spec.only.as_deref(), &spec.exclude) {
        if let Some(s) = table.get(&pid) {
            m.total += s.own + s.cum;
            m.live.insert(pid, (s.start, s.comm.clone(), s.own + s.cum));
        }
    }
    m
}

/// Reads the CPU time of given processes every [`POLL`] until stopped, keeping the last reading
/// of each: the figure of a process that ends during a run (it is then only in its parent's
/// reaped-children total) is that last reading, at most one interval old.
struct Poller {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<HashMap<u32, (u64, String, u64)>>,
}

impl Poller {
    fn start(pids: HashMap<u32, (u64, String, u64)>) -> Result<Poller> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("cpu-poller".into())
            .spawn(move || {
                let mut last = pids;
                loop {
                    for (pid, (start, comm, ticks)) in last.iter_mut() {
                        if let Some(s) = pstat(*pid).filter(|s| s.start == *start) {
                            *comm = s.comm;
                            *ticks = s.own + s.cum;
                        }
                    }
                    if flag.load(Ordering::SeqCst) {
                        return last;
                    }
                    std::thread::sleep(POLL);
                }
            })
            .context("starting the CPU poller")?;
        Ok(Poller { stop, handle })
    }

    fn finish(self) -> HashMap<u32, (u64, String, u64)> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap_or_default()
    }
}

/// CPU seconds a tree spent during a run: in all, by its root itself, and by each process that
/// was alive when the run began (by its last command name).
struct TreeCpu {
    name: &'static str,
    total: f64,
    root_own: f64,
    by_pid: Vec<(u32, String, f64)>,
}

impl TreeCpu {
    /// CPU of the processes named `comm`.
    fn comm(&self, comm: &str) -> f64 {
        self.by_pid
            .iter()
            .filter(|(_, c, _)| c == comm)
            .map(|(_, _, s)| s)
            .sum()
    }
}

/// Counts the CPU of a run: the bench's reading thread, and each [`TreeSpec`]'s tree.
struct Accounting {
    specs: Vec<TreeSpec>,
    before: Vec<Mark>,
    thread0: u64,
    poller: Poller,
    /// The kernel's worker threads: pid → (start time, CPU ticks).
    kworkers: HashMap<u32, (u64, u64)>,
}

/// The machine's `kworker` threads: pid → (start time, CPU ticks). They do the PTYs' work
/// (moving what a program writes to the slave into the master's line discipline,
/// `flush_to_ldisc`) on behalf of no process.
fn kworkers(table: &HashMap<u32, PStat>) -> HashMap<u32, (u64, u64)> {
    table
        .iter()
        .filter(|(_, s)| s.comm.starts_with("kworker"))
        .map(|(p, s)| (*p, (s.start, s.own)))
        .collect()
}

impl Accounting {
    fn begin(specs: Vec<TreeSpec>) -> Result<Accounting> {
        let table = process_table();
        let kw = kworkers(&table);
        let before: Vec<Mark> = specs.iter().map(|s| mark(s, &table)).collect();
        let watched: HashMap<u32, (u64, String, u64)> = before
            .iter()
            .flat_map(|m| m.live.iter().map(|(p, v)| (*p, v.clone())))
            .collect();
        Ok(Accounting {
            specs,
            before,
            thread0: thread_ticks(),
            poller: Poller::start(watched)?,
            kworkers: kw,
        })
    }

    /// Ends the count once the run's short-lived processes (ssh connections, `cat`) are gone
    /// (waits up to 3 s for them to be reaped). Returns the reading thread's CPU, the trees' and
    /// the machine's kernel workers' (read at once: the stream has ended).
    fn end(self) -> (f64, Vec<TreeCpu>, f64) {
        let client = (thread_ticks() - self.thread0) as f64 / hz();
        let kw: u64 = kworkers(&process_table())
            .into_iter()
            .map(|(pid, (start, t1))| match self.kworkers.get(&pid) {
                Some((s0, t0)) if *s0 == start => t1.saturating_sub(*t0),
                // Started during the run.
                _ => t1,
            })
            .sum();
        let transient: Vec<(u32, u64)> = self
            .before
            .iter()
            .flat_map(|m| m.live.iter().map(|(p, (s, _, _))| (*p, *s)))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline
            && transient
                .iter()
                .any(|(p, s)| pstat(*p).is_some_and(|x| x.start == *s))
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let last = self.poller.finish();
        let table = process_table();
        let tck = hz();
        let trees = self
            .specs
            .iter()
            .zip(&self.before)
            .map(|(spec, before)| {
                let after = mark(spec, &table);
                let by_pid = before
                    .live
                    .iter()
                    .map(|(pid, (start, comm, t0))| {
                        let (comm, t1) = match after.live.get(pid).filter(|a| a.0 == *start) {
                            Some((_, c, t)) => (c.clone(), *t),
                            None => last
                                .get(pid)
                                .map(|(_, c, t)| (c.clone(), *t))
                                .unwrap_or((comm.clone(), *t0)),
                        };
                        (*pid, comm, t1.saturating_sub(*t0) as f64 / tck)
                    })
                    .collect();
                TreeCpu {
                    name: spec.name,
                    total: after.total.saturating_sub(before.total) as f64 / tck,
                    root_own: after.root_own.saturating_sub(before.root_own) as f64 / tck,
                    by_pid,
                }
            })
            .collect();
        (client, trees, kw as f64 / tck)
    }
}

/// CPU seconds of one run, by process group; `None` where the path has no such process.
#[derive(Clone, Debug, Default)]
struct Cpu {
    client: f64,
    agent: Option<f64>,
    daemon: Option<f64>,
    ssh_clients: f64,
    /// Of which the `ssh -O check` link probes of the session daemon (agent path only).
    mux_checks: Option<f64>,
    sshd_jump: Option<f64>,
    sshd_target: f64,
    cat: f64,
    /// The machine's `kworker` threads (not in [`Cpu::total`]: they serve the whole machine,
    /// though during a run they mostly move this run's PTY output).
    kworkers: f64,
}

impl Cpu {
    fn total(&self) -> f64 {
        self.client
            + self.agent.unwrap_or(0.0)
            + self.daemon.unwrap_or(0.0)
            + self.ssh_clients
            + self.sshd_jump.unwrap_or(0.0)
            + self.sshd_target
            + self.cat
    }
}

fn tree<'a>(trees: &'a [TreeCpu], name: &str) -> Option<&'a TreeCpu> {
    trees.iter().find(|t| t.name == name)
}

/// The target's sshd tree split into `sshd` (connection processes, the shell) and `cat`.
fn target_split(trees: &[TreeCpu]) -> (f64, f64) {
    tree(trees, "target")
        .map(|t| {
            let cat = t.comm("cat");
            ((t.total - cat).max(0.0), cat)
        })
        .unwrap_or((f64::NAN, f64::NAN))
}

// ---------------------------------------------------------------------------------------------
// The agent's JSON-RPC client
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default, borrow)]
    method: Option<&'a str>,
    #[serde(default, borrow)]
    params: Option<Params<'a>>,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(default, borrow)]
    session_id: Option<&'a str>,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default, borrow)]
    data: Option<&'a str>,
    #[serde(default)]
    exit_code: Option<i64>,
    #[serde(default, borrow)]
    signal: Option<&'a str>,
}

enum Event {
    Output { offset: u64, len: usize },
    Exit(String),
    Other,
}

/// `outpost-agent serve --stdio` with the bench as its client: lines are read straight from the
/// pipe into one buffer, parsed with borrowed strings and decoded into a reused buffer, so the
/// client costs as little as a real one can.
struct Rpc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    line: Vec<u8>,
    queued: VecDeque<Vec<u8>>,
    next_id: u64,
    decoded: Vec<u8>,
    watch: String,
    log: PathBuf,
    /// The agent's pid: the child's, or (through ssh) the one the remote shell printed.
    agent_pid: u32,
}

/// What the remote shell prints before it becomes the agent, when the agent runs through `ssh`.
const PID_LINE: &str = "@agent-pid=";

impl Rpc {
    /// Starts the agent as the fixture's user on the jump host and initializes it: directly
    /// inside the jump namespace, or (`via_ssh`) as the remote command of `ssh` from the bench's
    /// namespace to the jump host's sshd, the way the desktop starts it.
    fn start(fx: &Fixture, env: &Env, exe: &Path, via_ssh: bool) -> Result<(Rpc, Value)> {
        let log = fx.home.root().join(if via_ssh {
            "agent-ssh.stderr"
        } else {
            "agent.stderr"
        });
        let err = std::fs::File::create(&log).context("creating the agent's log")?;
        let mut cmd = if via_ssh {
            let (jump_ip, jump_port) = env
                .jump
                .clone()
                .ok_or_else(|| anyhow!("the topology has no jump sshd"))?;
            let mut c = fx.user.command("ssh");
            c.args(["-T", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
                .arg(jump_port.to_string())
                .arg(format!("{}@{jump_ip}", env.user))
                .arg(format!(
                    "echo {PID_LINE}$$; exec env OUTPOST_HOME={} {} serve --stdio",
                    shell_quote(&fx.home.path().to_string_lossy()),
                    shell_quote(&exe.to_string_lossy())
                ));
            c
        } else {
            let mut c = fx.topo.jump_exec(&fx.user, exe);
            c.args(["serve", "--stdio"])
                .env("OUTPOST_HOME", fx.home.path())
                .current_dir(fx.home.root());
            c
        };
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err));
        let mut child = cmd.spawn().context("starting the agent on the jump host")?;
        track(child.id());
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("agent without stdout"))?;
        let mut rpc = Rpc {
            child,
            stdin,
            stdout,
            buf: vec![0u8; 8 << 20],
            start: 0,
            end: 0,
            line: Vec::with_capacity(256 << 10),
            queued: VecDeque::new(),
            next_id: 1,
            decoded: Vec::with_capacity(256 << 10),
            watch: String::new(),
            log,
            agent_pid: 0,
        };
        rpc.agent_pid = if via_ssh {
            let result = rpc.read_line_within(Duration::from_secs(30));
            let line = String::from_utf8_lossy(&rpc.line).trim().to_string();
            let pid = line
                .strip_prefix(PID_LINE)
                .and_then(|p| p.parse::<u32>().ok());
            match (result, pid) {
                (Ok(true), Some(pid)) => pid,
                (r, _) => {
                    let why = match r {
                        Err(e) => format!("{e:#}"),
                        _ => format!("first line {line:?}"),
                    };
                    rpc.shutdown();
                    bail!("the agent did not start through ssh: {why}");
                }
            }
        } else {
            rpc.child.id()
        };
        let init = rpc.call(
            "initialize",
            json!({"protocol_version": 1, "client": {"name": "ssh_bench", "version": "0"}}),
        )?;
        Ok((rpc, init))
    }

    fn write_line(&mut self, line: &[u8]) -> Result<()> {
        let w = self
            .stdin
            .as_mut()
            .ok_or_else(|| anyhow!("agent stdin closed"))?;
        w.write_all(line).context("writing to the agent")?;
        w.flush()?;
        Ok(())
    }

    fn send_request(&mut self, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_vec(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )?;
        line.push(b'\n');
        self.write_line(&line)?;
        Ok(id)
    }

    /// Types `data` (a `session.input` notification).
    fn input(&mut self, sid: &str, data: &[u8]) -> Result<()> {
        let line = format!(
            "{{\"jsonrpc\":\"2.0\",\"method\":\"session.input\",\"params\":{{\"session_id\":\"{sid}\",\"data\":\"{}\"}}}}\n",
            B64.encode(data)
        );
        self.write_line(line.as_bytes())
    }

    /// Reads the next line into `self.line`; `Ok(false)` if none came within `timeout`.
    fn read_line_within(&mut self, timeout: Duration) -> Result<bool> {
        if let Some(q) = self.queued.pop_front() {
            self.line = q;
            return Ok(true);
        }
        let deadline = Instant::now() + timeout;
        let mut scanned = self.start;
        loop {
            if let Some(i) = self.buf[scanned..self.end].iter().position(|&b| b == b'\n') {
                let end = scanned + i + 1;
                self.line.clear();
                self.line.extend_from_slice(&self.buf[self.start..end]);
                self.start = end;
                return Ok(true);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            scanned = self.end;
            if self.end == self.buf.len() {
                bail!(
                    "a line from the agent is longer than {} bytes",
                    self.buf.len()
                );
            }
            check_stop()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            let mut pfd = libc::pollfd {
                fd: self.stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.min(Duration::from_millis(250)).as_millis() as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            let r = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e).context("poll");
            }
            if r == 0 {
                continue;
            }
            let n = match self.stdout.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading from the agent"),
            };
            if n == 0 {
                bail!(
                    "the agent closed its output; its log ends with:\n{}",
                    support::file_tail(&self.log, 2000)
                );
            }
            self.end += n;
        }
    }

    fn wait_response(&mut self, id: u64) -> Result<Value> {
        let mut held = Vec::new();
        let result = loop {
            match self.read_line_within(Duration::from_secs(60)) {
                Ok(true) => {}
                Ok(false) => break Err(anyhow!("no answer from the agent for 60 s")),
                Err(e) => break Err(e),
            }
            let msg: Incoming<'_> = match serde_json::from_slice(&self.line) {
                Ok(m) => m,
                Err(e) => break Err(anyhow!("bad line from the agent: {e}")),
            };
            if msg.method.is_none() && msg.id == Some(id) {
                break match (msg.result, msg.error) {
                    (Some(r), _) => Ok(r),
                    (_, Some(e)) => Err(anyhow!("agent error: {e}")),
                    _ => Err(anyhow!("empty response")),
                };
            }
            held.push(std::mem::take(&mut self.line));
        };
        for l in held.into_iter().rev() {
            self.queued.push_front(l);
        }
        result
    }

    fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.send_request(method, params)?;
        self.wait_response(id)
    }

    /// The next output or exit of the watched session (decoded output in `self.decoded`);
    /// `None` when nothing came within `timeout`.
    fn next_event(&mut self, timeout: Duration) -> Result<Option<Event>> {
        if !self.read_line_within(timeout)? {
            return Ok(None);
        }
        let msg: Incoming<'_> =
            serde_json::from_slice(&self.line).context("bad line from the agent")?;
        let Some(p) = msg
            .params
            .filter(|p| p.session_id == Some(self.watch.as_str()))
        else {
            return Ok(Some(Event::Other));
        };
        match msg.method {
            Some("session.output") => {
                let data = p.data.ok_or_else(|| anyhow!("output without data"))?;
                self.decoded.clear();
                B64.decode_vec(data, &mut self.decoded)
                    .context("bad base64 from the agent")?;
                Ok(Some(Event::Output {
                    offset: p.offset.ok_or_else(|| anyhow!("output without offset"))?,
                    len: self.decoded.len(),
                }))
            }
            Some("session.exit") => Ok(Some(Event::Exit(match (p.exit_code, p.signal) {
                (Some(c), _) => format!("exit code {c}"),
                (_, Some(s)) => format!("signal {s}"),
                _ => "daemon gone".into(),
            }))),
            _ => Ok(Some(Event::Other)),
        }
    }

    fn shutdown(mut self) {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        untrack(self.child.id());
    }
}

// ---------------------------------------------------------------------------------------------
// The routes
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Route {
    /// The issue's figure: the bench reads the agent's stdout directly.
    Agent,
    Nested,
    OneHop,
    /// The same session with the agent's stdio carried by `ssh` from the desktop, as the app does
    /// (with its own SSH client): what a person at the desktop gets end to end.
    AgentSsh,
}

impl Route {
    const ALL: [Route; 4] = [Route::Agent, Route::Nested, Route::OneHop, Route::AgentSsh];

    fn label(self) -> &'static str {
        match self {
            Route::Agent => "(a) agent ssh session, JSON-RPC client on the agent's stdio",
            Route::Nested => "(b) nested `ssh -tt jump ssh -tt target`",
            Route::OneHop => "(c) one hop: `ssh -tt target` on jump",
            Route::AgentSsh => {
                "(d) reference: (a) with the client on the desktop, through `ssh jump outpost-agent serve --stdio`"
            }
        }
    }

    fn short(self) -> &'static str {
        match self {
            Route::Agent => "(a) agent",
            Route::Nested => "(b) nested",
            Route::OneHop => "(c) one hop",
            Route::AgentSsh => "(d) agent via ssh",
        }
    }
}

/// One timed run.
#[derive(Clone, Debug)]
struct Run {
    /// From the gate's newline to the end of the stream.
    secs: f64,
    /// From starting the client (or `session.create`) to the gate's marker.
    setup: f64,
    bytes: u64,
    /// Agent only: bytes skipped (gaps in the offsets).
    lost: u64,
    /// Pieces the stream came in: `session.output` notifications or pipe reads.
    chunks: u64,
    /// How the session or client ended.
    ended: String,
    cpu: Cpu,
}

/// What every run needs.
struct Env {
    gate: String,
    key: String,
    user: String,
    target_ip: String,
    target_port: u16,
    jump: Option<(String, u16)>,
    jump_sshd: Option<u32>,
    target_sshd: u32,
}

/// One run of an agent's `ssh` session; `via_ssh` when the agent's stdio goes through `ssh` from
/// the desktop (route d).
fn run_agent(rpc: &mut Rpc, fx: &Fixture, env: &Env, via_ssh: bool) -> Result<Run> {
    let t_create = Instant::now();
    let mut ssh = fx.spec();
    ssh["remote_command"] = json!(env.gate);
    let r = rpc.call(
        "session.create",
        json!({"kind": "ssh", "cols": COLS, "rows": ROWS, "title": "ssh_bench", "ssh": ssh}),
    )?;
    let info = r["session"].clone();
    let sid = info["session_id"]
        .as_str()
        .ok_or_else(|| anyhow!("session.create without session_id: {r}"))?
        .to_string();
    let result = (|| -> Result<Run> {
        let ssh_pid = info["pid"]
            .as_u64()
            .ok_or_else(|| anyhow!("no pid in {info}"))? as u32;
        let daemon = pstat(ssh_pid)
            .map(|s| s.ppid)
            .ok_or_else(|| anyhow!("the session's ssh (pid {ssh_pid}) is gone"))?;
        rpc.watch = sid.clone();
        let attach = rpc.call("session.attach", json!({"session_id": sid}))?;
        let mut next = attach["replay_from"].as_u64().unwrap_or(0);
        let mut pre = Vec::new();
        let mut bytes = loop {
            match rpc.next_event(STALL)? {
                Some(Event::Output { offset, len }) => {
                    if offset != next {
                        bail!("output before the gate starts at {offset}, not at {next}");
                    }
                    next = offset + len as u64;
                    pre.extend_from_slice(&rpc.decoded);
                    if let Some(i) = find(&pre, GATE_MARK) {
                        break (pre.len() - i - GATE_MARK.len()) as u64;
                    }
                }
                Some(Event::Exit(how)) => bail!(
                    "the session ended ({how}) before the gate opened; output: {:?}\n{}",
                    tail_text(&pre, 1000),
                    fx.diag(Some(&sid))
                ),
                Some(Event::Other) => {}
                None => bail!(
                    "no gate within {STALL:?}; output: {:?}\n{}",
                    tail_text(&pre, 1000),
                    fx.diag(Some(&sid))
                ),
            }
        };
        let setup = t_create.elapsed().as_secs_f64();
        let mut specs = vec![
            TreeSpec::whole("agent", rpc.agent_pid),
            TreeSpec::whole("daemon", daemon),
            TreeSpec::whole("target", env.target_sshd),
        ];
        if via_ssh {
            // The desktop's ssh carrying the agent's stdio, and the jump sshd's side of it (the
            // agent and the daemon, which may be below it, are counted on their own).
            specs.push(TreeSpec::child("client", rpc.child.id()));
            let mut jump = TreeSpec::whole(
                "jump",
                env.jump_sshd.ok_or_else(|| anyhow!("no jump sshd"))?,
            );
            jump.exclude = vec![rpc.agent_pid, daemon];
            specs.push(jump);
        }
        let acct = Accounting::begin(specs)?;
        let t0 = Instant::now();
        rpc.input(&sid, b"\n")?;
        let (mut lost, mut chunks) = (0u64, 0u64);
        let ended = loop {
            match rpc.next_event(STALL)? {
                Some(Event::Output { offset, len }) => {
                    if offset > next {
                        lost += offset - next;
                    }
                    next = offset + len as u64;
                    bytes += len as u64;
                    chunks += 1;
                }
                Some(Event::Exit(how)) => break how,
                Some(Event::Other) => {}
                None => bail!(
                    "no output for {STALL:?} after {bytes} bytes\n{}",
                    fx.diag(Some(&sid))
                ),
            }
        };
        let secs = t0.elapsed().as_secs_f64();
        let (client, trees, kworkers) = acct.end();
        let (sshd_target, cat) = target_split(&trees);
        let agent = tree(&trees, "agent").map(|t| t.total);
        let d = tree(&trees, "daemon");
        let ssh_master = d.map_or(0.0, |t| {
            t.by_pid
                .iter()
                .filter(|(p, _, _)| *p == ssh_pid)
                .map(|x| x.2)
                .sum()
        });
        let daemon_own = d.map(|t| t.root_own);
        let checks = d.map(|t| (t.total - t.root_own - ssh_master).max(0.0));
        let desktop_ssh = tree(&trees, "client").map_or(0.0, |t| t.total);
        let sshd_jump = tree(&trees, "jump").map(|t| t.total);
        Ok(Run {
            secs,
            setup,
            bytes,
            lost,
            chunks,
            ended,
            cpu: Cpu {
                client,
                agent,
                daemon: daemon_own,
                ssh_clients: ssh_master + checks.unwrap_or(0.0) + desktop_ssh,
                mux_checks: checks,
                sshd_jump,
                sshd_target,
                cat,
                kworkers,
            },
        })
    })();
    let closed = rpc.call("session.close", json!({"session_id": sid}));
    rpc.watch.clear();
    let run = result?;
    closed.context("session.close")?;
    Ok(run)
}

/// Runs an `ssh` client whose standard output carries the gated stream, and times it.
fn run_client(mut cmd: Command, path: Route, env: &Env) -> Result<Run> {
    let t_spawn = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting ssh")?;
    let pid = child.id();
    track(pid);
    let result = (|| -> Result<Run> {
        let mut out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut pre = Vec::new();
        let mut bytes = loop {
            check_stop()?;
            let n = out.read(&mut buf).context("reading ssh")?;
            if n == 0 {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                bail!(
                    "ssh ended before the gate opened: {} {:?}",
                    err.trim(),
                    tail_text(&pre, 500)
                );
            }
            pre.extend_from_slice(&buf[..n]);
            if let Some(i) = find(&pre, GATE_MARK) {
                break (pre.len() - i - GATE_MARK.len()) as u64;
            }
        };
        let setup = t_spawn.elapsed().as_secs_f64();
        let mut specs = vec![
            TreeSpec::child("client", pid),
            TreeSpec::whole("target", env.target_sshd),
        ];
        if path == Route::Nested {
            specs.push(TreeSpec::whole(
                "jump",
                env.jump_sshd.ok_or_else(|| anyhow!("no jump sshd"))?,
            ));
        }
        let acct = Accounting::begin(specs)?;
        let t0 = Instant::now();
        stdin.write_all(b"\n")?;
        stdin.flush()?;
        let mut chunks = 0u64;
        loop {
            match out.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    bytes += n as u64;
                    chunks += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading ssh"),
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        check_stop()?;
        drop(stdin);
        let status = child.wait().context("waiting for ssh")?;
        let (client, trees, kworkers) = acct.end();
        let (sshd_target, cat) = target_split(&trees);
        let desktop_ssh = tree(&trees, "client").map_or(0.0, |t| t.total);
        let (sshd_jump, inner_ssh) = match tree(&trees, "jump") {
            Some(t) => {
                let ssh = t.comm("ssh");
                (Some((t.total - ssh).max(0.0)), ssh)
            }
            None => (None, 0.0),
        };
        Ok(Run {
            secs,
            setup,
            bytes,
            lost: 0,
            chunks,
            ended: status.to_string(),
            cpu: Cpu {
                client,
                agent: None,
                daemon: None,
                ssh_clients: desktop_ssh + inner_ssh,
                mux_checks: None,
                sshd_jump,
                sshd_target,
                cat,
                kworkers,
            },
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    untrack(pid);
    result
}

fn run_nested(fx: &Fixture, env: &Env) -> Result<Run> {
    let (jump_ip, jump_port) = env
        .jump
        .clone()
        .ok_or_else(|| anyhow!("the topology has no jump sshd"))?;
    let inner = format!(
        "ssh -tt -o BatchMode=yes -i {} -p {} {}@{} {}",
        shell_quote(&env.key),
        env.target_port,
        env.user,
        env.target_ip,
        shell_quote(&env.gate)
    );
    let mut cmd = fx.user.command("ssh");
    cmd.args(["-tt", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
        .arg(jump_port.to_string())
        .arg(format!("{}@{jump_ip}", env.user))
        .arg(inner);
    run_client(cmd, Route::Nested, env)
}

fn run_one_hop(fx: &Fixture, env: &Env) -> Result<Run> {
    let mut cmd = fx.topo.jump_exec(&fx.user, "ssh");
    cmd.args(["-tt", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
        .arg(env.target_port.to_string())
        .arg(format!("{}@{}", env.user, env.target_ip))
        .arg(&env.gate);
    run_client(cmd, Route::OneHop, env)
}

/// The cipher (and MAC) `ssh -v` reports for a connection made by `cmd` (which gets `-v … true`
/// appended after its options).
fn negotiated(mut cmd: Command, dest: &[String]) -> String {
    let out = cmd
        .args(["-v", "-o", "BatchMode=yes"])
        .args(dest)
        .arg("true")
        .stdin(Stdio::null())
        .output();
    let Ok(out) = out else {
        return "?".into();
    };
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.split_once("kex: server->client cipher: "))
        .map(|(_, rest)| {
            let mut w = rest.split_whitespace();
            let cipher = w.next().unwrap_or("?").to_string();
            let mac = rest
                .split_once("MAC: ")
                .and_then(|(_, m)| m.split_whitespace().next())
                .unwrap_or("?");
            if mac == "<implicit>" {
                cipher
            } else {
                format!("{cipher} (MAC {mac})")
            }
        })
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

struct Machine {
    nproc: usize,
    cpu: String,
    kernel: String,
    date: String,
    revision: String,
    rustc: String,
    openssh: String,
    load_start: String,
}

fn machine() -> Machine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let head =
        first_line(
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["rev-parse", "--short", "HEAD"]),
        );
    let dirty = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain", "--", "src", "../protocol/src"])
        .output()
        .is_ok_and(|o| !o.stdout.is_empty());
    Machine {
        nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu: std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|m| m.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "?".into()),
        kernel: first_line(Command::new("uname").arg("-r")),
        date: first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
        revision: if dirty {
            format!("{head} (with uncommitted changes to agent/protocol sources)")
        } else {
            head
        },
        rustc: first_line(Command::new("rustc").arg("-V")),
        openssh: first_line(Command::new("ssh").arg("-V")),
        load_start: loadavg(),
    }
}

struct Results {
    bytes: u64,
    expected: u64,
    reps: usize,
    runs: Vec<(Route, Vec<Result<Run>>)>,
    topology: String,
    cipher_hop: String,
    cipher_desktop: String,
}

impl Results {
    fn ok(&self, p: Route) -> Vec<&Run> {
        self.runs
            .iter()
            .filter(|(q, _)| *q == p)
            .flat_map(|(_, v)| v.iter().filter_map(|r| r.as_ref().ok()))
            .collect()
    }

    fn rates(&self, p: Route) -> Vec<f64> {
        self.ok(p)
            .iter()
            .map(|r| rate(self.bytes, self.expected, r))
            .collect()
    }

    fn errors(&self, p: Route) -> Vec<String> {
        self.runs
            .iter()
            .filter(|(q, _)| *q == p)
            .flat_map(|(_, v)| v.iter().filter_map(|r| r.as_ref().err()))
            .map(|e| format!("{e:#}"))
            .collect()
    }

    fn median_rate(&self, p: Route) -> f64 {
        median(&self.rates(p))
    }

    /// Rate of `p` ÷ rate of `q` in each repetition where both ran (the two runs were close in
    /// time, so a change of the machine's load between repetitions cancels out).
    fn paired(&self, p: Route, q: Route) -> Vec<f64> {
        let of = |r: Route| {
            self.runs
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, v)| v.as_slice())
                .unwrap_or(&[])
        };
        of(p)
            .iter()
            .zip(of(q))
            .filter_map(|(a, b)| match (a, b) {
                (Ok(a), Ok(b)) => {
                    Some(rate(self.bytes, self.expected, a) / rate(self.bytes, self.expected, b))
                }
                _ => None,
            })
            .collect()
    }

    fn ratio(&self) -> f64 {
        self.median_rate(Route::Agent) / self.median_rate(Route::Nested)
    }

    fn pass(&self) -> bool {
        let agent = self.ok(Route::Agent);
        self.ratio() >= TARGET_RATIO
            && agent.len() == self.reps
            && agent
                .iter()
                .all(|r| r.lost == 0 && r.bytes >= self.expected)
    }
}

/// MiB of the file delivered per second: a run that lost bytes (the ring skipped them) counts
/// only the share that arrived.
fn rate(file_bytes: u64, expected: u64, r: &Run) -> f64 {
    let share = r.bytes.min(expected) as f64 / expected as f64;
    file_bytes as f64 * share / MIB / r.secs
}

fn fmt_s(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.2}"),
        _ => "—".into(),
    }
}

/// The median of an optional CPU figure over runs (`None` when no run has it).
fn med_opt(runs: &[&Run], f: impl Fn(&Cpu) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = runs.iter().filter_map(|r| f(&r.cpu)).collect();
    (!v.is_empty()).then(|| median(&v))
}

fn bytes_cell(r: &Results, runs: &[&Run]) -> String {
    if runs.is_empty() {
        return "—".into();
    }
    let lost: u64 = runs.iter().map(|x| x.lost).sum();
    let short = runs.iter().filter(|x| x.bytes < r.expected).count();
    // What complete runs delivered beyond the stream.
    let extra: Vec<u64> = runs
        .iter()
        .filter(|x| x.bytes >= r.expected)
        .map(|x| x.bytes - r.expected)
        .collect();
    let (lo, hi) = (extra.iter().min(), extra.iter().max());
    let mut s = if short == 0 && lost == 0 {
        format!("all {} bytes in every run", r.expected)
    } else {
        format!("{short} run(s) short of {} bytes", r.expected)
    };
    if lost > 0 {
        let _ = write!(s, "; {lost} bytes skipped by the daemon's ring");
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if *hi > 0 {
            if lo == hi {
                let _ = write!(s, " + {hi} (ssh's closing message)");
            } else {
                let _ = write!(s, " + {lo}–{hi} (ssh's closing message)");
            }
        }
    }
    s
}

fn render(o: &Opts, m: &Machine, r: &Results, total: Duration) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{START}");
    let _ = writeln!(s, "## ssh sessions through a jump host");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Issue 3 §7: `cat` of a file on a target that only the jump host reaches, through the agent's `ssh` \
         session (the agent on the jump host, its output read by a JSON-RPC client) against nested \
         `ssh -tt jump ssh -tt target` from the desktop, in the same run; target agent ÷ nested ≥ {TARGET_RATIO:.1}×. \
         One-hop `ssh` on the jump host is the floor the agent's session pays anyway; route (d) puts the \
         desktop's transport back in (the agent's stdio through `ssh` from the desktop to the jump host), \
         which (a), as the issue specifies it, leaves out. The program is `agent/benches/ssh_bench.rs`; this section is rewritten by each full run \
         (`-- --quick`, 32 MiB and N = 2, is a smoke run that prints only)."
    );
    let _ = writeln!(s);
    let mut cmd = String::from("cargo bench -p outpost-agent --bench ssh_bench");
    if !o.args.is_empty() {
        let _ = write!(cmd, " -- {}", o.args.join(" "));
    }
    let _ = writeln!(
        s,
        "- Command: `{cmd}` ({} MiB file, N = {} repetitions of each path; the whole run took {:.0} s).",
        r.bytes >> 20,
        r.reps,
        total.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "- Machine: {} (`nproc` = {}), Linux {}; {}. Load average (1/5/15 min) {} at the start, {} at the end (other work on the machine skews the figures).",
        m.cpu,
        m.nproc,
        m.kernel,
        m.date,
        m.load_start,
        loadavg()
    );
    let _ = writeln!(
        s,
        "- Code: git {}, release profile ({}). {}; cipher negotiated: `{}` on jump → target, `{}` on desktop → jump.",
        m.revision, m.rustc, m.openssh, r.cipher_hop, r.cipher_desktop
    );
    let _ = writeln!(s, "- Topology: {}.", r.topology);
    let _ = writeln!(s);

    let nested = r.median_rate(Route::Nested);
    let _ = writeln!(
        s,
        "| path | MiB/s (median) | min–max | × nested | set-up s (median) | bytes delivered | target | result |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---|---|---|");
    for p in Route::ALL {
        let rates = r.rates(p);
        let runs = r.ok(p);
        let errors = r.errors(p);
        let (lo, hi) = min_max(&rates);
        let med = median(&rates);
        let (target, result) = if p == Route::Agent {
            (
                format!("≥ {TARGET_RATIO:.1}× nested"),
                if r.pass() {
                    "**PASS**".to_string()
                } else {
                    "**FAIL**".to_string()
                },
            )
        } else {
            ("—".into(), "—".into())
        };
        let mut bytes = bytes_cell(r, &runs);
        if !errors.is_empty() {
            let _ = write!(
                bytes,
                "; {} run(s) failed: {}",
                errors.len(),
                errors[0].replace('|', "\\|").replace('\n', " ")
            );
        }
        if rates.is_empty() {
            let _ = writeln!(
                s,
                "| {} | — | — | — | — | {bytes} | {target} | {result} |",
                p.label()
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {med:.1} | {lo:.1}–{hi:.1} | {:.2}× | {:.2} | {bytes} | {target} | {result} |",
                p.label(),
                med / nested,
                median(&runs.iter().map(|x| x.setup).collect::<Vec<_>>()),
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "**Agent ÷ nested = {:.2}×** (target ≥ {TARGET_RATIO:.1}×: {}); agent ÷ one hop = {:.2}×; nested ÷ one hop = {:.2}×; \
         (d) agent through ssh from the desktop ÷ nested = {:.2}× (reference, not the issue's figure).",
        r.ratio(),
        if r.pass() { "PASS" } else { "FAIL" },
        r.median_rate(Route::Agent) / r.median_rate(Route::OneHop),
        nested / r.median_rate(Route::OneHop),
        r.median_rate(Route::AgentSsh) / nested,
    );
    let _ = writeln!(s);
    let paired = r.paired(Route::Agent, Route::Nested);
    let (lo, hi) = min_max(&paired);
    let _ = writeln!(
        s,
        "Paired by repetition (each (a) run ÷ the (b) run of the same repetition, which ran next to it): median {:.2}×, range {lo:.2}–{hi:.2}× over {} pairs ({} of them ≥ 1.0×). \
         How far the rates move between repetitions shows how much the machine's other load weighs on one run.",
        median(&paired),
        paired.len(),
        paired.iter().filter(|&&x| x >= 1.0).count()
    );
    for p in [Route::Agent, Route::AgentSsh] {
        let runs = r.ok(p);
        let lossy: Vec<u64> = runs.iter().map(|x| x.lost).filter(|&l| l > 0).collect();
        if !lossy.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "{} lost output in {} of {} runs ({} bytes in all): its client fell further behind the session than the \
                 daemon's ring holds (2 MiB by default), and the daemon skipped ahead, as the protocol specifies (a \
                 slow client never holds the session back). OpenSSH's nested path has flow control from end to end \
                 and never loses a byte; its rate is bounded by its slowest hop instead.",
                p.short(),
                lossy.len(),
                runs.len(),
                lossy.iter().sum::<u64>()
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "CPU seconds per run (user + system, median over the runs; {} cores = {} CPU s per second of wall time):",
        m.nproc, m.nproc
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| path | client (bench) | agent | session daemon | ssh clients | sshd (jump) | sshd (target) | cat | total CPU s | CPU ms per MiB | + kworker (machine) | wall s | pieces (mean bytes) |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for p in Route::ALL {
        let runs = r.ok(p);
        if runs.is_empty() {
            let _ = writeln!(
                s,
                "| {} | — | — | — | — | — | — | — | — | — | — | — | — |",
                p.short()
            );
            continue;
        }
        let total = median(&runs.iter().map(|x| x.cpu.total()).collect::<Vec<_>>());
        let wall = median(&runs.iter().map(|x| x.secs).collect::<Vec<_>>());
        let chunks = median(&runs.iter().map(|x| x.chunks as f64).collect::<Vec<_>>());
        let ssh = med_opt(&runs, |c| Some(c.ssh_clients));
        let ssh_cell = match med_opt(&runs, |c| c.mux_checks) {
            Some(chk) => format!("{} (of which `-O check` {chk:.2})", fmt_s(ssh)),
            None => fmt_s(ssh),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {total:.2} | {:.1} | {} | {wall:.2} | {chunks:.0} ({:.0}) |",
            p.short(),
            fmt_s(med_opt(&runs, |c| Some(c.client))),
            fmt_s(med_opt(&runs, |c| c.agent)),
            fmt_s(med_opt(&runs, |c| c.daemon)),
            ssh_cell,
            fmt_s(med_opt(&runs, |c| c.sshd_jump)),
            fmt_s(med_opt(&runs, |c| Some(c.sshd_target))),
            fmt_s(med_opt(&runs, |c| Some(c.cat))),
            total * 1000.0 / (r.bytes as f64 / MIB),
            fmt_s(med_opt(&runs, |c| Some(c.kworkers))),
            r.expected as f64 / chunks.max(1.0),
        );
    }
    let _ = writeln!(s);
    s.push_str(METHOD.trim_start());
    let _ = writeln!(s, "{END}");
    s
}

const METHOD: &str = r#"
### Method

- **Topology.** `outpost-testkit`'s jump/target topology: two OpenSSH servers of their own (own
  host keys, `UsePAM no`), "target" in a network namespace reachable only from the "jump"
  namespace, "jump" reachable from the bench's (the desktop's) namespace; both are this machine,
  so the user, its home and the file are the same on every host. A throwaway user with an ed25519
  key authorized on both servers and both host keys in its `known_hosts`; every client and the
  agent run as that user, with the system's default `ssh_config`.
- **File and gate.** The file holds printable lines (76 base64-alphabet characters and a newline)
  and is read once before the runs, so it comes from the page cache. The remote command is the
  same on every path: `stty -echo; printf @gate@; read _; exec cat FILE`. The clock runs from
  typing the newline that opens the gate to the end of the stream, so connecting and
  authenticating are not timed (the set-up column shows how long they took: from starting the
  client, or sending `session.create`, to the gate's marker). The target's PTY turns every `\n`
  into `\r\n`, so every path must deliver file size + line count bytes, which is checked; the
  clients with a terminal on their standard error add OpenSSH's `Connection to … closed.` line.
  MiB/s counts file bytes delivered per second (bytes the ring skipped do not count; a client
  that loses bytes fails the target whatever its rate).
- **Agent.** The release `outpost-agent serve --stdio` (copied next to its `$OUTPOST_HOME` so a
  concurrent rebuild cannot remove it) runs as the user inside the jump namespace; the bench is its
  client on the agent's stdin/stdout, as the desktop is over its ssh channel. One agent for all
  runs; each run is `session.create {kind: "ssh", cols: 200, rows: 50, ssh: {host, port, user,
  identity_file, remote_command: GATE}}` (so the daemon runs `ssh -tt` with its per-session
  ControlMaster and keepalives), `session.attach`, the gate's newline as a `session.input`
  notification, then every `session.output` line parsed (serde_json, borrowed strings) and its
  base64 decoded until `session.exit`; `session.close` afterwards. Gaps in the offsets (bytes the
  daemon's 2 MiB ring overwrote before the client got them) are counted as skipped.
- **Nested.** `ssh -tt -o BatchMode=yes -i KEY -p PORT USER@JUMP 'ssh -tt -o BatchMode=yes -i KEY
  -p 22 USER@TARGET GATE'` from the bench's namespace; its stdout read in 64 KiB reads until EOF.
- **One hop.** `ssh -tt -o BatchMode=yes -i KEY USER@TARGET GATE` started inside the jump
  namespace as the user; its stdout read until EOF. This is the `ssh` the agent's session runs
  anyway, so it bounds what the agent can reach.
- **(d) Agent through ssh.** As (a), but the agent is started for each run (not timed) as the
  remote command of `ssh -T -o BatchMode=yes -i KEY -p PORT USER@JUMP` run from the bench's
  namespace, and the bench speaks JSON-RPC over that `ssh`'s stdin/stdout, as the desktop does over
  its own SSH connection (the app uses its own SSH client, not OpenSSH, so this is an
  approximation of it). The JSON-RPC stream (base64 in JSON, about 1.35 × the terminal bytes) is
  encrypted once more by the jump sshd and decrypted by the desktop's `ssh`.
- **Order.** The four routes run in turn in every repetition, the order rotating by one each time,
  so a burst of other load on the machine does not land on one path only.
- **CPU.** User + system time from `/proc/PID/stat`, read when the gate opens and after the stream
  has ended and the run's processes are gone. For a process tree (the agent; the session daemon
  with its `ssh` and `ssh -O check` children; each sshd with its connection processes, shells and
  `cat`; the bench's own `ssh` child; for (d) the jump sshd's connection without the agent and the
  daemon below it, which are counted on their own) the count is the root's time plus its reaped children's plus
  every live descendant's, so processes that end during the run are counted exactly. The split of
  a tree by process (`cat` out of the target's sshd, the inner `ssh` out of the jump's sshd, the
  daemon's `ssh` out of its `ssh -O check` probes) uses readings taken every 20 ms, so it may be
  off by one interval. *client (bench)* is the reading thread of the bench only. *total CPU s*
  and *CPU ms per MiB* add up the processes; *kworker* is the CPU of the kernel's worker threads
  over the whole machine during the run, which move what a program writes into a PTY to the
  reader's side (`flush_to_ldisc`) on behalf of no process: most of it is this run's PTYs, but
  anything else on the machine shows there too. "Pieces" are `session.output` notifications
  (agent) or pipe reads (ssh).
- Everything runs on the same machine at once: on few cores the client, the agent, the daemon, the
  `ssh` clients, both `sshd`s and `cat` compete for CPU, so a path that spends more CPU per byte is
  slower even where it would not be on separate hosts.
"#;

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

fn show(p: Route, bytes: u64, expected: u64, r: &Result<Run>) {
    match r {
        Ok(x) => println!(
            "ssh_bench:   {:<8} {:8.1} MiB/s  ({:.3} s; set-up {:.2} s; {} bytes in {} pieces{}; {}; CPU client {:.2} agent {} daemon {} ssh {:.2} sshd jump {} target {:.2} cat {:.2})",
            p.short(),
            rate(bytes, expected, x),
            x.secs,
            x.setup,
            x.bytes,
            x.chunks,
            if x.lost > 0 {
                format!(", {} skipped", x.lost)
            } else {
                String::new()
            },
            x.ended,
            x.cpu.client,
            fmt_s(x.cpu.agent),
            fmt_s(x.cpu.daemon),
            x.cpu.ssh_clients,
            fmt_s(x.cpu.sshd_jump),
            x.cpu.sshd_target,
            x.cpu.cat,
        ),
        Err(e) => println!("ssh_bench:   {:<8} error: {e:#}", p.short()),
    }
}

/// Starts an agent (see [`Rpc::start`]) and checks that it runs as the test user on the jump host.
fn start_agent(fx: &Fixture, env: &Env, exe: &Path, via_ssh: bool) -> Result<Rpc> {
    let (rpc, init) = Rpc::start(fx, env, exe, via_ssh)?;
    let host = &init["host"];
    let on_jump = host["user"] == fx.user.name.as_str()
        && (!fx.topo.has_own_hostnames() || host["hostname"] == fx.topo.jump_hostname());
    if !on_jump {
        rpc.shutdown();
        bail!("the agent does not run as the test user on the jump host: {init}");
    }
    fx.assert_on_jump(rpc.agent_pid, "the agent");
    Ok(rpc)
}

fn measure(o: &Opts, fx: &Fixture) -> Result<Results> {
    let key = fx.key.display().to_string();
    let taddr = fx.topo.target_addr();
    let file = fx.user.home.join("ssh_bench.dat");
    println!(
        "ssh_bench: writing a {} MiB file of printable lines to {}",
        o.bytes >> 20,
        file.display()
    );
    let lines = make_data_file(&file, o.bytes)?;
    std::os::unix::fs::chown(&file, Some(fx.user.uid), Some(fx.user.gid))?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
    std::io::copy(&mut std::fs::File::open(&file)?, &mut std::io::sink())?;
    let env = Env {
        gate: format!(
            "stty -echo; printf {}; read _; exec cat {}",
            std::str::from_utf8(GATE_MARK)?,
            shell_quote(&file.to_string_lossy())
        ),
        key: key.clone(),
        user: fx.user.name.clone(),
        target_ip: taddr.ip().to_string(),
        target_port: taddr.port(),
        jump: fx.topo.jump_addr().map(|a| (a.ip().to_string(), a.port())),
        jump_sshd: fx.topo.jump().and_then(|j| j.pid()),
        target_sshd: fx
            .topo
            .target()
            .pid()
            .ok_or_else(|| anyhow!("the target sshd is not running"))?,
    };

    let dest_target = |c: &mut Command| {
        c.args(["-i", &key, "-p"])
            .arg(env.target_port.to_string())
            .arg(format!("{}@{}", env.user, env.target_ip));
    };
    let mut c = fx.topo.jump_exec(&fx.user, "ssh");
    dest_target(&mut c);
    let cipher_hop = negotiated(c, &[]);
    let cipher_desktop = match &env.jump {
        Some((ip, port)) => negotiated(
            fx.user.command("ssh"),
            &[
                "-i".into(),
                key.clone(),
                "-p".into(),
                port.to_string(),
                format!("{}@{ip}", env.user),
            ],
        ),
        None => "no jump sshd".into(),
    };
    println!("ssh_bench: cipher jump → target {cipher_hop}; desktop → jump {cipher_desktop}");

    // The agent binary, copied where a concurrent `cargo build --release` cannot replace it.
    let exe = fx.home.root().join("outpost-agent");
    std::fs::copy(env!("CARGO_BIN_EXE_outpost-agent"), &exe).context("copying the agent binary")?;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))?;
    let mut rpc = start_agent(fx, &env, &exe, false)?;

    let mut runs: Vec<(Route, Vec<Result<Run>>)> =
        Route::ALL.iter().map(|p| (*p, Vec::new())).collect();
    let outcome = (|| -> Result<()> {
        for rep in 0..o.reps {
            println!("ssh_bench: repetition {}/{}", rep + 1, o.reps);
            for k in 0..Route::ALL.len() {
                check_stop()?;
                let p = Route::ALL[(rep + k) % Route::ALL.len()];
                if !o.paths.contains(&p) {
                    continue;
                }
                let x = match p {
                    Route::Agent => run_agent(&mut rpc, fx, &env, false),
                    Route::Nested => run_nested(fx, &env),
                    Route::OneHop => run_one_hop(fx, &env),
                    // A fresh agent through ssh for each run (not timed), so nothing of it stays
                    // below the jump sshd while the other routes run.
                    Route::AgentSsh => start_agent(fx, &env, &exe, true).and_then(|mut a| {
                        let x = run_agent(&mut a, fx, &env, true);
                        a.shutdown();
                        x
                    }),
                };
                check_stop()?;
                show(p, o.bytes, o.bytes + lines, &x);
                if let Some((_, v)) = runs.iter_mut().find(|(q, _)| *q == p) {
                    v.push(x);
                }
            }
        }
        Ok(())
    })();
    rpc.shutdown();
    outcome?;
    Ok(Results {
        bytes: o.bytes,
        expected: o.bytes + lines,
        reps: o.reps,
        runs,
        topology: fx.describe(),
        cipher_hop,
        cipher_desktop,
    })
}

/// The results file's measures: the issue's figure (a) against nested ssh, and (d) for reference.
fn measures(r: &Results) -> Vec<Measure> {
    let stats = |p: Route| Stats::of(&r.rates(p));
    let errors = |p: Route| {
        let e = r.errors(p);
        e.first()
            .map(|first| format!("{} run(s) failed: {first}", e.len()))
    };
    let what = format!(
        "Jump-host throughput, `cat` of a {} MiB file on the target",
        r.bytes >> 20
    );
    let agent = r.ok(Route::Agent);
    let lost: u64 = agent.iter().map(|x| x.lost).sum();
    let short = agent.iter().filter(|x| x.bytes < r.expected).count();
    let mut note = errors(Route::Agent).unwrap_or_default();
    if lost > 0 || short > 0 {
        note += &format!(" {short} run(s) short, {lost} bytes skipped");
    }
    let a = Measure::new(
        &format!("{what}: agent's ssh session"),
        "MiB/s",
        stats(Route::Agent),
    )
    .peer(
        "nested ssh -tt",
        stats(Route::Nested),
        errors(Route::Nested),
    )
    .peer(
        "one-hop ssh -tt on jump",
        stats(Route::OneHop),
        errors(Route::OneHop),
    )
    .ratio_to("nested ssh -tt")
    .goal(
        &format!("≥ {TARGET_RATIO:.1}× nested ssh, every byte"),
        r.pass(),
    )
    .note(note.trim().to_string());
    let d_runs = r.ok(Route::AgentSsh);
    let d_lost: u64 = d_runs.iter().map(|x| x.lost).sum();
    let d = Measure::new(
        &format!(
            "{what}: agent's session with its JSON-RPC through ssh from the desktop (reference)"
        ),
        "MiB/s",
        stats(Route::AgentSsh),
    )
    .peer(
        "nested ssh -tt",
        stats(Route::Nested),
        errors(Route::Nested),
    )
    .ratio_to("nested ssh -tt")
    .note(if d_lost > 0 {
        format!("{d_lost} bytes skipped by the daemon's ring")
    } else {
        errors(Route::AgentSsh).unwrap_or_default()
    });
    vec![a, d]
}

fn run(o: &Opts) -> Result<()> {
    let started = Instant::now();
    let m = machine();
    let mut command = String::from("cargo bench -p outpost-agent --bench ssh_bench");
    if !o.args.is_empty() {
        command = format!("{command} -- {}", o.args.join(" "));
    }
    let bench_results = BenchResults::start("ssh_bench", &command, o.quick);
    println!(
        "ssh_bench: {} MiB, N = {}{}",
        o.bytes >> 20,
        o.reps,
        if o.quick { " (quick)" } else { "" }
    );
    let results = {
        let fx = Fixture::new("ssh_bench");
        check_stop()?;
        measure(o, &fx)?
        // The fixture goes here: sessions' processes, agent, daemons, servers, namespaces, user.
    };
    let section = render(o, &m, &results, started.elapsed());
    println!("\n{section}");
    if o.doc {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md");
        write_section(&path, START, END, &section, "")
            .with_context(|| format!("updating {}", path.display()))?;
        println!("ssh_bench: updated {}", path.display());
    }
    // A partial run (`--paths`) leaves the results of the last complete one alone.
    if o.paths.len() == Route::ALL.len() {
        let path = bench_results.save(measures(&results))?;
        println!("ssh_bench: results in {}", path.display());
    }
    if o.paths.contains(&Route::Agent) && o.paths.contains(&Route::Nested) {
        println!(
            "ssh_bench: agent ÷ nested = {:.2}× (target ≥ {TARGET_RATIO:.1}×): {}; paired by repetition: median {:.2}×",
            results.ratio(),
            if results.pass() { "PASS" } else { "FAIL" },
            median(&results.paired(Route::Agent, Route::Nested))
        );
    } else {
        println!("ssh_bench: agent ÷ nested not measured (--paths)");
    }
    Ok(())
}

fn main() {
    let opts = match options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("ssh_bench: not run (pass --bench or --run)");
            return;
        }
        Err(e) => {
            eprintln!("ssh_bench: {e:#}");
            std::process::exit(2);
        }
    };
    if let Err(e) = install_signals() {
        eprintln!("ssh_bench: {e:#}");
        std::process::exit(2);
    }
    if let Err(e) = run(&opts) {
        eprintln!("ssh_bench: error: {e:#}");
        std::process::exit(1);
    }
}

//! CPU accounting of a run from `/proc` (through `outpost_testkit::procfs`): whole process
//! trees, whose processes may end during the run, counted exactly from their roots' reaped
//! children; split by process from readings every [`POLL`]; and the machine's kernel workers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use outpost_testkit::bench::drive;
use outpost_testkit::procfs::{self, Stat};

/// How often the poller reads the CPU time of the processes of a run.
const POLL: Duration = Duration::from_millis(20);

/// Every process now, by pid.
fn process_table() -> HashMap<u32, Stat> {
    procfs::all().into_iter().map(|s| (s.pid, s)).collect()
}

/// The descendants of `root` in `table` (not `root`), restricted to the subtrees of `only` when
/// given, without the subtrees of `exclude`.
fn descendants(
    table: &HashMap<u32, Stat>,
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
pub struct TreeSpec {
    pub name: &'static str,
    root: u32,
    /// Whether the root's own time counts (not for the bench itself, whose threads do other
    /// work; its reaped children do count).
    root_own: bool,
    /// Only these children of the root (and what is below them).
    only: Option<Vec<u32>>,
    /// Not these descendants (nor what is below them): they are counted in trees of their own.
    pub exclude: Vec<u32>,
}

impl TreeSpec {
    /// A whole tree, its root's own time included.
    pub fn whole(name: &'static str, root: u32) -> TreeSpec {
        TreeSpec {
            name,
            root,
            root_own: true,
            only: None,
            exclude: Vec::new(),
        }
    }

    /// The bench's child `pid` and what is below it.
    pub fn child(name: &'static str, pid: u32) -> TreeSpec {
        TreeSpec {
            name,
            root: std::process::id(),
            root_own: false,
            only: Some(vec![pid]),
            exclude: Vec::new(),
        }
    }
}

/// Live descendants: pid → (start time, comm, own + reaped children ticks).
type Live = HashMap<u32, (u64, String, u64)>;

/// A tree's CPU at one moment: the root's own (if counted) and reaped-children time plus every
/// live descendant's own and reaped-children time. The difference of two marks is the CPU the
/// tree spent in between, whether its processes are still running or have ended and been reaped
/// meanwhile.
#[derive(Clone, Default)]
struct Mark {
    root_own: u64,
    total: u64,
    live: Live,
}

fn mark(spec: &TreeSpec, table: &HashMap<u32, Stat>) -> Mark {
    let mut m = Mark::default();
    if let Some(r) = table.get(&spec.root) {
        m.root_own = r.cpu_ticks();
        m.total = r.children_cpu_ticks() + if spec.root_own { r.cpu_ticks() } else { 0 };
    }
    for pid in descendants(table, spec.root, spec.only.as_deref(), &spec.exclude) {
        if let Some(s) = table.get(&pid) {
            let ticks = s.cpu_ticks() + s.children_cpu_ticks();
            m.total += ticks;
            m.live.insert(pid, (s.start_time, s.comm.clone(), ticks));
        }
    }
    m
}

/// Reads the CPU time of given processes every [`POLL`] until stopped, keeping the last reading
/// of each: the figure of a process that ends during a run (it is then only in its parent's
/// reaped-children total) is that last reading, at most one interval old.
struct Poller {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Live>,
}

impl Poller {
    fn start(pids: Live) -> Result<Poller> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("cpu-poller".into())
            .spawn(move || {
                let mut last = pids;
                loop {
                    for (pid, (start, comm, ticks)) in last.iter_mut() {
                        if let Some(s) = procfs::stat(*pid).filter(|s| s.start_time == *start) {
                            *ticks = s.cpu_ticks() + s.children_cpu_ticks();
                            *comm = s.comm;
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

    fn finish(self) -> Live {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap_or_default()
    }
}

/// CPU seconds a tree spent during a run: in all, by its root itself, and by each process that
/// was alive when the run began (by its last command name).
pub struct TreeCpu {
    pub name: &'static str,
    pub total: f64,
    pub root_own: f64,
    pub by_pid: Vec<(u32, String, f64)>,
}

impl TreeCpu {
    /// CPU of the processes named `comm`.
    pub fn comm(&self, comm: &str) -> f64 {
        self.by_pid
            .iter()
            .filter(|(_, c, _)| c == comm)
            .map(|(_, _, s)| s)
            .sum()
    }
}

/// The machine's `kworker` threads: pid → (start time, CPU ticks). They do the PTYs' work
/// (moving what a program writes to the slave into the master's line discipline,
/// `flush_to_ldisc`) on behalf of no process.
fn kworkers(table: &HashMap<u32, Stat>) -> HashMap<u32, (u64, u64)> {
    table
        .iter()
        .filter(|(_, s)| s.comm.starts_with("kworker"))
        .map(|(p, s)| (*p, (s.start_time, s.cpu_ticks())))
        .collect()
}

/// Counts the CPU of a run: the bench's reading thread, and each [`TreeSpec`]'s tree.
pub struct Accounting {
    specs: Vec<TreeSpec>,
    before: Vec<Mark>,
    /// The `stat` file of the bench's reading thread, and its CPU ticks at the start.
    thread: PathBuf,
    thread0: u64,
    poller: Poller,
    kworkers: HashMap<u32, (u64, u64)>,
}

impl Accounting {
    /// Starts counting now; `thread` is the `stat` file of the thread that reads the stream (the
    /// client's reader thread, or `/proc/thread-self/stat` for the calling thread).
    pub fn begin(specs: Vec<TreeSpec>, thread: &Path) -> Result<Accounting> {
        let table = process_table();
        let kw = kworkers(&table);
        let before: Vec<Mark> = specs.iter().map(|s| mark(s, &table)).collect();
        let watched: Live = before
            .iter()
            .flat_map(|m| m.live.iter().map(|(p, v)| (*p, v.clone())))
            .collect();
        Ok(Accounting {
            specs,
            before,
            thread: thread.to_path_buf(),
            thread0: drive::thread_ticks(thread),
            poller: Poller::start(watched)?,
            kworkers: kw,
        })
    }

    /// Ends the count once the run's short-lived processes (ssh connections, `cat`) are gone
    /// (waits up to 3 s for them to be reaped). Returns the reading thread's CPU, the trees' and
    /// the machine's kernel workers' (read at once: the stream has ended).
    pub fn end(self) -> (f64, Vec<TreeCpu>, f64) {
        let tck = procfs::ticks_per_second();
        let client = drive::thread_ticks(&self.thread).saturating_sub(self.thread0) as f64 / tck;
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
                .any(|(p, s)| procfs::stat(*p).is_some_and(|x| x.start_time == *s))
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let last = self.poller.finish();
        let table = process_table();
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
pub struct Cpu {
    pub client: f64,
    pub agent: Option<f64>,
    pub daemon: Option<f64>,
    pub ssh_clients: f64,
    /// Of which the `ssh -O check` link probes of the session daemon (agent path only).
    pub mux_checks: Option<f64>,
    pub sshd_jump: Option<f64>,
    pub sshd_target: f64,
    pub cat: f64,
    /// The machine's `kworker` threads (not in [`Cpu::total`]: they serve the whole machine,
    /// though during a run they mostly move this run's PTY output).
    pub kworkers: f64,
}

impl Cpu {
    /// Every process of the path.
    pub fn total(&self) -> f64 {
        self.client
            + self.agent.unwrap_or(0.0)
            + self.daemon.unwrap_or(0.0)
            + self.ssh_clients
            + self.sshd_jump.unwrap_or(0.0)
            + self.sshd_target
            + self.cat
    }
}

/// The tree called `name`.
pub fn tree<'a>(trees: &'a [TreeCpu], name: &str) -> Option<&'a TreeCpu> {
    trees.iter().find(|t| t.name == name)
}

/// The target's sshd tree split into `sshd` (connection processes, the shell) and `cat`.
pub fn target_split(trees: &[TreeCpu]) -> (f64, f64) {
    tree(trees, "target")
        .map(|t| {
            let cat = t.comm("cat");
            ((t.total - cat).max(0.0), cat)
        })
        .unwrap_or((f64::NAN, f64::NAN))
}

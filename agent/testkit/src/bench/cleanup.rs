//! Everything a benchmark starts is torn down once, whatever happens: at the end, on error, on
//! panic, on SIGINT/SIGTERM/SIGHUP and on the watchdog's timeout.
//!
//! - [`track`] registers a process the bench started (killed by [`teardown`], SIGTERM then
//!   SIGKILL); [`on_teardown`] registers a step of its own (ending session daemons, tmux
//!   servers), run in order after the tracked processes are gone.
//! - [`set_tag`] names the run: every process the bench starts gets `OUTPOST_BENCH_TAG=<tag>`
//!   in its environment ([`TAG_VAR`]), and [`teardown`] ends, as a safety net, every process that
//!   still carries it (until two rounds in a row find none); [`set_tmp`] names a directory it
//!   removes last.
//! - [`install_signals`] handles the signals on a thread of their own (a handler writes to a
//!   pipe; a blocked mask would be inherited by every child): [`OnSignal::TearDown`] tears down and
//!   exits with status 130; [`OnSignal::Unwind`] kills the tracked processes, so that no read
//!   blocks for long, and makes [`check_stop`] fail, so the run unwinds through its destructors
//!   (a second signal exits at once).
//! - [`arm`] gives the next phase a time limit; the watchdog ([`install_watchdog`]) tears down
//!   and exits with status 3 when one is exceeded. Once a teardown has begun, [`arm`] (through
//!   [`stop_if_cleaning`]) holds the main thread so it starts nothing new.

use std::io::Read as _;
use std::os::fd::IntoRawFd as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::Pid;

use crate::procfs;

/// The environment variable that marks every process of one benchmark run.
pub const TAG_VAR: &str = "OUTPOST_BENCH_TAG";

type Step = Box<dyn FnOnce() + Send>;

struct State {
    name: String,
    pids: Vec<u32>,
    steps: Vec<Step>,
    tmp: Option<PathBuf>,
    tag: String,
}

static STATE: Mutex<State> = Mutex::new(State {
    name: String::new(),
    pids: Vec::new(),
    steps: Vec::new(),
    tmp: None,
    tag: String::new(),
});
static CLEANED: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);
static WATCHDOG: Mutex<Option<(Instant, String)>> = Mutex::new(None);
/// The write end of the pipe the signal handler writes to.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

fn name() -> String {
    let n = state().name.clone();
    if n.is_empty() {
        "bench".into()
    } else {
        n
    }
}

/// Names this run's processes (see [`TAG_VAR`]).
pub fn set_tag(tag: &str) {
    state().tag = tag.to_string();
}

/// This run's tag (empty when none was set).
pub fn tag() -> String {
    state().tag.clone()
}

/// A directory [`teardown`] removes last.
pub fn set_tmp(dir: PathBuf) {
    state().tmp = Some(dir);
}

/// Registers a process to kill on teardown. During a teardown, kills it at once.
pub fn track(pid: u32) {
    if CLEANED.load(Ordering::SeqCst) {
        // Cleaning up already: nothing new may live.
        signal(pid, Signal::SIGKILL);
        return;
    }
    state().pids.push(pid);
}

/// Forgets a process the bench has ended itself.
pub fn untrack(pid: u32) {
    state().pids.retain(|&p| p != pid);
}

/// Registers a step of the teardown, run after the tracked processes are killed.
pub fn on_teardown(step: impl FnOnce() + Send + 'static) {
    state().steps.push(Box::new(step));
}

fn signal(pid: u32, sig: Signal) {
    if let Ok(p) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(p), sig);
    }
}

/// Every process (but this one) whose environment carries `TAG_VAR=tag`.
fn tagged_processes(tag: &str) -> Vec<u32> {
    let me = std::process::id();
    procfs::pids()
        .into_iter()
        .filter(|&pid| pid != me && procfs::has_env(pid, TAG_VAR, tag.as_bytes()))
        .collect()
}

/// Tears everything down. Safe to call more than once; only the first call acts.
pub fn teardown() {
    if CLEANED.swap(true, Ordering::SeqCst) {
        return;
    }
    let (pids, steps, tmp, tag) = {
        let mut s = state();
        (
            s.pids.clone(),
            std::mem::take(&mut s.steps),
            s.tmp.clone(),
            s.tag.clone(),
        )
    };
    // First what the bench started directly (agents above all, so no new daemon is launched),
    // then the bench's own steps, and last a sweep for anything tagged.
    for &p in &pids {
        signal(p, Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && pids.iter().any(|&p| procfs::alive(p)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for &p in &pids {
        signal(p, Signal::SIGKILL);
    }
    for step in steps {
        step();
    }
    // The safety net: anything that still carries the tag (session daemons, their children,
    // sshd's per-connection processes, tmux panes) goes, until two rounds in a row find nothing.
    if !tag.is_empty() {
        let mut seen: Vec<u32> = Vec::new();
        let mut quiet = 0;
        for _ in 0..20 {
            let left = tagged_processes(&tag);
            if left.is_empty() {
                quiet += 1;
                if quiet == 2 {
                    break;
                }
            } else {
                quiet = 0;
            }
            for p in left {
                let sig = if seen.contains(&p) {
                    Signal::SIGKILL
                } else {
                    seen.push(p);
                    Signal::SIGTERM
                };
                signal(p, sig);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let left = tagged_processes(&tag);
        if !left.is_empty() {
            eprintln!(
                "{}: WARNING: processes still alive after cleanup: {left:?}",
                name()
            );
        }
    }
    if let Some(tmp) = tmp {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// Whether a signal asked the run to stop ([`OnSignal::Unwind`]).
pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Fails once a signal asked the run to stop.
pub fn check_stop() -> Result<()> {
    if stopping() {
        bail!("interrupted by a signal");
    }
    Ok(())
}

/// What the first SIGINT/SIGTERM/SIGHUP does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnSignal {
    /// [`teardown`], then exit with status 130.
    TearDown,
    /// Kill the tracked processes and make [`check_stop`] fail, so the run unwinds and its
    /// destructors clean up; a second signal exits at once.
    Unwind,
}

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    let b = sig as u8;
    // SAFETY: write(2) is async-signal-safe; the buffer is a local byte.
    unsafe {
        libc::write(fd, std::ptr::addr_of!(b).cast(), 1);
    }
}

/// Handles SIGINT, SIGTERM and SIGHUP as `how` says; `bench` names the program in messages.
/// Handlers are reset by exec, so the bench's children keep the default dispositions.
pub fn install_signals(bench: &str, how: OnSignal) -> Result<()> {
    state().name = bench.to_string();
    let (rd, wr) = nix::unistd::pipe().context("creating the signal pipe")?;
    SIGNAL_PIPE.store(wr.into_raw_fd(), Ordering::SeqCst);
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only calls write(2), which is async-signal-safe.
        unsafe { nix::sys::signal::sigaction(sig, &action) }.context("installing a handler")?;
    }
    let mut rd = std::fs::File::from(rd);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut b = [0u8; 1];
            let mut seen = 0;
            while rd.read_exact(&mut b).is_ok() {
                seen += 1;
                match how {
                    OnSignal::TearDown => {
                        eprintln!("\n{}: got signal {}, cleaning up", name(), b[0]);
                        teardown();
                        std::process::exit(130);
                    }
                    OnSignal::Unwind if seen > 1 => {
                        eprintln!(
                            "{}: signal {} again: exiting without finishing the clean-up (the next run of the test kit removes what is left)",
                            name(),
                            b[0]
                        );
                        std::process::exit(130);
                    }
                    OnSignal::Unwind => {
                        eprintln!("{}: signal {}: stopping; cleaning up", name(), b[0]);
                        STOP.store(true, Ordering::SeqCst);
                        for pid in state().pids.clone() {
                            signal(pid, Signal::SIGKILL);
                        }
                    }
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// Once a teardown has begun (signal, watchdog), holds the calling thread until the process
/// exits, so it neither starts anything new nor writes a report.
pub fn stop_if_cleaning() {
    while CLEANED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Gives the phase that starts now `limit` to finish (see [`install_watchdog`]).
pub fn arm(phase: &str, limit: Duration) {
    stop_if_cleaning();
    *WATCHDOG.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((Instant::now() + limit, phase.to_string()));
}

/// Ends the time limit of the current phase.
pub fn disarm() {
    *WATCHDOG.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Starts the watchdog: a phase that overruns its [`arm`] limit tears the run down and exits
/// with status 3.
pub fn install_watchdog() -> Result<()> {
    std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(|| loop {
            std::thread::sleep(Duration::from_millis(500));
            let expired = WATCHDOG
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|(at, _)| Instant::now() > *at)
                .map(|(_, phase)| phase.clone());
            if let Some(phase) = expired {
                eprintln!("{}: {phase} timed out; cleaning up and giving up", name());
                teardown();
                std::process::exit(3);
            }
        })
        .context("starting the watchdog")?;
    Ok(())
}

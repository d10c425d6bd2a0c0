//! The session's pseudo-terminal and child process (`portable-pty`), and the threads that move
//! bytes between them and the shared state.
//!
//! A reader thread copies PTY output into the ring (waiting while an attached client would lose
//! bytes, [`crate::daemon::flow`]) and a model thread parses it behind it
//! ([`crate::daemon::model`]); a writer thread types queued input; a waiter
//! thread reaps the child with `waitpid` (so signals are reported by name). For `ssh` sessions
//! with a reconnect policy ([`crate::ssh::reconnect`]), the waiter starts `ssh` again on the same
//! PTY when it exits with 255 (connection lost; not when a client's `session.signal` stopped it,
//! which `ssh` also reports with 255), writing a short marker line into the output; otherwise, or
//! once the policy gives up, it lets the reader drain what the child wrote last and marks the
//! session exited.
//!
//! The reader does one system call per chunk while the child runs: a blocking `read`, with no
//! `poll` before it. It learns that the child is gone from [`ChildGone`]: the waiter sets it and
//! nudges the reader thread with [`NUDGE_SIGNAL`] (a handler that does nothing, installed without
//! `SA_RESTART`, so a `read` blocked on a quiet terminal returns `EINTR`) until the reader has seen
//! it; only from then on does the reader poll, to tell a quiet terminal from a busy one.
//!
//! Signals go through [`ChildProcess`]: none is sent once the child's exit has been collected,
//! so closing an exited session can never hit a process that took its pid.

use std::io::{Read, Write};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal as NixSignal;
use outpost_protocol::session::{LinkState, Signal, MAX_CWD_BYTES, MAX_FOREGROUND_CHARS};
use portable_pty::{native_pty_system, CommandBuilder, MasterPty, PtySize, SlavePty};
use tokio::sync::mpsc;

use super::child::ChildProcess;
use crate::daemon::spec::DaemonSpec;
use crate::daemon::state::Shared;
use crate::ssh::reconnect::{Reconnect, Step, SSH_CONNECTION_LOST};

/// Once the child exited, the terminal counts as drained when it has had nothing to read for
/// this long (a process left behind may still hold it open; without one the reader sees end of
/// file at once).
const DRAIN_QUIET: Duration = Duration::from_millis(50);

/// How long the exit may wait at most for a terminal that does not fall quiet (output that
/// never ends, from a process left behind).
const DRAIN_MAX: Duration = Duration::from_secs(3);

/// How long the exit may wait at most for a reader that attached clients hold back.
const DRAIN_HELD_MAX: Duration = Duration::from_secs(30);

/// The signal the waiter sends the reader thread to interrupt a blocked `read` once the child is
/// gone ([`ChildGone`]). Ignored by default, so a stray one does nothing.
const NUDGE_SIGNAL: libc::c_int = libc::SIGURG;

/// How often the waiter nudges the reader until it has seen that the child is gone (a nudge
/// may land just before the reader enters `read`, and be lost).
const NUDGE_EVERY: Duration = Duration::from_millis(10);

/// Why the terminal could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    /// Opening the PTY or spawning the program failed.
    #[error("cannot start {program}: {message}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        message: String,
    },
    /// A PTY operation failed.
    #[error("terminal: {0}")]
    Io(String),
}

/// A running terminal.
pub struct Pty {
    master: Mutex<Box<dyn MasterPty + Send>>,
    shared: Arc<Shared>,
    input: mpsc::Sender<Vec<u8>>,
    child: Arc<ChildProcess>,
    /// Set when a client signalled the child: `ssh` stopped by a signal exits with 255 too, and
    /// that is no lost connection to reconnect.
    signalled: Arc<AtomicBool>,
}

fn build_command(spec: &DaemonSpec) -> CommandBuilder {
    let mut cmd = match &spec.program {
        None => CommandBuilder::new_default_prog(),
        Some(p) => {
            let mut c = CommandBuilder::new(p);
            c.args(&spec.args);
            c
        }
    };
    cmd.env("TERM", "xterm-256color");
    cmd.env("COLORTERM", "truecolor");
    cmd.env("OUTPOST_SESSION_ID", &spec.session_id);
    cmd.env_remove("OUTPOST_LOG");
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    if let Some(cwd) = &spec.cwd {
        cmd.cwd(cwd);
    }
    cmd
}

fn spawn_child(slave: &dyn SlavePty, cmd: &CommandBuilder) -> Result<u32, String> {
    let child = slave
        .spawn_command(cmd.clone())
        .map_err(|e| e.to_string())?;
    let pid = child
        .process_id()
        .ok_or_else(|| "the child has no process id".to_string())?;
    // portable-pty's handle is not used to wait: the waiter thread reaps with waitpid.
    drop(child);
    Ok(pid)
}

impl Pty {
    /// Opens a PTY, starts the spec's program on it and the threads that serve it.
    pub fn spawn(spec: &DaemonSpec, shared: Arc<Shared>) -> Result<Pty, PtyError> {
        let program = spec.program.clone().unwrap_or_else(|| "login shell".into());
        let spawn_err = |message: String| PtyError::Spawn {
            program: program.clone(),
            message,
        };
        // Before the reader starts, so a recording asked for at create has the first byte.
        (shared.recorder().configure(spec)).map_err(|e| PtyError::Io(e.to_string()))?;
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: spec.rows,
                cols: spec.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| spawn_err(e.to_string()))?;
        let cmd = build_command(spec);
        let child_pid = spawn_child(pair.slave.as_ref(), &cmd).map_err(spawn_err)?;
        shared.set_child_pid(child_pid);
        let child = Arc::new(ChildProcess::new(child_pid));
        // Without reconnects our copy of the slave must go so the reader sees end of file when
        // the child exits; with them it is kept to start `ssh` again on the same terminal.
        let slave = spec.reconnect.map(|_| pair.slave);

        let master = pair.master;
        let reader = master
            .try_clone_reader()
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let writer = master
            .take_writer()
            .map_err(|e| PtyError::Io(e.to_string()))?;
        if std::env::var_os(crate::daemon::model::MODEL_THREAD_ENV).is_none_or(|v| v != "0") {
            shared
                .start_model()
                .map_err(|e| PtyError::Io(e.to_string()))?;
        }
        let watch = ReaderWatch::new(master.as_ref())?;
        let (drained_tx, drained_rx) = std_mpsc::channel::<()>();
        install_nudge_handler()?;
        let gone = Arc::new(ChildGone::default());
        let (s, g) = (shared.clone(), gone.clone());
        let reader_thread = std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || read_loop(reader, watch, &g, &s, drained_tx))
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let (input, input_rx) = mpsc::channel::<Vec<u8>>(64);
        std::thread::Builder::new()
            .name("pty-writer".into())
            .spawn(move || write_loop(writer, input_rx))
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let signalled = Arc::new(AtomicBool::new(false));
        let waiter = Waiter {
            shared: shared.clone(),
            child: child.clone(),
            signalled: signalled.clone(),
            slave,
            gone,
            reader: reader_thread,
            cmd,
            reconnect: spec
                .reconnect
                .map(|p| Reconnect::new(p, spec.ssh.as_ref().map(|s| s.target.clone()))),
        };
        std::thread::Builder::new()
            .name("child-waiter".into())
            .spawn(move || waiter.run(drained_rx))
            .map_err(|e| PtyError::Io(e.to_string()))?;
        Ok(Pty {
            master: Mutex::new(master),
            shared,
            input,
            child,
            signalled,
        })
    }

    fn master(&self) -> MutexGuard<'_, Box<dyn MasterPty + Send>> {
        self.master.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current child's pid.
    pub fn child_pid(&self) -> u32 {
        self.shared.child_pid()
    }

    /// The name of the terminal's foreground process group leader (`tcgetpgrp` on the master,
    /// then `/proc/PID/comm`), when it is not the child itself; cleaned and bounded.
    pub fn foreground(&self) -> Option<String> {
        let pgrp = self.master().process_group_leader().filter(|&g| g > 0)?;
        if u32::try_from(pgrp).ok()? == self.child_pid() {
            return None;
        }
        let comm = std::fs::read(format!("/proc/{pgrp}/comm")).ok()?;
        let name = super::screen::clean(&comm, MAX_FOREGROUND_CHARS);
        (!name.is_empty()).then_some(name)
    }

    /// Whether the terminal's foreground process group is the child's own (a shell waiting at
    /// its prompt); false when it cannot be read.
    pub fn child_in_foreground(&self) -> bool {
        let pgrp = self.master().process_group_leader();
        pgrp.and_then(|g| u32::try_from(g).ok()) == Some(self.child_pid())
    }

    /// The working directory of the terminal's foreground process (the shell when nothing else
    /// runs), from `/proc/PID/cwd`, for shells that do not report theirs (OSC 7). `None` when it
    /// cannot be read or is not an absolute UTF-8 path without control characters of at most
    /// [`MAX_CWD_BYTES`] bytes (the limits of an OSC 7 directory).
    pub fn process_cwd(&self) -> Option<String> {
        let pid = match self.master().process_group_leader() {
            Some(g) if g > 0 => u32::try_from(g).ok()?,
            _ => self.child_pid(),
        };
        let path = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
        let path = path.into_os_string().into_string().ok()?;
        let ok = path.starts_with('/')
            && path.len() <= MAX_CWD_BYTES
            && !path.chars().any(char::is_control);
        ok.then_some(path)
    }

    /// Queues bytes to type; waits while the queue is full.
    pub async fn write(&self, data: Vec<u8>) -> Result<(), PtyError> {
        self.input
            .send(data)
            .await
            .map_err(|_| PtyError::Io("the terminal no longer takes input".into()))
    }

    /// Changes the terminal size (the child gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), PtyError> {
        self.master()
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| PtyError::Io(e.to_string()))
    }

    /// Sends a signal to the terminal's foreground process group (the child's group if unknown);
    /// nothing once the child has exited.
    pub fn signal(&self, signal: Signal) -> Result<(), PtyError> {
        let sig = match signal {
            Signal::Int => NixSignal::SIGINT,
            Signal::Term => NixSignal::SIGTERM,
            Signal::Kill => NixSignal::SIGKILL,
            Signal::Hup => NixSignal::SIGHUP,
            Signal::Quit => NixSignal::SIGQUIT,
        };
        let fg = self.master().process_group_leader().filter(|&g| g > 0);
        let Some(child) = self.child.live() else {
            return Err(PtyError::Io(format!(
                "cannot send {sig}: the process has exited"
            )));
        };
        // Marked before sending: the child may exit before the signal returns.
        self.signalled.store(true, Ordering::SeqCst);
        child
            .signal_group(fg.unwrap_or(child.pid()), sig)
            .or_else(|_| child.signal_child(sig))
            .map_err(|e| {
                self.signalled.store(false, Ordering::SeqCst);
                PtyError::Io(format!("cannot send {sig}: {e}"))
            })
    }

    /// Ends the child: SIGHUP to its groups, then SIGKILL if it is still there after `grace`.
    /// Once its exit is recorded nothing is sent: its pid and group may name others by then.
    pub fn terminate(&self, grace: Duration) {
        self.shared.set_closing();
        let fg = self.master().process_group_leader().filter(|&g| g > 0);
        let signal_all = |sig: NixSignal| {
            let Some(child) = self.child.live() else {
                return;
            };
            if let Some(g) = fg {
                let _ = child.signal_group(g, sig);
            }
            let _ = child.signal_group(child.pid(), sig);
            let _ = child.signal_child(sig);
        };
        signal_all(NixSignal::SIGHUP);
        signal_all(NixSignal::SIGCONT);
        let deadline = Instant::now() + grace;
        while self.shared.exit().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.shared.exit().is_none() {
            signal_all(NixSignal::SIGKILL);
        }
    }
}

/// Reaps the child and, for `ssh` sessions with a policy, restarts it.
struct Waiter {
    shared: Arc<Shared>,
    child: Arc<ChildProcess>,
    /// See [`Pty`]'s field of that name.
    signalled: Arc<AtomicBool>,
    slave: Option<Box<dyn SlavePty + Send>>,
    /// Set once the child is gone for good: the reader then reports when it has drained.
    gone: Arc<ChildGone>,
    /// The reader thread, to nudge (kept, never joined, so its handle stays valid).
    reader: std::thread::JoinHandle<()>,
    cmd: CommandBuilder,
    reconnect: Option<Reconnect>,
}

impl Waiter {
    fn run(mut self, drained: std_mpsc::Receiver<()>) {
        let exit = loop {
            let exit = self.child.wait();
            let lost = exit.exit_code == Some(SSH_CONNECTION_LOST);
            let (Some(reconnect), true) = (self.reconnect.as_mut(), lost) else {
                break exit;
            };
            // Closing, or stopped by a signal a client sent: this 255 is no lost connection.
            if self.shared.is_closing() || self.signalled.swap(false, Ordering::SeqCst) {
                break exit;
            }
            let step = reconnect.lost(self.shared.link() == Some(LinkState::Up));
            self.shared.set_link(LinkState::Down);
            let delay = match step {
                Step::GiveUp { marker } => {
                    self.marker(&marker);
                    break exit;
                }
                Step::Retry { delay, marker } => {
                    self.marker(&marker);
                    delay
                }
            };
            if !self.sleep_unless_closing(delay) {
                break exit;
            }
            let Some(slave) = self.slave.as_deref() else {
                break exit;
            };
            match spawn_child(slave, &self.cmd) {
                Ok(p) => {
                    self.child.replace(p);
                    self.shared.set_child_pid(p);
                    self.shared.set_link(LinkState::Connecting);
                }
                Err(e) => {
                    self.marker(&format!("cannot start ssh again: {e}"));
                    break exit;
                }
            }
        };
        // Our slave copy goes, so the reader sees end of file once the child's copies are gone,
        // and the reader learns the child is gone: from now on a quiet terminal is a drained one.
        drop(self.slave.take());
        self.gone.gone.store(true, Ordering::SeqCst);
        // The exit is announced after the child's last output, however late a loaded machine
        // lets the reader run. A reader held back by a client that still reads is not done
        // either (a stalled client stops holding it back after its bound); a terminal that never
        // falls quiet, written to by a process left behind, does not keep the exit back long.
        let start = Instant::now();
        loop {
            let tick = if self.gone.seen.load(Ordering::SeqCst) {
                Duration::from_millis(100)
            } else {
                nudge(&self.reader);
                NUDGE_EVERY
            };
            if !matches!(
                drained.recv_timeout(tick),
                Err(std_mpsc::RecvTimeoutError::Timeout)
            ) {
                break;
            }
            let waited = start.elapsed();
            if waited > DRAIN_HELD_MAX || (waited > DRAIN_MAX && !self.shared.holding_back()) {
                break;
            }
        }
        tracing::info!(?exit, "child exited");
        self.shared.set_link(LinkState::Down);
        self.shared.set_exited(exit);
    }

    fn marker(&self, text: &str) {
        tracing::info!("{text}");
        let line = format!("\r\n\x1b[1;33m[outpost] {text}\x1b[0m\r\n");
        self.shared.push_output(line.as_bytes());
    }

    /// Sleeps `d`; false if the session started closing meanwhile.
    fn sleep_unless_closing(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if self.shared.is_closing() {
                return false;
            }
            std::thread::sleep((deadline - Instant::now()).min(Duration::from_millis(50)));
        }
        !self.shared.is_closing()
    }
}

/// How the waiter tells the reader that the child is gone for good.
#[derive(Debug, Default)]
struct ChildGone {
    /// Set by the waiter.
    gone: AtomicBool,
    /// Set by the reader once it has seen `gone`: no more nudges needed.
    seen: AtomicBool,
}

extern "C" fn on_nudge(_: libc::c_int) {}

/// Installs the do-nothing handler of [`NUDGE_SIGNAL`] (once per process), without `SA_RESTART`
/// so that it interrupts a blocked `read`.
fn install_nudge_handler() -> Result<(), PtyError> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let action = SigAction::new(
            SigHandler::Handler(on_nudge),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing at all, so it is async-signal-safe.
        unsafe { sigaction(Signal::SIGURG, &action) }
            .map(drop)
            .map_err(|e| e.to_string())
    });
    result
        .clone()
        .map_err(|e| PtyError::Io(format!("cannot install the reader's signal handler: {e}")))
}

/// Interrupts the reader's blocked `read` ([`ChildGone`]).
fn nudge(reader: &std::thread::JoinHandle<()>) {
    // SAFETY: the thread's handle is kept (never joined or detached), so its id stays valid
    // even after it ended; a signal to an ended thread is refused with ESRCH.
    unsafe {
        libc::pthread_kill(reader.as_pthread_t(), NUDGE_SIGNAL);
    }
}

/// What the reader polls besides reading: its own copy of the master's descriptor.
struct ReaderWatch(std::os::fd::OwnedFd);

impl ReaderWatch {
    fn new(master: &(dyn MasterPty + Send)) -> Result<ReaderWatch, PtyError> {
        let raw = master
            .as_raw_fd()
            .ok_or_else(|| PtyError::Io("the terminal has no descriptor".into()))?;
        // SAFETY: `raw` is the master's open descriptor, borrowed only to duplicate it here.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
        let owned = borrowed
            .try_clone_to_owned()
            .map_err(|e| PtyError::Io(e.to_string()))?;
        Ok(ReaderWatch(owned))
    }

    /// Waits until the terminal has something to read (or ended: true), at most `quiet`
    /// (false).
    fn wait(&self, quiet: Duration) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::os::fd::AsFd;
        let timeout = PollTimeout::try_from(quiet).unwrap_or(PollTimeout::MAX);
        loop {
            let mut fds = [PollFd::new(self.0.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Err(nix::errno::Errno::EINTR) => continue,
                // Reading tells what is wrong with the terminal.
                Err(_) => return true,
                Ok(0) => return false,
                Ok(_) => return fds[0].any().unwrap_or(true),
            }
        }
    }
}

/// Copies the terminal's output into the shared state until it ends. Once the child is gone
/// ([`ChildGone`]), says `drained` as soon as the terminal ends or falls quiet, then reads on
/// whatever a process left behind still writes.
fn read_loop(
    mut reader: Box<dyn Read + Send>,
    watch: ReaderWatch,
    gone: &ChildGone,
    shared: &Shared,
    drained: std_mpsc::Sender<()>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut child_gone = false;
    let mut told = false;
    loop {
        if !child_gone && gone.gone.load(Ordering::SeqCst) {
            child_gone = true;
            gone.seen.store(true, Ordering::SeqCst);
        }
        // While the child runs, a plain blocking read (a nudge interrupts it once the child is
        // gone); after that, a poll first tells a quiet terminal from a busy one.
        if child_gone && !told && !watch.wait(DRAIN_QUIET) {
            let _ = drained.send(());
            told = true;
            continue;
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shared.push_output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO is how Linux reports that every slave end has closed.
            Err(_) => break,
        }
    }
    if !told {
        let _ = drained.send(());
    }
}

fn write_loop(mut writer: Box<dyn Write + Send>, mut input: mpsc::Receiver<Vec<u8>>) {
    while let Some(data) = input.blocking_recv() {
        if writer
            .write_all(&data)
            .and_then(|_| writer.flush())
            .is_err()
        {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::state::Identity;
    use outpost_protocol::session::SessionKind;

    fn spec(program: &str, args: &[&str]) -> DaemonSpec {
        DaemonSpec {
            scrollback_bytes: 4096,
            program: Some(program.into()),
            args: args.iter().map(|a| a.to_string()).collect(),
            ..DaemonSpec::for_test("pidtest")
        }
    }

    /// Starts `sleep` as the leader of its own process group with exactly `pid`, by setting the
    /// kernel's last allocated pid just below it (root only); `None` if another fork kept winning.
    fn decoy_at(pid: u32) -> Option<std::process::Child> {
        use std::os::unix::process::CommandExt;
        for _ in 0..500 {
            std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).ok()?;
            let mut c = std::process::Command::new("sleep")
                .arg("60")
                .process_group(0)
                .spawn()
                .ok()?;
            if c.id() == pid {
                return Some(c);
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        None
    }

    #[test]
    fn closing_an_exited_session_signals_no_recycled_pid() {
        let shared = Arc::new(Shared::new(
            Identity {
                session_id: "pidtest".into(),
                kind: SessionKind::Shell,
                title: "t".into(),
                created_at: String::new(),
                target: None,
            },
            80,
            24,
            4096,
        ));
        let pty = Pty::spawn(&spec("/bin/sh", &["-c", "exit 3"]), shared.clone())
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let pid = pty.child_pid();
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.exit().is_none() {
            assert!(Instant::now() < deadline, "the child did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        // The child is reaped: its pid (and group id) are free. A decoy takes both.
        let mut decoy = decoy_at(pid)
            .unwrap_or_else(|| panic!("could not start a decoy at pid {pid} (needs root)"));
        pty.terminate(Duration::from_millis(200));
        std::thread::sleep(Duration::from_millis(200));
        let status = decoy.try_wait().unwrap_or_else(|e| panic!("try_wait: {e}"));
        let _ = decoy.kill();
        let _ = decoy.wait();
        assert_eq!(
            status, None,
            "the decoy on the exited child's pid {pid} was signalled"
        );
    }
}

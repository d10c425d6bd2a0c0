//! The session's pseudo-terminal and child process (`portable-pty`), and the threads that move
//! bytes between them and the shared state.
//!
//! A reader thread copies PTY output into the ring; a writer thread types queued input; a waiter
//! thread reaps the child with `waitpid` (so signals are reported by name), lets the reader drain
//! what the child wrote last, then marks the session exited.

use std::io::{Read, Write};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::signal::{kill, Signal as NixSignal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use outpost_protocol::session::Signal;
use portable_pty::{native_pty_system, CommandBuilder, MasterPty, PtySize};
use tokio::sync::mpsc;

use super::frames::ExitInfo;
use super::spec::DaemonSpec;
use super::state::Shared;

/// How long the reader may keep draining after the child exited before the exit is announced.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

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
    child_pid: u32,
    input: mpsc::Sender<Vec<u8>>,
}

impl Pty {
    /// Opens a PTY, starts the spec's program on it and the threads that serve it.
    pub fn spawn(spec: &DaemonSpec, shared: Arc<Shared>) -> Result<Pty, PtyError> {
        let program = spec.program.clone().unwrap_or_else(|| "login shell".into());
        let spawn_err = |message: String| PtyError::Spawn {
            program: program.clone(),
            message,
        };
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: spec.rows,
                cols: spec.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| spawn_err(e.to_string()))?;
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
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| spawn_err(e.to_string()))?;
        // The child has its own copy of the slave; ours must go so the reader sees end of file.
        drop(pair.slave);
        let child_pid = child
            .process_id()
            .ok_or_else(|| spawn_err("the child has no process id".into()))?;
        // portable-pty's handle is not used to wait: the waiter thread reaps with waitpid.
        drop(child);
        *shared.child_pid.lock().unwrap_or_else(|p| p.into_inner()) = child_pid;

        let master = pair.master;
        let reader = master
            .try_clone_reader()
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let writer = master
            .take_writer()
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let (drained_tx, drained_rx) = std_mpsc::channel::<()>();
        let s = shared.clone();
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || read_loop(reader, &s, drained_tx))
            .map_err(|e| PtyError::Io(e.to_string()))?;
        let (input, input_rx) = mpsc::channel::<Vec<u8>>(64);
        std::thread::Builder::new()
            .name("pty-writer".into())
            .spawn(move || write_loop(writer, input_rx))
            .map_err(|e| PtyError::Io(e.to_string()))?;
        std::thread::Builder::new()
            .name("child-waiter".into())
            .spawn(move || {
                let exit = wait_child(child_pid);
                let _ = drained_rx.recv_timeout(DRAIN_GRACE);
                tracing::info!(?exit, "child exited");
                shared.set_exited(exit);
            })
            .map_err(|e| PtyError::Io(e.to_string()))?;
        Ok(Pty {
            master: Mutex::new(master),
            child_pid,
            input,
        })
    }

    fn master(&self) -> MutexGuard<'_, Box<dyn MasterPty + Send>> {
        self.master.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The child's pid.
    pub fn child_pid(&self) -> u32 {
        self.child_pid
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

    /// Sends a signal to the terminal's foreground process group (the child's group if unknown).
    pub fn signal(&self, signal: Signal) -> Result<(), PtyError> {
        let sig = match signal {
            Signal::Int => NixSignal::SIGINT,
            Signal::Term => NixSignal::SIGTERM,
            Signal::Kill => NixSignal::SIGKILL,
            Signal::Hup => NixSignal::SIGHUP,
            Signal::Quit => NixSignal::SIGQUIT,
        };
        let group = self
            .master()
            .process_group_leader()
            .filter(|&g| g > 0)
            .unwrap_or(self.child_pid as i32);
        kill(Pid::from_raw(-group), sig)
            .or_else(|_| kill(Pid::from_raw(self.child_pid as i32), sig))
            .map_err(|e| PtyError::Io(format!("cannot send {sig}: {e}")))
    }

    /// Ends the child: SIGHUP to its groups, then SIGKILL if it is still there after `grace`.
    pub fn terminate(&self, shared: &Shared, grace: Duration) {
        let child = Pid::from_raw(self.child_pid as i32);
        let fg = self.master().process_group_leader().filter(|&g| g > 0);
        for sig in [NixSignal::SIGHUP, NixSignal::SIGCONT] {
            if let Some(g) = fg {
                let _ = kill(Pid::from_raw(-g), sig);
            }
            let _ = kill(Pid::from_raw(-child.as_raw()), sig);
        }
        let deadline = std::time::Instant::now() + grace;
        while shared.exit().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if shared.exit().is_none() {
            if let Some(g) = fg {
                let _ = kill(Pid::from_raw(-g), NixSignal::SIGKILL);
            }
            let _ = kill(Pid::from_raw(-child.as_raw()), NixSignal::SIGKILL);
            let _ = kill(child, NixSignal::SIGKILL);
        }
    }
}

fn read_loop(mut reader: Box<dyn Read + Send>, shared: &Shared, drained: std_mpsc::Sender<()>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shared.push_output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO is how Linux reports that every slave end has closed.
            Err(_) => break,
        }
    }
    let _ = drained.send(());
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

fn wait_child(pid: u32) -> ExitInfo {
    loop {
        match waitpid(Pid::from_raw(pid as i32), None) {
            Ok(WaitStatus::Exited(_, code)) => {
                return ExitInfo {
                    exit_code: Some(code),
                    signal: None,
                }
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                return ExitInfo {
                    exit_code: None,
                    signal: Some(sig.as_str().trim_start_matches("SIG").to_string()),
                }
            }
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                tracing::warn!("waitpid failed: {e}");
                return ExitInfo::default();
            }
        }
    }
}

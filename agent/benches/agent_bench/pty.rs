//! A process on a PTY of the bench's own (`portable-pty`, as the session daemon uses): the raw
//! PTY peer of the throughput and echo benchmarks, and the tmux client.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use outpost_testkit::bench::cleanup;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};

use crate::{COLS, ROWS};

/// A child on a PTY, its master's reader and writer.
pub struct PtyProc {
    pub master: Box<dyn portable_pty::MasterPty + Send>,
    pub reader: Box<dyn Read + Send>,
    writer: Option<Box<dyn Write + Send>>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub pid: u32,
}

impl PtyProc {
    /// Starts `argv` on a new 200×50 PTY with `TERM=xterm-256color`, the run's tag and `env`.
    pub fn spawn(argv: &[&str], env: &[(&str, &str)]) -> Result<PtyProc> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| anyhow!("openpty: {e}"))?;
        let mut cmd = CommandBuilder::new(argv[0]);
        cmd.args(&argv[1..]);
        cmd.env("TERM", "xterm-256color");
        cmd.env(cleanup::TAG_VAR, cleanup::tag());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.cwd("/");
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| anyhow!("spawning {argv:?} on a PTY: {e}"))?;
        drop(pair.slave);
        let pid = child
            .process_id()
            .ok_or_else(|| anyhow!("PTY child without a pid"))?;
        cleanup::track(pid);
        let reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| anyhow!("PTY reader: {e}"))?;
        let writer = pair
            .master
            .take_writer()
            .map_err(|e| anyhow!("PTY writer: {e}"))?;
        Ok(PtyProc {
            master: pair.master,
            reader,
            writer: Some(writer),
            child,
            pid,
        })
    }

    /// Writes `data` to the master (types it).
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| anyhow!("PTY writer gone"))?;
        w.write_all(data)?;
        w.flush()?;
        Ok(())
    }

    /// Reads until `marker` appears; returns how many bytes followed it in the same read.
    pub fn read_until_marker(&mut self, marker: u8) -> Result<u64> {
        let mut buf = [0u8; 4096];
        loop {
            let n = match self.reader.read(&mut buf) {
                Ok(0) => bail!("PTY closed before the marker"),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading the PTY"),
            };
            if let Some(i) = buf[..n].iter().position(|&b| b == marker) {
                return Ok((n - i - 1) as u64);
            }
        }
    }

    /// Kills the child and waits for it.
    pub fn kill_and_wait(mut self) {
        let _ = kill(Pid::from_raw(self.pid as i32), Signal::SIGKILL);
        self.writer = None;
        let _ = self.child.wait();
        cleanup::untrack(self.pid);
    }
}

/// Waits for a child on a PTY to exit, killing it after `limit`.
pub fn wait_pty_child(
    child: &mut Box<dyn portable_pty::Child + Send + Sync>,
    pid: u32,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            cleanup::untrack(pid);
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    let _ = child.wait();
    cleanup::untrack(pid);
}

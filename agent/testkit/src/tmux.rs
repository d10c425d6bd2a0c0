//! tmux as a test oracle: a private tmux server running one program in a pane of an exact
//! size (no status line), its screen read back with `capture-pane`, and the killing of the
//! server on drop. Screen-restore tests compare what a client of the agent or the desktop's
//! window shows with what tmux shows for the same program.
//!
//! The benches' tmux *peer* (`agent/benches/agent_bench/tmux.rs`) is a different job: servers
//! measured against the agent, on socket paths, ended at the bench's teardown.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::process;

/// The configuration of every server: no status line, so the pane is the whole window.
const CONF: &str = "set -g status off\nset -g default-terminal tmux-256color\n";

/// A private tmux server (its own `-L` socket name, unique to the process and instance)
/// running one program; the server is killed on drop.
pub struct Tmux {
    socket: String,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts a server whose pane of exactly `cols` × `rows` runs `argv`.
    pub fn start(cols: u16, rows: u16, argv: &[&str]) -> Result<Tmux> {
        Tmux::start_in(None, cols, rows, argv)
    }

    /// Like [`Tmux::start`], with the program started in the directory `cwd`.
    pub fn start_in(cwd: Option<&Path>, cols: u16, rows: u16, argv: &[&str]) -> Result<Tmux> {
        static N: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "outpost-tmux-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().context("cannot create the tmux configuration directory")?;
        let conf = dir.path().join("tmux.conf");
        std::fs::write(&conf, CONF).with_context(|| format!("cannot write {}", conf.display()))?;
        let t = Tmux { socket, _dir: dir };
        let mut cmd = t.cmd();
        cmd.arg("-f").arg(&conf).args([
            "new-session",
            "-d",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ]);
        if let Some(dir) = cwd {
            cmd.arg("-c").arg(dir);
        }
        cmd.arg("--").args(argv);
        process::run(&mut cmd).context("cannot start the tmux server")?;
        Ok(t)
    }

    /// `tmux -L SOCKET`, to which the caller adds a tmux command.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Runs the tmux command `args` on this server; its standard output.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        process::run(self.cmd().args(args))
    }

    /// The pane's rows (`capture-pane -p`), [normalised](normalise).
    pub fn capture(&self) -> Result<Vec<String>> {
        Ok(normalise(&self.run(&["capture-pane", "-p"])?))
    }

    /// The cursor's row and column (0-based).
    pub fn cursor(&self) -> Result<(u32, u32)> {
        let s = self.run(&["display", "-p", "#{cursor_y} #{cursor_x}"])?;
        let mut it = s.split_whitespace().map(str::parse::<u32>);
        match (it.next(), it.next()) {
            (Some(Ok(y)), Some(Ok(x))) => Ok((y, x)),
            _ => Err(anyhow!("tmux gave no cursor position: {s:?}")),
        }
    }

    /// Waits up to `timeout` until some row of the pane contains `needle`; the pane's rows then.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<Vec<String>> {
        let mut last = Vec::new();
        let found = process::wait_for(timeout, || match self.capture() {
            Ok(rows) if rows.iter().any(|l| l.contains(needle)) => Some(Ok(rows)),
            Ok(rows) => {
                last = rows;
                None
            }
            Err(e) => Some(Err(e)),
        });
        found.unwrap_or_else(|| {
            Err(anyhow!(
                "timed out after {timeout:?} waiting for tmux to show {needle:?}; it shows:\n{}",
                last.join("\n")
            ))
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self
            .cmd()
            .arg("kill-server")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Rows as a terminal emulator shows them: trailing spaces removed, trailing blank rows
/// dropped.
pub fn normalise(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn normalise_drops_trailing_spaces_and_blank_rows_only() {
        assert_eq!(
            normalise("  a  \n\nb \n   \n\n"),
            vec!["  a".to_string(), String::new(), "b".to_string()]
        );
        assert!(normalise("").is_empty());
    }
}

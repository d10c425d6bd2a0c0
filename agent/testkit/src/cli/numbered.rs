//! Numbered output and `outpost attach` for the desktop's link-cut tests (`cli_ssh.rs`,
//! `faults_link.rs`):
//! the shell loop that prints `PREFIX1`, `PREFIX2`, … about every 10 ms, the attachment that
//! collects what the user's terminal would show, and the checks that every line arrived exactly
//! once.

use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{Cli, Collected};
use crate::process::wait_exit;

/// The shell loop typed into a session with `outpost send`: echo off, then `PREFIXn` for n = 1, 2,
/// … every ~10 ms until a file `stop` appears in the current directory (the test user's home,
/// shared by every host of the topology) or `max` lines were printed, then `ALL-2-DONE-<n>` and
/// `exit 0` (ending the session). With `counter`, each number is also written to that file
/// (atomically, by rename), so the test can tell how far the loop got without asking over the
/// network. `\n` is the escape
/// `outpost send` turns into a newline.
pub fn numbers_loop(prefix: &str, max: u32, counter: Option<&str>) -> String {
    // Written to a temporary name and renamed, so the file always holds a whole number, even
    // when the loop is killed mid-write (a link cut ends the remote loop).
    let count = counter
        .map(|c| format!(" echo $i > {c}.new; mv -f {c}.new {c};"))
        .unwrap_or_default();
    format!(
        "stty -echo; rm -f stop; i=0; while [ ! -e stop ] && [ $i -lt {max} ]; do i=$((i+1)); echo {prefix}$i;{count} sleep 0.01; done; echo ALL-$((1+1))-DONE-$i; exit 0\\n"
    )
}

/// The numbers of the whole terminal lines `PREFIXn` of `out`, in order, read from its plain
/// text (escape sequences such as the shell integration's OSC 133 marks removed). A line that
/// starts with `prefix` but does not continue with digits only fails the test (a mangled line).
pub fn numbered_lines(out: &str, prefix: &str) -> Vec<u32> {
    outpost_protocol::text::plain_text(out.as_bytes())
        .split(['\r', '\n'])
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("mangled line {prefix}{n:?}"))
        })
        .collect()
}

/// Asserts that `lines` is exactly `1..=last` (each number once, in order) and returns `last`.
pub fn assert_each_once(lines: &[u32], what: &str) -> u32 {
    let last = *lines
        .last()
        .unwrap_or_else(|| panic!("no numbered lines at all in {what}"));
    let want: Vec<u32> = (1..=last).collect();
    if lines != want {
        let brk = lines.windows(2).find(|w| w[1] != w[0] + 1);
        panic!(
            "{what}: lines are not 1..={last} exactly once each ({} lines; first break at {brk:?})",
            lines.len()
        );
    }
    last
}

/// `outpost attach HOST SID --from 0` running with its output collected.
pub struct Attached {
    child: Child,
    io: Option<Collected>,
}

impl Attached {
    /// Starts the attachment.
    pub fn start(cli: &Cli, host: &str, sid: &str) -> Attached {
        let mut child = cli
            .cmd()
            .args(["attach", host, sid, "--from", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting outpost attach");
        let io = Some(Collected::start(&mut child));
        Attached { child, io }
    }

    fn io(&self) -> &Collected {
        self.io
            .as_ref()
            .expect("the attachment is still collecting")
    }

    /// Standard output so far (what the terminal shows), as text.
    pub fn out(&self) -> String {
        self.io().out()
    }

    /// Standard error so far (the CLI's own messages), as text.
    pub fn err(&self) -> String {
        self.io().err()
    }

    /// How many bytes arrived on standard output so far.
    pub fn out_len(&self) -> usize {
        self.io().stdout.lock().unwrap().len()
    }

    /// Standard output from byte `from` on, as text.
    pub fn out_from(&self, from: usize) -> String {
        let out = self.io().stdout.lock().unwrap();
        String::from_utf8_lossy(&out[from.min(out.len())..]).into_owned()
    }

    /// How many times `needle` occurs on standard output so far.
    pub fn count(&self, needle: &str) -> usize {
        self.out().matches(needle).count()
    }

    /// Polls every 5 ms until `cond` holds on the attachment; returns when it did, or `None`
    /// after `timeout`.
    pub fn poll(
        &self,
        timeout: Duration,
        mut cond: impl FnMut(&Attached) -> bool,
    ) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if cond(self) {
                return Some(Instant::now());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits up to `timeout` for the attachment to end (the session exited); kills it if it
    /// does not. Returns its status (`None` when it had to be killed), standard output as bytes
    /// and standard error.
    pub fn finish(mut self, timeout: Duration) -> (Option<ExitStatus>, Vec<u8>, String) {
        let status = wait_exit(&mut self.child, timeout);
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let io = self.io.take().expect("finished once");
        let stdout = io.stdout.clone();
        let (_, err) = io.join();
        let out = stdout.lock().unwrap().clone();
        (status, out, err)
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

//! The fixture of the `ssh` session tests: a jump/target [`Topology`], a [`TestUser`] whose key
//! is authorized on the target, and a [`Home`] for agents that run AS THAT USER INSIDE THE JUMP
//! NAMESPACE (`topo.jump_exec(&user, AGENT_BIN)`), so every `ssh` a session daemon starts runs on
//! "jump", exactly as on a real jump host.
//!
//! The user's remote shell has a fixed prompt ([`PROMPT`], set in `~/.bashrc`, which the target
//! shares with the jump host), so a test can tell when the REMOTE shell is ready to take input
//! without ever sleeping. Every wait polls against a deadline and, when it fails, says what was
//! seen: the output's tail, the daemon's log and the target sshd's log.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use outpost_testkit::{
    note, public_key_of, require_root, TestUser, Topology, TopologyBuilder, TopologyKind,
};
use serde_json::{json, Value};

use crate::support::{file_tail, find, has_line, tail_text, Agent, Collector, Event, Home};

/// How long any wait involving `ssh` may take (CI machines have 2 slow cores).
pub const SSH_DEADLINE: Duration = Duration::from_secs(30);

/// The prompt of the test user's remote shell (from the `~/.bashrc` the fixture writes).
pub const PROMPT: &[u8] = b"rsh$ ";

/// `~/.bashrc` of the test user: a fixed prompt without the host name (so a host name line can
/// only come from a command) and no history file.
const BASHRC: &str = "PS1='rsh$ '\nunset HISTFILE\n";

/// The session id in a `SessionInfo`.
pub fn sid_of(s: &Value) -> String {
    s["session_id"].as_str().expect("session_id").to_string()
}

/// How many whole terminal lines of `data` equal `line`.
pub fn count_lines(data: &[u8], line: &str) -> usize {
    data.split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| *l == line.as_bytes())
        .count()
}

/// One test's world: see the [module documentation](self).
pub struct Fixture {
    // Field order is drop order: whatever is left of the agents' sessions, then the servers and
    // namespaces, then the user (its processes are killed first).
    /// The agents' `$OUTPOST_HOME`, owned by the test user.
    pub home: Home,
    /// Jump and target.
    pub topo: Topology,
    /// The user the agent runs as on the jump host.
    pub user: TestUser,
    /// The user's private key, authorized on the target.
    pub key: PathBuf,
    test: String,
    started: Instant,
}

impl Fixture {
    /// A fixture with the default topology (netns where it works, loopback otherwise).
    pub fn new(test: &str) -> Fixture {
        Fixture::with(test, Topology::builder())
    }

    /// A fixture whose topology comes from `builder`.
    pub fn with(test: &str, builder: TopologyBuilder) -> Fixture {
        require_root();
        let started = Instant::now();
        let topo = builder.build().expect("building the jump/target topology");
        let user = TestUser::create("ssht").expect("creating the test user");
        let key = user
            .generate_key("id_ed25519", None)
            .expect("generating the user's key");
        topo.authorize_key(&user, &public_key_of(&key).expect("public key"))
            .expect("authorizing the key on the target");
        user.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600)
            .expect("writing known_hosts");
        user.write_file(".bashrc", BASHRC, 0o644)
            .expect("writing .bashrc");
        let home = Home::new();
        home.give_to(user.uid, user.gid);
        let fx = Fixture {
            home,
            topo,
            user,
            key,
            test: test.to_string(),
            started,
        };
        note(&format!("ssh_sessions::{test}: {}", fx.describe()));
        fx
    }

    /// Which topology runs, for the test output.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "topology={} (agent as {} on {}, target {} at {})",
            self.topo.kind(),
            self.user.name,
            self.topo
                .jump_netns()
                .unwrap_or("the test's own network namespace"),
            self.topo.target_hostname(),
            self.topo.target_addr()
        );
        if let Some(why) = self.topo.fallback_reason() {
            s.push_str(&format!(" [loopback because: {why}]"));
        }
        s
    }

    /// Whether this is the netns topology.
    pub fn is_netns(&self) -> bool {
        self.topo.kind() == TopologyKind::Netns
    }

    /// Starts an agent as the test user inside the jump namespace and initializes it.
    pub fn agent(&self) -> Agent {
        self.agent_with(|_| {})
    }

    /// [`Fixture::agent`], with `prepare` adjusting the command first (environment).
    pub fn agent_with(&self, prepare: impl FnOnce(&mut Command)) -> Agent {
        let mut cmd = self.topo.jump_exec(&self.user, crate::support::AGENT_BIN);
        prepare(&mut cmd);
        let a = self.home.agent_via(cmd);
        let init = a.initialize();
        // The agent really runs as the user, on "jump".
        assert_eq!(init["host"]["user"], self.user.name.as_str(), "{init}");
        if self.topo.has_own_hostnames() {
            assert_eq!(
                init["host"]["hostname"],
                self.topo.jump_hostname(),
                "the agent must run on the jump host: {init}"
            );
        }
        a
    }

    /// The `ssh` object naming the target by address: host, port (unless 22), user and key.
    pub fn spec(&self) -> Value {
        let addr = self.topo.target_addr();
        let mut s = json!({
            "host": addr.ip().to_string(),
            "user": self.user.name,
            "identity_file": self.key.display().to_string(),
        });
        if addr.port() != 22 {
            s["port"] = json!(addr.port());
        }
        s
    }

    /// The `target` [`Fixture::spec`] should show: `user@host[:port]`, as asked.
    pub fn target(&self) -> String {
        let addr = self.topo.target_addr();
        let mut t = format!("{}@{}", self.user.name, addr.ip());
        if addr.port() != 22 {
            t.push_str(&format!(":{}", addr.port()));
        }
        t
    }

    /// `session.create` params of an `ssh` session with this `ssh` object.
    pub fn params(&self, ssh: Value) -> Value {
        json!({"kind": "ssh", "cols": 120, "rows": 40, "ssh": ssh})
    }

    /// Creates a session (panics with the reason if it fails); returns its `SessionInfo`.
    pub fn create(&self, a: &Agent, params: Value) -> Value {
        match a.create(params.clone()) {
            Ok(s) => s,
            Err(e) => panic!("session.create {params} failed: {e:?}\n{}", self.diag(None)),
        }
    }

    /// What a failure message should show: the session's daemon log and the target sshd's log.
    pub fn diag(&self, sid: Option<&str>) -> String {
        let mut s = format!("[{}]", self.describe());
        if let Some(sid) = sid {
            s.push_str(&format!(
                "\n--- daemon log of {sid} ---\n{}",
                file_tail(&self.home.log_path(sid), 3000)
            ));
        }
        let log = self.topo.target().log();
        let from = log.len().saturating_sub(3000);
        let from = (from..log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(0);
        s.push_str(&format!(
            "\n--- target sshd log (tail) ---\n{}",
            &log[from..]
        ));
        s
    }

    /// Polls the collected output of `sid` until `cond` holds; panics after `timeout` (or at a
    /// gap in the offsets) with the output's tail and the logs.
    pub fn wait_out(
        &self,
        a: &Agent,
        sid: &str,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut(&Collector) -> bool,
    ) -> Collector {
        let deadline = Instant::now() + timeout;
        loop {
            a.assert_no_violations();
            // Output comes before `session.exit`: once it is in, the output is complete.
            let ended = !exit_events(a, sid).is_empty();
            let c = a.output(sid);
            assert!(
                c.errors.is_empty(),
                "output of {sid} is not contiguous: {:?}",
                c.errors
            );
            if cond(&c) {
                return c;
            }
            if ended || Instant::now() >= deadline || !a.is_running() {
                let why = if ended {
                    "the session ended".to_string()
                } else {
                    format!("timed out after {timeout:?}")
                };
                panic!(
                    "{why} waiting for {what} in the output of {sid}\n--- output tail ---\n{}\n--- session ---\n{}\n{}",
                    tail_text(&c.data, 2000),
                    self.session_text(a, sid),
                    self.diag(Some(sid))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn session_text(&self, a: &Agent, sid: &str) -> String {
        if !a.is_running() {
            return "(the agent is not running)".into();
        }
        a.session(sid)
            .map(|s| s.to_string())
            .unwrap_or_else(|| "(not listed)".into())
    }

    /// Waits until the output holds `needle`.
    pub fn wait_text(&self, a: &Agent, sid: &str, needle: &str) -> Collector {
        self.wait_out(a, sid, &format!("{needle:?}"), SSH_DEADLINE, |c| {
            c.contains(needle.as_bytes())
        })
    }

    /// Waits until the output holds `needle` after the first `from` bytes received.
    pub fn wait_text_after(&self, a: &Agent, sid: &str, from: usize, needle: &[u8]) -> Collector {
        let what = format!("{:?} after byte {from}", String::from_utf8_lossy(needle));
        self.wait_out(a, sid, &what, SSH_DEADLINE, |c| {
            c.data.len() > from && find(&c.data[from..], needle).is_some()
        })
    }

    /// Waits until the output holds `line` as a whole terminal line at least `n` times.
    pub fn wait_line_count(&self, a: &Agent, sid: &str, line: &str, n: usize) -> Collector {
        self.wait_out(
            a,
            sid,
            &format!("{n}× the line {line:?}"),
            SSH_DEADLINE,
            |c| count_lines(&c.data, line) >= n,
        )
    }

    /// Waits until the output holds `line` as a whole terminal line.
    pub fn wait_line(&self, a: &Agent, sid: &str, line: &str) -> Collector {
        self.wait_out(a, sid, &format!("the line {line:?}"), SSH_DEADLINE, |c| {
            has_line(&c.data, line.as_bytes())
        })
    }

    /// Waits for the remote shell's prompt after the first `from` bytes received: the remote
    /// shell is ready to read what is typed.
    pub fn wait_prompt_after(&self, a: &Agent, sid: &str, from: usize) -> Collector {
        self.wait_text_after(a, sid, from, PROMPT)
    }

    /// The session's `link` as `session.list` shows it.
    pub fn link(&self, a: &Agent, sid: &str) -> Option<String> {
        a.session(sid)
            .and_then(|s| s["link"].as_str().map(String::from))
    }

    /// Polls `session.list` until the session's `link` is `want`; every state seen is appended
    /// to `seen` (when it differs from the last one there).
    pub fn wait_link(
        &self,
        a: &Agent,
        sid: &str,
        want: &str,
        timeout: Duration,
        seen: &mut Vec<String>,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let s = a
                .session(sid)
                .unwrap_or_else(|| panic!("session {sid} is not listed\n{}", self.diag(Some(sid))));
            let link = s["link"].as_str().unwrap_or("(none)").to_string();
            if seen.last() != Some(&link) {
                seen.push(link.clone());
            }
            if link == want {
                return s;
            }
            if Instant::now() >= deadline {
                panic!(
                    "link of {sid} did not become {want:?} within {timeout:?}; states seen: {seen:?}; session: {s}\n--- output tail ---\n{}\n{}",
                    tail_text(&a.output(sid).data, 2000),
                    self.diag(Some(sid))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the session's `session.exit` notification.
    pub fn wait_exit(&self, a: &Agent, sid: &str, timeout: Duration) -> Event {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = exit_events(a, sid).into_iter().next() {
                return e;
            }
            if Instant::now() >= deadline || !a.is_running() {
                panic!(
                    "no session.exit for {sid} within {timeout:?}\n--- output tail ---\n{}\n--- session ---\n{}\n{}",
                    tail_text(&a.output(sid).data, 2000),
                    self.session_text(a, sid),
                    self.diag(Some(sid))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asserts that process `pid` runs in the jump host's network namespace (netns only).
    pub fn assert_on_jump(&self, pid: u32, what: &str) {
        let Some(ns) = self.topo.jump_netns() else {
            return;
        };
        let proc_ns = std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .unwrap_or_else(|e| panic!("{what} (pid {pid}): {e}"));
        let jump = std::fs::metadata(format!("/run/netns/{ns}")).expect("the jump namespace");
        assert_eq!(
            (proc_ns.dev(), proc_ns.ino()),
            (jump.dev(), jump.ino()),
            "{what} (pid {pid}) must run in the jump namespace {ns}"
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        note(&format!(
            "ssh_sessions::{}: topology={} {} after {:.1} s",
            self.test,
            self.topo.kind(),
            if std::thread::panicking() {
                "FAILED"
            } else {
                "done"
            },
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// The `session.exit` notifications received for `sid`.
pub fn exit_events(a: &Agent, sid: &str) -> Vec<Event> {
    a.events()
        .into_iter()
        .filter(|e| e.method() == "session.exit" && e.params()["session_id"] == sid)
        .collect()
}

/// The command name of a process (`/proc/PID/comm`).
pub fn comm_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

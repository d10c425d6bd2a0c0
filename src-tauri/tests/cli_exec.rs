//! `outpost exec`, `send --expect/--respond` and `read --follow`, the real CLI against the local
//! agent (a private `OUTPOST_HOME`) and against real `sshd`s: exit codes passed through (signals
//! as 128 + n, 124 at a timeout, 255 when Outpost fails), the `--json` shapes, cwd and env, a
//! session's shell keeping its cwd between two execs, a real `read -p` prompt answered, output
//! followed live, 20 hosts at once with one unreachable, an ssh session's target, and bad input
//! (empty command, bad regex, bad env) refused with its code before anything runs.
//!
//! Every test needs root (the SSH ones create users and `sshd`s).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use outpost_testkit::cli::{Cli, Collected, Jumped, Remote, DEADLINE};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::process::wait_exit;
use outpost_testkit::Sshd;
use serde_json::Value;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// What one run printed.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// The single JSON line printed.
    fn json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one JSON line: {:?}", self.stdout);
        serde_json::from_str(lines[0]).unwrap()
    }

    /// Every line as JSON.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect()
    }
}

/// The CLI with a private agent home for `local` (its sessions closed at the end).
struct Local {
    cli: Cli,
}

impl Local {
    fn new() -> Local {
        Local {
            cli: Cli::new(OUTPOST),
        }
    }

    fn home(&self) -> PathBuf {
        self.cli.home().join("agent-home")
    }

    fn cmd(&self) -> Command {
        let mut c = self.cli.cmd();
        c.env("OUTPOST_HOME", self.home());
        c
    }

    fn run(&self, args: &[&str]) -> Ran {
        let out = self.cmd().args(args).output().unwrap();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `--json ARGS`, which must succeed: its data.
    fn ok(&self, args: &[&str]) -> Value {
        let r = self.run(&[&["--json"], args].concat());
        let v = r.json();
        assert!(
            r.code == 0 && v["ok"] == true,
            "{args:?}: exit {}: {v}; stderr {}",
            r.code,
            r.stderr
        );
        v["data"].clone()
    }

    /// `--json ARGS`, which must fail with `exit`: the error's code and message.
    fn err(&self, exit: i32, args: &[&str]) -> (String, String) {
        let r = self.run(&[&["--json"], args].concat());
        let v = r.json();
        assert_eq!(r.code, exit, "{args:?}: {v}; stderr {}", r.stderr);
        assert_eq!(v["ok"], false, "{v}");
        (
            v["error"]["code"].as_str().unwrap().into(),
            v["error"]["message"].as_str().unwrap().into(),
        )
    }

    /// `outpost ARGS` started, its output collected.
    fn spawn(&self, args: &[&str]) -> (std::process::Child, Collected) {
        let mut child = self
            .cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let seen = Collected::start(&mut child);
        (child, seen)
    }

    /// A new shell session, once its shell is at its prompt (until then `session.exec`
    /// answers `session_busy`).
    fn new_session(&self) -> String {
        let s = self.ok(&["new", "local", "--cols", "120", "--rows", "40"]);
        let sid = s["session_id"].as_str().unwrap().to_string();
        wait_until(DEADLINE, "the shell's first prompt", || {
            let r = self.run(&["--json", "exec", "local", "--session", &sid, "--", "true"]);
            if r.code == 255 {
                assert_eq!(r.json()["error"]["code"], "session_busy", "{}", r.stdout);
            }
            r.code == 0
        });
        sid
    }

    fn output_end(&self, sid: &str) -> u64 {
        self.ok(&["read", "local", sid, "--limit", "0"])["output_end"]
            .as_u64()
            .unwrap()
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Ok(d) = std::fs::read_dir(self.home().join("state/sessions")) {
            for e in d.flatten() {
                if let Some(id) = e.path().file_stem().and_then(|s| s.to_str()) {
                    let _ = self.cmd().args(["close", "local", id]).output();
                }
            }
        }
    }
}

fn b64(v: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

/// One-shot runs on this computer: the exit status is the command's, a signal is 128 + n,
/// stdout and stderr stay apart, cwd and env reach the command, a timeout is 124, and Outpost's
/// own failures are 255 with a code.
#[test]
fn one_shot_runs_pass_exit_codes_and_streams_through() {
    let l = Local::new();
    assert_eq!(
        l.run(&["exec", "local", "--", "sh", "-c", "exit 7"]).code,
        7
    );
    assert_eq!(l.run(&["exec", "local", "--", "true"]).code, 0);
    let killed = l.run(&["exec", "local", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(killed.code, 128 + 15, "{}", killed.stderr);

    let text = l.run(&["exec", "local", "--shell", "--", "echo out; echo err >&2"]);
    assert_eq!((text.code, text.stdout.as_str()), (0, "out\n"));
    assert!(text.stderr.contains("err"), "{:?}", text.stderr);

    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let ran = l.run(&[
        "--json",
        "exec",
        "local",
        "--cwd",
        dir_s,
        "--env",
        "GREETING=hi there",
        "--env",
        "E=",
        "--",
        "sh",
        "-c",
        "pwd; printf '%s|%s|' \"$GREETING\" \"${E-unset}\"; echo oops >&2; exit 3",
    ]);
    // `--json` is one envelope with the protocol's `exec.run` result, and the exit status stays
    // the command's.
    assert_eq!(ran.code, 3, "{}", ran.stdout);
    let v = ran.json();
    assert_eq!(v["ok"], true, "{v}");
    let r = &v["data"];
    assert_eq!(r["exit_code"], 3, "{r}");
    assert_eq!(b64(&r["stdout"]), format!("{dir_s}\nhi there||"));
    assert_eq!(b64(&r["stderr"]), "oops\n");
    assert!(r["duration_ms"].as_u64().is_some(), "{r}");

    // Arguments reach the program as they are: no shell reads them.
    let r = l.ok(&[
        "exec", "local", "--", "printf", "%s\n", "$HOME", "a b", ";id",
    ]);
    assert_eq!(b64(&r["stdout"]), "$HOME\na b\n;id\n");

    let t0 = Instant::now();
    let slow = l.run(&[
        "--json",
        "exec",
        "local",
        "--timeout",
        "0.5",
        "--",
        "sleep",
        "30",
    ]);
    assert_eq!(slow.code, 124, "{}", slow.stdout);
    assert_eq!(slow.json()["data"]["timed_out"], true);
    assert!(t0.elapsed() < Duration::from_secs(20));

    // Outpost's own failures: 255, a stable code, nothing run.
    let (code, msg) = l.err(255, &["exec", "local", "--"]);
    assert_eq!(code, "empty_command", "{msg}");
    assert_eq!(l.err(255, &["exec", "local", "--", ""]).0, "empty_command");
    assert_eq!(
        l.err(255, &["exec", "local", "--env", "1A=x", "--", "true"])
            .0,
        "invalid_env"
    );
    let (code, msg) = l.err(255, &["exec", "local", "--", "/no/such/program"]);
    assert_eq!(code, "spawn_failed", "{msg}");
    assert_eq!(
        l.err(255, &["exec", "nosuchhost.invalid", "--", "true"]).0,
        "name_not_resolved"
    );
    let (code, msg) = l.err(255, &["exec", "local", "--target", "db", "--", "true"]);
    assert_eq!(code, "no_target_session", "{msg}");
    assert!(msg.contains("it has none"), "{msg}");
    let text = l.run(&["exec", "local", "--"]);
    assert_eq!(text.code, 255);
    assert!(
        text.stderr.contains("the command is empty"),
        "{}",
        text.stderr
    );
    // Usage mistakes clap catches: its own status 2.
    assert_eq!(
        l.run(&["exec", "local", "--session", "x", "--cwd", "/", "--", "pwd"])
            .code,
        2
    );
}

/// `--session` runs in the session's own shell: the cwd one exec set is there for the next,
/// exit codes come back, and `--sessions` runs in several at once with a line per session.
#[test]
fn a_sessions_shell_keeps_its_cwd_between_execs() {
    let l = Local::new();
    let sid = l.new_session();
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let cd = l.run(&["exec", "local", "--session", &sid, "--", "cd", dir_s]);
    assert_eq!(cd.code, 0, "{}", cd.stderr);
    let r = l.ok(&[
        "exec",
        "local",
        "--session",
        &sid,
        "--",
        "pwd;",
        "echo",
        "$((6*7))",
    ]);
    assert_eq!(r["exit_code"], 0, "{r}");
    assert_eq!(r["output"], format!("{dir_s}\n42\n"), "{r}");
    assert_eq!(r["cwd"], dir_s, "{r}");
    assert!(r["exec_id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{sid}.")));
    assert!(r["output_to"].as_u64() > r["output_from"].as_u64(), "{r}");
    let text = l.run(&[
        "exec",
        "local",
        "--session",
        &sid,
        "--",
        "echo",
        "hi;",
        "false",
    ]);
    assert_eq!((text.code, text.stdout.as_str()), (1, "hi\n"));
    let bad = l.run(&["exec", "local", "--session", &sid, "--", "(exit 42)"]);
    assert_eq!(bad.code, 42);

    let other = l.new_session();
    let multi = l.run(&[
        "--json",
        "exec",
        "local",
        "--sessions",
        &format!("{sid},{other},nosuch"),
        "--",
        "pwd",
    ]);
    assert_eq!(
        multi.code, 255,
        "one session could not run it: {}",
        multi.stdout
    );
    let lines = multi.json_lines();
    assert_eq!(lines.len(), 3, "{}", multi.stdout);
    let by = |s: &str| lines.iter().find(|v| v["session_id"] == s).unwrap().clone();
    assert_eq!(by(&sid)["ok"], true);
    assert_eq!(by(&sid)["data"]["output"], format!("{dir_s}\n"));
    assert_eq!(by(&other)["data"]["exit_code"], 0);
    assert_ne!(by(&other)["data"]["output"], format!("{dir_s}\n"));
    assert_eq!(by("nosuch")["ok"], false);
    assert_eq!(
        by("nosuch")["error"]["code"],
        "rpc_32001",
        "{}",
        by("nosuch")
    );
    for v in &lines {
        assert_eq!(v["host"], "local");
    }
}

/// `send --expect/--respond` answers a real prompt of `read -p`, in order; a bad pattern is
/// refused before anything is typed.
#[test]
fn send_answers_a_prompt_and_refuses_bad_patterns_before_typing() {
    let l = Local::new();
    let sid = l.new_session();

    let before = l.output_end(&sid);
    let (code, msg) = l.err(
        1,
        &["send", "local", &sid, "echo typed\\n", "--expect", "("],
    );
    assert_eq!(code, "invalid_pattern", "{msg}");
    assert!(msg.contains("regular expression"), "{msg}");
    let (code, _) = l.err(
        1,
        &["send", "local", &sid, "x", "--expect", "a", "--expect", "b"],
    );
    assert_eq!(code, "usage", "two --expect need a --respond between them");
    assert_eq!(l.output_end(&sid), before, "nothing was typed");

    let typed = "read -p 'Name: ' n; read -p 'Age: ' a; echo \"hello-$n-$a\"\\n";
    let sent = l.ok(&[
        "send",
        "local",
        &sid,
        typed,
        "--expect",
        "(?m)^Name: ",
        "--respond",
        "world\\n",
        "--expect",
        "(?m)^Age: ",
        "--respond",
        "42\\n",
        "--expect",
        "hello-(\\w+)-42",
    ]);
    let m = sent["matches"].as_array().unwrap();
    assert_eq!(m.len(), 3, "{sent}");
    assert_eq!(m[0]["matched"], "Name: ");
    assert_eq!(m[1]["matched"], "Age: ");
    assert_eq!(m[2]["matched"], "hello-world-42");
    assert!(m[0]["offset"].as_u64().unwrap() >= before);
    assert!(
        m[1]["offset"].as_u64() >= m[0]["end_offset"].as_u64(),
        "in order: {sent}"
    );
    assert!(
        m[2]["offset"].as_u64() >= m[1]["end_offset"].as_u64(),
        "in order: {sent}"
    );
    // `\n` is one byte typed.
    let bytes = typed.len() - 1 + "world\n42\n".len();
    assert_eq!(sent["bytes"].as_u64().unwrap() as usize, bytes, "{sent}");

    let (code, _) = l.err(
        1,
        &[
            "send",
            "local",
            &sid,
            "\\n",
            "--expect",
            "never-printed",
            "--timeout",
            "0.5",
        ],
    );
    assert_eq!(code, "timed_out");
    // A lone --respond is a usage error of clap.
    assert_eq!(
        l.run(&["send", "local", &sid, "x", "--respond", "y"]).code,
        2
    );
}

/// `read --follow` prints what is held, then new output as it comes, and ends with the session.
#[test]
fn read_follow_streams_until_the_session_ends() {
    let l = Local::new();
    let sid = l.new_session();
    l.run(&[
        "exec",
        "local",
        "--session",
        &sid,
        "--",
        "echo",
        "before-$((1+1))",
    ]);
    let (mut child, seen) = l.spawn(&["read", "local", &sid, "--follow"]);
    wait_until(DEADLINE, "the held output", || {
        seen.out().contains("before-2")
    });
    l.ok(&["send", "local", &sid, "echo after-$((40+2))\\n"]);
    wait_until(DEADLINE, "the new output", || {
        seen.out().contains("after-42")
    });
    assert!(child.try_wait().unwrap().is_none(), "still following");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_exit(&mut child, DEADLINE).expect("exits on SIGTERM");
    assert_eq!(status.code(), Some(0), "{}", seen.err());

    // --json: a line per chunk, and the exit last when the session ends.
    let (mut child, seen) = l.spawn(&["--json", "read", "local", &sid, "--follow"]);
    wait_until(DEADLINE, "the held output", || {
        seen.out().contains("\"offset\":0")
    });
    l.ok(&["send", "local", &sid, "exit 5\\n"]);
    let status = wait_exit(&mut child, DEADLINE).expect("ends with the session");
    assert_eq!(status.code(), Some(0), "{}", seen.err());
    let (out, _) = seen.join();
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["data"]["exit"]["exit_code"], 5, "{out}");
    let text: String = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["data"]["data"].is_string())
        .map(|v| b64(&v["data"]["data"]))
        .collect();
    assert!(text.contains("after-42"), "{text:?}");
}

/// 20 saved hosts at once (aliases of one loopback `sshd`, one pointing at a closed port): one
/// JSON line each, the unreachable one a failure with its code, the others the command's output.
#[test]
fn twenty_hosts_at_once_fail_one_by_one() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let cli = &r.cli;
    // The agent is deployed once before the hosts race to start it.
    cli.ok(&["check", "h"]);
    let mut hosts = vec!["h".to_string()];
    for i in 1..19 {
        let name = format!("h{i}");
        cli.add_host(&name, &r.user.name, r.sshd.addr(), &r.key, None);
        hosts.push(name);
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = closed.local_addr().unwrap();
    drop(closed);
    cli.add_host("dead", &r.user.name, dead_addr, &r.key, None);
    hosts.insert(7, "dead".into());
    assert_eq!(hosts.len(), 20);

    let t0 = Instant::now();
    let out = cli
        .cmd()
        .args([
            "--json",
            "exec",
            "--hosts",
            &hosts.join(","),
            "--",
            "sh",
            "-c",
            "echo $USER; exit 4",
        ])
        .output()
        .unwrap();
    let took = t0.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(255), "one host failed: {stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20, "{stdout}");
    let mut names: Vec<&str> = lines.iter().map(|v| v["host"].as_str().unwrap()).collect();
    names.sort();
    let mut want: Vec<&str> = hosts.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(names, want);
    for v in &lines {
        if v["host"] == "dead" {
            assert_eq!(v["ok"], false, "{v}");
            assert_eq!(v["error"]["code"], "connection_refused", "{v}");
        } else {
            assert_eq!(v["ok"], true, "{v}");
            assert_eq!(v["data"]["exit_code"], 4, "{v}");
            assert_eq!(b64(&v["data"]["stdout"]), format!("{}\n", r.user.name));
        }
    }
    outpost_testkit::note(&format!("20 hosts at once: {:.1} s", took.as_secs_f64()));

    // All good: 0; text mode names each line's host.
    let good = &hosts
        .iter()
        .filter(|h| *h != "dead")
        .take(3)
        .cloned()
        .collect::<Vec<_>>();
    let out = cli
        .cmd()
        .args(["exec", "--hosts", &good.join(","), "--", "echo", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for h in good {
        assert!(text.contains(&format!("{h}: hi\n")), "{text}");
    }
}

/// Over SSH: a one-shot run on the jump host, and on the target through an ssh session's
/// ControlMaster found by its spec (a clear error before one is open).
#[test]
fn runs_on_the_jump_host_and_through_an_ssh_session_to_its_target() {
    let j = Jumped::new(OUTPOST);
    let cli = &j.cli;
    let r = cli.ok(&["exec", "jump", "--", "hostname"]);
    assert_eq!(b64(&r["stdout"]).trim(), j.topo.jump_hostname());
    let (code, _, _) = cli.run(&["exec", "jump", "--", "sh", "-c", "exit 9"]);
    assert_eq!(code, 9);

    let dest = format!(
        "{}@{}:{}",
        j.user.name,
        j.topo.target_addr().ip(),
        j.topo.target_addr().port()
    );
    let (code, msg) = cli.err(&["exec", "jump", "--target", &dest, "--", "hostname"]);
    assert_eq!(code, "no_target_session", "{msg}");
    assert!(msg.contains(&format!("--ssh {dest}")), "{msg}");

    let ssh = cli.ok(&["new", "jump", "--ssh", &dest]);
    let ssid = ssh["session_id"].as_str().unwrap().to_string();
    wait_until(DEADLINE, "the ssh session's link", || {
        cli.ok(&["sessions", "jump"])
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == ssid.as_str() && s["link"] == "up")
    });
    let r = cli.ok(&[
        "exec",
        "jump",
        "--target",
        &dest,
        "--cwd",
        "/",
        "--",
        "sh",
        "-c",
        "hostname; pwd",
    ]);
    assert_eq!(
        b64(&r["stdout"]),
        format!("{}\n/\n", j.topo.target_hostname()),
        "{r}"
    );
    // The target named without user and port finds the same session.
    let ip = j.topo.target_addr().ip().to_string();
    let (code, _, out) = cli.run(&["exec", "jump", "--target", &ip, "--", "sh", "-c", "exit 6"]);
    assert_eq!(code, 6, "{}", String::from_utf8_lossy(&out.stdout));
    cli.ok(&["close", "jump", &ssid]);
}

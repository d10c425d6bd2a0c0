//! The `outpost` command line against "This computer" (the local agent over pipes): every
//! command's JSON, errors with non-zero exits, and an attachment that survives its agent being
//! killed with every line exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use outpost_testkit::cli::Local;
use serde_json::Value;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// A private agent home and desktop config for one test ([`Local`]), with `--json` helpers.
struct Env(Local);

impl Env {
    fn new() -> Env {
        Env(Local::new(OUTPOST, "oc"))
    }

    fn dir(&self) -> &Path {
        self.0.dir()
    }

    fn cmd(&self) -> Command {
        self.0.cmd()
    }

    /// Runs `outpost --json ARGS`, returning (exit code, parsed JSON).
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_else(|| {
            panic!(
                "no output from {args:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        (out.status.code().unwrap_or(-1), v)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, v) = self.json(args);
        assert_eq!(code, 0, "{args:?} failed: {v}");
        assert_eq!(v["ok"], true, "{v}");
        v["data"].clone()
    }

    fn err(&self, args: &[&str]) -> (String, String) {
        let (code, v) = self.json(args);
        assert_ne!(code, 0, "{args:?} should fail: {v}");
        assert_eq!(v["ok"], false, "{v}");
        (
            v["error"]["code"].as_str().unwrap().to_string(),
            v["error"]["message"].as_str().unwrap().to_string(),
        )
    }

    fn read_all(&self, sid: &str) -> String {
        let out = self.cmd().args(["read", "local", sid]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn hosts_commands_json() {
    let env = Env::new();
    let list = env.ok(&["hosts", "list"]);
    assert_eq!(list[0]["name"], "local");
    let added = env.ok(&["hosts", "add", "jump", "ann@10.0.0.1:2222", "-J", "bastion"]);
    assert_eq!(added["hostname"], "10.0.0.1");
    assert_eq!(added["port"], 2222);
    assert_eq!(added["user"], "ann");
    assert_eq!(added["proxy_jump"][0], "bastion");
    assert_eq!(env.err(&["hosts", "add", "jump", "x"]).0, "host_exists");
    assert_eq!(
        env.err(&["hosts", "add", "bad", "--", "-oProxyCommand=x"])
            .0,
        "invalid"
    );
    assert_eq!(env.err(&["hosts", "add", "local", "x"]).0, "host_exists");
    let list = env.ok(&["hosts", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    env.ok(&["hosts", "remove", "jump"]);
    assert_eq!(env.err(&["hosts", "remove", "jump"]).0, "host_not_found");

    let ssh = env.dir().join(".ssh");
    std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
    std::fs::write(
        ssh.join("conf.d/x.conf"),
        "Host inner\n  HostName 10.1.1.1\n  ProxyJump edge\n",
    )
    .unwrap();
    std::fs::write(
        ssh.join("config"),
        "Include conf.d/*.conf\nHost edge\n  HostName edge.example\n  User ops\n  Port 2200\n  IdentityFile ~/.ssh/id_edge\nHost *\n  User nobody\n",
    )
    .unwrap();
    let imported = env.ok(&["hosts", "import-ssh-config"]);
    assert_eq!(imported["added"], serde_json::json!(["inner", "edge"]));
    let list = env.ok(&["hosts", "list"]);
    let edge = list
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "edge")
        .unwrap();
    assert_eq!(edge["hostname"], "edge.example");
    assert_eq!(edge["user"], "ops");
    assert_eq!(edge["port"], 2200);
    assert_eq!(edge["identity_files"][0], "~/.ssh/id_edge");
    let inner = list
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "inner")
        .unwrap();
    assert_eq!(inner["proxy_jump"][0], "edge");
    // A second import adds nothing.
    assert_eq!(
        env.ok(&["hosts", "import-ssh-config"])["added"],
        serde_json::json!([])
    );
}

/// Names a shell would interpret (OpenSSH before 9.6 expands `%h`/`%r` into commands) are
/// refused in destinations, users and jumps; a saved host's name may not be a pattern.
#[test]
fn hosts_add_refuses_shell_metacharacters_and_patterns() {
    let env = Env::new();
    for dest in ["x$(id)", "x;id", "x`id`", "x|id", "u;id@db", "u$(id)@db"] {
        let (code, msg) = env.err(&["hosts", "add", "h", dest]);
        assert_eq!(code, "invalid", "{dest:?}: {msg}");
        assert!(msg.contains("may not hold"), "{dest:?}: {msg}");
    }
    let (code, _) = env.err(&["hosts", "add", "h", "db", "-J", "x;id"]);
    assert_eq!(code, "invalid");
    for name in ["web*", "db?", "!x", "a[1]", "x;id"] {
        let (code, msg) = env.err(&["hosts", "add", name, "db"]);
        assert_eq!(code, "invalid", "{name:?}: {msg}");
    }
    let (code, _) = env.err(&["new", "local", "--ssh", "x$(id)"]);
    assert_eq!(code, "invalid");
    assert_eq!(env.ok(&["hosts", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn session_commands_json() {
    let env = Env::new();
    let check = env.ok(&["check", "local"]);
    assert_eq!(check["host"], "local");
    assert_eq!(check["deployed"], false);
    assert!(check["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(check["agent_version"].as_str().unwrap().contains('.'));
    assert_eq!(env.ok(&["sessions", "local"]), serde_json::json!([]));

    let s = env.ok(&[
        "new", "local", "--title", "cli", "--cols", "100", "--rows", "30",
    ]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["title"], "cli");
    assert_eq!(s["cols"], 100);
    let sent = env.ok(&["send", "local", &sid, "echo cli-$((40+2))\\n"]);
    assert_eq!(sent["bytes"], 19);
    wait_until("echo output", Duration::from_secs(20), || {
        env.read_all(&sid).contains("cli-42")
    });
    let r = env.ok(&["read", "local", &sid, "--from", "0", "--limit", "4"]);
    assert_eq!(r["offset"], 0);
    assert_eq!(
        r["data"].as_str().unwrap().len(),
        8,
        "4 bytes as base64: {r}"
    );
    let list = env.ok(&["sessions", "local"]);
    assert_eq!(list[0]["session_id"], sid.as_str());
    assert_eq!(list[0]["state"], "running");

    let snap = env.ok(&["monitor", "local", "--once"]);
    assert!(snap["memory"]["total_bytes"].as_u64().unwrap() > 0);
    let (code, _) = env.err(&["monitor", "local", "--once", "--session", &sid]);
    assert_eq!(
        code, "rpc_32602",
        "a shell session is not a monitoring target"
    );

    env.ok(&["close", "local", &sid]);
    assert_eq!(env.err(&["close", "local", &sid]).0, "rpc_32001");
    assert_eq!(env.err(&["send", "local", "nosuchid", "x"]).0, "rpc_32001");
    // A name neither saved nor in ~/.ssh/config is dialled as `ssh NAME` would.
    assert_eq!(
        env.err(&["sessions", "nohost.invalid"]).0,
        "name_not_resolved"
    );
    assert_eq!(env.err(&["new", "local", "--ssh", "@bad"]).0, "usage");
}

/// Live children of `pid`.
fn children(pid: u32) -> Vec<u32> {
    outpost_testkit::procfs::all()
        .into_iter()
        .filter(|s| s.ppid == pid && !s.is_zombie())
        .map(|s| s.pid)
        .collect()
}

#[test]
fn attach_survives_its_agent_being_killed_with_every_line_once() {
    let env = Env::new();
    let s = env.ok(&["new", "local", "--title", "numbers"]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    env.ok(&[
        "send",
        "local",
        &sid,
        "stty -echo; for i in $(seq 1 4000); do echo line-$i; sleep 0.0005; done; echo ALL-$((1+1))-DONE; exit 0\\n",
    ]);
    let mut attach = env
        .cmd()
        .args(["attach", "local", &sid, "--from", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = attach.stdout.take().unwrap();
    let collected = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let c2 = collected.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => c2.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
    let count = |needle: &str| {
        let text = String::from_utf8_lossy(&collected.lock().unwrap()).into_owned();
        text.matches(needle).count()
    };
    // Kill the agent the CLI talks to (its link to the host), twice, while lines print.
    for round in 0..2 {
        wait_until("output to flow", Duration::from_secs(20), || {
            count("line-") > 300 * (round + 1)
        });
        let agents = children(attach.id());
        assert!(!agents.is_empty(), "outpost attach has no agent child");
        for a in agents {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(a as i32),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
        }
    }
    let status = {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = attach.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "attach did not end when the session exited"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    reader.join().unwrap();
    let mut err = String::new();
    attach
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "attach exit {status:?}; stderr: {err}");
    assert!(
        err.contains("reconnecting"),
        "the CLI should say it reconnected: {err}"
    );
    let text = String::from_utf8_lossy(&collected.lock().unwrap()).into_owned();
    let lines = outpost_testkit::cli::numbered::numbered_lines(&text, "line-");
    let want: Vec<u32> = (1..=4000).collect();
    assert_eq!(lines.len(), want.len(), "every line exactly once");
    assert_eq!(lines, want);
    assert_eq!(count("ALL-2-DONE"), 1);
}

/// A hostile agent: answers `initialize` with a host name and `session.list` with a title and
/// exit signal holding OSC 52 (clipboard write), OSC 0 (window title), `ESC[2J` and a C1 CSI.
/// A POSIX shell script, so the test needs nothing but `sh`.
const HOSTILE_AGENT: &str = r#"#!/bin/sh
E='\u001b]52;c;cHduZWQ=\u0007\u001b]0;owned\u0007\u001b[2J\u009b31m'
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"agent_version":"0.1.0","capabilities":{"default_scrollback_bytes":2097152,"max_line_bytes":4194304,"max_sessions":64,"session_kinds":["shell"]},"host":{"arch":"x86_64","hostname":"h%s","os":"linux","user":"u"},"protocol_version":1}}\n' "$id" "$E" ;;
    *'"session.list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"sessions":[{"attached_clients":0,"cols":80,"created_at":"2026-01-01T00:00:00Z","kind":"shell","output_end":0,"output_start":0,"pid":1,"rows":24,"scrollback_bytes":1024,"session_id":"abc","state":"exited","exit_signal":"KILL%s","title":"x%s"}]}}\n' "$id" "$E" "$E" ;;
    *'"id"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id" ;;
  esac
done
"#;

/// `outpost sessions` and `outpost check` in text mode print a hostile agent's strings with
/// control characters made visible (no ESC byte reaches the terminal); `--json` still carries
/// them exactly.
#[test]
fn text_output_shows_remote_control_characters_visibly() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let fake = env.dir().join("hostile-agent");
    std::fs::write(&fake, HOSTILE_AGENT).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |args: &[&str]| {
        let out = env
            .cmd()
            .env("OUTPOST_AGENT_BIN", &fake)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        out.stdout
    };
    let hostile = "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m";
    let json: Value = serde_json::from_slice(&run(&["--json", "sessions", "local"])).unwrap();
    assert_eq!(json["data"][0]["title"], format!("x{hostile}"), "{json}");

    let shown = "\\033]52;c;cHduZWQ=\\007\\033]0;owned\\007\\033[2J\\302\\23331m";
    for (args, want) in [
        (&["sessions", "local"][..], format!("x{shown}")),
        (&["sessions", "local"][..], format!("killed by KILL{shown}")),
        (&["check", "local"][..], format!("h{shown}")),
    ] {
        let stdout = run(args);
        let text = String::from_utf8_lossy(&stdout);
        assert!(!stdout.contains(&0x1b), "{args:?}: raw ESC in {text:?}");
        assert!(!stdout.contains(&0x07), "{args:?}: raw BEL in {text:?}");
        assert!(!text.contains('\u{9b}'), "{args:?}: raw CSI in {text:?}");
        assert!(
            text.contains(&want),
            "{args:?}: {want:?} missing from {text:?}"
        );
    }
}

//! `exec.run` end to end through the real agent over pipes: argv and shell lines, cwd, env and
//! stdin, exit codes and signals, separate stdout and stderr with their caps, the timeout
//! killing the whole process group, the errors of bad input; and on an ssh session's target
//! through its ControlMaster (jump/target topology), where values full of shell syntax must
//! arrive as the remote program's argv, untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use outpost_protocol::exec::{RunParams, RunResult, RunTarget};
use outpost_protocol::method::ExecRun;
use outpost_protocol::Base64Bytes;
use outpost_testkit::fixture::ssh::{Fixture, SSH_DEADLINE};
use outpost_testkit::fixture::{sid_of, wait_pid_gone, Agent, Home, DEADLINE};
use serde_json::json;

fn argv(args: &[&str]) -> RunParams {
    RunParams::argv(args.iter().copied())
}

fn shell(line: &str) -> RunParams {
    RunParams {
        argv: None,
        shell: Some(line.into()),
        ..argv(&["unused"])
    }
}

fn run(a: &Agent, p: &RunParams) -> RunResult {
    a.client()
        .call::<ExecRun>(p)
        .unwrap_or_else(|e| panic!("exec.run {p:?}: {e}{}", a.context()))
}

fn text(b: &Base64Bytes) -> String {
    String::from_utf8_lossy(&b.0).into_owned()
}

/// The argv entries of NUL-separated output.
fn nul_words(b: &Base64Bytes) -> Vec<String> {
    let mut words: Vec<String> =
        b.0.split(|&c| c == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
    words.pop();
    words
}

/// Values a shell would act on if they were ever part of a command line.
const HOSTILE: &[&str] = &[
    "a;b",
    "$(touch /tmp/outpost-pwned)",
    "`id`",
    "q'uo\"te",
    "with  two spaces",
    "back\\slash\\\\",
    "new\nline",
    "*",
    "",
    "--",
];

/// argv runs without a shell, `shell` with one; stdout and stderr stay apart; exit codes.
#[test]
fn argv_and_shell_with_separate_streams_and_exit_codes() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut args = vec!["printf", "%s\\0"];
    args.extend(HOSTILE);
    let r = run(&a, &argv(&args));
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    assert_eq!(nul_words(&r.stdout), HOSTILE, "{r:?}");
    assert!(r.stderr.0.is_empty(), "{r:?}");

    let r = run(&a, &shell("echo out; echo err >&2; exit 3"));
    assert_eq!(
        (r.exit_code, r.signal, text(&r.stdout), text(&r.stderr)),
        (Some(3), None, "out\n".into(), "err\n".into())
    );
    assert!(
        !r.timed_out && !r.stdout_truncated && !r.stderr_truncated,
        "{r:?}"
    );

    let r = run(&a, &argv(&["false"]));
    assert_eq!(r.exit_code, Some(1), "{r:?}");
    a.assert_no_violations();
}

/// cwd, env and stdin reach the program as given; the default cwd is the home directory.
#[test]
fn cwd_env_and_stdin() {
    let home = Home::new();
    let a = home.agent_initialized();
    let dir = home.root().join("a dir; $(x)");
    std::fs::create_dir_all(&dir).unwrap();
    let mut p = argv(&[
        "sh",
        "-c",
        "pwd; printf '%s\\n' \"$V1\" \"$_v2\"; od -An -tx1 -v",
    ]);
    p.cwd = Some(dir.display().to_string());
    p.env = [
        ("V1".to_string(), "x y;$(z) 'q'".to_string()),
        ("_v2".to_string(), String::new()),
    ]
    .into();
    p.stdin = Some(Base64Bytes(vec![b'h', b'i', 0, 0xff, b'\n']));
    let r = run(&a, &p);
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    let out = text(&r.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], dir.display().to_string(), "{out}");
    assert_eq!(lines[1], "x y;$(z) 'q'", "{out}");
    assert_eq!(lines[2], "", "{out}");
    let hex: Vec<&str> = lines[3..]
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect();
    assert_eq!(hex, ["68", "69", "00", "ff", "0a"], "{out}");

    // Without cwd: the home directory of the agent's user; without stdin: /dev/null.
    let r = run(&a, &shell("pwd; cat; echo end"));
    let environ = std::fs::read(format!("/proc/{}/environ", a.pid())).unwrap();
    let agent_home = environ
        .split(|&b| b == 0)
        .find_map(|v| v.strip_prefix(b"HOME="))
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .expect("the agent has HOME");
    assert_eq!(text(&r.stdout), format!("{agent_home}\nend\n"), "{r:?}");
    a.assert_no_violations();
}

/// A command ended by a signal reports the signal and no exit code.
#[test]
fn a_signal_is_reported() {
    let home = Home::new();
    let a = home.agent_initialized();
    let r = run(&a, &shell("kill -TERM $$; sleep 5"));
    assert_eq!((r.exit_code, r.signal), (None, Some(15)), "{r:?}");
}

/// Each stream keeps its first max_output bytes; the rest is read and dropped, so a command
/// writing far more than a pipe holds still finishes.
#[test]
fn output_caps_per_stream() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut p = shell("head -c 3000000 /dev/zero | tr '\\0' o; printf 12345 >&2; exit 4");
    p.max_output = Some(1000);
    let r = run(&a, &p);
    assert_eq!(
        r.exit_code,
        Some(4),
        "the command ran to its end: {:?}",
        (r.exit_code, r.timed_out)
    );
    assert_eq!(r.stdout.0, vec![b'o'; 1000]);
    assert!(r.stdout_truncated);
    assert_eq!(text(&r.stderr), "12345");
    assert!(!r.stderr_truncated);

    let mut p = shell("printf abc");
    p.max_output = Some(0);
    let r = run(&a, &p);
    assert!(r.stdout.0.is_empty() && r.stdout_truncated, "{r:?}");
    let mut p = shell("printf abc");
    p.max_output = Some(3);
    let r = run(&a, &p);
    assert_eq!((text(&r.stdout), r.stdout_truncated), ("abc".into(), false));
}

/// At the timeout the whole process group is killed (a background child too), the result
/// says so and carries what was printed before.
#[test]
fn timeout_kills_the_group() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut p = shell("sleep 60 & echo $!; echo started; sleep 60");
    p.timeout_ms = Some(500);
    let started = Instant::now();
    let r = run(&a, &p);
    let took = started.elapsed();
    assert!(r.timed_out, "{r:?}");
    assert_eq!(r.signal, Some(9), "{r:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(r.duration_ms >= 500, "{r:?}");
    let out = text(&r.stdout);
    let mut lines = out.lines();
    let bg: u32 = lines
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(lines.next(), Some("started"), "{out}");
    wait_pid_gone(bg, "the background sleep", DEADLINE);

    // A command that exits while its background child keeps stdout open is waited for until
    // the timeout, then the child goes too.
    let mut p = shell("sleep 60 & echo $!");
    p.timeout_ms = Some(400);
    let r = run(&a, &p);
    assert!(r.timed_out, "{r:?}");
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    let bg: u32 = text(&r.stdout).trim().parse().unwrap();
    wait_pid_gone(bg, "the background sleep", DEADLINE);
}

/// Bad input answers with its own error codes.
#[test]
fn bad_input_is_refused() {
    let home = Home::new();
    let a = home.agent_initialized();
    let m = a.call_err(
        "exec.run",
        json!({"argv": ["/nonexistent/outpost-prog"]}),
        -32012,
    );
    assert!(m.contains("outpost-prog"), "{m}");
    a.call_err(
        "exec.run",
        json!({"argv": ["no-such-program-outpost-xyz"]}),
        -32012,
    );
    let m = a.call_err(
        "exec.run",
        json!({"argv": ["true"], "cwd": "/nonexistent-dir"}),
        -32012,
    );
    assert!(m.contains("nonexistent-dir"), "{m}");
    let m = a.call_err(
        "exec.run",
        json!({"argv": ["true"], "env": {"BAD-NAME": "x"}}),
        -32602,
    );
    assert!(m.contains("BAD-NAME"), "{m}");
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "env": {"1X": "x"}}),
        -32602,
    );
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "shell": "true"}),
        -32602,
    );
    a.call_err("exec.run", json!({}), -32602);
    a.call_err("exec.run", json!({"argv": []}), -32602);
    a.call_err("exec.run", json!({"shell": ""}), -32602);
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "timeout_ms": 0}),
        -32602,
    );
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "max_output": 2_000_000}),
        -32602,
    );
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "target": {"session_id": "Bad!"}}),
        -32602,
    );
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "target": {"session_id": "nosuch"}}),
        -32001,
    );
    // A local shell session is no target.
    let s = a.create_bash(80, 24);
    a.call_err(
        "exec.run",
        json!({"argv": ["true"], "target": {"session_id": sid_of(&s)}}),
        -32602,
    );
    a.assert_no_violations();
}

/// The time `exec.run` of `true` takes on the agent's host, round trip through the agent.
#[test]
fn true_round_trip_time() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut times: Vec<Duration> = (0..40)
        .map(|_| {
            let started = Instant::now();
            let r = run(&a, &argv(&["true"]));
            assert_eq!(r.exit_code, Some(0));
            started.elapsed()
        })
        .collect();
    times.sort();
    outpost_testkit::note(&format!(
        "exec.run true locally: p50 {:?}, p90 {:?}, max {:?} over {} calls",
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1],
        times.len()
    ));
}

/// On an ssh session's target through its ControlMaster: the program runs there (its host
/// name), in the asked directory, with the asked environment, and every value arrives as one
/// argv entry exactly as given; a missing program is exit 127 from the target's `sh`.
#[test]
fn on_a_target_values_arrive_literally() {
    let fx = Fixture::new("exec_run_on_a_target");
    let a = fx.agent();
    let s = fx.create(&a, fx.params(fx.spec()));
    let sid = sid_of(&s);
    a.attach_ok(&sid, Some(0));
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut Vec::new());
    let target = Some(RunTarget {
        session_id: sid.clone(),
    });

    let mut p = argv(&["hostname"]);
    p.target = target.clone();
    let r = run(&a, &p);
    assert_eq!(r.exit_code, Some(0), "{r:?}");
    if fx.topo.has_own_hostnames() {
        assert_eq!(text(&r.stdout).trim(), fx.topo.target_hostname(), "{r:?}");
    }

    let dir = std::env::temp_dir().join(format!("outpost run 'dir';$(x) {}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec!["sh", "-c", "pwd; printf '%s\\0' \"$V\" \"$@\"", "prog"];
    args.extend(HOSTILE);
    let mut p = argv(&args);
    p.target = target.clone();
    p.cwd = Some(dir.display().to_string());
    p.env = [("V".to_string(), "v;$(id) 'x' \"y\" \\".to_string())].into();
    p.stdin = Some(Base64Bytes(b"ignored".to_vec()));
    let r = run(&a, &p);
    assert_eq!(r.exit_code, Some(0), "{r:?} {}", text(&r.stderr));
    let out = &r.stdout.0;
    let newline = out.iter().position(|&b| b == b'\n').unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out[..newline]),
        dir.display().to_string()
    );
    let words = nul_words(&Base64Bytes(out[newline + 1..].to_vec()));
    let mut want = vec!["v;$(id) 'x' \"y\" \\"];
    want.extend(HOSTILE);
    assert_eq!(words, want);
    assert!(!std::path::Path::new("/tmp/outpost-pwned").exists());
    std::fs::remove_dir_all(&dir).ok();

    // stdin reaches the remote program; stdout and stderr stay apart; exit codes pass.
    let mut p = shell("cat; echo err >&2; exit 5");
    p.target = target.clone();
    p.stdin = Some(Base64Bytes(b"in\n".to_vec()));
    let r = run(&a, &p);
    assert_eq!(
        (r.exit_code, text(&r.stdout), text(&r.stderr)),
        (Some(5), "in\n".into(), "err\n".into())
    );

    let mut p = argv(&["no-such-program-outpost-xyz"]);
    p.target = target;
    let r = run(&a, &p);
    assert_eq!(r.exit_code, Some(127), "{r:?}");
    a.assert_no_violations();
}

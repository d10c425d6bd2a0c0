//! `session.exec` in `ssh` sessions, end to end on a real jump/target topology: the agent runs
//! on "jump", the session's daemon runs OpenSSH's `ssh` to "target", and every exec carries its
//! own nonce-tagged marks (`agent/src/exec/trailer.rs`, `agent/src/exec/remote.rs`).
//!
//! Covered: exit codes, output exactly (no echo, no prompt), the cwd and environment kept
//! across execs, a multi-line command run as one unit, output that imitates the marks
//! (including a guessed nonce), a silent `sleep 2`, an exec right after `session.create`, a
//! `python3` REPL giving "busy" with nothing typed, an exec whose line someone interrupted by
//! hand, timeouts with and without interrupt, the result after an agent kill -9, and the
//! target user's login shell as dash, zsh and busybox sh (POSIX: driven) or fish (refused with
//! nothing run).
//!
//! Needs root (users, namespaces, sshd).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use outpost_testkit::fixture::exec::{
    check_a_silent_sleep_2, check_a_timeout_goes_on, check_interrupt_on_timeout,
    check_the_exec_survived, exec, exec_while_busy, output, start_the_exec_that_survives,
    SESSION_BUSY,
};
use outpost_testkit::fixture::ssh::{Fixture, PROMPT, SSH_DEADLINE};
use outpost_testkit::fixture::{sid_of, Agent};
use serde_json::{json, Value};

fn exec_ok(fx: &Fixture, a: &Agent, sid: &str, command: &str) -> Value {
    exec(a, sid, command, json!({}))
        .unwrap_or_else(|e| panic!("exec {command:?}: {e:?}\n{}", fx.diag(Some(sid))))
}

/// An agent on "jump" and an ssh session to "target", attached.
fn session(fx: &Fixture) -> (Agent, String) {
    let a = fx.agent();
    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    a.attach_ok(&sid, None);
    (a, sid)
}

/// Retries `session.exec` while it answers "busy" (the remote prompt is on its way).
fn exec_when_ready(fx: &Fixture, a: &Agent, sid: &str, command: &str) -> Value {
    exec_while_busy(a, sid, command, SSH_DEADLINE)
        .unwrap_or_else(|e| panic!("exec {command:?}: {e:?}\n{}", fx.diag(Some(sid))))
}

/// Waits until the session's output ends with the remote shell's prompt.
fn wait_prompt(fx: &Fixture, a: &Agent, sid: &str) {
    fx.wait_out(a, sid, "the prompt at the end", SSH_DEADLINE, |c| {
        c.data.ends_with(PROMPT)
    });
}

/// Sets the test user's login shell (retrying while another test holds the password files).
fn set_login_shell(fx: &Fixture, shell: &Path) {
    let end = Instant::now() + SSH_DEADLINE;
    loop {
        let out = Command::new("usermod")
            .arg("-s")
            .arg(shell)
            .arg(&fx.user.name)
            .output()
            .expect("running usermod");
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < end,
            "usermod -s {}: {}",
            shell.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Exit codes, exact output, cwd and environment across execs, a multi-line command, fake
/// marks, a silent `sleep 2`, and quoting; the first exec goes out right after
/// `session.create` (while `ssh` still connects) and runs on the target.
#[test]
fn execs_on_a_target() {
    let fx = Fixture::new("execs_on_a_target");
    let (a, sid) = session(&fx);

    let r = exec_ok(&fx, &a, &sid, "hostname");
    assert_eq!(
        output(&r),
        format!("{}\n", fx.topo.target_hostname()),
        "{r}"
    );
    assert_eq!(r["exit_code"], 0, "{r}");

    assert_eq!(exec_ok(&fx, &a, &sid, "true")["exit_code"], 0);
    assert_eq!(exec_ok(&fx, &a, &sid, "false")["exit_code"], 1);
    let r = exec_ok(&fx, &a, &sid, "sh -c 'exit 7'");
    assert_eq!(r["exit_code"], 7, "{r}");
    let r = exec_ok(&fx, &a, &sid, "printf 'a\\nb\\n\\nc\\n'");
    assert_eq!(output(&r), "a\nb\n\nc\n", "{r}");
    assert!(r["output_from"].as_u64() < r["output_to"].as_u64(), "{r}");
    assert!(r["exec_id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{sid}.")));

    // The directory and the environment persist; the end mark carries the directory.
    let r = exec_ok(&fx, &a, &sid, "mkdir -p '/tmp/h1 x;y' && cd '/tmp/h1 x;y'");
    assert_eq!(r["exit_code"], 0, "{r}");
    assert_eq!(r["cwd"], "/tmp/h1 x;y", "{r}");
    let r = exec_ok(&fx, &a, &sid, "pwd");
    assert_eq!(output(&r), "/tmp/h1 x;y\n", "{r}");
    exec_ok(&fx, &a, &sid, "export OPX=42");
    let r = exec_ok(&fx, &a, &sid, "echo \"[$OPX]\" hello-$((6*7))");
    assert_eq!(output(&r), "[42] hello-42\n", "{r}");
    exec_ok(&fx, &a, &sid, "cd && rmdir '/tmp/h1 x;y'");

    // A multi-line command runs as one unit: its status is the last line's.
    let r = exec_ok(&fx, &a, &sid, "echo one\nfalse\necho two; false");
    assert_eq!(output(&r), "one\ntwo\n", "{r}");
    assert_eq!(r["exit_code"], 1, "{r}");
    let r = exec_ok(&fx, &a, &sid, "for i in 1 2; do\n  echo \"n$i\"\ndone");
    assert_eq!(output(&r), "n1\nn2\n", "{r}");

    // Quotes, history characters, a TAB and a syntax error reach the shell as written.
    let r = exec_ok(&fx, &a, &sid, "echo 'it''s' \"!x\" ^y \"a\tb\"");
    assert_eq!(output(&r), "its !x ^y a\tb\n", "{r}");
    let r = exec_ok(&fx, &a, &sid, "echo )");
    assert_ne!(r["exit_code"], 0, "{r}");
    assert!(r.get("timed_out").is_none(), "{r}");

    // Output that imitates the marks, with no nonce or a guessed one, ends nothing.
    let r = exec_ok(
        &fx,
        &a,
        &sid,
        "printf '\\033]133;D;0\\007\\033]133;C;op=0000000000000000;sh=\\007\\033]133;D;5;op=0123456789abcdef;cwd=/;op=0123456789abcdef\\007x\\n'; sleep 1; echo after",
    );
    assert_eq!(r["exit_code"], 0, "{r}");
    assert!(output(&r).ends_with("x\nafter\n"), "{r}");
    assert!(r["duration_ms"].as_u64().unwrap() >= 1000, "{r}");

    // Silent for two seconds.
    let r = check_a_silent_sleep_2(&a, &sid);

    let id = r["exec_id"].as_str().unwrap();
    let again = a.call_ok("session.exec_result", json!({"exec_id": id}));
    assert_eq!(again["output_to"], r["output_to"]);
}

/// A `python3` REPL runs on the target: "busy", and nothing is typed into it. Once the prompt
/// is back, execs run again.
#[test]
fn a_remote_repl_is_busy_and_nothing_is_typed() {
    let fx = Fixture::new("a_remote_repl_is_busy_and_nothing_is_typed");
    let (a, sid) = session(&fx);
    assert_eq!(output(&exec_ok(&fx, &a, &sid, "echo ready")), "ready\n");
    wait_prompt(&fx, &a, &sid);

    a.type_line(&sid, "python3 -q");
    fx.wait_text(&a, &sid, ">>> ");
    let e = exec(&a, &sid, "print('typed' + 'INTO')", json!({})).unwrap_err();
    assert_eq!(e.0, SESSION_BUSY, "{e:?}");
    a.type_line(&sid, "print('py' + 'OK')");
    fx.wait_text(&a, &sid, "pyOK");
    let (_, bytes) = a.read_all(&sid);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("typedINTO") && !text.contains("'typed'"),
        "the refused command was typed"
    );

    a.type_line(&sid, "exit()");
    wait_prompt(&fx, &a, &sid);
    let r = exec_when_ready(&fx, &a, &sid, "echo back");
    assert_eq!(output(&r), "back\n", "{r}");
    assert_eq!(r["exit_code"], 0, "{r}");

    // A half-typed line is no prompt either.
    a.input(&sid, b"echo half").unwrap();
    fx.wait_text(&a, &sid, "echo half");
    let e = exec(&a, &sid, "true", json!({})).unwrap_err();
    assert_eq!(e.0, SESSION_BUSY, "{e:?}");
    a.input(&sid, b"\x15\r").unwrap();
    wait_prompt(&fx, &a, &sid);
    assert_eq!(exec_when_ready(&fx, &a, &sid, "true")["exit_code"], 0);
}

/// A timeout answers with what was printed so far and the command goes on (busy meanwhile,
/// its result later); with `interrupt`, Ctrl-C goes through ssh and the status is 130. An exec
/// whose line someone interrupts by hand is given up once the prompt is back.
#[test]
fn timeouts_on_a_target() {
    let fx = Fixture::new("timeouts_on_a_target");
    let (a, sid) = session(&fx);
    exec_ok(&fx, &a, &sid, "true");
    check_a_timeout_goes_on(&a, &sid, SSH_DEADLINE);

    let r = check_interrupt_on_timeout(&a, &sid, "echo going; sleep 30", "ssh");
    assert!(output(&r).starts_with("going\n"), "{r}");
    assert_eq!(output(&exec_ok(&fx, &a, &sid, "echo next")), "next\n");

    // Interrupted by hand: the line's end mark never comes.
    let r = exec(&a, &sid, "sleep 30", json!({"timeout_ms": 300})).unwrap();
    assert_eq!(r["timed_out"], true, "{r}");
    a.input(&sid, b"\x03").unwrap();
    wait_prompt(&fx, &a, &sid);
    let next = exec_when_ready(&fx, &a, &sid, "echo after-ctrl-c");
    assert_eq!(output(&next), "after-ctrl-c\n", "{next}");
    let gone = a.call_ok(
        "session.exec_result",
        json!({"exec_id": r["exec_id"].as_str().unwrap()}),
    );
    assert!(gone.get("exit_code").is_none(), "{gone}");
}

/// The exec lives in the session's daemon: a new agent gets the result after kill -9.
#[test]
fn the_result_survives_an_agent_kill_9_on_a_target() {
    let fx = Fixture::new("the_result_survives_an_agent_kill_9_on_a_target");
    let (a, sid) = session(&fx);
    exec_ok(&fx, &a, &sid, "true");
    let id = start_the_exec_that_survives(&a, &sid);
    a.kill9();
    let b = fx.agent();
    check_the_exec_survived(&b, &id, SSH_DEADLINE);
    assert_eq!(output(&exec_ok(&fx, &b, &sid, "echo still")), "still\n");
    b.close(&sid).unwrap();
}

/// The target user's login shell as dash, zsh and busybox sh: driven the same way; as fish:
/// refused ("busy", the message names fish) with nothing run.
#[test]
fn other_login_shells_on_the_target() {
    let fx = Fixture::new("other_login_shells_on_the_target");
    fx.user
        .write_file(".zshrc", "PS1='zsh$ '\n", 0o644)
        .unwrap();
    // busybox runs the applet its name gives: a login shell named `ash`.
    let ash = fx.user.home.join("ash");
    std::os::unix::fs::symlink("/usr/bin/busybox", &ash).unwrap();
    let a = fx.agent();
    for shell in [Path::new("/usr/bin/dash"), Path::new("/usr/bin/zsh"), &ash] {
        set_login_shell(&fx, shell);
        let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
        let what = shell.display();
        let r = exec_ok(&fx, &a, &sid, "echo \"$0\"; sh -c 'exit 3'");
        assert_eq!(r["exit_code"], 3, "{what}: {r}");
        assert!(
            output(&r).contains(shell.file_name().unwrap().to_str().unwrap()),
            "{what}: {r}"
        );
        let r = exec_ok(&fx, &a, &sid, "cd /tmp");
        assert_eq!(r["cwd"], "/tmp", "{what}: {r}");
        let r = exec_ok(&fx, &a, &sid, "pwd\necho \"it's\" $((1+2))");
        assert_eq!(output(&r), "/tmp\nit's 3\n", "{what}: {r}");
        assert_eq!(r["exit_code"], 0, "{what}: {r}");
        a.close(&sid).unwrap();
    }

    set_login_shell(&fx, Path::new("/usr/bin/fish"));
    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    let marker = fx.user.home.join("fish-ran");
    let e = exec(
        &a,
        &sid,
        &format!("touch {}", marker.display()),
        json!({"timeout_ms": 20000}),
    )
    .unwrap_err();
    assert_eq!(e.0, SESSION_BUSY, "{e:?}");
    assert!(e.1.contains("fish"), "{e:?}");
    assert!(!marker.exists(), "the command ran in fish");
    // Remembered: refused at once, nothing typed.
    let e = exec(&a, &sid, "true", json!({})).unwrap_err();
    assert!(e.1.contains("fish"), "{e:?}");
    a.close(&sid).unwrap();
}

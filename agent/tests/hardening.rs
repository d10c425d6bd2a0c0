//! Hostile input to the agent, through its real binary over plain pipes (`std::process`):
//!
//! - host and user names with shell metacharacters are refused with -32602 before any `ssh`
//!   runs (OpenSSH before 9.6 expands `%h`/`%r` into commands a shell runs);
//! - its directories stay private against another local user: a squatted `/tmp/outpost-<uid>`
//!   leads to another private directory that a later agent finds again, a world-writable
//!   `$XDG_RUNTIME_DIR` is not used, and relative roots are refused or ignored.
//!
//! The directory tests run the agent as a throwaway user (`outpost_testkit::TestUser`) and need
//! root.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{bail, Context, Result};
use outpost_protocol::PROTOCOL_VERSION;
use outpost_testkit::TestUser;
use serde_json::{json, Value};

const AGENT: &str = env!("CARGO_BIN_EXE_outpost-agent");

/// An agent over its pipes.
struct Pipes {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Pipes {
    /// Starts `outpost-agent serve --stdio` from `cmd` and initializes it.
    fn start(mut cmd: Command) -> Result<Pipes> {
        let mut child = cmd
            .args(["serve", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start outpost-agent")?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut p = Pipes {
            child,
            stdin,
            stdout,
            next_id: 0,
        };
        let init = json!({"protocol_version": PROTOCOL_VERSION,
                          "client": {"name": "hardening", "version": "0"}});
        p.call("initialize", init)?
            .get("result")
            .context("initialize failed")?;
        Ok(p)
    }

    /// Sends one request and returns its response (notifications are skipped).
    fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let req = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{req}")?;
        self.stdin.flush()?;
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line)? == 0 {
                bail!("agent closed its stdout");
            }
            let v: Value = serde_json::from_str(&line).context("agent line")?;
            if v["id"] == json!(id) {
                return Ok(v);
            }
        }
    }

    /// Creates a shell session; its id.
    fn create_shell(&mut self) -> Result<String> {
        let r = self.call(
            "session.create",
            json!({"kind": "shell", "cols": 80, "rows": 24}),
        )?;
        r["result"]["session"]["session_id"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("session.create failed: {r}"))
    }

    /// The ids `session.list` returns.
    fn list(&mut self) -> Result<Vec<String>> {
        let r = self.call("session.list", json!({}))?;
        Ok(r["result"]["sessions"]
            .as_array()
            .with_context(|| format!("session.list failed: {r}"))?
            .iter()
            .filter_map(|s| s["session_id"].as_str().map(str::to_string))
            .collect())
    }
}

impl Drop for Pipes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An agent with a private `$OUTPOST_HOME` (kept alive with it).
fn private_agent() -> Result<(Pipes, tempfile::TempDir)> {
    let home = tempfile::tempdir()?;
    let mut cmd = Command::new(AGENT);
    cmd.env("OUTPOST_HOME", home.path());
    Ok((Pipes::start(cmd)?, home))
}

#[test]
fn shell_metacharacters_in_host_or_user_are_invalid_params() -> Result<()> {
    let (mut p, _home) = private_agent()?;
    let create = |p: &mut Pipes, ssh: Value| {
        p.call(
            "session.create",
            json!({"kind": "ssh", "cols": 80, "rows": 24, "ssh": ssh}),
        )
    };
    for host in ["x$(id)", "x;id", "x`id`", "x|id", "x&id", "x'y", "x\\y"] {
        let r = create(&mut p, json!({"host": host}))?;
        assert_eq!(r["error"]["code"], json!(-32602), "host {host:?}: {r}");
        let msg = r["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("may not hold"), "host {host:?}: {msg}");
    }
    for user in ["u;id", "u$(id)", "u`id`", "u|id"] {
        let r = create(&mut p, json!({"host": "db", "user": user}))?;
        assert_eq!(r["error"]["code"], json!(-32602), "user {user:?}: {r}");
    }
    let r = create(&mut p, json!({"host": "a".repeat(256)}))?;
    assert_eq!(r["error"]["code"], json!(-32602), "long host: {r}");
    Ok(())
}

/// Removes paths when dropped (the squatted directory is root's, not the test user's).
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// The `/tmp/outpost-<uid>-XXXXXX` directories of `uid`.
fn fallbacks(uid: u32) -> Result<Vec<PathBuf>> {
    let prefix = format!("outpost-{uid}-");
    Ok(std::fs::read_dir("/tmp")?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect())
}

/// Makes `dir` owned by `user` with `mode`.
fn own(dir: &Path, user: &TestUser, mode: u32) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    nix::unistd::chown(
        dir,
        Some(nix::unistd::Uid::from_raw(user.uid)),
        Some(nix::unistd::Gid::from_raw(user.gid)),
    )?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

#[test]
fn a_squatted_tmp_dir_leads_to_another_private_dir_that_later_agents_find() -> Result<()> {
    outpost_testkit::require_root();
    let user = TestUser::create("osquat")?;
    let squat = PathBuf::from(format!("/tmp/outpost-{}", user.uid));
    let _ = std::fs::remove_dir_all(&squat);
    // Another user (root here) got there first and left it open to everyone.
    std::fs::create_dir(&squat)?;
    std::fs::set_permissions(&squat, std::fs::Permissions::from_mode(0o777))?;
    let _cleanup = Cleanup(vec![squat.clone()]);

    let mut first = Pipes::start(user.command(AGENT))?;
    let sid = first.create_shell()?;
    drop(first);
    let made = fallbacks(user.uid)?;
    let _cleanup_made = Cleanup(made.clone());
    assert_eq!(made.len(), 1, "one private directory: {made:?}");
    let meta = std::fs::symlink_metadata(&made[0])?;
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), user.uid);
    assert_eq!(
        std::fs::read_dir(&squat)?.count(),
        0,
        "something was put in the squatted directory"
    );

    // A later agent finds the session (and makes no new directory).
    let mut later = Pipes::start(user.command(AGENT))?;
    assert!(later.list()?.contains(&sid), "the session is lost");
    assert_eq!(fallbacks(user.uid)?, made);
    later.call("session.close", json!({"session_id": sid}))?;
    Ok(())
}

#[test]
fn an_open_xdg_runtime_dir_and_relative_roots_are_not_used() -> Result<()> {
    outpost_testkit::require_root();
    let user = TestUser::create("oxdg")?;
    let _cleanup = Cleanup(vec![PathBuf::from(format!("/tmp/outpost-{}", user.uid))]);
    let xdg = user.home.join("xdg");
    own(&xdg, &user, 0o777)?;
    let mut cmd = user.command(AGENT);
    cmd.env("XDG_RUNTIME_DIR", &xdg)
        .env("XDG_STATE_HOME", "relative-state");
    let mut a = Pipes::start(cmd)?;
    let sid = a.create_shell()?;
    assert!(
        !xdg.join("outpost").exists(),
        "the world-writable $XDG_RUNTIME_DIR was used"
    );
    assert!(
        !user.home.join("relative-state").exists(),
        "a relative $XDG_STATE_HOME was used"
    );
    assert!(user
        .home
        .join(format!(".local/state/outpost/sessions/{sid}.json"))
        .exists());
    a.call("session.close", json!({"session_id": sid}))?;
    drop(a);

    let out = user
        .command(AGENT)
        .args(["serve", "--stdio"])
        .env("OUTPOST_HOME", "relative-home")
        .stdin(Stdio::null())
        .output()?;
    assert!(
        !out.status.success(),
        "a relative $OUTPOST_HOME was accepted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("relative path"), "{stderr}");
    assert!(!user.home.join("relative-home").exists());
    let _cleanup_made = Cleanup(fallbacks(user.uid)?);
    Ok(())
}

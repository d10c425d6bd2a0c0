//! A hostile agent cannot crash or flood the desktop: a fake agent (a shell script run as
//! `$OUTPOST_AGENT_BIN serve --stdio`) speaks the handshake, then breaks the protocol. An output
//! offset whose end overflows 64 bits ends `outpost --json attach` with a JSON `protocol` error
//! (it once panicked with exit 101); a line longer than the protocol's limit is dropped.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The fake agent: answers `initialize`, `session.list` (one session, `$SESSION`) and
/// `session.attach` (replaying from `$REPLAY`), then runs `$AFTER_ATTACH` (which writes what the
/// test wants to its stdout); other requests get `{}`.
const FAKE_AGENT: &str = r#"#!/bin/bash
[ "$1" = serve ] || exit 2
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
    *'"method":"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"agent_version":"0.1.0","capabilities":{"default_scrollback_bytes":2097152,"max_line_bytes":4194304,"max_sessions":64,"session_kinds":["shell","ssh"]},"host":{"arch":"x86_64","hostname":"fake","os":"linux","user":"x"},"protocol_version":1}}\n' "$id" ;;
    *'"method":"session.list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"sessions":[%s]}}\n' "$id" "$SESSION" ;;
    *'"method":"session.attach"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"replay_from":%s,"session":%s,"truncated":false}}\n' "$id" "$REPLAY" "$SESSION"
      bash -c "$AFTER_ATTACH" ;;
    *)
      [ -n "$id" ] && printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id" ;;
  esac
done
"#;

/// Writes the fake agent into `dir`.
fn fake_agent(dir: &Path) -> Result<PathBuf> {
    let p = dir.join("fake-agent");
    std::fs::write(&p, FAKE_AGENT)?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
    Ok(p)
}

/// Runs `outpost --json attach local s1` against the fake agent, killed after `limit`.
fn attach(replay: &str, after_attach: &str, limit: Duration) -> Result<(Output, bool)> {
    let dir = tempfile::tempdir()?;
    let agent = fake_agent(dir.path())?;
    let mut child = Command::new(OUTPOST)
        .args(["--json", "attach", "local", "s1"])
        .env("OUTPOST_AGENT_BIN", &agent)
        .env("OUTPOST_HOME", dir.path().join("h"))
        .env("OUTPOST_CONFIG_DIR", dir.path().join("c"))
        .env("HOME", dir.path())
        .env("REPLAY", replay)
        .env("SESSION", format!(r#"{{"attached_clients":1,"cols":80,"created_at":"2025-03-14T09:26:53Z","kind":"shell","output_end":{replay},"output_start":0,"pid":1,"rows":24,"scrollback_bytes":4194304,"session_id":"s1","state":"running","title":"t"}}"#))
        .env("AFTER_ATTACH", after_attach)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("start outpost")?;
    let mut stdout = child.stdout.take().context("stdout")?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = child.wait_with_output()?;
    out.stdout = reader.join().unwrap_or_default();
    Ok((out, timed_out))
}

/// The last line of stdout as JSON.
fn last_json(out: &Output) -> Result<Value> {
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().rev().find(|l| l.starts_with('{')) else {
        bail!(
            "no JSON on stdout (exit {:?}); stderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    serde_json::from_str(line).with_context(|| format!("{line:?}"))
}

#[test]
fn an_output_offset_that_overflows_is_a_json_protocol_error() -> Result<()> {
    // 2^64 - 6 plus 11 bytes ("hello world") does not fit in 64 bits.
    let offset = "18446744073709551610";
    let notify = format!(
        r#"printf '{{"jsonrpc":"2.0","method":"session.output","params":{{"session_id":"s1","offset":{offset},"data":"aGVsbG8gd29ybGQ="}}}}\n'"#
    );
    let (out, timed_out) = attach(offset, &notify, Duration::from_secs(20))?;
    assert!(
        !timed_out,
        "attach kept going; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(out.status.code(), Some(101), "outpost panicked");
    assert_ne!(out.status.code(), Some(0));
    let v = last_json(&out)?;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["code"], "protocol", "{v}");
    Ok(())
}

#[test]
fn an_over_long_line_is_dropped() -> Result<()> {
    // A 5 MiB output line (over the 4 MiB limit) at offset 0, then a well-formed line and an
    // exit: only the well-formed bytes arrive.
    let huge = r#"printf '{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"s1","offset":0,"data":"'; head -c 3932160 /dev/zero | tr '\0' 'Q'; printf '"}}\n'
printf '{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"s1","offset":0,"data":"b2s="}}\n'
printf '{"jsonrpc":"2.0","method":"session.exit","params":{"session_id":"s1","exit_code":0}}\n'"#;
    let huge = huge.replace("3932160", &(5 * 1024 * 1024).to_string());
    let (out, timed_out) = attach("0", &huge, Duration::from_secs(30))?;
    assert!(
        !timed_out,
        "attach did not end; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.len() < 1024 * 1024,
        "{} bytes of the over-long line reached stdout",
        out.stdout.len()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ok"), "{text}");
    Ok(())
}

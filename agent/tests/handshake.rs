//! The handshake: `--version`, `initialize` and what comes before it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_protocol::session::DEFAULT_SCROLLBACK_BYTES;
use outpost_testkit::fixture::{agent_bin, hostname, Home};
use serde_json::json;

/// `--version` prints `outpost-agent <semver> protocol 1` and nothing else.
#[test]
fn version_flag_prints_semver_and_protocol() {
    let out = std::process::Command::new(agent_bin())
        .arg("--version")
        .output()
        .expect("running outpost-agent --version");
    assert!(out.status.success(), "--version failed: {out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let line = text.strip_suffix('\n').expect("ends with a newline");
    assert!(!line.contains('\n'), "one line only: {text:?}");
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words.len(), 4, "{line:?}");
    assert_eq!(words[0], "outpost-agent", "{line:?}");
    assert_eq!(words[2], "protocol", "{line:?}");
    assert_eq!(words[3], "1", "{line:?}");
    let version = words[1];
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let core = version.split(['-', '+']).next().unwrap();
    let parts: Vec<&str> = core.split('.').collect();
    assert_eq!(parts.len(), 3, "not semver: {version}");
    for p in parts {
        assert!(
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
            "not semver: {version}"
        );
    }
}

/// Every method before `initialize` gets -32002, and the agent keeps serving.
#[test]
fn methods_before_initialize_are_refused() {
    let home = Home::new();
    let a = home.agent();
    let sid = json!({"session_id": "abc"});
    a.call_err("session.list", json!({}), -32002);
    a.call_err("session.list", serde_json::Value::Null, -32002);
    a.call_err(
        "session.create",
        json!({"kind": "shell", "cols": 80, "rows": 24}),
        -32002,
    );
    a.call_err("session.attach", sid.clone(), -32002);
    a.call_err(
        "session.read",
        json!({"session_id": "abc", "from_offset": 0, "max_bytes": 1}),
        -32002,
    );
    a.call_err(
        "session.input",
        json!({"session_id": "abc", "data": ""}),
        -32002,
    );
    a.call_err("session.close", sid, -32002);
    // Nothing was created on the way.
    a.initialize();
    assert!(a.list().is_empty());
    a.assert_no_violations();
}

/// A different protocol version gets -32004 naming both versions; the agent stays usable and
/// uninitialized until a matching `initialize`.
#[test]
fn protocol_version_mismatch() {
    let home = Home::new();
    let a = home.agent();
    let msg = a.call_err(
        "initialize",
        json!({"protocol_version": 2, "client": {"name": "t", "version": "0"}}),
        -32004,
    );
    let numbers: Vec<&str> = msg
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    assert!(
        numbers.contains(&"2"),
        "message names the client's version: {msg:?}"
    );
    assert!(
        numbers.contains(&"1"),
        "message names the agent's version: {msg:?}"
    );
    a.call_err("session.list", json!({}), -32002);
    let r = a.initialize();
    assert_eq!(r["protocol_version"], 1);
    assert!(a.list().is_empty());
}

/// The `initialize` result describes this host and offers shell sessions.
#[test]
fn initialize_result_describes_the_host() {
    let home = Home::new();
    let a = home.agent();
    let r = a.initialize();
    assert_eq!(r["protocol_version"], 1, "{r}");
    assert_eq!(r["agent_version"], env!("CARGO_PKG_VERSION"), "{r}");
    let host = &r["host"];
    assert_eq!(host["hostname"].as_str(), Some(hostname().as_str()), "{r}");
    assert_eq!(host["os"], std::env::consts::OS, "{r}");
    assert_eq!(host["arch"], std::env::consts::ARCH, "{r}");
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .expect("current user");
    assert_eq!(host["user"].as_str(), Some(me.as_str()), "{r}");
    let kinds = r["capabilities"]["session_kinds"]
        .as_array()
        .expect("session_kinds array");
    assert!(kinds.contains(&json!("shell")), "{r}");
    assert_eq!(
        r["capabilities"]["default_scrollback_bytes"], DEFAULT_SCROLLBACK_BYTES,
        "{r}"
    );
    assert!(
        r["capabilities"]["max_line_bytes"].as_u64().unwrap_or(0) >= 1024 * 1024,
        "{r}"
    );
    // A second initialize is harmless.
    a.initialize();
    a.assert_no_violations();
}

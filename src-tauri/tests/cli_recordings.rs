//! `outpost recordings list|export` against "This computer" (the local agent over pipes): a
//! session recorded by a real daemon is listed, exported to a file that equals the agent's own
//! byte for byte and that `asciinema cat` (PyPI, installed by `.ci/py-deps`) plays back as the
//! session's bytes; a bad name fails with the agent's `invalid_params` code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use outpost_testkit::fixture::{agent_bin, sid_of, wait_until, Home, DEADLINE};
use outpost_testkit::venv;
use serde_json::{json, Value};

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// `outpost` with the test agent's home and a private configuration directory.
fn outpost(home: &Home, config: &Path) -> Command {
    let mut c = Command::new(OUTPOST);
    c.env("OUTPOST_HOME", home.path())
        .env("OUTPOST_CONFIG_DIR", config)
        .env("OUTPOST_AGENT_BIN", agent_bin())
        .env("HOME", home.root())
        .stdin(Stdio::null());
    c
}

/// Runs `outpost --json ARGS`: (exit code, the JSON envelope).
fn json(home: &Home, config: &Path, args: &[&str]) -> (i32, Value) {
    let out = outpost(home, config)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_else(|| {
        panic!(
            "no output from {args:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")),
    )
}

#[test]
fn recordings_list_and_export_against_the_local_agent() {
    let home = Home::new();
    let config = home.root().join("config");
    let a = home.agent_initialized();
    let mut params = a.bash_params(80, 24);
    params["shell"] = json!({"program": "/bin/sh", "args": ["-c",
        r"printf 'héllo \342\202'; sleep 0.3; printf '\254 wörld\r\n'; sleep 0.2; echo done-$((6*7))"]});
    params["record"] = json!(true);
    let sid = sid_of(&a.create(params).unwrap());
    a.attach_ok(&sid, Some(0));
    a.wait_exit(&sid);
    let (_, session_bytes) = a.read_all(&sid);
    assert!(String::from_utf8_lossy(&session_bytes).contains("done-42"));

    // Listed by the CLI, with the session's id.
    let (code, v) = json(&home, &config, &["recordings", "list", "local"]);
    assert_eq!(code, 0, "{v}");
    let list = v["data"]["recordings"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["session_id"], sid.as_str());
    let name = list[0]["name"].as_str().unwrap().to_string();
    let on_disk = home.path().join("state/recordings").join(&name);

    // Exported once the daemon wrote the last event: byte-equal to the agent's file, and
    // asciinema plays it back as the session's bytes.
    let file = home.root().join("export.cast");
    wait_until(
        DEADLINE,
        "an export that plays back the whole session",
        || {
            let (code, v) = json(
                &home,
                &config,
                &[
                    "recordings",
                    "export",
                    "local",
                    &name,
                    file.to_str().unwrap(),
                ],
            );
            assert_eq!(code, 0, "{v}");
            venv::asciinema_cat(&file) == session_bytes
        },
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&on_disk).unwrap()
    );

    // Text mode: one line per recording.
    let out = outpost(&home, &config)
        .args(["recordings", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.lines().any(|l| l.starts_with(&name)), "{text}");

    // A name that is not a recording's: the agent's invalid_params, a non-zero exit, no file.
    let bad = home.root().join("bad.cast");
    let (code, v) = json(
        &home,
        &config,
        &[
            "recordings",
            "export",
            "local",
            "../../etc/passwd",
            bad.to_str().unwrap(),
        ],
    );
    assert_ne!(code, 0);
    assert_eq!(v["error"]["code"], "rpc_32602", "{v}");
    assert!(!bad.exists() && !home.root().join("bad.cast.part").exists());
}

#[test]
fn outpost_new_record_starts_a_recording() {
    let home = Home::new();
    let config = home.root().join("config");
    let (code, v) = json(
        &home,
        &config,
        &["new", "local", "--record", "--cols", "80", "--rows", "24"],
    );
    assert_eq!(code, 0, "{v}");
    let sid = v["data"]["session_id"]
        .as_str()
        .expect("a session id")
        .to_string();
    let (code, v) = json(&home, &config, &["recordings", "list", "local"]);
    assert_eq!(code, 0, "{v}");
    let list = v["data"]["recordings"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["session_id"], sid.as_str());
    // Without the flag: no recording.
    let (code, v) = json(
        &home,
        &config,
        &["new", "local", "--cols", "80", "--rows", "24"],
    );
    assert_eq!(code, 0, "{v}");
    let (_, v) = json(&home, &config, &["recordings", "list", "local"]);
    assert_eq!(v["data"]["recordings"].as_array().unwrap().len(), 1, "{v}");
    let (code, v) = json(&home, &config, &["close", "local", &sid]);
    assert_eq!(code, 0, "{v}");
}

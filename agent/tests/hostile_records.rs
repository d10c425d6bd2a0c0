//! Session metadata files are not trusted (issue 12, item 4): a planted record cannot make the
//! agent delete or touch files outside the state directory, and records that are symlinks,
//! group- or other-accessible, or owned by someone else are ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;

use outpost_testkit::fixture::{Agent, Home};
use serde_json::json;

/// A session id of the agent's form whose record lies about its id.
const PLANTED: &str = "abc";

/// Calls every `session.*` method that reads a record, ignoring the answers.
fn poke(a: &Agent, sid: &str) {
    let target = json!({"session_id": sid});
    for (method, params) in [
        ("session.attach", target.clone()),
        (
            "session.read",
            json!({"session_id": sid, "from_offset": 0, "max_bytes": 10}),
        ),
        (
            "session.resize",
            json!({"session_id": sid, "cols": 80, "rows": 24}),
        ),
        ("session.close", target.clone()),
        ("session.list", json!({})),
        ("monitor.snapshot", json!({"target": target})),
    ] {
        let _ = a.call(method, params);
    }
}

#[test]
fn a_record_naming_another_path_deletes_nothing_outside() {
    let home = Home::new();
    let a = home.agent_initialized();
    let victims: Vec<_> = ["json", "log", "sock"]
        .iter()
        .map(|x| home.path().join(format!("victim.{x}")))
        .collect();
    for v in &victims {
        std::fs::write(v, b"precious").unwrap();
    }
    let record = json!({
        "session_id": "../../victim", "kind": "shell", "title": "x",
        "daemon_pid": i32::MAX, "child_pid": i32::MAX,
        "created_at": "2020-01-01T00:00:00Z",
        "socket": home.path().join("nowhere.sock"), "daemon_version": "0",
        "ssh": {"target": "h", "control_path": "/nonexistent", "program": "/bin/touch",
                "check_args": [], "probe_args": [home.path().join("touched").to_string_lossy()]},
    });
    let path = home.record_path(PLANTED);
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    poke(&a, PLANTED);
    for v in &victims {
        assert!(v.exists(), "{} was deleted", v.display());
    }
    assert!(
        !home.path().join("touched").exists(),
        "the record's program ran"
    );
}

/// Creates a session, applies `tamper` to its record, asks a fresh agent whether it lists it,
/// then restores the record with `restore` and closes the session; true when it was ignored.
fn ignored_when(
    what: &str,
    tamper: impl Fn(&std::path::Path),
    restore: impl Fn(&std::path::Path),
) -> bool {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = a.create_bash(80, 24)["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = home.record_path(&sid);
    tamper(&path);
    let fresh = home.agent_initialized();
    let listed = fresh.list().iter().any(|s| s["session_id"] == sid.as_str());
    restore(&path);
    drop(fresh);
    a.close(&sid).unwrap();
    if listed {
        eprintln!("a {what} record was trusted");
    }
    !listed
}

#[test]
fn untrusted_records_are_ignored() {
    let mode = |m: u32| {
        move |p: &std::path::Path| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        }
    };
    let ignored = [
        ignored_when("group-writable", mode(0o620), mode(0o600)),
        ignored_when("world-readable", mode(0o604), mode(0o600)),
        ignored_when(
            "foreign",
            |p| std::os::unix::fs::chown(p, Some(12_345), None).unwrap(),
            |p| std::os::unix::fs::chown(p, Some(nix::unistd::getuid().as_raw()), None).unwrap(),
        ),
        ignored_when(
            "symlinked",
            |p| {
                let aside = p.with_extension("aside");
                std::fs::rename(p, &aside).unwrap();
                std::os::unix::fs::symlink(&aside, p).unwrap();
            },
            |p| {
                std::fs::remove_file(p).unwrap();
                std::fs::rename(p.with_extension("aside"), p).unwrap();
            },
        ),
    ];
    assert_eq!(
        ignored, [true; 4],
        "group-writable, world-readable, foreign, symlinked: ignored?"
    );
}

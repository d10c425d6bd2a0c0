//! The agent's files: private modes, refusal of unsafe directories, `outpost-agent sessions`,
//! and homes too deep for a Unix socket path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::PathBuf;

use outpost_testkit::fixture::{sid_of, wait_until, walk, Home, DEADLINE};
use serde_json::Value;

/// After a session exists, every directory under `$OUTPOST_HOME` is 0700, every file 0600, and
/// the socket is ours and closed to others.
#[test]
fn modes_are_private() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo hi-$((1+1))");
    a.wait_for_output(&sid, b"hi-2\r\n", DEADLINE);
    let uid = nix::unistd::geteuid().as_raw();
    let entries = walk(home.path());
    let mut sockets = 0;
    let mut files = 0;
    for (path, meta) in &entries {
        let mode = meta.permissions().mode() & 0o7777;
        assert_eq!(meta.uid(), uid, "{} is not ours", path.display());
        let ft = meta.file_type();
        if ft.is_dir() {
            assert_eq!(
                mode,
                0o700,
                "directory {} has mode {mode:o}",
                path.display()
            );
        } else if ft.is_file() {
            files += 1;
            assert_eq!(mode, 0o600, "file {} has mode {mode:o}", path.display());
        } else if ft.is_socket() {
            sockets += 1;
            assert_eq!(
                mode & 0o077,
                0,
                "socket {} has mode {mode:o}",
                path.display()
            );
        } else {
            panic!("unexpected entry {} ({ft:?})", path.display());
        }
    }
    assert_eq!(sockets, 1, "{entries:?}");
    assert!(files >= 2, "a record and a log at least: {entries:?}");
    assert!(home.socket_path(&sid).exists());
    assert!(home.record_path(&sid).exists());
    // No temporary files from atomic writes are left.
    for (p, _) in &entries {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(!name.ends_with(".tmp"), "left over: {}", p.display());
    }
}

/// A pre-existing `$OUTPOST_HOME/state` writable by others is refused by `serve --stdio` and by
/// `sessions`, with a message naming the path and the fix.
#[test]
fn unsafe_state_directory_is_refused() {
    let home = Home::new();
    let state = home.path().join("state");
    fs::create_dir_all(&state).unwrap();
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
    for args in [&["serve", "--stdio"][..], &["sessions"][..]] {
        let out = home
            .command()
            .args(args)
            .output()
            .expect("running the agent");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "`outpost-agent {}` must refuse a 0777 state dir; stderr: {err}",
            args.join(" ")
        );
        assert!(
            err.contains(&state.display().to_string()),
            "the message names the path: {err}"
        );
        assert!(
            err.contains("chmod 700"),
            "the message gives the fix: {err}"
        );
        assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", out.stdout);
    }
    // Nothing was created inside the unsafe directory, and its mode is untouched.
    assert_eq!(fs::read_dir(&state).unwrap().count(), 0);
    let mode = fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o777);
    // Group-writable alone is refused as well; fixing the mode makes it work.
    fs::set_permissions(&state, fs::Permissions::from_mode(0o770)).unwrap();
    let out = home.command().arg("sessions").output().unwrap();
    assert!(!out.status.success());
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    let out = home.command().arg("sessions").output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A state directory owned by another user is refused (needs root to set up; skipped
/// otherwise).
#[test]
fn foreign_owned_directory_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to chown a directory to another user");
        return;
    }
    let home = Home::new();
    let state = home.path().join("state");
    fs::create_dir_all(&state).unwrap();
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&state, Some(4242), Some(4242)).unwrap();
    let out = home.command().args(["serve", "--stdio"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must refuse; stderr: {err}");
    assert!(err.contains(&state.display().to_string()), "{err}");
    std::os::unix::fs::chown(&state, Some(0), Some(0)).unwrap();
}

/// `outpost-agent sessions` prints this user's sessions as a JSON array.
#[test]
fn sessions_command_prints_json() {
    let home = Home::new();
    let out = home.command().arg("sessions").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v, Value::Array(vec![]), "no sessions yet");

    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    let out = home.command().arg("sessions").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let list = v.as_array().expect("a JSON array");
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["session_id"], sid.as_str());
    assert_eq!(list[0]["state"], "running");
    assert_eq!(list[0]["cols"], 80);
    // Listing from the command line does not disturb the session.
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo still-$((9+9))");
    a.wait_for_output(&sid, b"still-18\r\n", DEADLINE);
}

/// An `$OUTPOST_HOME` deeper than a Unix socket path allows still works: the socket moves to a
/// short directory, and the session can be created, used and closed.
#[test]
fn very_long_home_still_works() {
    let deep = [
        "d".repeat(60),
        "e".repeat(60),
        "f".repeat(60),
        "g".repeat(60),
    ]
    .join("/");
    let home = Home::with_subdir(&deep);
    assert!(home.path().as_os_str().len() > 200);
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    let rec = home.record(&sid).expect("record under the long home");
    let socket = PathBuf::from(rec["socket"].as_str().unwrap());
    assert!(
        socket.as_os_str().len() <= 107,
        "socket path too long: {}",
        socket.display()
    );
    let meta = fs::symlink_metadata(&socket).expect("socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());
    // The socket's directory is private too.
    let dir = socket.parent().unwrap();
    home.remove_on_drop(dir.parent().unwrap());
    let mode = fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());

    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo deep-$((10*10))");
    a.wait_for_output(&sid, b"deep-100\r\n", DEADLINE);
    // A second agent finds it through the same short socket directory.
    let b = home.agent_initialized();
    assert!(b.session(&sid).is_some());
    drop(b);
    a.close(&sid).expect("close");
    wait_until(DEADLINE, "the socket to go", || !socket.exists());
}

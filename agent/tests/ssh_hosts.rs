//! `ssh.hosts` end to end: the real agent binary over pipes, reading the `~/.ssh/config` of the
//! user it runs as.
//!
//! - As a throwaway user (`outpost-testkit`), with a configuration using `Include` with globs
//!   (at the top, and inside `Host` and `Match` blocks), patterns, `Match` and repeated aliases:
//!   the exact list; every `HostName`, `User` and `Port` listed is what OpenSSH's own `ssh -G`
//!   resolves, and every alias left out is one `ssh -G` does not know either.
//! - As that user, a configuration (then an included file) it may not read: -32603 naming the
//!   file, and the agent keeps serving.
//! - With `HOME` pointing at an empty directory: an empty list; at a configuration that includes
//!   itself: -32008; bad params: -32602; before `initialize`: -32002.
//!
//! The tests with a user need root and fail (never pass silently) without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use outpost_protocol::ErrorCode;
use outpost_testkit::fixture::{agent_bin, Agent, Home};
use outpost_testkit::{require_root, TestUser};
use serde_json::{json, Value};

const INVALID_PARAMS: i64 = ErrorCode::InvalidParams.code() as i64;
const INTERNAL_ERROR: i64 = ErrorCode::InternalError.code() as i64;
const NOT_INITIALIZED: i64 = ErrorCode::NotInitialized.code() as i64;
const LIMIT_REACHED: i64 = ErrorCode::LimitReached.code() as i64;

/// Starts an agent as `user` (its real home as `HOME`) and initializes it.
fn agent_as(home: &Home, user: &TestUser) -> Agent {
    home.give_to(user.uid, user.gid);
    let a = home.agent_via(user.command(agent_bin()));
    let init = a.initialize();
    assert_eq!(init["host"]["user"], user.name.as_str(), "{init}");
    a
}

/// Starts an agent (as the test's user) with `HOME` set to `dir`.
fn agent_with_home(home: &Home, dir: &Path) -> Agent {
    let mut cmd = Command::new(agent_bin());
    cmd.env("HOME", dir);
    home.agent_via(cmd)
}

/// What OpenSSH's `ssh -G alias`, run as `user`, resolves for `key`.
fn ssh_g(user: &TestUser, alias: &str, key: &str) -> String {
    let out = user.command("ssh").args(["-G", alias]).output().unwrap();
    assert!(
        out.status.success(),
        "ssh -G {alias} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("{key} ");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        .unwrap_or_else(|| panic!("ssh -G {alias} prints no {key}"))
}

#[test]
fn lists_the_users_aliases_like_ssh() {
    require_root();
    let user = TestUser::create("sshh").unwrap();
    user.write_file(
        ".ssh/config",
        concat!(
            "# aliases for the picker\n",
            "Include conf.d/*.conf\n",
            "Host web1 web-* !nope cache?\n",
            "  HostName 10.0.0.5\n",
            "  User deploy\n",
            "  Port 2222\n",
            "Match user nobody\n",
            "  HostName matched.example\n",
            "  Include match.d/*.conf\n",
            "Host web1 bare\n",
            "  HostName bare.example\n",
            "Host lb-*\n",
            "  Include lb.d/*.conf\n",
            "Host *\n",
            "  ServerAliveInterval 30\n",
        ),
        0o600,
    )
    .unwrap();
    let files = [
        (
            "conf.d/10-db.conf",
            "Host db1 db2\n  HostName db.internal\n  User=postgres\n  Port = 5022\n",
        ),
        ("conf.d/20-jump.conf", "Host jump\n  User ann\n"),
        ("conf.d/notes.txt", "Host not-included\n"),
        // Only for hosts the enclosing block applies to: `ssh` never uses these aliases.
        ("match.d/m.conf", "Host in-match\n  HostName m.example\n"),
        ("lb.d/a.conf", "Host lb-2 db9\n  HostName lb2.internal\n"),
    ];
    for (name, text) in files {
        user.write_file(Path::new(".ssh").join(name), text, 0o600)
            .unwrap();
    }

    let home = Home::new();
    let a = agent_as(&home, &user);
    let r = a.call_ok("ssh.hosts", json!({}));
    let config = user.home.join(".ssh/config");
    assert_eq!(
        r,
        json!({
            "hosts": [
                {"alias": "db1", "hostname": "db.internal", "user": "postgres", "port": 5022},
                {"alias": "db2", "hostname": "db.internal", "user": "postgres", "port": 5022},
                {"alias": "jump", "user": "ann"},
                {"alias": "web1", "hostname": "10.0.0.5", "user": "deploy", "port": 2222},
                {"alias": "bare", "hostname": "bare.example"},
                {"alias": "lb-2", "hostname": "lb2.internal"},
            ],
            "config_path": config.to_string_lossy(),
        })
    );

    // OpenSSH reads the same values from the same files.
    for h in r["hosts"].as_array().unwrap() {
        let alias = h["alias"].as_str().unwrap();
        for key in ["hostname", "user", "port"] {
            if let Some(v) = h.get(key) {
                let ours = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(ssh_g(&user, alias, key), ours, "{alias} {key}");
            }
        }
    }
    // And the aliases left out are not aliases to it: their host name is the name itself.
    for alias in ["in-match", "db9", "not-included"] {
        assert_eq!(ssh_g(&user, alias, "hostname"), alias);
    }
    a.assert_no_violations();
}

#[test]
fn unreadable_files_are_errors_naming_them() {
    require_root();
    let user = TestUser::create("sshh").unwrap();
    let config = user
        .write_file(".ssh/config", "Include extra\nHost a\n", 0o000)
        .unwrap();
    let extra = user.write_file(".ssh/extra", "Host b\n", 0o000).unwrap();
    let home = Home::new();
    let a = agent_as(&home, &user);

    let msg = a.call_err("ssh.hosts", json!({}), INTERNAL_ERROR);
    assert!(
        msg.contains(&*config.to_string_lossy()) && msg.contains("Permission denied"),
        "{msg}"
    );

    // Readable now, but not the file it includes.
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let msg = a.call_err("ssh.hosts", json!({}), INTERNAL_ERROR);
    assert!(
        msg.contains(&*extra.to_string_lossy()) && msg.contains("Permission denied"),
        "{msg}"
    );

    std::fs::set_permissions(&extra, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let r = a.call_ok("ssh.hosts", json!({}));
    assert_eq!(r["hosts"], json!([{"alias": "b"}, {"alias": "a"}]), "{r}");
}

#[test]
fn missing_config_is_an_empty_list() {
    let home = Home::new();
    let user_home = home.root().join("u");
    std::fs::create_dir(&user_home).unwrap();
    let a = agent_with_home(&home, &user_home);
    a.initialize();
    let r = a.call_ok("ssh.hosts", json!({}));
    assert_eq!(
        r,
        json!({
            "hosts": [],
            "config_path": user_home.join(".ssh/config").to_string_lossy(),
        })
    );
}

#[test]
fn limits_params_and_initialize() {
    let home = Home::new();
    let user_home = home.root().join("u");
    std::fs::create_dir_all(user_home.join(".ssh")).unwrap();
    std::fs::write(user_home.join(".ssh/config"), "Host x\nInclude config\n").unwrap();
    let a = agent_with_home(&home, &user_home);

    a.call_err("ssh.hosts", json!({}), NOT_INITIALIZED);
    a.initialize();

    let msg = a.call_err("ssh.hosts", json!({}), LIMIT_REACHED);
    assert!(msg.contains("Include"), "{msg}");
    a.call_err("ssh.hosts", json!({"verbose": true}), INVALID_PARAMS);

    // The agent keeps serving, and a fixed file lists at once.
    std::fs::write(user_home.join(".ssh/config"), "Host x\n").unwrap();
    let r = a.call_ok("ssh.hosts", json!({}));
    assert_eq!(r["hosts"], json!([{"alias": "x"}]), "{r}");
}

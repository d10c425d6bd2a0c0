//! `~/.ssh/config` as OpenSSH reads it, through the real `outpost` binary: `outpost hosts show
//! --json` equals what OpenSSH's own `ssh -G` prints for the same configuration (wildcards,
//! negation, `Match originalhost` against `Match host` after `HostName`, `%h` in `HostName`,
//! `Include` globs, `Host *` defaults, `ProxyJump` chains, tokens with `%C` and `${VAR}`, names
//! nothing mentions), a saved host's own values override the configuration, and bad input is
//! reported with file and line while the rest still applies; a `ProxyCommand` that exits at once
//! fails `outpost check` with the `proxy_command` error and its stderr, and a name nothing
//! mentions is dialled as `ssh NAME` would (one that does not resolve: `name_not_resolved`).
//! Connections through a real topology: `tests/proxy.rs`, `tests/proxy_chain.rs`.
//!
//! `ssh -G -F FILE` reads no system file, so the CLI runs with `OUTPOST_SSH_CONFIG=FILE` and
//! `OUTPOST_SSH_SYSTEM_CONFIG=/dev/null`; both run with the password entry's home as `HOME`,
//! where `ssh` expands `~`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use outpost_openssh::testing::ssh_g_json;
use outpost_testkit::cli::Cli;
use serde_json::Value;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The password entry's home of the user running the test.
fn pw_home() -> PathBuf {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .dir
}

/// `outpost --json ARGS` with the user's file `config` and no system file.
fn run(cli: &Cli, config: &Path, args: &[&str]) -> (Value, Output) {
    let out = cli
        .cmd()
        .env("HOME", pw_home())
        .env("OUTPOST_SSH_CONFIG", config)
        .env("OUTPOST_SSH_SYSTEM_CONFIG", "/dev/null")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(text.lines().last().unwrap_or("null")).unwrap_or_else(|e| {
        panic!(
            "outpost {args:?}: {e}: {text}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out)
}

/// `outpost hosts show --json NAME`'s data.
fn show(cli: &Cli, config: &Path, name: &str) -> Value {
    let (v, out) = run(cli, config, &["hosts", "show", name]);
    assert_eq!(
        v["ok"],
        true,
        "{v}; stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    v["data"].clone()
}

/// Writes `files` (`$DIR` replaced by the directory) into a fresh directory; the first is the
/// configuration.
fn write(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text.replace("$DIR", &dir.path().to_string_lossy())).unwrap();
    }
    let config = dir.path().join(files[0].0);
    (dir, config)
}

#[test]
fn hosts_show_equals_ssh_g() {
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name;
    let config_text = concat!(
        "Include $DIR/conf.d/*.conf\n",
        "Host *.internal !legacy.internal\n",
        "  ProxyJump bastion,ann@edge:2222\n",
        "Host db\n",
        "  HostName %h.Internal\n",
        "Match originalhost db\n",
        "  User by-original\n",
        "Match host db.internal\n",
        "  Port 2201\n",
        "Match host db\n",
        "  Port 2299\n",
        "Match localuser LOCAL user by-original\n",
        "  IdentityFile ~/.ssh/%h_%r\n",
        "  IdentityFile ~/.ssh/second\n",
        "Host tok\n",
        "  UserKnownHostsFile ~/.ssh/kh_%h_%p %d/kh2 ~/.ssh/kh_%C ${HOME}/kh3\n",
        "  IdentityAgent ~/agent-%r.sock\n",
        "  CertificateFile ~/.ssh/%h-cert.pub\n",
        "  CertificateFile ${HOME}/.ssh/%C-cert.pub\n",
        "  ProxyCommand ssh -W %h:%p jump\n",
        "  StrictHostKeyChecking yes\n",
        "  ConnectTimeout 1m\n",
        "Host web? web-*\n",
        "  ForwardAgent yes\n",
        "  IdentityAgent none\n",
        "Host *\n",
        "  User everyone\n",
        "  ServerAliveInterval 20\n",
        "  StrictHostKeyChecking accept-new\n",
    )
    .replace("LOCAL", &me);
    let (dir, config) = write(&[
        ("config", &config_text),
        (
            "conf.d/10-bastion.conf",
            "Host bastion\n  HostName 10.9.0.1\n  User ops\n",
        ),
        ("conf.d/notes.txt", "Host web1\n  HostName never\n"),
    ]);
    let cli = Cli::new(OUTPOST);
    let mut wrong = Vec::new();
    for name in [
        "db",
        "DB",
        "x.internal",
        "legacy.internal",
        "bastion",
        "tok",
        "web1",
        "web-old",
        "never-mentioned",
    ] {
        let ours = show(&cli, &config, name);
        let theirs = ssh_g_json(&pw_home(), &config, name).unwrap();
        if ours != theirs {
            wrong.push(format!("{name}:\n  ssh -G: {theirs}\n  ours:   {ours}"));
        }
    }
    assert!(wrong.is_empty(), "differences:\n{}", wrong.join("\n"));
    // The comparison is not vacuous: the values came from the configuration.
    let db = show(&cli, &config, "db");
    assert_eq!(db["hostname"], "db.internal");
    assert_eq!(db["port"], 2201);
    assert_eq!(db["user"], "by-original");
    // `Host` lines see the name as typed, not the `HostName`: no jump for `db`.
    assert_eq!(db["proxy_jump"], serde_json::json!([]));
    let x = show(&cli, &config, "x.internal");
    assert_eq!(
        x["proxy_jump"],
        serde_json::json!(["bastion", "ann@edge:2222"])
    );
    assert_eq!(x["user"], "everyone");
    drop(dir);
}

#[test]
fn a_saved_host_overrides_the_configuration() {
    let (_dir, config) = write(&[(
        "config",
        "Host 10.1.1.1\n  User from-config\n  Port 2000\n  ProxyJump bastion\nHost *\n  ConnectTimeout 9\n",
    )]);
    let cli = Cli::new(OUTPOST);
    let saved = cli.ok(&["hosts", "add", "saved", "ann@10.1.1.1:2200"]);
    assert_eq!(saved["name"], "saved");
    let s = show(&cli, &config, "saved");
    assert_eq!(s["hostname"], "10.1.1.1");
    assert_eq!(s["user"], "ann");
    assert_eq!(s["port"], 2200);
    assert_eq!(s["proxy_jump"], serde_json::json!(["bastion"]));
    assert_eq!(s["connect_timeout"], 9);
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_the_rest_applies() {
    let (dir, config) = write(&[
        (
            "config",
            concat!(
                "Host web\n",
                "  Port twenty-two\n",
                "  User \"alice\n",
                "Match nonsense x\n",
                "  User never\n",
                "Match exec \"true\"\n",
                "  User exec-user\n",
                "Include $DIR/loop\n",
                "Host *\n",
                "  Port 2022\n",
                "  HostName web.example\n",
            ),
        ),
        ("placeholder", ""),
    ]);
    // A symbolic link to itself cannot be read, whoever runs the test.
    std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop")).unwrap();
    let cli = Cli::new(OUTPOST);
    let (v, out) = run(&cli, &config, &["hosts", "show", "web"]);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["data"]["port"], 2022);
    assert_eq!(v["data"]["user"], "alice");
    assert_eq!(v["data"]["hostname"], "web.example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = config.display().to_string();
    for line in [2, 3, 4, 6] {
        assert!(
            stderr.contains(&format!("{path} line {line}:")),
            "no warning for line {line}: {stderr}"
        );
    }
    assert!(stderr.contains("Match exec not run"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}/loop", dir.path().display())) && stderr.contains("skipped"),
        "{stderr}"
    );
}

#[test]
fn a_proxy_command_that_exits_is_a_typed_error_with_its_stderr() {
    let (_dir, config) = write(&[(
        "config",
        "Host dies\n  ProxyCommand sh -c 'echo bastion refused %h:%p >&2; exit 7'\n",
    )]);
    let cli = Cli::new(OUTPOST);
    let (v, _) = run(&cli, &config, &["check", "dies"]);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["code"], "proxy_command", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("exited with status 7"), "{message}");
    assert!(message.contains("bastion refused dies:22"), "{message}");
    // A name the configuration does not mention is dialled as `ssh NAME` would: OpenSSH's
    // defaults, so an unknown name fails at name resolution.
    let (v, _) = run(&cli, &config, &["check", "no-such-host.invalid"]);
    assert_eq!(v["error"]["code"], "name_not_resolved", "{v}");
}

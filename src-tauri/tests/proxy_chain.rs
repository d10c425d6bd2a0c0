//! Real connections through the jump/target network namespaces of `outpost_testkit` for two
//! resolutions the unit tests only reason about, each checked against OpenSSH's own `ssh`
//! with the same `~/.ssh/config`:
//!
//! - A `ProxyJump` chain whose first hop has a `ProxyJump` of its own: `deep` jumps through
//!   `middle,again`; `middle` (the target's address, which the test's namespace cannot reach)
//!   has `ProxyJump outer` (the jump host); `again` (the target once more, reached from
//!   `middle`) has a `ProxyJump` to a name that does not resolve, which must be ignored, as
//!   `ssh -J` ignores it. Four SSH connections nest: outer → middle → again → deep.
//! - A name that no `Host` line mentions (the jump host's address, with only `Host *` defaults
//!   around it) connects as `ssh NAME` does, with OpenSSH's defaults where nothing applies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use outpost_testkit::cli::ssh_config::{topology_config, write_ssh_config};
use outpost_testkit::cli::Jumped;
use outpost_testkit::TopologyKind;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// OpenSSH's `ssh -F CONFIG NAME hostname` as the test runs it: the host name of where it
/// logged in.
fn ssh_hostname(config: &Path, home: &Path, name: &str) -> String {
    let out = Command::new("ssh")
        .env("HOME", home)
        .env_remove("SSH_AUTH_SOCK")
        .arg("-F")
        .arg(config)
        .args([name, "hostname"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_chain_whose_first_hop_jumps_itself_and_a_name_no_config_mentions() {
    // Saves `jump` and `target` too; the aliases below are never saved.
    let j = Jumped::new(OUTPOST);
    let (cli, topo, user, key) = (&j.cli, &j.topo, &j.user, &j.key);
    let jump = topo.jump_addr().expect("jump sshd");
    let config = write_ssh_config(
        cli,
        &topology_config(
            cli,
            topo,
            user,
            key,
            concat!(
                "Host outer\n  HostName {jip}\n  Port {jport}\n",
                "Host middle\n  HostName {tip}\n  Port {tport}\n  ProxyJump outer\n",
                "Host again\n  HostName {tip}\n  Port {tport}\n",
                "  ProxyJump no-such-host.invalid\n",
                "Host deep\n  HostName {tip}\n  Port {tport}\n  ProxyJump middle,again\n",
                "Host middle-direct\n  HostName {tip}\n  Port {tport}\n",
                "Host *\n  User {user}\n  Port {jport}\n  IdentityFile {key}\n",
                "  IdentitiesOnly yes\n  IdentityAgent none\n  BatchMode yes\n",
                "  StrictHostKeyChecking yes\n  UserKnownHostsFile {known}\n",
            ),
        ),
    );

    let shown = cli.ok(&["hosts", "show", "deep"]);
    assert_eq!(shown["proxy_jump"], serde_json::json!(["middle", "again"]));
    let checked = cli.ok(&["check", "deep"]);
    assert_eq!(checked["host"], "deep");
    // OpenSSH takes the same route and lands on the same host.
    let theirs = ssh_hostname(&config, cli.home(), "deep");
    assert_eq!(checked["hostname"], theirs.as_str(), "{checked}");
    if topo.kind() == TopologyKind::Netns {
        // `middle` is the target's address, which this namespace cannot reach: only its own
        // ProxyJump (through `outer`) gets there.
        assert_eq!(checked["hostname"], topo.target_hostname(), "{checked}");
        let (code, message) = cli.err(&["check", "middle-direct"]);
        assert_eq!(code, "unreachable", "{message}");
    }
    // A session through the whole chain.
    let sid = cli.ok(&["new", "deep", "--title", "through the chain"]);
    let sid = sid["session_id"].as_str().unwrap().to_owned();
    cli.ok(&["send", "deep", &sid, "echo chain-$((6*7))\\n"]);
    cli.wait_output("deep", &sid, "chain-42");
    cli.ok(&["close", "deep", &sid]);

    // The jump host by its address: no `Host` line names it, so only `Host *` applies (and
    // OpenSSH's defaults for the rest), as for `ssh ADDRESS`.
    let name = jump.ip().to_string();
    let shown = cli.ok(&["hosts", "show", &name]);
    assert_eq!(shown["hostname"], name.as_str());
    assert_eq!(shown["port"], jump.port());
    assert_eq!(shown["user"], user.name.as_str());
    assert_eq!(shown["proxy_jump"], serde_json::json!([]));
    let checked = cli.ok(&["check", &name]);
    assert_eq!(checked["host"], name.as_str(), "{checked}");
    assert_eq!(
        checked["hostname"],
        ssh_hostname(&config, cli.home(), &name).as_str(),
        "{checked}"
    );
    // A name that does not resolve fails as `ssh` does: at name resolution, not as unknown.
    let (code, message) = cli.err(&["check", "no-such-host.invalid"]);
    assert_eq!(code, "name_not_resolved", "{message}");
}

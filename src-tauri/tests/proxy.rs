//! Real connections through the jump/target network namespaces of `outpost_testkit` with
//! `~/.ssh/config` aliases that were never imported or saved: the target reached by a
//! `ProxyJump` alias chain (the jump host itself an alias), and by a `ProxyCommand` running
//! OpenSSH's `ssh -W %h:%p` through the jump host. Each hop's host key is checked on its own
//! (both are trusted only through the CLI's `~/.ssh/known_hosts`; a `StrictHostKeyChecking yes`
//! alias with an empty `UserKnownHostsFile` is refused).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::ssh_config::{topology_config, write_ssh_config};
use outpost_testkit::cli::Cli;
use outpost_testkit::{public_key_of, require_root, TestUser, Topology};

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

#[test]
fn aliases_never_imported_reach_the_target_by_proxy_jump_and_proxy_command() {
    require_root();
    let topo = Topology::new().expect("topology");
    let user = TestUser::create("oproxy").expect("test user");
    let key = user.generate_key("id_ed25519", None).expect("key");
    topo.authorize_key(&user, &public_key_of(&key).unwrap())
        .unwrap();
    let cli = Cli::new(OUTPOST);
    cli.trust(&topo.known_hosts());
    let empty = cli.home().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let config = topology_config(
        &cli,
        &topo,
        &user,
        &key,
        concat!(
            "Host bastion\n  HostName {jip}\n  Port {jport}\n",
            "Host inner\n  HostName {tip}\n  Port {tport}\n  ProxyJump bastion\n",
            "Host via-command\n  HostName {tip}\n  Port {tport}\n",
            "  ProxyCommand ssh -F /dev/null -i {key} -o BatchMode=yes",
            " -o StrictHostKeyChecking=yes -o UserKnownHostsFile={known}",
            " -l %r -p {jport} -W %h:%p {jip}\n",
            "Host strict-unknown\n  HostName {jip}\n  Port {jport}\n",
            "  UserKnownHostsFile {empty}\n  StrictHostKeyChecking yes\n",
            "Host *\n  User {user}\n  IdentityFile {key}\n  IdentityAgent none\n",
        ),
    )
    .replace("{empty}", &empty.display().to_string());
    write_ssh_config(&cli, &config);

    let shown = cli.ok(&["hosts", "show", "inner"]);
    assert_eq!(shown["proxy_jump"], serde_json::json!(["bastion"]));
    assert_eq!(shown["user"], user.name.as_str());
    // No host is saved: only `local`.
    assert_eq!(cli.ok(&["hosts", "list"]).as_array().unwrap().len(), 1);

    let checked = cli.ok(&["check", "inner"]);
    assert_eq!(checked["host"], "inner");
    if topo.has_own_hostnames() {
        assert_eq!(checked["hostname"], topo.target_hostname());
    }
    let sid = cli.ok(&["new", "inner", "--title", "via alias"]);
    let sid = sid["session_id"].as_str().unwrap().to_owned();
    cli.ok(&["send", "inner", &sid, "echo alias-$((6*7))\\n"]);
    cli.wait_output("inner", &sid, "alias-42");

    let checked = cli.ok(&["check", "via-command"]);
    if topo.has_own_hostnames() {
        assert_eq!(checked["hostname"], topo.target_hostname());
    }
    // The same session, reached another way.
    cli.wait_output("via-command", &sid, "alias-42");
    cli.ok(&["close", "via-command", &sid]);

    let (code, message) = cli.err(&["check", "strict-unknown"]);
    assert_eq!(code, "host_key_rejected", "{message}");
}

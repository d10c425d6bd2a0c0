//! The config reader against OpenSSH itself: for configurations with wildcards, negation,
//! `Include` (relative, `~/`, absolute, globbed, inside blocks), `Match` (`all`, `host` after
//! `HostName`, `originalhost`, `user`, `localuser`, `final`, `canonical`), tokens (`%C`
//! included), `${VAR}` in paths, `ProxyJump` (`ssh://` too) and `ProxyCommand`, edge values
//! (`off`, time units, `none`, host names that keep their case) and several `Host` blocks per
//! name, every field of [`Effective`] (what
//! `outpost hosts show --json` prints) equals what `ssh -G -F FILE NAME` prints, names no
//! block mentions included (OpenSSH's defaults). `HOME` is the test's home, where `Include`
//! leads; `~` and `%d` in paths are the password entry's home, as `ssh` expands them; `${VAR}`
//! comes from the same fixed variables for both (`HOME` the test's home). The oracle and its
//! only normalisations are in `outpost_openssh::testing`. Needs `ssh` on `PATH`; fails
//! without.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use anyhow::{anyhow, bail, Context as _, Result};
use outpost_openssh::config::{resolve_host, Context, Effective, Environment, Reader};
use outpost_openssh::testing::ssh_g_json_with;

/// The local facts as `ssh` sees them: the password entry's name and home.
fn context() -> Result<Context> {
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())?.context("no password entry")?;
    Ok(Context {
        local_user: me.name,
        home: me.dir,
        ..Context::current()
    })
}

/// Writes `files` (paths relative to the home, mode 0600; `$HOME` replaced by the home,
/// `$USER` by the local user) into a fresh home, then checks every name of `names` against
/// `ssh -G` for the home's `.ssh/config`.
fn check(files: &[(&str, &str)], names: &[&str]) -> Result<()> {
    check_with_env(files, names, &[])
}

/// [`check`] with environment variables `vars` (and `HOME`, the test's home) for `${VAR}`,
/// the same for both.
fn check_with_env(files: &[(&str, &str)], names: &[&str], vars: &[(&str, &str)]) -> Result<()> {
    let home = tempfile::tempdir()?;
    let mut env: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("HOME".into(), home.path().to_string_lossy().into_owned());
    let ctx = Context {
        env: Environment::Fixed(env.clone()),
        ..context()?
    };
    for (rel, text) in files {
        let text = text
            .replace("$HOME", &home.path().to_string_lossy())
            .replace("$USER", &ctx.local_user);
        let path = home.path().join(rel);
        std::fs::create_dir_all(path.parent().context("no parent")?)?;
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let config_path = home.path().join(".ssh/config");
    let config = Reader::new(home.path()).read(&config_path)?;
    let mut wrong = Vec::new();
    for name in names {
        let got = ssh_g_json_with(home.path(), &config_path, name, &env).map_err(|e| anyhow!(e))?;
        let resolution = resolve_host(&[&config], name, &ctx);
        assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
        let ours = serde_json::to_value(Effective::new(&resolution, &ctx))?;
        if got != ours {
            wrong.push(format!("{name}:\n  ssh -G: {got}\n  ours:   {ours}"));
        }
    }
    if !wrong.is_empty() {
        bail!("differences from ssh -G:\n{}", wrong.join("\n"));
    }
    Ok(())
}

#[test]
fn wildcards_negation_includes_and_several_blocks() -> Result<()> {
    check(
        &[
            (
                ".ssh/config",
                concat!(
                    "# aliases\n",
                    "Include conf.d/*.conf\n",
                    "Host web1 web-* !web-old cache?\n",
                    "  HostName 10.0.0.5\n",
                    "  User deploy\n",
                    "  Port 2222\n",
                    "  IdentityFile ~/.ssh/web\n",
                    "Host web1 bare\n",
                    "  HostName Bare.Example\n",
                    "  IdentityFile /keys/bare\n",
                    "  ProxyJump jump\n",
                    "Host lb-*\n",
                    "  Include lb.d/*.conf\n",
                    "  User lb-user\n",
                    "Host !db* *.example\n",
                    "  ProxyJump none\n",
                    "Host *\n",
                    "  User everyone\n",
                    "  IdentityFile ~/.ssh/all\n",
                    "  Port 2200\n",
                    "  ProxyJump far\n",
                ),
            ),
            (
                ".ssh/conf.d/10-db.conf",
                "Host db1 db2\n  HostName db.internal\n  User=postgres\n  Port = 5022\n  ProxyJump jump,bastion\n",
            ),
            (".ssh/conf.d/20-jump.conf", "Host jump\n  User ann\n"),
            (".ssh/conf.d/notes.txt", "Host not-included\n  HostName nope\n"),
            (".ssh/lb.d/a.conf", "Host lb-2 db9\n  HostName lb2.internal\n"),
        ],
        &[
            "web1", "web-2", "web-old", "cache1", "cache12", "bare", "db1", "db2", "db9", "jump",
            "lb-2", "lb-3", "other", "WEB1", "x.example", "not-included",
        ],
    )
}

#[test]
fn quoting_equals_match_all_and_nested_includes() -> Result<()> {
    check(
        &[
            (
                ".ssh/config",
                concat!(
                    "Host \"qa\" plain\t# a comment\n",
                    "\tHostName=\"q.example\"\n",
                    "  Include ~/inc/first.conf\n",
                    "  USER top-user\n",
                    "Match all\n",
                    "  Port 2022\n",
                    "Host plain top\n",
                    "  User 'quoted'\n",
                    "  IdentityFile \"~/.ssh/id two\"\n",
                    "Host second\n",
                    "  Include $HOME/abs/*.conf\n",
                ),
            ),
            (
                "inc/first.conf",
                "IdentityFile ~/.ssh/first\nHost top qa\n  Include ../.ssh/deeper\n  HostName top.example\n",
            ),
            (".ssh/deeper", "Port 3000\nHost *\n  User deep\n"),
            ("abs/x.conf", "User from-abs\nHost second third\n  HostName second.example\n"),
            ("abs/y.conf", "Host third\n  HostName third.example\n"),
        ],
        &["qa", "plain", "top", "second", "third", "QA", "none"],
    )
}

#[test]
fn match_host_after_hostname_originalhost_user_and_localuser() -> Result<()> {
    check(
        &[(
            ".ssh/config",
            concat!(
                "Host *.internal\n  ProxyJump bastion\n",
                "Host db\n  HostName DB.%h.Internal\n",
                "Match originalhost db\n  User orig\n",
                "Match host db.db.internal\n  Port 2201\n",
                "Match host db\n  Port 2299\n",
                "Match user orig localuser $USER\n  IdentityFile ~/.ssh/matched\n",
                "Match !host *.internal !originalhost other\n  ConnectTimeout 1m30s\n",
                "Match localuser nobody-here\n  User never\n",
                "Host *\n  User everyone\n  ServerAliveInterval 15\n",
                "  StrictHostKeyChecking accept-new\n",
            ),
        )],
        &[
            "db",
            "DB",
            "x.internal",
            "other",
            "db.db.internal",
            "unmentioned",
        ],
    )
}

#[test]
fn final_pass_matches_the_final_host_name() -> Result<()> {
    check(
        &[(
            ".ssh/config",
            concat!(
                "Host web\n  HostName Web.Example.com\n",
                "Match final host *.example.com\n  User finaluser\n",
                "Host *.example.com\n  Port 2022\n",
                "Match canonical\n  IdentityFile ~/.ssh/canon\n",
                "Match !final\n  ForwardAgent yes\n",
                "Host web\n  StrictHostKeyChecking no\n",
            ),
        )],
        &["web", "a.example.com", "other"],
    )
}

#[test]
fn tokens_proxy_command_and_proxy_jump() -> Result<()> {
    check(
        &[(
            ".ssh/config",
            concat!(
                "Host tok\n  HostName %h.Example.Net\n",
                "  UserKnownHostsFile ~/kh/%h-%p-%r %d/x %u %n %l %L %i %%\n",
                "  IdentityAgent ~/agent.%h\n  IdentityFile ~/.ssh/%h_%r\n",
                "  CertificateFile ~/.ssh/%h-cert.pub\n  CertificateFile /c2\n",
                "  ProxyCommand ssh -W %h:%p jump # kept, as ssh keeps it\n",
                "  User u1\n  Port 2200\n  ConnectTimeout 7\n  StrictHostKeyChecking yes\n",
                "Host pc\n  ProxyCommand none\n  ProxyJump a,b\n",
                "Host pj\n  ProxyJump none\n  ProxyCommand=nc %h %p\n",
                "Host both\n  ProxyJump ann@j1:2222,j2\n  ProxyCommand nc x\n",
                "Host agentless\n  IdentityAgent none\n  ForwardAgent no\n",
                "Host *\n  ProxyJump fallback\n",
            ),
        )],
        &["tok", "pc", "pj", "both", "agentless", "plain"],
    )
}

#[test]
fn connection_hash_and_environment_variables_in_paths() -> Result<()> {
    check_with_env(
        &[(
            ".ssh/config",
            concat!(
                "Host hashed\n  HostName Hashed.Example\n  User ann\n  Port 2022\n",
                "  UserKnownHostsFile ~/kh/%C ${KH_DIR}/%C-%h ${HOME}/kh3\n",
                "  IdentityFile ~/.ssh/%C\n  IdentityFile ${KEYS}/id_%r\n",
                "  CertificateFile ${KEYS}/cert-%C\n",
                "  IdentityAgent ${HOME}/agent-%C.sock\n",
                "  ForwardAgent ${KEYS}/fwd-%C\n",
                "Host dollar\n  IdentityAgent $SSH_AUTH_SOCK\n  ForwardAgent $KEYS\n",
                "  UserKnownHostsFile /k/$KEYS/${KEYS}x/$${PERCENT}\n",
                "Host proxy\n  ProxyCommand nc ${KEYS} %h\n  HostName ${KEYS}\n",
                "Host *\n  UserKnownHostsFile %d/.ssh/kh-%C\n  IdentityAgent ${KEYS}/%C\n",
            ),
        )],
        &["hashed", "dollar", "proxy", "other", "Other.Host"],
        &[
            ("KEYS", "/srv/Keys"),
            ("KH_DIR", "/var/kh"),
            ("PERCENT", "/p/%h/100%"),
        ],
    )
}

#[test]
fn edge_values_as_ssh_g_prints_them() -> Result<()> {
    check(
        &[(
            ".ssh/config",
            concat!(
                "Host off\n  StrictHostKeyChecking off\n  ConnectTimeout 1\n",
                "  ServerAliveInterval 1m30s\n  UserKnownHostsFile none\n",
                "Host uri\n  ProxyJump ssh://ann@j1:2222,j2\n  HostName 100%%.Example\n",
                "Host Scoped\n  HostName FE80::1%%Eth0\n",
                "Host colon\n  HostName Odd:Name.Example\n",
                "Host none-id\n  IdentityFile none\n  CertificateFile none\n",
                "Host fwd\n  ForwardAgent TRUE\n  IdentityAgent SSH_AUTH_SOCK\n",
            ),
        )],
        &[
            "off",
            "uri",
            "none-id",
            "fwd",
            "Scoped",
            "colon",
            "Mixed.Case.Example",
        ],
    )
}

//! The config reader against OpenSSH itself: for configurations with wildcards, negation,
//! `Include` (relative, `~/`, absolute, globbed, inside blocks), `Match all` and several `Host`
//! blocks per name, the `HostName`, `User`, `Port`, `IdentityFile` and `ProxyJump` that
//! [`Config::resolve`] gives every name are what `ssh -G -F FILE NAME` prints (with `HOME` at the
//! test's home, where relative `Include` paths lead). Unset values are compared with what
//! `ssh -G` prints for a configuration that sets nothing. Needs `ssh` on `PATH`; fails without.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use outpost_openssh::config::{Config, Reader};

/// The keys compared, as `ssh -G` names them.
const KEYS: [&str; 5] = ["hostname", "user", "port", "identityfile", "proxyjump"];

/// What `ssh -G -F config name` prints for [`KEYS`] (a key given several times: its values
/// joined with newlines), run with `HOME` at `home`.
fn ssh_g(home: &Path, config: &Path, name: &str) -> Result<HashMap<String, String>> {
    let out = Command::new("ssh")
        .env("HOME", home)
        .arg("-G")
        .arg("-F")
        .arg(config)
        .arg(name)
        .output()
        .context("running ssh -G (is OpenSSH's client installed?)")?;
    if !out.status.success() {
        bail!(
            "ssh -G -F {} {name} failed: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut values: HashMap<String, String> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((key, value)) = line.split_once(' ') {
            if KEYS.contains(&key) {
                values
                    .entry(key.to_owned())
                    .and_modify(|v| {
                        v.push('\n');
                        v.push_str(value);
                    })
                    .or_insert_with(|| value.to_owned());
            }
        }
    }
    Ok(values)
}

/// What we expect `ssh -G` to print for `name`, from our resolution and `ssh`'s defaults.
fn expected(
    config: &Config,
    name: &str,
    defaults: &HashMap<String, String>,
) -> HashMap<String, String> {
    let c = config.resolve(name);
    let mut want = HashMap::new();
    // `ssh -G` prints the host name lower-cased, the name itself when none is set.
    let hostname = c.hostname.clone().unwrap_or_else(|| name.to_owned());
    want.insert("hostname".into(), hostname.to_lowercase());
    let user = c.user.clone().or_else(|| defaults.get("user").cloned());
    want.extend(user.map(|u| ("user".to_owned(), u)));
    let port = c.port_number().unwrap_or(22);
    want.insert("port".into(), port.to_string());
    if c.identity_files.is_empty() {
        want.extend(
            defaults
                .get("identityfile")
                .map(|v| ("identityfile".into(), v.clone())),
        );
    } else {
        want.insert("identityfile".into(), c.identity_files.join("\n"));
    }
    let jumps = c.jump_hosts();
    if !jumps.is_empty() {
        want.insert("proxyjump".into(), jumps.join(","));
    }
    want
}

/// Writes `files` (paths relative to the home, mode 0600) into a fresh home, then checks every
/// name of `names` against `ssh -G` for the home's `.ssh/config`.
fn check(files: &[(&str, &str)], names: &[&str]) -> Result<()> {
    let home = tempfile::tempdir()?;
    for (rel, text) in files {
        let text = text.replace("$HOME", &home.path().to_string_lossy());
        let path = home.path().join(rel);
        std::fs::create_dir_all(path.parent().context("no parent")?)?;
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let config_path = home.path().join(".ssh/config");
    let config = Reader::new(home.path()).read(&config_path)?;
    let defaults = ssh_g(home.path(), Path::new("/dev/null"), "defaults.invalid")?;
    let mut wrong = Vec::new();
    for name in names {
        let got = ssh_g(home.path(), &config_path, name)?;
        let want = expected(&config, name, &defaults);
        if got != want {
            wrong.push(format!("{name}:\n  ssh -G: {got:?}\n  ours:   {want:?}"));
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

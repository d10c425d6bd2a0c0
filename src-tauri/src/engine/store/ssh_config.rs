//! Reading `~/.ssh/config` for import: `Host` aliases with `HostName`, `User`, `Port`,
//! `IdentityFile` and `ProxyJump`, following `Include`.
//!
//! The file is read by the shared OpenSSH reader ([`outpost_openssh::config`]): line syntax,
//! `Include` rules, bounds and `Host` matching are OpenSSH's (checked there against `ssh -G`).
//! A file that cannot be read or passes a bound is skipped (and logged), never failing the import.
//! On top of it, the import's policy: only concrete aliases are imported (a `Host` pattern without
//! `*`, `?` or `!` that its line and every enclosing block apply to, see
//! [`Config::aliases`](outpost_openssh::config::Config::aliases)); as in OpenSSH, the first value
//! of a keyword wins, and values from `Host *`-style blocks and `Match` blocks are not applied to
//! imported hosts (the system `ssh` still reads them when it runs).

use std::path::Path;

use outpost_openssh::config::{Config, ConfigError, Reader};

/// One `Host` alias as found in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshConfigHost {
    /// The alias.
    pub alias: String,
    /// `HostName`.
    pub hostname: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port` (none when the first value is not a port number).
    pub port: Option<u16>,
    /// `IdentityFile` (every one, in order).
    pub identity_files: Vec<String>,
    /// `ProxyJump`, split at commas (empty for `none`).
    pub proxy_jump: Vec<String>,
}

/// The reader for the user whose `.ssh` directory is `ssh_dir`, skipping what it cannot read.
fn reader(ssh_dir: &Path) -> Reader {
    Reader::new(ssh_dir.parent().unwrap_or(ssh_dir)).lenient()
}

/// Reads a config file and everything it includes.
pub fn read(path: &Path, ssh_dir: &Path) -> Vec<SshConfigHost> {
    import(reader(ssh_dir).read(path))
}

/// Parses config text (exposed for tests and fuzzing); `Include` paths are read from disk.
pub fn parse(text: &str, ssh_dir: &Path) -> Vec<SshConfigHost> {
    import(reader(ssh_dir).parse(text, &ssh_dir.join("config")))
}

/// The aliases to import from what the reader gave.
fn import(config: Result<Config, ConfigError>) -> Vec<SshConfigHost> {
    // A lenient reader records problems instead of failing; keep the error arm all the same.
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("ssh config not imported: {e}");
            return Vec::new();
        }
    };
    for skip in &config.skipped {
        tracing::warn!(path = %skip.path.display(), "ssh config file skipped: {}", skip.reason);
    }
    config
        .aliases()
        .into_iter()
        .map(|a| SshConfigHost {
            alias: a.name.to_owned(),
            hostname: a.config.hostname.clone(),
            user: a.config.user.clone(),
            port: a.config.port_number(),
            identity_files: a.config.identity_files.clone(),
            proxy_jump: a.config.jump_hosts(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_first_value_wins() {
        let text = "# c\nHost jump bastion\n  HostName 10.0.0.1\n  User ann\n  Port=2222\n  HostName ignored\nHost db-*\n  User x\nHost db1\n  HostName db1.internal\n  ProxyJump jump,ann@other:22\n  IdentityFile ~/.ssh/id_db\n  IdentityFile \"/k/with space\"\nMatch user bob\n  User nope\n";
        let h = parse(text, Path::new("/nonexistent/.ssh"));
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].alias, "jump");
        assert_eq!(h[0].hostname.as_deref(), Some("10.0.0.1"));
        assert_eq!(h[0].port, Some(2222));
        assert_eq!(h[1].alias, "bastion");
        assert_eq!(h[2].proxy_jump, vec!["jump", "ann@other:22"]);
        assert_eq!(h[2].identity_files, vec!["~/.ssh/id_db", "/k/with space"]);
        assert_eq!(h[2].user, None);
    }

    #[test]
    fn follows_includes() {
        let t = tempfile::tempdir().unwrap();
        let ssh = t.path().join(".ssh");
        std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
        std::fs::write(ssh.join("conf.d/a.conf"), "Host inc-a\n HostName a\n").unwrap();
        std::fs::write(
            ssh.join("conf.d/b.conf"),
            "Host inc-b\n Include conf.d/b.conf\n",
        )
        .unwrap();
        std::fs::write(
            ssh.join("config"),
            "Include conf.d/*.conf\nHost top\n User u\n",
        )
        .unwrap();
        let h = read(&ssh.join("config"), &ssh);
        let names: Vec<_> = h.iter().map(|h| h.alias.as_str()).collect();
        assert_eq!(names, vec!["inc-a", "inc-b", "top"]);
    }

    #[test]
    fn follows_openssh_where_the_readers_differed() {
        let t = tempfile::tempdir().unwrap();
        let ssh = t.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(ssh.join("inner"), "Host db1 web-2\n").unwrap();
        let text = concat!(
            "Host a !a b\n Port 0\n Port 22\n",
            "Host web-*\n Include inner\n",
            "Host Web1 web1\n User 'single quoted'\n ProxyJump none\n",
            "Host web1\n ProxyJump j\n",
        );
        let h = parse(text, &ssh);
        let names: Vec<_> = h.iter().map(|h| h.alias.as_str()).collect();
        // A negation on the line excludes `a`; `ssh` never applies the included `Host db1`
        // (its block is for web-*); names differing in case are different hosts.
        assert_eq!(names, ["b", "web-2", "Web1", "web1"]);
        // The first value wins even when it is no port, or `none`.
        assert_eq!(h[0].port, None);
        assert_eq!(h[2].user.as_deref(), Some("single quoted"));
        assert!(h[3].proxy_jump.is_empty());
    }
}

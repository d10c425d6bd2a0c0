//! `~/.ssh/config` as OpenSSH reads it, for connecting by any alias and for the import.
//!
//! - [`SshConfigs`]: the user's file (`~/.ssh/config`, or `$OUTPOST_SSH_CONFIG` like `ssh -F`)
//!   and the system's (`/etc/ssh/ssh_config`, or `$OUTPOST_SSH_SYSTEM_CONFIG`), read by the
//!   shared OpenSSH reader ([`outpost_openssh::config`]) and resolved for a name as `ssh`
//!   does ([`SshConfigs::resolve`]: `Host`/`Match` blocks, first value wins, tokens, defaults;
//!   checked there against `ssh -G`). `Match exec` runs only when the window's settings say
//!   `"ssh_match_exec": true`.
//! - The import: only concrete aliases (a `Host` pattern without `*`, `?` or `!` that its line
//!   and every enclosing block apply to, see
//!   [`Config::aliases`](outpost_openssh::config::Config::aliases)), with the values of the
//!   blocks naming them.
//!
//! A name that is neither saved nor mentioned by any file is still a host, as for `ssh NAME`
//! ([`unsaved_host`]): OpenSSH's defaults apply.
//!
//! A file that cannot be read or passes a bound is skipped and reported, as is a malformed
//! line (file and line number); the rest still applies. [`watch_aliases`] reports the concrete
//! aliases again whenever the files change (the window's sidebar lists them live).

use std::path::{Path, PathBuf};

use outpost_openssh::config::{
    resolve_host, Config, ConfigError, ConfigFile, ConfigWarning, Context, Effective, Line, Reader,
    Resolution,
};
use outpost_openssh::home_dir;

use crate::engine::store::hosts::Host;
use crate::engine::store::ui_state;

/// The environment variable naming the user's file instead of `~/.ssh/config` (as `ssh -F`).
pub const USER_CONFIG_ENV: &str = "OUTPOST_SSH_CONFIG";
/// The environment variable naming the system's file instead of `/etc/ssh/ssh_config`.
pub const SYSTEM_CONFIG_ENV: &str = "OUTPOST_SSH_SYSTEM_CONFIG";
/// The system's file.
pub const SYSTEM_CONFIG: &str = "/etc/ssh/ssh_config";
/// The key of the window's settings that allows `Match exec`.
pub const MATCH_EXEC_SETTING: &str = "ssh_match_exec";
/// The `source` of a host that is a `~/.ssh/config` name, not saved.
pub const UNSAVED_SOURCE: &str = "ssh_config_alias";

/// The two files, read.
#[derive(Clone, Debug)]
pub struct SshConfigs {
    /// The user's file.
    pub user: Config,
    /// The system's file.
    pub system: Config,
    /// The local facts tokens and `Match` use.
    pub context: Context,
    /// Where the user's file is.
    pub user_path: PathBuf,
}

/// One name resolved: what `ssh` would use, and what was wrong on the way.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The settings.
    pub effective: Effective,
    /// The resolution they came from.
    pub resolution: Resolution,
}

impl Resolved {
    /// The warnings, with the files the reader skipped first.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.resolution.warnings
    }
}

impl SshConfigs {
    /// The files of this process's user (see the [module documentation](self)); `Match exec`
    /// allowed when the settings in `config_dir` say so.
    pub fn load(config_dir: &Path) -> SshConfigs {
        let home = home_dir().unwrap_or_else(|| PathBuf::from("/nonexistent"));
        let user_path = std::env::var_os(USER_CONFIG_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".ssh/config"));
        let system_path = std::env::var_os(SYSTEM_CONFIG_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(SYSTEM_CONFIG));
        let context = Context::current().allow_exec(match_exec_allowed(config_dir));
        SshConfigs::read(&home, &user_path, &system_path, context)
    }

    /// The files at these paths (`Include` relative to `home/.ssh`).
    pub fn read(home: &Path, user_path: &Path, system_path: &Path, context: Context) -> Self {
        let reader = Reader::new(home).lenient();
        let read = |path: &Path| -> Config {
            let mut config = reader.read(path).unwrap_or_default();
            for skip in std::mem::take(&mut config.skipped) {
                config.warnings.push(ConfigWarning {
                    path: skip.path,
                    line: 0,
                    message: format!("file skipped: {}", skip.reason),
                });
            }
            config
        };
        SshConfigs {
            user: read(user_path),
            system: read(system_path),
            context,
            user_path: user_path.to_path_buf(),
        }
    }

    /// What `ssh NAME` would use.
    pub fn resolve(&self, name: &str) -> Resolved {
        let resolution = resolve_host(&[&self.user, &self.system], name, &self.context);
        for w in &resolution.warnings {
            tracing::warn!("ssh config: {w}");
        }
        Resolved {
            effective: Effective::new(&resolution, &self.context),
            resolution,
        }
    }

    /// The concrete aliases of the user's file, in order (the sidebar's list), each with
    /// whether connecting by it forwards the desktop's ssh-agent.
    pub fn aliases(&self) -> Vec<ConfigAlias> {
        self.user
            .aliases()
            .into_iter()
            .map(|a| a.name)
            .filter(|n| outpost_openssh::names::check_alias(n).is_ok())
            .map(|name| ConfigAlias {
                name: name.to_owned(),
                forwards_agent: forwards_agent(&self.resolve(name).effective.forward_agent),
            })
            .collect()
    }
}

/// One concrete alias of the user's file, as the window's sidebar lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConfigAlias {
    /// The alias.
    pub name: String,
    /// Whether connecting by it asks to forward the desktop's ssh-agent: its resolved
    /// `ForwardAgent` is `yes` or names a socket ([`forwards_agent`]).
    pub forwards_agent: bool,
}

/// Whether a resolved `ForwardAgent` value (`yes`, `no`, a socket path or `$VAR`) forwards the
/// agent, as the engine decides when connecting
/// ([`agent_to_forward`](crate::engine::ssh::agent_to_forward)).
pub fn forwards_agent(forward_agent: &str) -> bool {
    !matches!(forward_agent, "no" | "")
}

/// The host for `name` when it is not saved: like `ssh NAME`, any name that could be a host
/// (OpenSSH's rules, no pattern characters: [`outpost_openssh::names::check_alias`]; no `@` or
/// `:`, which make it a `[user@]host[:port]` destination instead) is resolved through the
/// configuration when connecting. A name no `Host` or `Match` line
/// mentions gets OpenSSH's defaults there — itself as the host name, port 22, the local user —
/// exactly what `ssh -G NAME` prints. Nothing is read here: connecting reads the files once.
/// (`_config_dir` is where `Match exec` permission would be read; resolution reads it itself.)
pub fn unsaved_host(name: &str, _config_dir: &Path) -> Option<Host> {
    outpost_openssh::names::check_alias(name).ok()?;
    if name.contains(['@', ':']) {
        return None;
    }
    Some(Host {
        name: name.to_owned(),
        hostname: name.to_owned(),
        source: Some(UNSAVED_SOURCE.into()),
        ..Host::default()
    })
}

/// How often [`watch_aliases`] looks at the files.
pub const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// What the files look like on disk: each read file's (and its directory's) path, size and
/// modification time, so that an edit, a replacement by rename, or a new file an `Include`
/// glob matches shows as a change.
fn snapshot(configs: &SshConfigs) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    fn walk(file: &ConfigFile, out: &mut Vec<PathBuf>) {
        out.push(file.path.clone());
        if let Some(dir) = file.path.parent() {
            out.push(dir.to_path_buf());
        }
        for line in &file.lines {
            if let Line::Include(files) = line {
                files.iter().for_each(|f| walk(f, out));
            }
        }
    }
    let mut paths = vec![configs.user_path.clone()];
    walk(&configs.user.root, &mut paths);
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let size = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (p, size, modified)
        })
        .collect()
}

/// Watches the user's file and what it includes, as `load` reads them (normally
/// [`SshConfigs::load`]), polling every `interval` (no extra dependency; edits by rename, new
/// included files and symbolic links all show), and calls `changed` with the concrete aliases
/// ([`SshConfigs::aliases`]) whenever they differ from the last ones reported; the first call
/// comes at once. Ends when `changed` returns `false`.
pub async fn watch_aliases(
    load: impl Fn() -> SshConfigs + Clone + Send + 'static,
    interval: std::time::Duration,
    mut changed: impl FnMut(Vec<ConfigAlias>) -> bool + Send,
) {
    let mut last_files = None;
    let mut last_aliases = None;
    loop {
        let load = load.clone();
        let Ok((files, aliases)) = tokio::task::spawn_blocking(move || {
            let configs = load();
            (snapshot(&configs), configs.aliases())
        })
        .await
        else {
            return;
        };
        if last_files.as_ref() != Some(&files) {
            last_files = Some(files);
            if last_aliases.as_ref() != Some(&aliases) {
                if !changed(aliases.clone()) {
                    return;
                }
                last_aliases = Some(aliases);
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// Whether the window's settings allow `Match exec` (`"ssh_match_exec": true`).
pub fn match_exec_allowed(config_dir: &Path) -> bool {
    match ui_state::load(config_dir, "settings") {
        Ok(Some(doc)) => doc.get(MATCH_EXEC_SETTING) == Some(&serde_json::Value::Bool(true)),
        _ => false,
    }
}

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

/// The import's reader for the user whose `.ssh` directory is `ssh_dir`, skipping what it
/// cannot read.
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

/// The aliases to import from what the reader gave (values of the blocks naming them only).
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

    /// The watch's next report, within 10 s.
    async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<ConfigAlias>>) -> Vec<String> {
        let aliases = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .expect("no report within 10 s")
            .unwrap();
        aliases.into_iter().map(|a| a.name).collect()
    }

    #[tokio::test]
    async fn the_watch_reports_aliases_when_the_file_changes() {
        let t = tempfile::tempdir().unwrap();
        let config = t.path().join("config");
        std::fs::write(&config, "Host one\n").unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (home, path) = (t.path().to_path_buf(), config.clone());
        let load =
            move || SshConfigs::read(&home, &path, Path::new("/dev/null"), Context::current());
        let watch = tokio::spawn(watch_aliases(
            load,
            std::time::Duration::from_millis(20),
            move |a| tx.send(a).is_ok(),
        ));
        assert_eq!(next(&mut rx).await, ["one"]);
        std::fs::write(&config, "Host one two *.x\nInclude more\n").unwrap();
        assert_eq!(next(&mut rx).await, ["one", "two"]);
        // A file an `Include` names, outside any block.
        std::fs::write(t.path().join("more"), "Host three\n").unwrap();
        let text = format!("Include {}/more\nHost one two *.x\n", t.path().display());
        std::fs::write(&config, text).unwrap();
        assert_eq!(next(&mut rx).await, ["three", "one", "two"]);
        // An edit of the included file alone is seen too.
        std::fs::write(t.path().join("more"), "Host three four\n").unwrap();
        assert_eq!(next(&mut rx).await, ["three", "four", "one", "two"]);
        // So is a change of an alias's agent forwarding alone.
        std::fs::write(
            t.path().join("more"),
            "Host three four\n ForwardAgent yes\n",
        )
        .unwrap();
        let forwarded = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .expect("no report within 10 s")
            .unwrap();
        let on: Vec<_> = forwarded
            .iter()
            .filter(|a| a.forwards_agent)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(on, ["three", "four"]);
        watch.abort();
    }

    #[test]
    fn aliases_say_whether_they_forward_the_agent_as_resolved() {
        let t = tempfile::tempdir().unwrap();
        let config = t.path().join("config");
        let text = concat!(
            "Host fwd\n ForwardAgent yes\n",
            "Host sock\n ForwardAgent /run/agent.sock\n",
            "Host off\n ForwardAgent no\n",
            "Host plain\n HostName example.org\n",
            // The first value wins: `late` is already `no` from its own block.
            "Host late\n ForwardAgent no\n",
            "Host late fwd-all-*\n ForwardAgent yes\n",
        );
        std::fs::write(&config, text).unwrap();
        let configs = SshConfigs::read(
            t.path(),
            &config,
            Path::new("/dev/null"),
            Context::current(),
        );
        let got: Vec<(String, bool)> = configs
            .aliases()
            .into_iter()
            .map(|a| (a.name, a.forwards_agent))
            .collect();
        let want = [
            ("fwd", true),
            ("sock", true),
            ("off", false),
            ("plain", false),
            ("late", false),
        ];
        assert_eq!(got, want.map(|(n, f)| (n.to_owned(), f)));
        assert!(!forwards_agent(""));
    }
}

//! `ssh.hosts`: the literal `Host` aliases of the agent user's `~/.ssh/config`.
//!
//! The file is read by the shared OpenSSH reader ([`outpost_openssh::config`]): its line syntax,
//! `Include` rules, bounds and `Host` matching are OpenSSH's (checked there against `ssh -G`).
//! OpenSSH's own `ssh` still reads the configuration when a session runs. On top of it, this
//! module's policy:
//!
//! * An alias is a `Host` pattern without `*`, `?` or `!` that its own line (negations
//!   included) and every enclosing block apply to ([`outpost_openssh::config::Config::aliases`]):
//!   inside `Host web-*`, an included `Host db1` is no alias (`ssh` never applies it), and inside
//!   a `Match` block other than `Match all` nothing included is. Listed once, where it first
//!   appears, in file order; names are compared as written (`ssh` tells `web1` from `WEB1`).
//! * `HostName`, `User`, `Port`: the first value written in a block that names the alias
//!   literally (as in OpenSSH, the first value wins, even when it cannot be reported). Pattern
//!   blocks (`Host *`), lines before the first `Host` and `Match` blocks give nothing.
//!
//! Everything is bounded: the reader's [`Limits`](outpost_openssh::config::Limits) and
//! [`MAX_SSH_HOSTS`] aliases; going past a bound is an error ([`SshHostsError::code`] gives
//! -32008), never a partial list. Aliases and values longer than [`MAX_VALUE_BYTES`] or holding
//! control characters are not reported.

use std::path::{Path, PathBuf};

use outpost_openssh::config::{ConfigError, Reader};
use outpost_protocol::ssh_hosts::{SshHost, SshHostsResult, MAX_SSH_HOSTS};
use outpost_protocol::{ErrorCode, ErrorObject};

/// The longest alias, host name or user reported, in bytes.
pub const MAX_VALUE_BYTES: usize = 255;

/// Why the configuration could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum SshHostsError {
    /// Neither `$HOME` nor the user's password entry names a home directory.
    #[error("cannot find the home directory of the agent's user: set $HOME")]
    NoHome,
    /// A file could not be read, or the files passed a bound of the reader.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// More than [`MAX_SSH_HOSTS`] aliases.
    #[error("the ssh configuration has more than {MAX_SSH_HOSTS} Host aliases (at {path})")]
    TooManyHosts {
        /// The file holding the alias that was one too many.
        path: PathBuf,
    },
}

impl SshHostsError {
    /// The protocol error code: -32008 for a bound, -32603 for everything else.
    pub fn code(&self) -> ErrorCode {
        match self {
            SshHostsError::Config(e) if e.is_limit() => ErrorCode::LimitReached,
            SshHostsError::TooManyHosts { .. } => ErrorCode::LimitReached,
            SshHostsError::NoHome | SshHostsError::Config(_) => ErrorCode::InternalError,
        }
    }
}

impl From<SshHostsError> for ErrorObject {
    fn from(e: SshHostsError) -> Self {
        ErrorObject::new(e.code(), e.to_string())
    }
}

/// The home directory of the agent's user ([`outpost_openssh::home_dir`]).
pub fn home_dir() -> Result<PathBuf, SshHostsError> {
    outpost_openssh::home_dir().ok_or(SshHostsError::NoHome)
}

/// Lists the aliases of `<home>/.ssh/config`. A missing file is an empty list.
pub fn list(home: &Path) -> Result<SshHostsResult, SshHostsError> {
    let config_path = home.join(".ssh").join("config");
    let config = Reader::new(home).read(&config_path)?;
    let mut hosts = Vec::new();
    for alias in config.aliases() {
        let Some(name) = reportable(alias.name) else {
            continue;
        };
        if hosts.len() >= MAX_SSH_HOSTS {
            return Err(SshHostsError::TooManyHosts {
                path: alias.path.to_path_buf(),
            });
        }
        let c = &alias.config;
        hosts.push(SshHost {
            alias: name,
            hostname: c.hostname.as_deref().and_then(reportable),
            user: c.user.as_deref().and_then(reportable),
            port: c.port_number(),
        });
    }
    Ok(SshHostsResult {
        hosts,
        config_path: config_path.to_string_lossy().into_owned(),
    })
}

/// `Some(value)` when it can be reported: at most [`MAX_VALUE_BYTES`], no control characters.
fn reportable(value: &str) -> Option<String> {
    (!value.is_empty() && value.len() <= MAX_VALUE_BYTES && !value.chars().any(char::is_control))
        .then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use outpost_openssh::config::{MAX_DEPTH, MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_BYTES};

    use super::*;

    /// A home directory with `.ssh/` and the given files in it (paths relative to `.ssh/`).
    fn home_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = home.path().join(".ssh").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        home
    }

    fn aliases(r: &SshHostsResult) -> Vec<&str> {
        r.hosts.iter().map(|h| h.alias.as_str()).collect()
    }

    fn host(alias: &str, hostname: Option<&str>, user: Option<&str>, port: Option<u16>) -> SshHost {
        SshHost {
            alias: alias.into(),
            hostname: hostname.map(Into::into),
            user: user.map(Into::into),
            port,
        }
    }

    #[test]
    fn missing_config_is_an_empty_list() {
        let home = tempfile::tempdir().unwrap();
        let r = list(home.path()).unwrap();
        assert!(r.hosts.is_empty());
        assert_eq!(
            r.config_path,
            home.path().join(".ssh/config").to_string_lossy()
        );
    }

    #[test]
    fn patterns_blocks_and_first_value_wins() {
        let home = with_config(concat!(
            "# a comment\n",
            "Host *\n  User everyone\n",
            "Host web1 web-* !bad db?  web2\n",
            "  HostName 10.0.0.5\n",
            "  user=deploy\n",
            "  PORT = 2222\n",
            "  HostName ignored.example\n",
            "Match host web1\n  User matched\n",
            "Host WEB1 jump # trailing comment\n",
            "  HostName later.example\n",
            "  User \"ann smith\"\n",
            "  Port nonsense\n",
            "Host web2\n  Port 22\n",
        ));
        let r = list(home.path()).unwrap();
        assert_eq!(
            r.hosts,
            vec![
                host("web1", Some("10.0.0.5"), Some("deploy"), Some(2222)),
                host("web2", Some("10.0.0.5"), Some("deploy"), Some(2222)),
                // Names are compared as written: `ssh -G WEB1` does not apply `Host web1`.
                host("WEB1", Some("later.example"), Some("ann smith"), None),
                host("jump", Some("later.example"), Some("ann smith"), None),
            ]
        );
    }

    #[test]
    fn an_invalid_first_value_still_wins() {
        let long = "h".repeat(MAX_VALUE_BYTES + 1);
        let home = with_config(&format!(
            "Host a\n Port 0\n Port 22\n HostName {long}\n HostName short\nHost {long} b\n"
        ));
        let r = list(home.path()).unwrap();
        assert_eq!(
            r.hosts,
            vec![host("a", None, None, None), host("b", None, None, None)]
        );
    }

    fn with_config(text: &str) -> tempfile::TempDir {
        home_with(&[("config", text)])
    }

    #[test]
    fn follows_includes_in_order_with_globs() {
        let home = home_with(&[
            (
                "config",
                concat!(
                    "Include conf.d/*.conf ~/extra/?.cfg nothing/*\n",
                    "Host top\n",
                    // The block resumes after the included file's own Host line.
                    " Include conf.d/b.conf\n",
                    " User top-user\n",
                    "Host last\n",
                ),
            ),
            ("conf.d/a.conf", "Host a1\n HostName a1.example\n"),
            ("conf.d/b.conf", "Host b1 top\n HostName from-b\n"),
            ("conf.d/.hidden.conf", "Host hidden\n"),
            ("conf.d/c.txt", "Host not-conf\n"),
            ("conf.d/dir.conf/x", "Host in-dir\n"),
        ]);
        let extra = home.path().join("extra");
        std::fs::create_dir_all(&extra).unwrap();
        std::fs::write(extra.join("1.cfg"), "Host x1\n").unwrap();
        std::fs::write(extra.join("22.cfg"), "Host x22\n").unwrap();
        let r = list(home.path()).unwrap();
        assert_eq!(aliases(&r), vec!["a1", "b1", "top", "x1", "last"]);
        assert_eq!(r.hosts[0].hostname.as_deref(), Some("a1.example"));
        assert_eq!(
            r.hosts[2],
            host("top", Some("from-b"), Some("top-user"), None)
        );
    }

    #[test]
    fn wildcards_in_directories_and_absolute_includes() {
        let other = tempfile::tempdir().unwrap();
        for d in ["p1", "p2", ".p3"] {
            std::fs::create_dir_all(other.path().join(d)).unwrap();
            std::fs::write(other.path().join(d).join("cfg"), format!("Host {d}\n")).unwrap();
        }
        let home = with_config(&format!("Include {}/p*/cfg\n", other.path().display()));
        assert_eq!(aliases(&list(home.path()).unwrap()), vec!["p1", "p2"]);
    }

    #[test]
    fn nesting_is_bounded() {
        // A file including itself stops at the depth bound with an error.
        let home = home_with(&[
            ("config", "Include loop\n"),
            ("loop", "Host l\nInclude loop\n"),
        ]);
        let e = list(home.path()).unwrap_err();
        assert!(
            matches!(e, SshHostsError::Config(ConfigError::TooDeep { .. })),
            "{e}"
        );
        assert_eq!(e.code(), ErrorCode::LimitReached);

        // Exactly MAX_DEPTH levels are fine.
        let mut files: Vec<(String, String)> = (1..=MAX_DEPTH)
            .map(|i| (format!("d{i}"), format!("Include d{}\nHost h{i}\n", i + 1)))
            .collect();
        files.push(("config".into(), "Include d1\n".into()));
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let home = home_with(&refs);
        assert_eq!(list(home.path()).unwrap().hosts.len(), MAX_DEPTH);
    }

    #[test]
    fn sizes_and_counts_are_bounded() {
        let big = "#".repeat(MAX_FILE_BYTES as usize + 1);
        let e = list(with_config(&big).path()).unwrap_err();
        assert!(
            matches!(e, SshHostsError::Config(ConfigError::FileTooLarge { .. })),
            "{e}"
        );
        assert_eq!(e.code(), ErrorCode::LimitReached);

        // Files within the per-file bound that add up to more than the total.
        let part = "#".repeat(MAX_FILE_BYTES as usize);
        let n = (MAX_TOTAL_BYTES / MAX_FILE_BYTES) as usize + 1;
        let home = home_with(&[
            ("config", "Include part\n".repeat(n).as_str()),
            ("part", &part),
        ]);
        let e = list(home.path()).unwrap_err();
        assert!(
            matches!(e, SshHostsError::Config(ConfigError::TotalTooLarge { .. })),
            "{e}"
        );

        let home = home_with(&[
            ("config", "Include empty\n".repeat(MAX_FILES).as_str()),
            ("empty", ""),
        ]);
        let e = list(home.path()).unwrap_err();
        assert!(
            matches!(e, SshHostsError::Config(ConfigError::TooManyFiles { .. })),
            "{e}"
        );

        let names = |n: usize| {
            (0..n)
                .map(|i| format!("h{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let home = with_config(&format!("Host {}\n", names(MAX_SSH_HOSTS)));
        assert_eq!(list(home.path()).unwrap().hosts.len(), MAX_SSH_HOSTS);
        let home = with_config(&format!("Host {}\n", names(MAX_SSH_HOSTS + 1)));
        let e = list(home.path()).unwrap_err();
        assert!(matches!(e, SshHostsError::TooManyHosts { .. }), "{e}");
    }

    #[test]
    fn unreadable_config_is_an_error() {
        // A directory in place of the file cannot be read (whoever runs the tests, root too).
        let home = home_with(&[("config/x", "")]);
        let e = list(home.path()).unwrap_err();
        assert!(
            matches!(e, SshHostsError::Config(ConfigError::Read { .. })),
            "{e}"
        );
        assert_eq!(e.code(), ErrorCode::InternalError);
        assert!(e.to_string().contains(".ssh/config"), "{e}");
    }

    #[test]
    fn includes_apply_where_their_block_does() {
        // As in OpenSSH, an Include inside a block only counts for hosts that block applies to.
        let home = home_with(&[
            (
                "config",
                concat!(
                    "Host a !a b
",
                    "Host web-* web1
 Include guarded
",
                    "Match host m
 Include matched
",
                    "Match all
 Include everywhere
",
                    "Host web1
 Include late
",
                ),
            ),
            (
                "guarded",
                "User inherited
Host web-2 db1
 HostName g
Host web1
 User u
",
            ),
            (
                "matched", "Host m1
",
            ),
            (
                "everywhere",
                "Host e1
 HostName e
",
            ),
            (
                "late",
                "Host web1 web9
 HostName late
",
            ),
        ]);
        let r = list(home.path()).unwrap();
        assert_eq!(
            r.hosts,
            vec![
                host("b", None, None, None),
                host("web1", Some("late"), Some("inherited"), None),
                host("web-2", Some("g"), None, None),
                host("e1", Some("e"), None, None),
            ]
        );
    }
}

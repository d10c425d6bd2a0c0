//! `ssh.hosts`: the literal `Host` aliases of the agent user's `~/.ssh/config`.
//!
//! A small reader, just enough to offer aliases as targets; OpenSSH's own `ssh` still reads the
//! configuration when a session runs. It knows these keywords (case-insensitive, `Key value` or
//! `Key=value`, arguments quoted with `"` or `'`, `#` starting a comment):
//!
//! * `Host`: each pattern without `*`, `?` or `!` is an alias, unless a negated pattern on the
//!   same line excludes it. An alias is listed once, where it first appears (compared without
//!   regard to ASCII case, as `ssh` matches them), in file order.
//! * `HostName`, `User`, `Port`: the first value written in a block that names the alias literally
//!   (as in OpenSSH, the first value wins). Pattern blocks (`Host *`) and `Match` blocks give
//!   nothing.
//! * `Match`: its block is skipped (up to the next `Host`).
//! * `Include`: relative paths are under `~/.ssh`, `~/` is the home, `*` and `?` match within any
//!   path component (a leading `.` only explicitly), matches are read in sorted order, a pattern
//!   matching nothing is skipped. As in OpenSSH, the included lines continue the including block,
//!   that block resumes after them, and the included `Host` blocks only count for hosts the
//!   including block applies to: inside `Host web-*`, an included `Host db1` is no alias (`ssh`
//!   never applies it), and inside a `Match` block other than `Match all` nothing included is.
//!
//! Everything is bounded: [`MAX_FILE_BYTES`] per file, [`MAX_TOTAL_BYTES`] and [`MAX_FILES`] over
//! all files read, [`MAX_DEPTH`] nested includes and [`MAX_SSH_HOSTS`] aliases; going past a
//! bound is an error ([`SshHostsError::code`] gives -32008), never a partial list. Aliases and
//! values longer than [`MAX_VALUE_BYTES`] or holding control characters are not reported.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use outpost_protocol::ssh_hosts::{SshHost, SshHostsResult, MAX_SSH_HOSTS};
use outpost_protocol::{ErrorCode, ErrorObject};

/// The largest configuration file read: 1 MiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The most bytes read over the configuration and everything it includes: 4 MiB.
pub const MAX_TOTAL_BYTES: u64 = 4 * 1024 * 1024;

/// The most files read (the configuration and every included file, counted each time read).
pub const MAX_FILES: usize = 256;

/// The most nested `Include` levels followed below `~/.ssh/config`.
pub const MAX_DEPTH: usize = 8;

/// The longest alias, host name or user reported, in bytes.
pub const MAX_VALUE_BYTES: usize = 255;

/// Why the configuration could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum SshHostsError {
    /// Neither `$HOME` nor the user's password entry names a home directory.
    #[error("cannot find the home directory of the agent's user: set $HOME")]
    NoHome,
    /// A configuration file exists but cannot be read.
    #[error("cannot read the ssh configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is larger than [`MAX_FILE_BYTES`].
    #[error("the ssh configuration {path} is larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The files together are larger than [`MAX_TOTAL_BYTES`].
    #[error("the ssh configuration and its includes are larger than {MAX_TOTAL_BYTES} bytes (at {path})")]
    TotalTooLarge {
        /// The file being read when the bound was passed.
        path: PathBuf,
    },
    /// More than [`MAX_FILES`] files would be read.
    #[error("the ssh configuration includes more than {MAX_FILES} files (at {path})")]
    TooManyFiles {
        /// The file that would have been one too many.
        path: PathBuf,
    },
    /// Includes nest deeper than [`MAX_DEPTH`] (often a file that includes itself).
    #[error("the ssh configuration nests Include more than {MAX_DEPTH} levels deep (at {path})")]
    TooDeep {
        /// The file that would have been read one level too deep.
        path: PathBuf,
    },
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
            SshHostsError::NoHome | SshHostsError::Read { .. } => ErrorCode::InternalError,
            SshHostsError::FileTooLarge { .. }
            | SshHostsError::TotalTooLarge { .. }
            | SshHostsError::TooManyFiles { .. }
            | SshHostsError::TooDeep { .. }
            | SshHostsError::TooManyHosts { .. } => ErrorCode::LimitReached,
        }
    }
}

impl From<SshHostsError> for ErrorObject {
    fn from(e: SshHostsError) -> Self {
        ErrorObject::new(e.code(), e.to_string())
    }
}

/// The home directory of the agent's user: `$HOME`, else the password entry's.
pub fn home_dir() -> Result<PathBuf, SshHostsError> {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.dir)
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or(SshHostsError::NoHome)
}

/// Lists the aliases of `<home>/.ssh/config`. A missing file is an empty list.
pub fn list(home: &Path) -> Result<SshHostsResult, SshHostsError> {
    let ssh_dir = home.join(".ssh");
    let config = ssh_dir.join("config");
    let mut reader = Reader {
        home,
        ssh_dir: &ssh_dir,
        hosts: Vec::new(),
        index: HashMap::new(),
        bytes: 0,
        files: 0,
    };
    if let Some(text) = reader.read_file(&config, false)? {
        let mut scope = Scope {
            guard: Guard::All,
            current: Vec::new(),
        };
        reader.parse(&text, &config, 0, &mut scope, &[])?;
    }
    let hosts = reader
        .hosts
        .into_iter()
        .map(|e| SshHost {
            alias: e.alias,
            hostname: e.hostname.flatten(),
            user: e.user.flatten(),
            port: e.port.flatten(),
        })
        .collect();
    Ok(SshHostsResult {
        hosts,
        config_path: config.to_string_lossy().into_owned(),
    })
}

/// An alias being collected. The outer `Option` of a field is whether a line set it (the first
/// wins); the inner one whether its value can be reported.
struct Entry {
    alias: String,
    hostname: Option<Option<String>>,
    user: Option<Option<String>>,
    port: Option<Option<u16>>,
}

/// The hosts a block applies to, as far as listing can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Guard {
    /// Every host: before the first `Host` or `Match`, or in `Match all`.
    All,
    /// The hosts matching a `Host` line's patterns.
    Hosts(Vec<String>),
    /// None that listing can count on: any other `Match`.
    Nothing,
}

impl Guard {
    /// Whether the block applies to `host` (lower-cased).
    fn accepts(&self, host: &str) -> bool {
        match self {
            Guard::All => true,
            Guard::Hosts(patterns) => matches_list(host, patterns),
            Guard::Nothing => false,
        }
    }
}

/// The block in force: whom it applies to, and the listed aliases it names.
#[derive(Clone, Debug)]
struct Scope {
    guard: Guard,
    /// Indices into [`Reader::hosts`].
    current: Vec<usize>,
}

struct Reader<'a> {
    home: &'a Path,
    ssh_dir: &'a Path,
    hosts: Vec<Entry>,
    /// Lower-cased alias → index into `hosts`.
    index: HashMap<String, usize>,
    bytes: u64,
    files: usize,
}

impl Reader<'_> {
    /// Reads one file within the bounds. `None` when it does not exist, or when `included` and it
    /// is a directory (as `ssh` reads one as empty).
    fn read_file(&mut self, path: &Path, included: bool) -> Result<Option<String>, SshHostsError> {
        let read_err = |source| SshHostsError::Read {
            path: path.to_path_buf(),
            source,
        };
        // Non-blocking, so a FIFO in the way cannot hang the agent.
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e)),
        };
        if included && file.metadata().map_err(read_err)?.is_dir() {
            return Ok(None);
        }
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(SshHostsError::TooManyFiles {
                path: path.to_path_buf(),
            });
        }
        let mut data = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(read_err)?;
        let len = data.len() as u64;
        if len > MAX_FILE_BYTES {
            return Err(SshHostsError::FileTooLarge {
                path: path.to_path_buf(),
            });
        }
        self.bytes += len;
        if self.bytes > MAX_TOTAL_BYTES {
            return Err(SshHostsError::TotalTooLarge {
                path: path.to_path_buf(),
            });
        }
        Ok(Some(String::from_utf8_lossy(&data).into_owned()))
    }

    /// Parses `text` (from `path`, at include depth `depth`) in `scope`, which included text
    /// continues. An alias is taken from a `Host` line only when every guard accepts it.
    fn parse(
        &mut self,
        text: &str,
        path: &Path,
        depth: usize,
        scope: &mut Scope,
        guards: &[Guard],
    ) -> Result<(), SshHostsError> {
        for line in text.lines() {
            let Some((key, args)) = split_line(line) else {
                continue;
            };
            match key.as_str() {
                "host" => {
                    scope.current.clear();
                    for pattern in &args {
                        if pattern.contains(['*', '?', '!']) {
                            continue;
                        }
                        // A negation on the same line or an enclosing block may rule it out.
                        let lower = pattern.to_ascii_lowercase();
                        if !matches_list(&lower, &args) || !guards.iter().all(|g| g.accepts(&lower))
                        {
                            continue;
                        }
                        if let Some(i) = self.alias(pattern, path)? {
                            scope.current.push(i);
                        }
                    }
                    scope.guard = Guard::Hosts(args);
                }
                "match" => {
                    scope.current.clear();
                    let all = matches!(args.as_slice(), [a] if a.eq_ignore_ascii_case("all"));
                    scope.guard = if all { Guard::All } else { Guard::Nothing };
                }
                "include" => {
                    // The included files' `Host` blocks apply only where this block does.
                    let mut inner_guards = guards.to_vec();
                    if scope.guard != Guard::All {
                        inner_guards.push(scope.guard.clone());
                    }
                    for pattern in &args {
                        for file in self.expand(pattern) {
                            if depth + 1 > MAX_DEPTH {
                                return Err(SshHostsError::TooDeep { path: file });
                            }
                            let Some(text) = self.read_file(&file, true)? else {
                                continue;
                            };
                            let mut inner = scope.clone();
                            self.parse(&text, &file, depth + 1, &mut inner, &inner_guards)?;
                        }
                    }
                }
                "hostname" | "user" | "port" => {
                    let Some(value) = args.into_iter().next() else {
                        continue;
                    };
                    for &i in &scope.current {
                        let e = &mut self.hosts[i];
                        match key.as_str() {
                            "hostname" => {
                                e.hostname.get_or_insert_with(|| reportable(&value));
                            }
                            "user" => {
                                e.user.get_or_insert_with(|| reportable(&value));
                            }
                            _ => {
                                e.port.get_or_insert_with(|| {
                                    value.parse::<u16>().ok().filter(|&p| p != 0)
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The index of `alias`, added at the end when new; `None` when it cannot be reported.
    fn alias(&mut self, alias: &str, path: &Path) -> Result<Option<usize>, SshHostsError> {
        if reportable(alias).is_none() {
            return Ok(None);
        }
        let key = alias.to_ascii_lowercase();
        if let Some(&i) = self.index.get(&key) {
            return Ok(Some(i));
        }
        if self.hosts.len() >= MAX_SSH_HOSTS {
            return Err(SshHostsError::TooManyHosts {
                path: path.to_path_buf(),
            });
        }
        let i = self.hosts.len();
        self.hosts.push(Entry {
            alias: alias.to_owned(),
            hostname: None,
            user: None,
            port: None,
        });
        self.index.insert(key, i);
        Ok(Some(i))
    }

    /// The files an `Include` argument names, sorted.
    fn expand(&self, pattern: &str) -> Vec<PathBuf> {
        let path = if pattern == "~" {
            self.home.to_path_buf()
        } else if let Some(rest) = pattern.strip_prefix("~/") {
            self.home.join(rest)
        } else if pattern.starts_with('~') {
            tracing::debug!(pattern, "Include of another user's home is not followed");
            return Vec::new();
        } else {
            // Absolute paths replace the base.
            self.ssh_dir.join(pattern)
        };
        let mut found = glob(&path);
        found.sort();
        found
    }
}

/// `Some(value)` when it can be reported: at most [`MAX_VALUE_BYTES`], no control characters.
fn reportable(value: &str) -> Option<String> {
    (!value.is_empty() && value.len() <= MAX_VALUE_BYTES && !value.chars().any(char::is_control))
        .then(|| value.to_owned())
}

/// Splits a configuration line into its lower-cased keyword and its arguments; `None` for blank
/// and comment lines.
fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let key = line[..end].to_ascii_lowercase();
    // One `=` may stand between the keyword and its arguments, with whitespace around it.
    let mut rest = line[end..].trim_start();
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start();
    }
    Some((key, split_args(rest)))
}

/// Splits arguments at unquoted whitespace. `"` and `'` quote, a backslash escapes a quote, a
/// backslash or whitespace, and a `#` starting an argument starts a comment.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => return args,
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars
                    .peek()
                    .is_some_and(|&n| n == '"' || n == '\'' || n == '\\' || n.is_whitespace()) =>
                {
                    arg.extend(chars.next());
                }
                c if Some(c) == quote => quote = None,
                '"' | '\'' if quote.is_none() => quote = Some(c),
                c if c.is_whitespace() && quote.is_none() => break,
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
}

/// The existing paths matching `path`, whose components may hold `*` and `?` (as glob(3), a
/// path without wildcards matches only when it exists).
fn glob(path: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for part in path.components() {
        let name = part.as_os_str().to_string_lossy();
        if !name.contains(['*', '?']) {
            for p in &mut found {
                p.push(part);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let entry_name = entry.file_name();
                if file_match(&name, &entry_name.to_string_lossy()) {
                    next.push(dir.join(entry_name));
                }
            }
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found.retain(|p| std::fs::symlink_metadata(p).is_ok());
    found
}

/// Whether `host` (lower-cased) matches a `Host` line's patterns as `ssh` decides: some pattern
/// matches and no negated (`!`) one does, without regard to ASCII case.
fn matches_list(host: &str, patterns: &[String]) -> bool {
    let mut positive = false;
    for p in patterns {
        let p = p.to_ascii_lowercase();
        match p.strip_prefix('!') {
            Some(negated) if wildcard_match(negated, host) => return false,
            Some(_) => {}
            None => positive |= wildcard_match(&p, host),
        }
    }
    positive
}

/// Whether file `name` matches `pattern`; as in glob(3), a leading `.` must be matched by a
/// literal `.`.
fn file_match(pattern: &str, name: &str) -> bool {
    (pattern.starts_with('.') || !name.starts_with('.')) && wildcard_match(pattern, name)
}

/// Whether `name` matches `pattern` (`*`: any run, `?`: any one character).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Greedy with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

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
        assert!(matches!(e, SshHostsError::TooDeep { .. }), "{e}");
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
        assert!(matches!(e, SshHostsError::FileTooLarge { .. }), "{e}");
        assert_eq!(e.code(), ErrorCode::LimitReached);

        // Files within the per-file bound that add up to more than the total.
        let part = "#".repeat(MAX_FILE_BYTES as usize);
        let n = (MAX_TOTAL_BYTES / MAX_FILE_BYTES) as usize + 1;
        let home = home_with(&[
            ("config", "Include part\n".repeat(n).as_str()),
            ("part", &part),
        ]);
        let e = list(home.path()).unwrap_err();
        assert!(matches!(e, SshHostsError::TotalTooLarge { .. }), "{e}");

        let home = home_with(&[
            ("config", "Include empty\n".repeat(MAX_FILES).as_str()),
            ("empty", ""),
        ]);
        let e = list(home.path()).unwrap_err();
        assert!(matches!(e, SshHostsError::TooManyFiles { .. }), "{e}");

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
        assert!(matches!(e, SshHostsError::Read { .. }), "{e}");
        assert_eq!(e.code(), ErrorCode::InternalError);
        assert!(e.to_string().contains(".ssh/config"), "{e}");
    }

    #[test]
    fn splits_lines_like_ssh() {
        assert_eq!(split_line("  # c"), None);
        assert_eq!(split_line(""), None);
        let s = |l: &str| split_line(l).unwrap();
        assert_eq!(s("Host a b"), ("host".into(), vec!["a".into(), "b".into()]));
        assert_eq!(s("User=ann"), ("user".into(), vec!["ann".into()]));
        assert_eq!(s("Port = 22"), ("port".into(), vec!["22".into()]));
        assert_eq!(
            s(r#"Host "a b" 'c d' e\ f x#y #rest"#).1,
            vec!["a b", "c d", "e f", "x#y"]
        );
        assert_eq!(s("Match").1, Vec::<String>::new());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.conf", "a.conf"));
        assert!(!wildcard_match("*.conf", "a.confx"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(wildcard_match("a*b*c", "axxbyybzc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(!file_match("*", ".hidden"));
        assert!(file_match(".*", ".hidden"));
        assert!(wildcard_match("*", ".hidden"));
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches_list("web1", &list(&["db", "WEB?"])));
        assert!(!matches_list("web1", &list(&["web*", "!web1"])));
        assert!(!matches_list("web1", &list(&["!db"])));
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

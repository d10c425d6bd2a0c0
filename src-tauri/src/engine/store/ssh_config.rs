//! Reading `~/.ssh/config` for import: `Host` aliases with `HostName`, `User`, `Port`,
//! `IdentityFile` and `ProxyJump`, following `Include`.
//!
//! Only concrete aliases are imported (patterns with `*`, `?` or `!` are skipped); `Match` blocks
//! are skipped. As in OpenSSH, the first value of a keyword wins, and values from `Host *`-style
//! blocks are not applied to imported hosts (the system `ssh` still reads them when it runs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `Host` alias as found in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshConfigHost {
    /// The alias.
    pub alias: String,
    /// `HostName`.
    pub hostname: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `IdentityFile` (every one, in order).
    pub identity_files: Vec<String>,
    /// `ProxyJump`, split at commas.
    pub proxy_jump: Vec<String>,
}

/// The most nested `Include` levels followed (OpenSSH allows 16).
const MAX_DEPTH: usize = 16;

/// Reads a config file and everything it includes.
pub fn read(path: &Path, ssh_dir: &Path) -> Vec<SshConfigHost> {
    let mut hosts: BTreeMap<String, SshConfigHost> = BTreeMap::new();
    let mut order = Vec::new();
    read_into(path, ssh_dir, 0, &mut hosts, &mut order);
    order.into_iter().filter_map(|a| hosts.remove(&a)).collect()
}

fn read_into(
    path: &Path,
    ssh_dir: &Path,
    depth: usize,
    hosts: &mut BTreeMap<String, SshConfigHost>,
    order: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    parse_into(&text, ssh_dir, depth, hosts, order);
}

/// Splits a line into keyword and arguments (`Key value`, `Key=value`, quoted arguments, a
/// trailing `# comment`).
fn split(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (key, rest) = match line.find(|c: char| c.is_whitespace() || c == '=') {
        Some(i) => (
            &line[..i],
            line[i..].trim_start_matches(|c: char| c.is_whitespace() || c == '='),
        ),
        None => (line, ""),
    };
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in rest.chars() {
        match c {
            // As in OpenSSH, an unquoted word that starts with `#` begins a comment.
            '#' if !quoted && !any => break,
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    args.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(cur);
    }
    Some((key.to_ascii_lowercase(), args))
}

/// Parses config text (exposed for tests and fuzzing); `Include` paths are read from disk.
pub fn parse(text: &str, ssh_dir: &Path) -> Vec<SshConfigHost> {
    let mut hosts = BTreeMap::new();
    let mut order = Vec::new();
    parse_into(text, ssh_dir, 0, &mut hosts, &mut order);
    order.into_iter().filter_map(|a| hosts.remove(&a)).collect()
}

fn parse_into(
    text: &str,
    ssh_dir: &Path,
    depth: usize,
    hosts: &mut BTreeMap<String, SshConfigHost>,
    order: &mut Vec<String>,
) {
    // The aliases the current block applies to (empty before the first Host, or in Match).
    let mut current: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some((key, args)) = split(line) else {
            continue;
        };
        match key.as_str() {
            "host" => {
                current = args
                    .into_iter()
                    .filter(|a| !a.contains(['*', '?', '!']))
                    .collect();
                for a in &current {
                    if !hosts.contains_key(a) {
                        order.push(a.clone());
                        hosts.insert(
                            a.clone(),
                            SshConfigHost {
                                alias: a.clone(),
                                ..Default::default()
                            },
                        );
                    }
                }
            }
            "match" => current.clear(),
            "include" => {
                for pattern in args {
                    for file in expand_include(&pattern, ssh_dir) {
                        read_into(&file, ssh_dir, depth + 1, hosts, order);
                    }
                }
            }
            _ => {
                let Some(first) = args.first() else { continue };
                for alias in &current {
                    let Some(h) = hosts.get_mut(alias) else {
                        continue;
                    };
                    match key.as_str() {
                        "hostname" if h.hostname.is_none() => h.hostname = Some(first.clone()),
                        "user" if h.user.is_none() => h.user = Some(first.clone()),
                        "port" if h.port.is_none() => h.port = first.parse().ok(),
                        "identityfile" => h.identity_files.push(first.clone()),
                        "proxyjump" if h.proxy_jump.is_empty() && first != "none" => {
                            h.proxy_jump = first.split(',').map(str::to_string).collect();
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Expands an `Include` argument: `~/` is the home, relative paths are under `~/.ssh`, and `*`
/// and `?` match within the last component.
fn expand_include(pattern: &str, ssh_dir: &Path) -> Vec<PathBuf> {
    let path = if let Some(rest) = pattern.strip_prefix("~/") {
        ssh_dir.parent().unwrap_or(ssh_dir).join(rest)
    } else if pattern.starts_with('/') {
        PathBuf::from(pattern)
    } else {
        ssh_dir.join(pattern)
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| glob_match(&name, &n.to_string_lossy()))
                .unwrap_or(false)
        })
        .collect();
    found.sort();
    found
}

/// `*` and `?` wildcard matching.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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
    fn globs() {
        assert!(glob_match("*.conf", "a.conf"));
        assert!(!glob_match("*.conf", "a.confx"));
        assert!(glob_match("a?c", "abc"));
    }
}

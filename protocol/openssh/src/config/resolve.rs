//! What a [`Config`] says about a host: [`Config::resolve`] applies it as `ssh` does, and
//! [`Config::aliases`] lists the hosts it names literally, each with the values of the blocks
//! that name it.
//!
//! OpenSSH's rules, as `ssh -G` shows them:
//! - A `Host` line starts a block that applies to a host when one of its patterns matches the
//!   name as typed (case-sensitively) and no negated pattern does ([`crate::pattern`]). Lines
//!   before the first `Host` or `Match` apply to every host.
//! - `Match all` applies to every host; any other `Match` is taken as never applying (its
//!   criteria are not evaluated).
//! - Included lines continue the block of the `Include` line, and the including block resumes
//!   after them; when that block does not apply to the host, nothing the included files hold does
//!   either, whatever their own `Host` lines say.
//! - For a single-valued keyword the first value that applies wins, even when it is not valid;
//!   `IdentityFile` values add up, in order.

use std::collections::HashMap;
use std::path::Path;

use super::read::{Config, ConfigFile, Line};
use crate::pattern::{is_literal, match_list};

/// The values of the keywords both ends read, for one host. `None` or empty: not set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    /// `HostName`, as written (no `%` tokens expanded).
    pub hostname: Option<String>,
    /// `User`, as written.
    pub user: Option<String>,
    /// `Port`, as written; see [`HostConfig::port_number`].
    pub port: Option<String>,
    /// Every `IdentityFile`, in order, as written (no `~` expanded).
    pub identity_files: Vec<String>,
    /// `ProxyJump`, as written (`none` included; see [`HostConfig::jump_hosts`]).
    pub proxy_jump: Option<String>,
}

impl HostConfig {
    /// Applies one option line: the first value of a single-valued keyword wins; an
    /// `IdentityFile` adds to the list; other keywords and lines without arguments do nothing.
    pub fn apply(&mut self, keyword: &str, args: &[String]) {
        let Some(first) = args.first() else {
            return;
        };
        let slot = match keyword {
            "hostname" => &mut self.hostname,
            "user" => &mut self.user,
            "port" => &mut self.port,
            "proxyjump" => &mut self.proxy_jump,
            "identityfile" => {
                self.identity_files.push(first.clone());
                return;
            }
            _ => return,
        };
        slot.get_or_insert_with(|| first.clone());
    }

    /// The port when `Port` is a number from 1 to 65535 (`ssh` refuses any other value).
    pub fn port_number(&self) -> Option<u16> {
        self.port.as_deref()?.parse().ok().filter(|&p| p != 0)
    }

    /// The jump hosts of `ProxyJump`, split at commas; none for `none` (any case) or unset.
    pub fn jump_hosts(&self) -> Vec<String> {
        match self.proxy_jump.as_deref() {
            None => Vec::new(),
            Some(j) if j.eq_ignore_ascii_case("none") => Vec::new(),
            Some(j) => j.split(',').map(str::to_owned).collect(),
        }
    }
}

/// A host a configuration names literally on a `Host` line that applies to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias<'a> {
    /// The name, as written.
    pub name: &'a str,
    /// The file of the first `Host` line naming it.
    pub path: &'a Path,
    /// The values of the blocks whose `Host` line names it literally (pattern blocks, lines
    /// before the first `Host` and `Match all` blocks give nothing).
    pub config: HostConfig,
}

impl Config {
    /// What `ssh` applies for `host` (the name as typed); see the [module documentation](self).
    pub fn resolve(&self, host: &str) -> HostConfig {
        let mut out = HostConfig::default();
        resolve_file(&self.root, host, &mut true, false, &mut out);
        out
    }

    /// Every literal `Host` pattern (no `*`, `?` or `!`) whose line applies to that name, once,
    /// in the order first met, with the values of the blocks naming it; see [`Alias`].
    pub fn aliases(&self) -> Vec<Alias<'_>> {
        let mut found = Aliases {
            list: Vec::new(),
            index: HashMap::new(),
        };
        let mut scope = Scope {
            guard: Guard::All,
            current: Vec::new(),
        };
        found.walk(&self.root, &mut scope, &[]);
        found.list
    }
}

/// Walks `file` for `host` as OpenSSH's `read_config_file` does; `never` is its
/// `SSHCONF_NEVERMATCH` (an enclosing block does not apply).
fn resolve_file(
    file: &ConfigFile,
    host: &str,
    active: &mut bool,
    never: bool,
    out: &mut HostConfig,
) {
    for line in &file.lines {
        match line {
            Line::Host(patterns) => {
                *active = !never && match_list(host, patterns.iter().map(String::as_str));
            }
            Line::Match(criteria) => *active = !never && is_match_all(criteria),
            Line::Include(files) => {
                let outer = *active;
                for f in files {
                    resolve_file(f, host, active, never || !outer, out);
                    *active = outer;
                }
            }
            Line::Option { keyword, args } => {
                if *active {
                    out.apply(keyword, args);
                }
            }
        }
    }
}

/// Whether `Match` criteria are exactly `all`.
fn is_match_all(criteria: &[String]) -> bool {
    matches!(criteria, [a] if a.eq_ignore_ascii_case("all"))
}

/// The hosts a block applies to, as far as a walk without a host name can tell.
#[derive(Clone, Debug)]
enum Guard<'a> {
    /// Every host: before the first `Host` or `Match`, or in `Match all`.
    All,
    /// The hosts a `Host` line's patterns match.
    Hosts(&'a [String]),
    /// None that can be counted on: any other `Match`.
    Nothing,
}

impl Guard<'_> {
    /// Whether the block applies to `host`.
    fn accepts(&self, host: &str) -> bool {
        match self {
            Guard::All => true,
            Guard::Hosts(patterns) => match_list(host, patterns.iter().map(String::as_str)),
            Guard::Nothing => false,
        }
    }
}

/// The block in force: whom it applies to, and the aliases its `Host` line names.
#[derive(Clone, Debug)]
struct Scope<'a> {
    guard: Guard<'a>,
    /// Indices into [`Aliases::list`].
    current: Vec<usize>,
}

/// The aliases found so far.
struct Aliases<'a> {
    list: Vec<Alias<'a>>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Aliases<'a> {
    /// Walks `file` in `scope`, which included lines continue. A name on a `Host` line is an
    /// alias only when that line and every enclosing block (`guards`) apply to it: only then does
    /// `ssh` ever use the line for it.
    fn walk(&mut self, file: &'a ConfigFile, scope: &mut Scope<'a>, guards: &[Guard<'a>]) {
        for line in &file.lines {
            match line {
                Line::Host(patterns) => {
                    scope.current.clear();
                    let line_guard = Guard::Hosts(patterns);
                    for p in patterns {
                        if is_literal(p)
                            && line_guard.accepts(p)
                            && guards.iter().all(|g| g.accepts(p))
                        {
                            let i = self.alias(p, &file.path);
                            if !scope.current.contains(&i) {
                                scope.current.push(i);
                            }
                        }
                    }
                    scope.guard = line_guard;
                }
                Line::Match(criteria) => {
                    scope.current.clear();
                    scope.guard = if is_match_all(criteria) {
                        Guard::All
                    } else {
                        Guard::Nothing
                    };
                }
                Line::Include(files) => {
                    let mut inner_guards = guards.to_vec();
                    if !matches!(scope.guard, Guard::All) {
                        inner_guards.push(scope.guard.clone());
                    }
                    for f in files {
                        let mut inner = scope.clone();
                        self.walk(f, &mut inner, &inner_guards);
                    }
                }
                Line::Option { keyword, args } => {
                    for &i in &scope.current {
                        self.list[i].config.apply(keyword, args);
                    }
                }
            }
        }
    }

    /// The index of alias `name`, added at the end when new.
    fn alias(&mut self, name: &'a str, path: &'a Path) -> usize {
        *self.index.entry(name).or_insert_with(|| {
            self.list.push(Alias {
                name,
                path,
                config: HostConfig::default(),
            });
            self.list.len() - 1
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use crate::config::Reader;

    use super::*;

    fn parse(text: &str) -> Config {
        Reader::new(Path::new("/nonexistent"))
            .parse(text, Path::new("t"))
            .unwrap()
    }

    fn names(c: &Config) -> Vec<&str> {
        c.aliases().iter().map(|a| a.name).collect()
    }

    #[test]
    fn first_value_wins_and_identity_files_add_up() {
        let c = parse(concat!(
            "Host *\n  User everyone\n  IdentityFile ~/.ssh/all\n",
            "Host web1 web-* !bad db?  web2\n",
            "  HostName 10.0.0.5\n  PORT = 2222\n  HostName ignored\n",
            "  ProxyJump none\n",
            "Host web1\n  IdentityFile /k/web1\n  ProxyJump j1\n  Port x\n",
        ));
        let web1 = c.resolve("web1");
        assert_eq!(web1.hostname.as_deref(), Some("10.0.0.5"));
        assert_eq!(web1.user.as_deref(), Some("everyone"));
        assert_eq!(web1.port_number(), Some(2222));
        assert_eq!(web1.identity_files, ["~/.ssh/all", "/k/web1"]);
        assert_eq!(web1.proxy_jump.as_deref(), Some("none"));
        assert!(web1.jump_hosts().is_empty());
        // Negated, and case-sensitive.
        assert_eq!(c.resolve("bad").hostname, None);
        assert_eq!(c.resolve("WEB1").hostname, None);
        assert_eq!(c.resolve("dbx").hostname.as_deref(), Some("10.0.0.5"));
    }

    #[test]
    fn aliases_take_values_only_from_blocks_naming_them() {
        let c = parse(concat!(
            "User top\n",
            "Host *\n  User everyone\n",
            "Host web1 web-* !bad bad WEB1\n  HostName h1\n  Port 0\n  Port 22\n",
            "Match all\n  User matched\n",
            "Host jump web1\n  User ann\n  ProxyJump a,b\n  HostName late\n",
            "Host \"\" x?\n",
        ));
        let a = c.aliases();
        assert_eq!(names(&c), ["web1", "WEB1", "jump"]);
        assert_eq!(a[0].config.hostname.as_deref(), Some("h1"));
        assert_eq!(a[0].config.user.as_deref(), Some("ann"));
        // The first port wins even when it is not valid.
        assert_eq!(a[0].config.port.as_deref(), Some("0"));
        assert_eq!(a[0].config.port_number(), None);
        assert_eq!(a[2].config.jump_hosts(), ["a", "b"]);
        assert_eq!(a[2].path, Path::new("t"));
    }

    #[test]
    fn includes_apply_where_their_block_does() {
        let home = crate::config::read::tests::home_with(&[
            (
                "config",
                concat!(
                    "Host a !a b\n",
                    "Host web-* web1\n Include guarded\n",
                    "Match host m\n Include matched\n",
                    "Match all\n Include everywhere\n",
                    "Host web1\n Include late\n",
                ),
            ),
            (
                "guarded",
                "User inherited\nHost web-2 db1\n HostName g\nHost web1\n User u\n",
            ),
            ("matched", "Host m1\n"),
            ("everywhere", "Host e1\n HostName e\n"),
            ("late", "Host web1 web9\n HostName late\n"),
        ]);
        let c = Reader::new(home.path())
            .read(&home.path().join(".ssh/config"))
            .unwrap();
        assert_eq!(names(&c), ["b", "web1", "web-2", "e1"]);
        let a = c.aliases();
        assert_eq!(a[1].config.user.as_deref(), Some("inherited"));
        assert_eq!(a[1].config.hostname.as_deref(), Some("late"));
        assert_eq!(a[2].config.hostname.as_deref(), Some("g"));
        assert!(a[2].path.ends_with("guarded"));
        // `ssh` agrees: db1 and m1 are never given those values.
        assert_eq!(c.resolve("db1").hostname, None);
        assert_eq!(c.resolve("m1"), HostConfig::default());
        assert_eq!(c.resolve("web-2").user.as_deref(), Some("inherited"));
        assert_eq!(c.resolve("web1").hostname.as_deref(), Some("late"));
    }
}

//! What a [`Config`] says about a host: [`resolve_host`] applies the user's and the system's
//! files as `ssh` does, and [`Config::aliases`] lists the hosts a file names literally, each with
//! the values of the blocks that name it.
//!
//! OpenSSH's rules, as `ssh -G` shows them:
//! - A `Host` line starts a block that applies to a host when one of its patterns matches the
//!   name as typed (case-sensitively) and no negated pattern does ([`crate::pattern`]). Lines
//!   before the first `Host` or `Match` apply to every host.
//! - A `Match` line starts a block that applies when its criteria hold ([`super::criteria`]).
//! - Included lines continue the block of the `Include` line, and the including block resumes
//!   after them; when that block does not apply to the host, nothing the included files hold does
//!   either, whatever their own `Host` lines say.
//! - For a single-valued keyword the first value that applies wins; `IdentityFile` and
//!   `CertificateFile` values add up, in order. Of `ProxyCommand` and `ProxyJump`, the first
//!   set wins (`ProxyJump none` does not stop a later `ProxyCommand`).
//! - The user's file is read, then the system's (`/etc/ssh/ssh_config`). When a `Match` line
//!   holds `final`, both are read once more (the *final pass*) with values kept: `Host`
//!   lines then match the final host name (after `HostName`, lower-cased), and `canonical`
//!   and `final` match.

use std::collections::HashMap;
use std::path::Path;

use super::criteria::{evaluate, MatchInput};
use super::read::{Config, ConfigFile, ConfigWarning, Line};
use super::tokens::{expand, Context, Tokens};
use crate::pattern::{is_literal, match_list, wildcard_match};

/// The most `IdentityFile` or `CertificateFile` values kept (OpenSSH's `SSH_MAX_IDENTITY_FILES`).
pub const MAX_FILES_PER_KEYWORD: usize = 100;

/// The values of the keywords Outpost reads, for one host, as written (no tokens expanded).
/// `None` or empty: not set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    /// `HostName`.
    pub hostname: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port`; see [`HostConfig::port_number`].
    pub port: Option<String>,
    /// Every `IdentityFile`, in order.
    pub identity_files: Vec<String>,
    /// `ProxyJump` (`none` included; see [`HostConfig::jump_hosts`]).
    pub proxy_jump: Option<String>,
    /// `ProxyCommand`: the rest of its line (`none` included).
    pub proxy_command: Option<String>,
    /// `ForwardAgent`.
    pub forward_agent: Option<String>,
    /// `IdentityAgent`.
    pub identity_agent: Option<String>,
    /// Every `CertificateFile`, in order.
    pub certificate_files: Vec<String>,
    /// `UserKnownHostsFile`: the files of the first such line.
    pub user_known_hosts_files: Option<Vec<String>>,
    /// `StrictHostKeyChecking`.
    pub strict_host_key_checking: Option<String>,
    /// `ConnectTimeout`.
    pub connect_timeout: Option<String>,
    /// `ServerAliveInterval`.
    pub server_alive_interval: Option<String>,
}

impl HostConfig {
    /// Applies one option line: the first value of a single-valued keyword wins; an
    /// `IdentityFile` or `CertificateFile` adds to its list; other keywords and lines without
    /// arguments do nothing.
    pub fn apply(&mut self, keyword: &str, args: &[String]) {
        let Some(first) = args.first() else {
            return;
        };
        let slot = match keyword {
            "hostname" => &mut self.hostname,
            "user" => &mut self.user,
            "port" => &mut self.port,
            "proxyjump" if self.proxy_command.is_some() => return,
            "proxyjump" => &mut self.proxy_jump,
            "proxycommand" if self.jump_hosts().is_empty() => &mut self.proxy_command,
            "forwardagent" => &mut self.forward_agent,
            "identityagent" => &mut self.identity_agent,
            "stricthostkeychecking" => &mut self.strict_host_key_checking,
            "connecttimeout" => &mut self.connect_timeout,
            "serveraliveinterval" => &mut self.server_alive_interval,
            "userknownhostsfile" => {
                self.user_known_hosts_files
                    .get_or_insert_with(|| args.to_vec());
                return;
            }
            "identityfile" | "certificatefile" => {
                let list = if keyword == "identityfile" {
                    &mut self.identity_files
                } else {
                    &mut self.certificate_files
                };
                if list.len() < MAX_FILES_PER_KEYWORD {
                    list.push(first.clone());
                }
                return;
            }
            _ => return,
        };
        slot.get_or_insert_with(|| first.clone());
    }

    /// What is wrong with an option line's value, for a keyword this reads (OpenSSH refuses
    /// the whole configuration; here the line is reported and the rest still applies).
    pub fn check(keyword: &str, args: &[String]) -> Option<String> {
        let first = args.first()?;
        let bad = |what: &str| Some(format!("bad {keyword} value {first:?} ({what})"));
        match keyword {
            "port" if parse_port(first).is_none() => bad("not a port from 1 to 65535"),
            "connecttimeout" | "serveraliveinterval" if parse_seconds(first).is_none() => {
                bad("not a time such as 10, 30s or 1m")
            }
            "stricthostkeychecking" if strict_value(first).is_none() => {
                bad("yes, no, ask, accept-new or off")
            }
            _ => None,
        }
    }

    /// The port when `Port` is a number from 1 to 65535 (`ssh` refuses any other value).
    pub fn port_number(&self) -> Option<u16> {
        parse_port(self.port.as_deref()?)
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

/// A port number from 1 to 65535.
pub(crate) fn parse_port(text: &str) -> Option<u16> {
    text.parse().ok().filter(|&p| p != 0)
}

/// OpenSSH's `convtime`: seconds from `90`, `30s`, `1m30s`, `2h`, `1d`, `1w`.
pub(crate) fn parse_seconds(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604_800,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        total = total.checked_add(digits.parse().ok()?)?;
    }
    (total <= i32::MAX as u64).then_some(total)
}

/// `StrictHostKeyChecking` in OpenSSH's words: `yes`, `no`, `ask` or `accept-new`.
pub(crate) fn strict_value(text: &str) -> Option<&'static str> {
    Some(match text.to_ascii_lowercase().as_str() {
        "yes" | "true" => "yes",
        "no" | "false" | "off" => "no",
        "ask" => "ask",
        "accept-new" => "accept-new",
        _ => return None,
    })
}

/// What resolving a name gave: the values as written, and what was wrong on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The name as typed.
    pub name: String,
    /// The values that apply.
    pub config: HostConfig,
    /// Whether a final pass was made (a `Match` line held `final`).
    pub final_pass: bool,
    /// Whether a `Host` line names it by a pattern other than `*` (a concrete alias, or a
    /// pattern such as `*.internal`): the configuration knows this host.
    pub mentioned: bool,
    /// The lines with something wrong in them, in the order met (the readers' first).
    pub warnings: Vec<ConfigWarning>,
}

impl Resolution {
    /// The host name `ssh` connects to: `HostName` with `%h` expanded (the name as typed
    /// without one), lower-cased unless it may be an address (it holds `:` or `%`).
    pub fn final_host(&self, context: &Context) -> String {
        final_host(&self.name, &self.config, context).0
    }
}

/// `HostName` with `%h` expanded, lower-cased unless it may be an address (as `ssh -G` shows:
/// a name holding `:` or `%`, such as `fe80::1%eth0`, keeps its case); and unknown tokens.
fn final_host(name: &str, config: &HostConfig, context: &Context) -> (String, Vec<String>) {
    let (host, unknown) = match &config.hostname {
        Some(h) => expand(h, &name_tokens(name, context), "h"),
        None => (name.to_owned(), Vec::new()),
    };
    if host.contains([':', '%']) || host.parse::<std::net::IpAddr>().is_ok() {
        (host, unknown)
    } else {
        (host.to_lowercase(), unknown)
    }
}

/// Tokens where only `%h` (the name) is known.
fn name_tokens<'a>(name: &'a str, context: &'a Context) -> Tokens<'a> {
    Tokens {
        context,
        host: name,
        port: 22,
        remote_user: "",
        original: name,
        proxy_jump: "",
    }
}

/// Resolves `name` (as typed) through `configs` in order (the user's file, then the system's),
/// as `ssh` does; see the [module documentation](self).
pub fn resolve_host(configs: &[&Config], name: &str, context: &Context) -> Resolution {
    let mut pass = Pass {
        context,
        original: name,
        host: name.to_owned(),
        final_pass: false,
        wants_final: false,
        mentioned: false,
        out: HostConfig::default(),
        warnings: configs.iter().flat_map(|c| c.warnings.clone()).collect(),
    };
    for c in configs {
        pass.walk(&c.root, &mut true, false);
    }
    if pass.wants_final {
        let (host, unknown) = final_host(name, &pass.out, context);
        if !unknown.is_empty() {
            pass.warnings.push(ConfigWarning {
                path: Default::default(),
                line: 0,
                message: format!("HostName: unknown tokens {}", unknown.join(" ")),
            });
        }
        pass.host = host;
        pass.final_pass = true;
        for c in configs {
            pass.walk(&c.root, &mut true, false);
        }
    }
    let mut seen = std::collections::HashSet::new();
    pass.warnings.retain(|w| seen.insert(w.clone()));
    Resolution {
        name: name.to_owned(),
        config: pass.out,
        final_pass: pass.final_pass,
        mentioned: pass.mentioned,
        warnings: pass.warnings,
    }
}

/// One pass over the files.
struct Pass<'a> {
    context: &'a Context,
    original: &'a str,
    /// What `Host` lines match: the name as typed, in the final pass the final host name.
    host: String,
    final_pass: bool,
    wants_final: bool,
    mentioned: bool,
    out: HostConfig,
    warnings: Vec<ConfigWarning>,
}

impl Pass<'_> {
    /// Walks `file` as OpenSSH's `read_config_file` does; `never` is its `SSHCONF_NEVERMATCH`
    /// (an enclosing block does not apply).
    fn walk(&mut self, file: &ConfigFile, active: &mut bool, never: bool) {
        for line in &file.lines {
            match line {
                Line::Host(patterns) => {
                    *active = !never && match_list(&self.host, patterns.iter().map(String::as_str));
                    self.mentioned |= *active
                        && patterns.iter().any(|p| {
                            !p.starts_with('!') && p != "*" && wildcard_match(p, &self.host)
                        });
                }
                Line::Match { criteria, number } => {
                    let matched = self.match_line(criteria, &file.path, *number);
                    *active = !never && matched;
                }
                Line::Include(files) => {
                    let outer = *active;
                    for f in files {
                        self.walk(f, active, never || !outer);
                        *active = outer;
                    }
                }
                Line::Option {
                    keyword,
                    args,
                    number,
                } => {
                    if *active {
                        if let Some(message) = HostConfig::check(keyword, args) {
                            self.warnings.push(ConfigWarning {
                                path: file.path.clone(),
                                line: *number,
                                message,
                            });
                            continue;
                        }
                        self.out.apply(keyword, args);
                    }
                }
            }
        }
    }

    /// Evaluates a `Match` line with the values so far.
    fn match_line(&mut self, criteria: &[String], path: &Path, number: usize) -> bool {
        let host = if self.final_pass {
            self.host.clone()
        } else {
            match &self.out.hostname {
                Some(h) => expand(h, &name_tokens(self.original, self.context), "h").0,
                None => self.original.to_owned(),
            }
        };
        let input = MatchInput {
            context: self.context,
            host: &host,
            original: self.original,
            user: self.out.user.as_deref().unwrap_or(&self.context.local_user),
            port: self.out.port_number().unwrap_or(22),
            final_pass: self.final_pass,
        };
        let outcome = evaluate(criteria, &input, path);
        self.wants_final |= outcome.wants_final;
        for message in outcome.warnings {
            self.warnings.push(ConfigWarning {
                path: path.to_path_buf(),
                line: number,
                message,
            });
        }
        outcome.matched
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
    /// What `ssh` applies for `host` (the name as typed) from this file alone, with the
    /// current process's [`Context`]; see [`resolve_host`].
    pub fn resolve(&self, host: &str) -> HostConfig {
        resolve_host(&[self], host, &Context::current()).config
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
                Line::Match { criteria, .. } => {
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
                Line::Option { keyword, args, .. } => {
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

    #[test]
    fn bad_lines_are_reported_and_the_rest_applies() {
        let home = crate::config::read::tests::home_with(&[
            (
                "config",
                concat!(
                    "Host web\n",
                    "  Port abc\n",
                    "  User \"unterminated\n",
                    "  ConnectTimeout soon\n",
                    "  HostName\n",
                    "Match bogus x\n  Port 1\n",
                    "Match exec true\n  Port 2\n",
                    "Host *\n  Include loop\n  Port 2200\n  StrictHostKeyChecking maybe\n",
                ),
            ),
            ("loop", "Include loop\n"),
        ]);
        let ssh = home.path().join(".ssh");
        let config = Reader::new(home.path())
            .lenient()
            .read(&ssh.join("config"))
            .unwrap();
        let ctx = Context::current();
        let r = resolve_host(&[&config], "web", &ctx);
        assert_eq!(r.config.port_number(), Some(2200));
        assert_eq!(r.config.user.as_deref(), Some("unterminated"));
        let lines: Vec<(String, usize)> = r
            .warnings
            .iter()
            .map(|w| (w.path.file_name().unwrap().to_string_lossy().into(), w.line))
            .collect();
        for want in [3, 5, 2, 4, 6, 8, 13] {
            assert!(
                lines.contains(&("config".into(), want)),
                "line {want}: {:?}",
                r.warnings
            );
        }
        let text: Vec<String> = r.warnings.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("settings")), "{text:?}");
        assert!(
            text.iter().any(|t| t.contains("config line 2: bad port")),
            "{text:?}"
        );
        // The include that cannot be read (too deep) is reported by the reader.
        assert!(!config.skipped.is_empty());
        // Allowed, `exec` runs and matches.
        let r = resolve_host(&[&config], "web", &ctx.clone().allow_exec(true));
        assert_eq!(r.config.port_number(), Some(2));
    }

    #[test]
    fn system_file_after_the_users() {
        let user = parse("Host a\n  User mine\n");
        let system = Reader::new(Path::new("/nonexistent"))
            .parse(
                "Host *\n  User sys\n  Port 2022\n",
                Path::new("/etc/ssh/ssh_config"),
            )
            .unwrap();
        let r = resolve_host(&[&user, &system], "a", &Context::current());
        assert!(r.mentioned);
        assert!(!resolve_host(&[&user, &system], "b", &Context::current()).mentioned);
        assert_eq!(r.config.user.as_deref(), Some("mine"));
        assert_eq!(r.config.port_number(), Some(2022));
    }
}

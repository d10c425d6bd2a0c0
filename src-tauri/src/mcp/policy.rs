//! What the MCP server lets a model do: `policy.json` in the configuration directory
//! ([`POLICY_FILE`]), checked before every tool call.
//!
//! ```json
//! {
//!   "allowed_hosts": ["local", "web-*"],
//!   "hosts": {
//!     "*":     { "deny_commands": ["\\brm\\s+-rf\\b"] },
//!     "web-1": { "read_only": true }
//!   },
//!   "disabled_tools": ["exec_run"],
//!   "runtime_changes": "tighten"
//! }
//! ```
//!
//! - `allowed_hosts`: host names (`*` matches any run of characters); absent: every host.
//! - `hosts`: rules per host name; the `"*"` entry applies to every host and a host's own
//!   entry adds to it (read-only if either says so, deny patterns and disabled tools of both,
//!   the host's own `allow_commands` when it has any, else those of `"*"`).
//! - `read_only`: no typing, no commands, no new or ended sessions, no signals.
//! - `deny_commands` / `allow_commands`: regular expressions (Rust `regex` syntax) matched
//!   against a command line before `session_exec`, `exec_run`, `group_exec` and against the
//!   text of `session_send`. A match of a deny pattern refuses; when allow patterns exist, a
//!   command must match one of them. This is a guard against mistakes, not a sandbox: a shell
//!   runs whatever it is given, and a command can be spelt in endless ways (see docs/mcp.md).
//! - `disabled_tools`: tools that are refused (globally, or per host in a host's entry).
//! - `runtime_changes`: what the `policy` tool may change while the server runs: `none`,
//!   `tighten` (the default: only stricter than the file) or `any`. Changes made at run time
//!   last until the server exits; the file is never rewritten.
//!
//! Every refusal is a [`Refusal`] naming the rule that refused (`hosts.web-1.read_only`,
//! `hosts.*.deny_commands[0]`, `disabled_tools`, …).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The policy file's name in the configuration directory.
pub const POLICY_FILE: &str = "policy.json";

/// The largest policy file read, in bytes.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// The most patterns one host entry may hold.
pub const MAX_PATTERNS: usize = 256;

/// The longest pattern, in bytes.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// What the `policy` tool may change at run time.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeChanges {
    /// Nothing.
    None,
    /// Only what leaves the policy at least as strict as the file.
    #[default]
    Tighten,
    /// Anything.
    Any,
}

/// One host's rules (or every host's, under `"*"`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostRules {
    /// No typing, no commands, no new or ended sessions, no signals: only looking.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// When not empty, a command must match one of these regular expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_commands: Vec<String>,
    /// A command matching any of these regular expressions is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_commands: Vec<String>,
    /// Tools refused on this host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
}

/// The policy as written in `policy.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// The hosts that may be used (`*` wildcards); absent: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_hosts: Option<Vec<String>>,
    /// Rules per host; `"*"` applies to every host.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosts: BTreeMap<String, HostRules>,
    /// Tools refused everywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
    /// What the `policy` tool may change at run time.
    #[serde(default)]
    pub runtime_changes: RuntimeChanges,
}

/// Why the policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_POLICY_BYTES`].
    #[error("{path} is larger than {MAX_POLICY_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a policy.
    #[error("{path} is not a valid policy: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: serde_json::Error,
    },
    /// A rule is out of bounds or a pattern does not compile.
    #[error("policy rule {rule}: {reason}")]
    Rule {
        /// The rule, e.g. `hosts.web.deny_commands[2]`.
        rule: String,
        /// What is wrong.
        reason: String,
    },
}

/// A refusal: which rule refused what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The rule, e.g. `hosts.web-1.read_only` or `hosts.*.deny_commands[0]`.
    pub rule: String,
    /// Why, for people.
    pub message: String,
    /// The pattern that matched, for command rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Refusal {
    fn new(rule: String, message: String) -> Self {
        Refusal {
            rule,
            message,
            pattern: None,
        }
    }
}

/// A change the `policy` tool asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// The host entry changed (`"*"` for every host); `None`: the global tool list.
    pub host: Option<String>,
    /// Set or clear read-only.
    pub read_only: Option<bool>,
    /// Patterns added to the deny list.
    pub add_deny_commands: Vec<String>,
    /// Patterns removed from the deny list.
    pub remove_deny_commands: Vec<String>,
    /// Tools disabled.
    pub disable_tools: Vec<String>,
    /// Tools enabled again.
    pub enable_tools: Vec<String>,
}

impl Change {
    /// Whether the change changes nothing (a request to show the policy).
    pub fn is_empty(&self) -> bool {
        self.read_only.is_none()
            && self.add_deny_commands.is_empty()
            && self.remove_deny_commands.is_empty()
            && self.disable_tools.is_empty()
            && self.enable_tools.is_empty()
    }
}

/// A pattern with the rule that holds it.
#[derive(Clone, Debug)]
struct Pattern {
    rule: String,
    source: String,
    regex: Regex,
}

/// The policy in force: the file as loaded, the current rules (with run-time changes) and their
/// compiled patterns.
#[derive(Clone, Debug)]
pub struct Policy {
    file: PolicyFile,
    current: PolicyFile,
    allow: BTreeMap<String, Vec<Pattern>>,
    deny: BTreeMap<String, Vec<Pattern>>,
}

/// Whether `name` matches `glob`, where `*` matches any run of characters.
fn glob_match(glob: &str, name: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn compile(host: &str, what: &str, patterns: &[String]) -> Result<Vec<Pattern>, PolicyError> {
    if patterns.len() > MAX_PATTERNS {
        return Err(PolicyError::Rule {
            rule: format!("hosts.{host}.{what}"),
            reason: format!("more than {MAX_PATTERNS} patterns"),
        });
    }
    patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let rule = format!("hosts.{host}.{what}[{i}]");
            if p.len() > MAX_PATTERN_BYTES {
                return Err(PolicyError::Rule {
                    rule,
                    reason: format!("longer than {MAX_PATTERN_BYTES} bytes"),
                });
            }
            let regex = Regex::new(p).map_err(|e| PolicyError::Rule {
                rule: rule.clone(),
                reason: e.to_string(),
            })?;
            Ok(Pattern {
                rule,
                source: p.clone(),
                regex,
            })
        })
        .collect()
}

impl Policy {
    /// A policy over `file`, its patterns compiled.
    pub fn new(file: PolicyFile) -> Result<Policy, PolicyError> {
        let mut p = Policy {
            file: file.clone(),
            current: PolicyFile::default(),
            allow: BTreeMap::new(),
            deny: BTreeMap::new(),
        };
        p.install(file)?;
        Ok(p)
    }

    /// Reads `path`; a missing file is the default policy (everything allowed, run-time
    /// changes only tightening).
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let read = |source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Policy::new(PolicyFile::default())
            }
            Err(e) => return Err(read(e)),
        };
        if meta.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read(path).map_err(read)?;
        let file = serde_json::from_slice(&text).map_err(|source| PolicyError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::new(file)
    }

    fn install(&mut self, current: PolicyFile) -> Result<(), PolicyError> {
        let mut allow = BTreeMap::new();
        let mut deny = BTreeMap::new();
        for (host, rules) in &current.hosts {
            allow.insert(
                host.clone(),
                compile(host, "allow_commands", &rules.allow_commands)?,
            );
            deny.insert(
                host.clone(),
                compile(host, "deny_commands", &rules.deny_commands)?,
            );
        }
        self.current = current;
        self.allow = allow;
        self.deny = deny;
        Ok(())
    }

    /// The rules in force (the file with run-time changes).
    pub fn current(&self) -> &PolicyFile {
        &self.current
    }

    /// The entries that apply to `host`: `"*"`, then its own.
    fn entries<'a>(&'a self, host: &'a str) -> impl Iterator<Item = (&'a str, &'a HostRules)> {
        ["*", host]
            .into_iter()
            .enumerate()
            .filter(move |(i, h)| *i == 0 || *h != "*")
            .filter_map(|(_, h)| self.current.hosts.get(h).map(|r| (h, r)))
    }

    /// Whether `host` may be used at all.
    pub fn host_allowed(&self, host: &str) -> Result<(), Refusal> {
        match &self.current.allowed_hosts {
            Some(list) if !list.iter().any(|g| glob_match(g, host)) => Err(Refusal::new(
                "allowed_hosts".into(),
                format!("the host {host:?} is not in the policy's allowed_hosts"),
            )),
            _ => Ok(()),
        }
    }

    /// Whether `tool` may be called (on `host`, when it names one).
    pub fn tool_allowed(&self, tool: &str, host: Option<&str>) -> Result<(), Refusal> {
        if self.current.disabled_tools.iter().any(|t| t == tool) {
            return Err(Refusal::new(
                "disabled_tools".into(),
                format!("the tool {tool} is disabled by the policy"),
            ));
        }
        if let Some(host) = host {
            self.host_allowed(host)?;
            for (name, rules) in self.entries(host) {
                if rules.disabled_tools.iter().any(|t| t == tool) {
                    return Err(Refusal::new(
                        format!("hosts.{name}.disabled_tools"),
                        format!("the tool {tool} is disabled on {host} by the policy"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The rule that makes `host` read-only, if one does.
    pub fn read_only_rule(&self, host: &str) -> Option<String> {
        self.entries(host)
            .find(|(_, r)| r.read_only)
            .map(|(name, _)| format!("hosts.{name}.read_only"))
    }

    /// Whether `host` lets `what` (typing, a command, a new session…) happen.
    pub fn check_writable(&self, host: &str, what: &str) -> Result<(), Refusal> {
        match self.read_only_rule(host) {
            Some(rule) => Err(Refusal::new(
                rule,
                format!("{host} is read-only under the policy: {what} is refused"),
            )),
            None => Ok(()),
        }
    }

    /// Whether `command` may run (or be typed) on `host`: not read-only, no deny pattern
    /// matches, and an allow pattern matches when there are any.
    pub fn check_command(&self, host: &str, command: &str) -> Result<(), Refusal> {
        self.check_writable(host, "input")?;
        for (name, _) in self.entries(host) {
            for p in self.deny.get(name).into_iter().flatten() {
                if p.regex.is_match(command) {
                    return Err(Refusal {
                        rule: p.rule.clone(),
                        message: format!("the command matches the denied pattern {:?}", p.source),
                        pattern: Some(p.source.clone()),
                    });
                }
            }
        }
        let own = self.allow.get(host).filter(|a| !a.is_empty());
        let (name, allow) = match own {
            Some(a) => (host, a),
            None => match self.allow.get("*") {
                Some(a) if !a.is_empty() => ("*", a),
                _ => return Ok(()),
            },
        };
        if allow.iter().any(|p| p.regex.is_match(command)) {
            Ok(())
        } else {
            Err(Refusal::new(
                format!("hosts.{name}.allow_commands"),
                "the command matches none of the allowed patterns".into(),
            ))
        }
    }

    /// Applies a run-time change where `runtime_changes` allows it.
    pub fn change(&mut self, change: &Change) -> Result<(), Refusal> {
        let refuse = |message: String| Refusal::new("runtime_changes".into(), message);
        if self.file.runtime_changes == RuntimeChanges::None {
            return Err(refuse(
                "the policy file does not allow changes at run time (runtime_changes: none)".into(),
            ));
        }
        let mut next = self.current.clone();
        let tools = match &change.host {
            Some(host) => {
                let entry = next.hosts.entry(host.clone()).or_default();
                if let Some(r) = change.read_only {
                    entry.read_only = r;
                }
                for p in &change.add_deny_commands {
                    if !entry.deny_commands.contains(p) {
                        entry.deny_commands.push(p.clone());
                    }
                }
                entry
                    .deny_commands
                    .retain(|p| !change.remove_deny_commands.contains(p));
                &mut entry.disabled_tools
            }
            None => {
                if change.read_only.is_some()
                    || !change.add_deny_commands.is_empty()
                    || !change.remove_deny_commands.is_empty()
                {
                    return Err(Refusal::new(
                        "policy".into(),
                        "read_only and command patterns are per host: name a host (or \"*\")"
                            .into(),
                    ));
                }
                &mut next.disabled_tools
            }
        };
        for t in &change.disable_tools {
            if !tools.contains(t) {
                tools.push(t.clone());
            }
        }
        tools.retain(|t| !change.enable_tools.contains(t));
        if self.file.runtime_changes == RuntimeChanges::Tighten {
            if let Some(looser) = looser_than(&next, &self.file) {
                return Err(refuse(format!(
                    "the policy file allows only tightening at run time (runtime_changes: tighten): {looser}"
                )));
            }
        }
        let before = self.clone();
        self.install(next).map_err(|e| {
            *self = before;
            match e {
                PolicyError::Rule { rule, reason } => Refusal::new(rule, reason),
                other => Refusal::new("policy".into(), other.to_string()),
            }
        })
    }
}

/// What in `next` is looser than in `file`, if anything.
fn looser_than(next: &PolicyFile, file: &PolicyFile) -> Option<String> {
    if let Some(t) = file
        .disabled_tools
        .iter()
        .find(|t| !next.disabled_tools.contains(t))
    {
        return Some(format!("enables the tool {t} that the file disables"));
    }
    for (host, rules) in &file.hosts {
        let Some(n) = next.hosts.get(host) else {
            return Some(format!("drops the rules of {host}"));
        };
        if rules.read_only && !n.read_only {
            return Some(format!("clears read_only of {host}"));
        }
        if let Some(p) = rules
            .deny_commands
            .iter()
            .find(|p| !n.deny_commands.contains(p))
        {
            return Some(format!("removes the denied pattern {p:?} of {host}"));
        }
        if let Some(t) = rules
            .disabled_tools
            .iter()
            .find(|t| !n.disabled_tools.contains(t))
        {
            return Some(format!("enables the tool {t} on {host}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: serde_json::Value) -> Policy {
        Policy::new(serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn globs() {
        assert!(glob_match("web-*", "web-1"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXcYb"));
        assert!(!glob_match("web-*", "db-1"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("local", "local"));
    }

    #[test]
    fn refusals_name_their_rule() {
        let p = policy(serde_json::json!({
            "allowed_hosts": ["local", "web-*"],
            "hosts": {
                "*": {"deny_commands": ["\\brm\\s+-rf\\b"]},
                "web-1": {"read_only": true},
                "web-2": {"allow_commands": ["^ls\\b", "^cat\\b"], "disabled_tools": ["exec_run"]}
            },
            "disabled_tools": ["group_exec"]
        }));
        assert_eq!(p.host_allowed("db").unwrap_err().rule, "allowed_hosts");
        assert!(p.host_allowed("web-9").is_ok());
        let r = p.check_command("local", "sudo rm -rf /").unwrap_err();
        assert_eq!(r.rule, "hosts.*.deny_commands[0]");
        assert_eq!(r.pattern.as_deref(), Some("\\brm\\s+-rf\\b"));
        assert!(p.check_command("local", "ls").is_ok());
        assert_eq!(
            p.check_command("web-1", "ls").unwrap_err().rule,
            "hosts.web-1.read_only"
        );
        assert_eq!(
            p.check_command("web-2", "whoami").unwrap_err().rule,
            "hosts.web-2.allow_commands"
        );
        assert!(p.check_command("web-2", "cat /etc/hostname").is_ok());
        assert_eq!(
            p.tool_allowed("group_exec", None).unwrap_err().rule,
            "disabled_tools"
        );
        assert_eq!(
            p.tool_allowed("exec_run", Some("web-2")).unwrap_err().rule,
            "hosts.web-2.disabled_tools"
        );
        assert!(p.tool_allowed("exec_run", Some("local")).is_ok());
    }

    #[test]
    fn bad_patterns_are_named() {
        let file: PolicyFile = serde_json::from_value(serde_json::json!({
            "hosts": {"h": {"deny_commands": ["ok", "(unclosed"]}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        match Policy::new(file) {
            Err(PolicyError::Rule { rule, .. }) => assert_eq!(rule, "hosts.h.deny_commands[1]"),
            other => panic!("{other:?}"),
        }
        assert!(serde_json::from_value::<PolicyFile>(serde_json::json!({"hostz": {}})).is_err());
    }

    #[test]
    fn runtime_changes_follow_the_file() {
        let mut p = policy(serde_json::json!({
            "hosts": {"web": {"read_only": true, "deny_commands": ["reboot"]}},
            "disabled_tools": ["exec_run"]
        }));
        let tighten = Change {
            host: Some("local".into()),
            read_only: Some(true),
            ..Change::default()
        };
        p.change(&tighten).unwrap_or_else(|r| panic!("{r:?}"));
        assert!(p.check_command("local", "ls").is_err());
        let undo = Change {
            host: Some("local".into()),
            read_only: Some(false),
            ..Change::default()
        };
        p.change(&undo).unwrap_or_else(|r| panic!("{r:?}"));
        assert!(p.check_command("local", "ls").is_ok());
        let loosen = Change {
            host: Some("web".into()),
            read_only: Some(false),
            ..Change::default()
        };
        assert_eq!(p.change(&loosen).unwrap_err().rule, "runtime_changes");
        let enable = Change {
            enable_tools: vec!["exec_run".into()],
            ..Change::default()
        };
        assert_eq!(p.change(&enable).unwrap_err().rule, "runtime_changes");
        let bad = Change {
            host: Some("local".into()),
            add_deny_commands: vec!["(".into()],
            ..Change::default()
        };
        assert!(p.change(&bad).is_err());
        assert!(
            p.check_command("local", "(").is_ok(),
            "a failed change leaves the policy"
        );

        let mut fixed = policy(serde_json::json!({"runtime_changes": "none"}));
        assert_eq!(fixed.change(&tighten).unwrap_err().rule, "runtime_changes");
        let mut any = policy(serde_json::json!({
            "hosts": {"web": {"read_only": true}}, "runtime_changes": "any"
        }));
        any.change(&loosen).unwrap_or_else(|r| panic!("{r:?}"));
        assert!(any.check_command("web", "ls").is_ok());
    }
}

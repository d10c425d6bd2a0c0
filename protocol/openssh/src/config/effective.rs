//! [`Effective`]: the settings `ssh` would use for a host, with OpenSSH's defaults filled in and
//! tokens expanded where `ssh -G` shows them expanded — the fields of `outpost hosts show`.
//!
//! | field | unset | as shown |
//! |---|---|---|
//! | `hostname` | the name as typed | `%h` expanded, lower-cased unless it holds `:` or `%` (an address) |
//! | `port` | 22 | |
//! | `user` | the local user | as written |
//! | `identity_files` | `~/.ssh/id_rsa`, `id_ecdsa`, `id_ecdsa_sk`, `id_ed25519`, `id_ed25519_sk`, `id_xmss`, `id_dsa` | as written (expanded when used: [`Effective::expanded_path`]) |
//! | `proxy_jump` | none | split at commas; `none` is none |
//! | `proxy_command` | none | as written; `none` is none (expanded when run: [`Effective::expanded_proxy_command`]) |
//! | `forward_agent` | `no` | `yes`, `no`, or a socket path with `~` and tokens expanded |
//! | `identity_agent` | none | `~` and tokens expanded (`none` and `SSH_AUTH_SOCK` as written) |
//! | `certificate_files` | none | as written |
//! | `user_known_hosts_files` | `~/.ssh/known_hosts ~/.ssh/known_hosts2` | `~` and tokens expanded |
//! | `strict_host_key_checking` | `ask` | `yes`, `no`, `ask` or `accept-new` |
//! | `connect_timeout` | none | seconds; `0` (no limit, for `ssh`) is shown as none |
//! | `server_alive_interval` | 0 | seconds |

use serde::Serialize;

use super::resolve::{parse_seconds, strict_value, Resolution};
use super::tokens::{expand, expand_path, Context, Tokens, PROXY_COMMAND_TOKENS};

/// The key files `ssh` tries when no `IdentityFile` applies, in its order (OpenSSH 9.x).
pub const DEFAULT_IDENTITY_FILES: [&str; 7] = [
    "~/.ssh/id_rsa",
    "~/.ssh/id_ecdsa",
    "~/.ssh/id_ecdsa_sk",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ed25519_sk",
    "~/.ssh/id_xmss",
    "~/.ssh/id_dsa",
];

/// The known-hosts files `ssh` reads when no `UserKnownHostsFile` applies.
pub const DEFAULT_USER_KNOWN_HOSTS_FILES: [&str; 2] = ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"];

/// The settings for one host; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// The host name connected to.
    pub hostname: String,
    /// The port.
    pub port: u16,
    /// The remote user.
    pub user: String,
    /// Key files, in order, as written.
    pub identity_files: Vec<String>,
    /// Jump hosts, in order.
    pub proxy_jump: Vec<String>,
    /// The proxy command, as written.
    pub proxy_command: Option<String>,
    /// `yes`, `no` or a socket path.
    pub forward_agent: String,
    /// The agent socket, `none`, or `SSH_AUTH_SOCK`; unset: the environment's.
    pub identity_agent: Option<String>,
    /// Certificate files, as written.
    pub certificate_files: Vec<String>,
    /// Known-hosts files, expanded.
    pub user_known_hosts_files: Vec<String>,
    /// `yes`, `no`, `ask` or `accept-new`.
    pub strict_host_key_checking: String,
    /// Seconds; unset: the system's TCP timeout.
    pub connect_timeout: Option<u64>,
    /// Seconds; 0: no keepalives.
    pub server_alive_interval: u64,
    /// The name as typed (for `%n` when used).
    #[serde(skip)]
    pub original: String,
    /// Tokens left as written because OpenSSH does not know them or Outpost does not expand
    /// them (e.g. `%C`), by field.
    #[serde(skip)]
    pub unexpanded: Vec<String>,
}

impl Effective {
    /// The settings of `resolution`, with defaults and expansions for `context`.
    pub fn new(resolution: &Resolution, context: &Context) -> Effective {
        let c = &resolution.config;
        let hostname = resolution.final_host(context);
        let port = c.port_number().unwrap_or(22);
        let user = c.user.clone().unwrap_or_else(|| context.local_user.clone());
        let proxy_jump = c.jump_hosts();
        let jump_text = proxy_jump.join(",");
        let tokens = Tokens {
            context,
            host: &hostname,
            port,
            remote_user: &user,
            original: &resolution.name,
            proxy_jump: &jump_text,
        };
        let mut unexpanded = Vec::new();
        let mut path = |field: &str, text: &str| {
            let (out, bad) = expand_path(text, &tokens);
            unexpanded.extend(bad.into_iter().map(|t| format!("{field}: {t}")));
            out
        };
        let identity_files = if c.identity_files.is_empty() {
            DEFAULT_IDENTITY_FILES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            c.identity_files.clone()
        };
        let forward_agent = match c.forward_agent.as_deref() {
            None => "no".to_owned(),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "yes" | "true" => "yes".to_owned(),
                "no" | "false" => "no".to_owned(),
                _ => path("forward_agent", v),
            },
        };
        let identity_agent = c.identity_agent.as_deref().map(|v| {
            if v.eq_ignore_ascii_case("none") || v == "SSH_AUTH_SOCK" {
                v.to_owned()
            } else {
                path("identity_agent", v)
            }
        });
        let user_known_hosts_files = match &c.user_known_hosts_files {
            Some(files) => files
                .iter()
                .map(|f| path("user_known_hosts_files", f))
                .collect(),
            None => DEFAULT_USER_KNOWN_HOSTS_FILES
                .iter()
                .map(|f| path("user_known_hosts_files", f))
                .collect(),
        };
        let proxy_command = c
            .proxy_command
            .clone()
            .filter(|p| !p.eq_ignore_ascii_case("none"));
        Effective {
            hostname,
            port,
            user,
            identity_files,
            proxy_jump,
            proxy_command,
            forward_agent,
            identity_agent,
            certificate_files: c.certificate_files.clone(),
            user_known_hosts_files,
            strict_host_key_checking: c
                .strict_host_key_checking
                .as_deref()
                .and_then(strict_value)
                .unwrap_or("ask")
                .to_owned(),
            connect_timeout: c
                .connect_timeout
                .as_deref()
                .and_then(parse_seconds)
                .filter(|&s| s > 0),
            server_alive_interval: c
                .server_alive_interval
                .as_deref()
                .and_then(parse_seconds)
                .unwrap_or(0),
            original: resolution.name.clone(),
            unexpanded,
        }
    }

    /// The tokens of this host.
    fn tokens<'a>(&'a self, context: &'a Context, jumps: &'a str) -> Tokens<'a> {
        Tokens {
            context,
            host: &self.hostname,
            port: self.port,
            remote_user: &self.user,
            original: &self.original,
            proxy_jump: jumps,
        }
    }

    /// A path field (`identity_files`, `certificate_files`) as `ssh` uses it: `~` and tokens
    /// expanded; an unknown token is an error naming it.
    pub fn expanded_path(&self, text: &str, context: &Context) -> Result<String, String> {
        let jumps = self.proxy_jump.join(",");
        let (out, bad) = expand_path(text, &self.tokens(context, &jumps));
        if bad.is_empty() {
            Ok(out)
        } else {
            Err(format!("{text:?}: unknown tokens {}", bad.join(" ")))
        }
    }

    /// The proxy command as `ssh` runs it (`%h %p %r %n %k` expanded), to give to `sh -c`;
    /// `None` when there is none; an unknown token is an error naming it.
    pub fn expanded_proxy_command(&self, context: &Context) -> Option<Result<String, String>> {
        let command = self.proxy_command.as_deref()?;
        let jumps = self.proxy_jump.join(",");
        let (out, bad) = expand(command, &self.tokens(context, &jumps), PROXY_COMMAND_TOKENS);
        Some(if bad.is_empty() {
            Ok(out)
        } else {
            Err(format!(
                "ProxyCommand {command:?}: unknown tokens {}",
                bad.join(" ")
            ))
        })
    }
}

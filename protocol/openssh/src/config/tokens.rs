//! OpenSSH's `%` tokens, `${VAR}` and `~`: the local facts a resolution needs ([`Context`]), the
//! values of the tokens for one host ([`Tokens`]) and expanding them ([`expand`],
//! [`expand_path`]).
//!
//! | token | value |
//! |---|---|
//! | `%%` | a literal `%` |
//! | `%C` | SHA-1 (lower-case hex) of `%l%h%p%r`, as OpenSSH computes it |
//! | `%h` | the remote host name (after `HostName`) |
//! | `%p` | the remote port |
//! | `%r` | the remote user |
//! | `%n` | the name as typed (the original host) |
//! | `%k` | the host key alias: here always the name as typed |
//! | `%j` | the `ProxyJump` value, empty when none |
//! | `%u` | the local user |
//! | `%l` / `%L` | the local host name, in full / up to its first dot |
//! | `%d` | the local home directory |
//! | `%i` | the local user id |
//!
//! In paths ([`expand_path`]: `IdentityFile`, `CertificateFile`, `UserKnownHostsFile`,
//! `IdentityAgent`, a `ForwardAgent` socket, `ControlPath`) `${VAR}` is replaced by the
//! environment variable's value in the same pass, as OpenSSH's `percent_dollar_expand` does (a
//! value is inserted as it is, never expanded again); `$VAR` without braces stays as written.
//! `ProxyCommand` and `HostName` get no `${VAR}` expansion (the shell sees `ProxyCommand`'s).
//!
//! An unknown token, a variable that is not set, or a `${` without its `}` (OpenSSH refuses
//! the configuration) is left as written and reported, so one bad line never hides the rest.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sha1::{Digest, Sha1};

/// Where `${VAR}` values come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Environment {
    /// This process's environment, as `ssh` reads its own.
    #[default]
    Process,
    /// These values only (tests, and resolving on behalf of another environment).
    Fixed(BTreeMap<String, String>),
}

impl Environment {
    /// The value of `name`, when set.
    pub fn get(&self, name: &str) -> Option<String> {
        match self {
            Environment::Process => std::env::var(name).ok(),
            Environment::Fixed(vars) => vars.get(name).cloned(),
        }
    }
}

/// What a resolution needs to know about this side: who is running, where, and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The local user's name (`%u`, `Match localuser`, the default `User`).
    pub local_user: String,
    /// The local home directory (`~`, `%d`).
    pub home: PathBuf,
    /// The local user id (`%i`).
    pub uid: u32,
    /// The local host name (`%l`; `%L` is its part before the first dot).
    pub local_hostname: String,
    /// Whether `Match exec` may run its command; when not, it does not match (with a warning).
    pub allow_exec: bool,
    /// Where `${VAR}` in paths is looked up.
    pub env: Environment,
}

impl Context {
    /// The facts of the process running this: its user (password entry, else `$USER`), home
    /// ([`crate::home_dir`]), uid and host name. `Match exec` is not allowed.
    pub fn current() -> Context {
        let uid = nix::unistd::getuid();
        let entry = nix::unistd::User::from_uid(uid).ok().flatten();
        let local_user = entry
            .as_ref()
            .map(|u| u.name.clone())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let home = crate::home_dir()
            .or_else(|| entry.map(|u| u.dir))
            .unwrap_or_else(|| PathBuf::from("/"));
        let local_hostname = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default();
        Context {
            local_user,
            home,
            uid: uid.as_raw(),
            local_hostname,
            allow_exec: false,
            env: Environment::Process,
        }
    }

    /// The same context with `Match exec` allowed or not.
    pub fn allow_exec(mut self, allow: bool) -> Context {
        self.allow_exec = allow;
        self
    }
}

/// The values of the tokens for one host; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens<'a> {
    /// The local facts.
    pub context: &'a Context,
    /// `%h`.
    pub host: &'a str,
    /// `%p`.
    pub port: u16,
    /// `%r`.
    pub remote_user: &'a str,
    /// `%n` and `%k`.
    pub original: &'a str,
    /// `%j`.
    pub proxy_jump: &'a str,
}

impl Tokens<'_> {
    /// The value of token `c`, `None` for an unknown token.
    fn value(&self, c: char) -> Option<String> {
        let ctx = self.context;
        Some(match c {
            'h' => self.host.to_owned(),
            'p' => self.port.to_string(),
            'r' => self.remote_user.to_owned(),
            'n' | 'k' => self.original.to_owned(),
            'j' => self.proxy_jump.to_owned(),
            'u' => ctx.local_user.clone(),
            'l' => ctx.local_hostname.clone(),
            'L' => ctx
                .local_hostname
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned(),
            'd' => ctx.home.to_string_lossy().into_owned(),
            'i' => ctx.uid.to_string(),
            'C' => connection_hash(&ctx.local_hostname, self.host, self.port, self.remote_user),
            _ => return None,
        })
    }
}

/// `%C`: the SHA-1 of `%l%h%p%r` in lower-case hex (OpenSSH's `ssh_connection_hash`).
pub fn connection_hash(local_host: &str, host: &str, port: u16, user: &str) -> String {
    let mut h = Sha1::new();
    h.update(local_host.as_bytes());
    h.update(host.as_bytes());
    h.update(port.to_string().as_bytes());
    h.update(user.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Expands the tokens of `text` that `allowed` lists (and `%%`); any other `%x`, or a `%` at
/// the end, is kept as written and returned in the error list.
pub fn expand(text: &str, tokens: &Tokens<'_>, allowed: &str) -> (String, Vec<String>) {
    expand_with(text, tokens, allowed, false)
}

/// [`expand`], and `${VAR}` too when `dollar` (one pass, as OpenSSH's
/// `vdollar_percent_expand`: a variable's value is not expanded again).
fn expand_with(
    text: &str,
    tokens: &Tokens<'_>,
    allowed: &str,
    dollar: bool,
) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if dollar && c == '$' && chars.as_str().starts_with('{') {
            let rest = &chars.as_str()[1..];
            match rest.split_once('}') {
                Some((name, after)) if !name.is_empty() => {
                    match tokens.context.env.get(name) {
                        Some(v) => out.push_str(&v),
                        None => {
                            unknown.push(format!("${{{name}}} (not set)"));
                            out.push_str(&format!("${{{name}}}"));
                        }
                    }
                    chars = after.chars();
                }
                _ => {
                    // No closing brace, or `${}`: OpenSSH refuses it; kept as written.
                    unknown.push("${".into());
                    out.push('$');
                }
            }
            continue;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(t) => match tokens.value(t).filter(|_| allowed.contains(t)) {
                Some(v) => out.push_str(&v),
                None => {
                    unknown.push(format!("%{t}"));
                    out.push('%');
                    out.push(t);
                }
            },
            None => {
                unknown.push("%".into());
                out.push('%');
            }
        }
    }
    (out, unknown)
}

/// The tokens OpenSSH expands in paths (`IdentityFile`, `UserKnownHostsFile`, `IdentityAgent`,
/// `CertificateFile`, `ControlPath`, …).
pub const PATH_TOKENS: &str = "ChprnkjulLdi";

/// The tokens OpenSSH expands in `ProxyCommand`.
pub const PROXY_COMMAND_TOKENS: &str = "hknpr";

/// `~` or `~/…` made absolute with the context's home, then the path tokens and `${VAR}`
/// expanded in one pass.
pub fn expand_path(text: &str, tokens: &Tokens<'_>) -> (String, Vec<String>) {
    let home = tokens.context.home.to_string_lossy();
    let tilded = if text == "~" {
        home.into_owned()
    } else if let Some(rest) = text.strip_prefix("~/") {
        format!("{}/{rest}", home.trim_end_matches('/'))
    } else {
        text.to_owned()
    };
    expand_with(&tilded, tokens, PATH_TOKENS, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            local_user: "me".into(),
            home: "/home/me".into(),
            uid: 1000,
            local_hostname: "desk.example.org".into(),
            allow_exec: false,
            env: Environment::Fixed(BTreeMap::from([
                ("KEYS".to_owned(), "/srv/%h-keys".to_owned()),
                ("EMPTY".to_owned(), String::new()),
            ])),
        }
    }

    #[test]
    fn every_token() {
        let c = ctx();
        let t = Tokens {
            context: &c,
            host: "db.internal",
            port: 2222,
            remote_user: "ann",
            original: "db",
            proxy_jump: "j1,j2",
        };
        let (s, bad) = expand("%h %p %r %n %k %j %u %l %L %d %i %% %T %", &t, PATH_TOKENS);
        assert_eq!(
            s,
            "db.internal 2222 ann db db j1,j2 me desk.example.org desk /home/me 1000 % %T %"
        );
        assert_eq!(bad, ["%T", "%"]);
        // printf '%s' desk.example.orgdb.internal2222ann | sha1sum
        assert_eq!(
            expand("%C", &t, PATH_TOKENS).0,
            "69e1d064a9823b0a2a92c0e525f1398ba41284b5"
        );
        assert_eq!(expand("%h-%u", &t, "h").0, "db.internal-%u");
        assert_eq!(expand_path("~/.ssh/%h", &t).0, "/home/me/.ssh/db.internal");
        assert_eq!(expand_path("~", &t).0, "/home/me");
        assert_eq!(expand_path("~ann/x", &t).0, "~ann/x");
    }

    #[test]
    fn environment_variables_in_paths() {
        let c = ctx();
        let t = Tokens {
            context: &c,
            host: "h",
            port: 22,
            remote_user: "u",
            original: "h",
            proxy_jump: "",
        };
        // One pass: a value is not expanded again; `$VAR` without braces stays.
        let (s, bad) = expand_path("${KEYS}/%h/$KEYS/x${EMPTY}y", &t);
        assert_eq!(s, "/srv/%h-keys/h/$KEYS/xy");
        assert!(bad.is_empty(), "{bad:?}");
        let (s, bad) = expand_path("~/${UNSET_VAR}/k", &t);
        assert_eq!(s, "/home/me/${UNSET_VAR}/k");
        assert_eq!(bad, ["${UNSET_VAR} (not set)"]);
        let (s, bad) = expand_path("/a/${KEYS", &t);
        assert_eq!(s, "/a/${KEYS");
        assert_eq!(bad, ["${"]);
        assert_eq!(expand_path("/a/${}", &t).1, ["${"]);
        // Not in host names or proxy commands.
        assert_eq!(expand("${KEYS}", &t, PROXY_COMMAND_TOKENS).0, "${KEYS}");
    }
}

//! OpenSSH's `%` tokens and `~`: the local facts a resolution needs ([`Context`]), the values of
//! the tokens for one host ([`Tokens`]) and expanding them ([`expand`], [`expand_path`]).
//!
//! | token | value |
//! |---|---|
//! | `%%` | a literal `%` |
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
//! An unknown token (OpenSSH refuses the configuration) is left as written and reported, so
//! one bad line never hides the rest.

use std::path::PathBuf;

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
            _ => return None,
        })
    }
}

/// Expands the tokens of `text` that `allowed` lists (and `%%`); any other `%x`, or a `%` at
/// the end, is kept as written and returned in the error list.
pub fn expand(text: &str, tokens: &Tokens<'_>, allowed: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
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
pub const PATH_TOKENS: &str = "hprnkjulLdi";

/// The tokens OpenSSH expands in `ProxyCommand`.
pub const PROXY_COMMAND_TOKENS: &str = "hknpr";

/// `~` or `~/…` made absolute with the context's home, then the path tokens expanded.
pub fn expand_path(text: &str, tokens: &Tokens<'_>) -> (String, Vec<String>) {
    let home = tokens.context.home.to_string_lossy();
    let tilded = if text == "~" {
        home.into_owned()
    } else if let Some(rest) = text.strip_prefix("~/") {
        format!("{}/{rest}", home.trim_end_matches('/'))
    } else {
        text.to_owned()
    };
    expand(&tilded, tokens, PATH_TOKENS)
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
        let (s, bad) = expand("%h %p %r %n %k %j %u %l %L %d %i %% %C %", &t, PATH_TOKENS);
        assert_eq!(
            s,
            "db.internal 2222 ann db db j1,j2 me desk.example.org desk /home/me 1000 % %C %"
        );
        assert_eq!(bad, ["%C", "%"]);
        assert_eq!(expand("%h-%u", &t, "h").0, "db.internal-%u");
        assert_eq!(expand_path("~/.ssh/%h", &t).0, "/home/me/.ssh/db.internal");
        assert_eq!(expand_path("~", &t).0, "/home/me");
        assert_eq!(expand_path("~ann/x", &t).0, "~ann/x");
    }
}

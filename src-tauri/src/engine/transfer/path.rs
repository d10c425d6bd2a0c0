//! Where a file is, as the CLI writes it: a local path, `HOST:path` on the agent's host, or
//! `HOST:SESSION:path` on the target of that host's `ssh` session SESSION.
//!
//! Like `scp`, an argument is local when it has no `:`, starts with `/` or `.`, or has a `/`
//! before its first `:`. After `HOST:`, a word of session-id characters (`[a-z0-9]`, at most 32)
//! followed by `:` names a session; a host path that would look like that is written
//! `HOST:./word:rest`. An empty path is the home directory.

use std::path::PathBuf;

use outpost_protocol::session::valid_session_id;

/// A parsed file argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A path on this computer.
    Local(PathBuf),
    /// A path on a host, or on the target of one of its `ssh` sessions.
    Remote(RemotePath),
}

/// A path on a host or on a session's target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemotePath {
    /// The saved host (or `~/.ssh/config` alias).
    pub host: String,
    /// The `ssh` session whose target holds the path (`None`: the host itself).
    pub session: Option<String>,
    /// The path there (relative ones are relative to the login directory; never empty).
    pub path: String,
}

impl RemotePath {
    /// `HOST:` or `HOST:SESSION:`, how paths there are shown.
    pub fn label(&self) -> String {
        match &self.session {
            Some(s) => format!("{}:{s}:", self.host),
            None => format!("{}:", self.host),
        }
    }
}

/// The longest file argument accepted, in bytes.
pub const MAX_ARG_BYTES: usize = 4096;

/// Parses one file argument.
pub fn parse(arg: &str) -> Result<Location, String> {
    if arg.is_empty() {
        return Err("empty path".into());
    }
    if arg.len() > MAX_ARG_BYTES {
        return Err(format!("path longer than {MAX_ARG_BYTES} bytes"));
    }
    if arg.contains('\0') {
        return Err("paths may not contain NUL".into());
    }
    let Some((host, rest)) = arg.split_once(':') else {
        return Ok(Location::Local(arg.into()));
    };
    if arg.starts_with('/') || arg.starts_with('.') || host.contains('/') {
        return Ok(Location::Local(arg.into()));
    }
    if host.is_empty() {
        return Err(format!("{arg:?}: no host before ':'"));
    }
    let (session, path) = match rest.split_once(':') {
        Some((s, p)) if valid_session_id(s) => (Some(s.to_string()), p),
        _ => (None, rest),
    };
    let path = if path.is_empty() { "." } else { path };
    Ok(Location::Remote(RemotePath {
        host: host.to_string(),
        session,
        path: path.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(host: &str, session: Option<&str>, path: &str) -> Location {
        Location::Remote(RemotePath {
            host: host.into(),
            session: session.map(str::to_string),
            path: path.into(),
        })
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse("a.txt").unwrap(), Location::Local("a.txt".into()));
        assert_eq!(parse("./x:y").unwrap(), Location::Local("./x:y".into()));
        assert_eq!(parse("/x:y").unwrap(), Location::Local("/x:y".into()));
        assert_eq!(parse("d/x:y").unwrap(), Location::Local("d/x:y".into()));
        assert_eq!(
            parse("jump:/etc/hosts").unwrap(),
            remote("jump", None, "/etc/hosts")
        );
        assert_eq!(parse("jump:").unwrap(), remote("jump", None, "."));
        assert_eq!(
            parse("jump:ab12:/tmp/f").unwrap(),
            remote("jump", Some("ab12"), "/tmp/f")
        );
        assert_eq!(
            parse("jump:ab12:").unwrap(),
            remote("jump", Some("ab12"), ".")
        );
        assert_eq!(
            parse("jump:./ab12:x").unwrap(),
            remote("jump", None, "./ab12:x")
        );
        assert_eq!(parse("jump:/a:b").unwrap(), remote("jump", None, "/a:b"));
        assert!(parse(":x").is_err());
        assert!(parse("").is_err());
        assert!(parse("h:a\0b").is_err());
    }
}

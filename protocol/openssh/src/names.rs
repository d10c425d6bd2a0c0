//! Which host and user names are safe to hand to OpenSSH: the rules of OpenSSH 9.6
//! (`valid_hostname` / `valid_ruser` in `ssh.c`), applied on both ends of Outpost.
//!
//! OpenSSH before 9.6 (Debian 11, Ubuntu 22.04, RHEL 8/9) expands `%h` and `%r` into
//! `ProxyCommand`, `LocalCommand`, `KnownHostsCommand` and `Match exec`, which a shell runs: a
//! host named `x$(id)` would run `id`. So a name may not hold quotes, a backquote,
//! `$ \ ; & < > | ( ) { }`, whitespace or control characters, may not start with `-` (it would be
//! read as an option) and holds at most [`MAX_NAME_BYTES`] bytes. User names follow the same rule
//! (stricter than OpenSSH's, which allows `$`, `\` and inner spaces).
//!
//! A saved host's own name (an alias) is matched against `Host` lines and `known_hosts` entries,
//! so it may not hold the pattern characters `, * ? ! [ ] |` either.

/// The longest host or user name, in bytes (a DNS name is at most 253; OpenSSH's own bound on
/// a host name is 255 bytes).
pub const MAX_NAME_BYTES: usize = 255;

/// Characters OpenSSH 9.6 refuses in a host name.
const SHELL_CHARS: &str = "'`\"$\\;&<>|(){}";

/// Characters with a meaning in `ssh_config` and `known_hosts` patterns.
const PATTERN_CHARS: &str = ",*?![]|";

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("{what} is empty")]
    Empty {
        /// "host", "user" or "host name".
        what: &'static str,
    },
    /// The name starts with `-` and would be read as an option.
    #[error("{what} {name:?} starts with '-'")]
    LeadingDash {
        /// "host", "user" or "host name".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The name holds a character a shell or OpenSSH would interpret.
    #[error("{what} {name:?} contains {ch:?}: names may not hold quotes, '`', '$', '\\', ';', '&', '<', '>', '|', '(', ')', '{{', '}}', whitespace or control characters")]
    Forbidden {
        /// "host", "user" or "host name".
        what: &'static str,
        /// The name.
        name: String,
        /// The first refused character.
        ch: char,
    },
    /// A saved host's name holds a `known_hosts` / `Host` pattern character.
    #[error("{what} {name:?} contains {ch:?}: a saved host's name may not hold the pattern characters , * ? ! [ ] |")]
    Pattern {
        /// "host name".
        what: &'static str,
        /// The name.
        name: String,
        /// The first refused character.
        ch: char,
    },
    /// The name is longer than [`MAX_NAME_BYTES`].
    #[error("{what} is {len} bytes, more than the {MAX_NAME_BYTES} allowed")]
    TooLong {
        /// "host", "user" or "host name".
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

/// Checks `name` against OpenSSH 9.6's rule; `what` names it in the error.
fn check(what: &'static str, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong {
            what,
            len: name.len(),
        });
    }
    if name.starts_with('-') {
        return Err(NameError::LeadingDash {
            what,
            name: name.into(),
        });
    }
    if let Some(ch) = name
        .chars()
        .find(|&c| SHELL_CHARS.contains(c) || c.is_whitespace() || c.is_control())
    {
        return Err(NameError::Forbidden {
            what,
            name: name.into(),
            ch,
        });
    }
    Ok(())
}

/// Checks a host name or address to connect to.
pub fn check_host(host: &str) -> Result<(), NameError> {
    check("host", host)
}

/// Checks a remote user name.
pub fn check_user(user: &str) -> Result<(), NameError> {
    check("user", user)
}

/// Checks the name of a saved host (an alias): the host rule plus no pattern characters.
pub fn check_alias(name: &str) -> Result<(), NameError> {
    check("host name", name)?;
    match name.chars().find(|&c| PATTERN_CHARS.contains(c)) {
        Some(ch) => Err(NameError::Pattern {
            what: "host name",
            name: name.into(),
            ch,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_openssh_9_6_refuses() {
        for bad in [
            "x$(id)",
            "x;id",
            "x`id`",
            "x|id",
            "x&id",
            "x<y",
            "x>y",
            "(x)",
            "{x}",
            "'x'",
            "\"x\"",
            "x\\y",
            "a b",
            "a\tb",
            "a\nb",
            "a\0b",
            "a\x1bb",
            "a\u{85}b",
            "-oProxyCommand=sh",
            "",
        ] {
            assert!(check_host(bad).is_err(), "host {bad:?}");
            assert!(check_user(bad).is_err(), "user {bad:?}");
            assert!(check_alias(bad).is_err(), "alias {bad:?}");
        }
        assert!(check_host(&"a".repeat(256)).is_err());
        assert!(check_host(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn accepts_ordinary_names() {
        for good in [
            "db.internal",
            "10.0.0.1",
            "::1",
            "fe80::1%eth0",
            "host-1",
            "h_2",
        ] {
            assert_eq!(check_host(good), Ok(()), "{good:?}");
        }
        for good in ["ann", "svc.deploy", "a-b", "user@realm"] {
            assert_eq!(check_user(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn aliases_may_not_be_patterns() {
        for bad in ["web*", "db?", "!x", "a,b", "[h]:22", "a|b"] {
            assert!(
                matches!(
                    check_alias(bad),
                    Err(NameError::Pattern { .. } | NameError::Forbidden { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(check_alias("web-1"), Ok(()));
        assert!(check_host("[h]").is_ok());
    }
}

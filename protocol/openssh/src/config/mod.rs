//! Reading `ssh_config(5)` files as OpenSSH does: one reader for the agent's `ssh.hosts` and the
//! desktop's connections (any alias, resolved when connecting).
//!
//! ```
//! # fn main() -> Result<(), outpost_openssh::config::ConfigError> {
//! use outpost_openssh::config::Reader;
//! let home = std::path::Path::new("/home/me");
//! let config = Reader::new(home).parse(
//!     "Host web1 !web-old web-*\n  HostName 10.0.0.5\nHost *\n  User deploy\n",
//!     &home.join(".ssh/config"),
//! )?;
//! let web1 = config.resolve("web1");
//! assert_eq!(web1.hostname.as_deref(), Some("10.0.0.5"));
//! assert_eq!(web1.user.as_deref(), Some("deploy"));
//! // Aliases are the literal names, with the values of the blocks that name them.
//! let aliases = config.aliases();
//! assert_eq!(aliases.len(), 1);
//! assert_eq!(aliases[0].config.user, None);
//! # Ok(()) }
//! ```
//!
//! | piece | file |
//! |---|---|
//! | splitting a line: keyword, `=`, quotes, escapes, comments | `line.rs` |
//! | the files an `Include` names (`~`, relative paths, globs) | `glob.rs` |
//! | reading files within [`Limits`] into a [`Config`] of [`Line`]s | `read.rs` |
//! | applying the files to a host ([`resolve_host`], two passes) and listing [`Alias`]es | `resolve.rs` |
//! | `Match` criteria (`host`, `originalhost`, `user`, `localuser`, `exec`, `final`, …) | `criteria.rs` |
//! | `%` tokens, `~`, and the local facts ([`Context`]) | `tokens.rs` |
//! | defaults and expansions: what `outpost hosts show` prints ([`Effective`]) | `effective.rs` |
//!
//! `tests/ssh_g.rs` checks [`Config::resolve`] against `ssh -G -F FILE ALIAS`.

pub mod criteria;
pub mod effective;
pub mod glob;
pub mod line;
pub mod read;
pub mod resolve;
pub mod tokens;

pub use effective::{Effective, DEFAULT_IDENTITY_FILES, DEFAULT_USER_KNOWN_HOSTS_FILES};
pub use glob::expand_include;
pub use read::{
    Config, ConfigError, ConfigFile, ConfigSkip, ConfigWarning, Limits, Line, Reader, MAX_DEPTH,
    MAX_FILES, MAX_FILE_BYTES, MAX_LINES, MAX_TOTAL_BYTES,
};
pub use resolve::{resolve_host, Alias, HostConfig, Resolution};
pub use tokens::{Context, Environment};

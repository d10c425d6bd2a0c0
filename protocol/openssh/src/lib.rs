//! OpenSSH's conventions, in one place for both ends of Outpost: the agent (which lists the
//! aliases of its user's `~/.ssh/config`) and the desktop engine (which imports them, checks
//! `known_hosts` and keeps private files). No async runtime, no SSH library: plain files and
//! strings, so both ends agree by construction.
//!
//! | piece | module | file |
//! |---|---|---|
//! | `ssh_config` reading: lines, `Include`, bounds, `Host` blocks, first value wins | [`config`] | `config/` |
//! | the one wildcard matcher (`*`, `?`, `!` lists) for `Host` lines and `known_hosts` | [`pattern`] | `pattern.rs` |
//! | the home directory (`$HOME`, else the password entry) | [`home`] | `home.rs` |
//! | the options of an `ssh` that only rides an existing ControlMaster | [`master`] | `master.rs` |
//! | host and user names safe to hand to OpenSSH (9.6's rules), saved-host aliases | [`names`] | `names.rs` |
//! | private atomic writes (0600, temporary file, fsync, rename) | [`private_file`] | `private_file.rs` |
//! | the `ssh -G` oracle for tests (feature `testing`) | `testing` | `testing.rs` |
//!
//! The tests of [`config`] compare it with OpenSSH itself: `tests/ssh_g.rs` runs `ssh -G`.

pub mod config;
pub mod home;
pub mod master;
pub mod names;
pub mod pattern;
pub mod private_file;
#[cfg(feature = "testing")]
pub mod testing;

pub use home::home_dir;
pub use private_file::{write_private, Parent, WriteError};

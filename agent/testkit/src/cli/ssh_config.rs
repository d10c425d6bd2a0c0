//! The CLI's `~/.ssh/config` for tests through the jump/target topology: a template whose
//! places name the topology's hosts, the user and its key ([`topology_config`]), written where
//! the CLI and OpenSSH read it ([`write_ssh_config`]).
//!
//! | place | value |
//! |---|---|
//! | `{jip}`, `{jport}` | the jump host's sshd: address and port |
//! | `{tip}`, `{tport}` | the target's sshd: address and port |
//! | `{user}` | the test user's name |
//! | `{key}` | the test user's private key |
//! | `{known}` | the CLI's `~/.ssh/known_hosts` |
//!
//! A test fills places of its own afterwards (`str::replace`).

use std::path::{Path, PathBuf};

use super::Cli;
use crate::topology::user::TestUser;
use crate::topology::Topology;

/// `template` with the places of the [module documentation](self) filled in for `cli`, `topo`
/// (which must have a jump host), `user` and its private key `key`.
pub fn topology_config(
    cli: &Cli,
    topo: &Topology,
    user: &TestUser,
    key: &Path,
    template: &str,
) -> String {
    let jump = topo
        .jump_addr()
        .unwrap_or_else(|| panic!("the topology has no jump host"));
    let target = topo.target_addr();
    let places = [
        ("{jip}", jump.ip().to_string()),
        ("{jport}", jump.port().to_string()),
        ("{tip}", target.ip().to_string()),
        ("{tport}", target.port().to_string()),
        ("{user}", user.name.clone()),
        ("{key}", key.display().to_string()),
        (
            "{known}",
            cli.home().join(".ssh/known_hosts").display().to_string(),
        ),
    ];
    places
        .iter()
        .fold(template.to_owned(), |text, (place, value)| {
            text.replace(place, value)
        })
}

/// Writes `text` as the CLI's `~/.ssh/config` (creating `~/.ssh`); the file's path.
pub fn write_ssh_config(cli: &Cli, text: &str) -> PathBuf {
    let ssh = cli.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap_or_else(|e| panic!("{}: {e}", ssh.display()));
    let path = ssh.join("config");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

//! A session's agent-forwarding relay as a local user of the jump host sees it, outside any
//! session: `ssh-add -l` run as that user against the relay's socket ([`ssh_add_list_as`]).
//! The relay answers its own user (with the attached desktop's keys) and refuses every other.

use std::process::Output;

use crate::topology::user::TestUser;

/// `ssh-add -l` run as `user` with `SSH_AUTH_SOCK` at `socket` (a session's relay, e.g. from
/// [`super::forwarded::Forwarded::session_auth_sock`]): its exit status and output.
pub fn ssh_add_list_as(user: &TestUser, socket: &str) -> Output {
    user.command("ssh-add")
        .arg("-l")
        .env("SSH_AUTH_SOCK", socket)
        .output()
        .unwrap_or_else(|e| panic!("ssh-add -l as {}: {e}", user.name))
}

//! Agent forwarding that outlives connections: the relay.
//!
//! sshd's forwarded agent socket (`SSH_AUTH_SOCK` of the agent it starts) dies with the desktop's
//! connection, while sessions outlive it. So every session gets one stable path instead, the
//! relay's client socket in the agent's private socket directory ([`client_socket`], exported
//! as `SSH_AUTH_SOCK` by [`session_env`] and passed to `ssh` as `IdentityAgent` by
//! [`crate::ssh::argv`]). The relay relays each connection to it, one to one (never merging
//! clients: an agent's `session-bind` is per connection), to the forwarded socket of the most
//! recent live agent whose desktop forwards its ssh-agent. All of this applies to agents started
//! by sshd ([`under_sshd`]); on the desktop itself sessions keep the user's own agent.
//!
//! | piece | file |
//! |---|---|
//! | the relay process: lock, listeners, choosing the upstream, copying, ending when idle | `server.rs` |
//! | the agent's side: start the relay when needed, register the forwarded socket for life | `register.rs` |
//! | which registered socket is the upstream (newest first), pure | `upstreams.rs` |
//!
//! One relay runs per user (per agent home): `outpost-agent relay`, detached (`setsid`), holding
//! an exclusive lock on [`LOCK_FILE`]. An agent started with an `SSH_AUTH_SOCK` (sshd sets it
//! when the desktop asked for forwarding) connects to the relay's control socket ([`CONTROL_SOCKET`]),
//! starting the relay first when nothing answers, sends its `SSH_AUTH_SOCK` and keeps the
//! connection open: the registration lives exactly as long as that agent process. The relay
//! waits in `accept` only (no polling); with no registration left for [`IDLE_GRACE`] it removes
//! its sockets and exits, and the next forwarding agent starts it again. With no desktop
//! attached a client therefore meets either a closed connection (relay running, nothing to
//! relay to) or no socket at all: it fails at once, and `ssh` goes on to its other methods.
//!
//! Both sockets live in the 0700 socket directory, and the relay checks the peer's uid
//! (`SO_PEERCRED`) on every connection it accepts.

pub mod register;
pub mod server;
pub mod upstreams;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::paths::Paths;

/// The relay's client socket (what sessions see as `SSH_AUTH_SOCK`), in the socket directory.
pub const CLIENT_SOCKET: &str = "agent.sock";

/// The socket agents register their forwarded socket on, in the socket directory.
pub const CONTROL_SOCKET: &str = "agent.ctl";

/// The file whose exclusive lock makes one relay per socket directory.
pub const LOCK_FILE: &str = "agent.lock";

/// The relay's log file, in the log directory.
pub const LOG_FILE: &str = "relay.log";

/// How long the relay stays up with no registered agent (from its start, or from the last
/// registration's end) before it exits.
pub const IDLE_GRACE: Duration = Duration::from_secs(10);

/// The longest registration line an agent may send.
pub const MAX_REGISTRATION_LINE: usize = 4096;

/// The relay's client socket for `paths`: the one `SSH_AUTH_SOCK` of every session.
pub fn client_socket(paths: &Paths) -> PathBuf {
    client_socket_in(&paths.sockets)
}

/// The relay's client socket in the socket directory `dir` (where every session's
/// ControlMaster lives too).
pub fn client_socket_in(dir: &Path) -> PathBuf {
    dir.join(CLIENT_SOCKET)
}

/// Whether this agent was started by sshd (`SSH_CONNECTION` is set): only then is its
/// `SSH_AUTH_SOCK` a forwarded socket that dies with the connection, and do its sessions use the
/// relay. An agent started on the desktop itself (the `local` host) leaves the user's own agent
/// to its sessions, as before.
pub fn under_sshd() -> bool {
    std::env::var_os("SSH_CONNECTION").is_some_and(|v| !v.is_empty())
}

/// A new session's environment: the client's `env`, with `SSH_AUTH_SOCK` pointing at the relay
/// (when the agent runs [`under_sshd`]) unless the client set it.
pub fn session_env(paths: &Paths, env: BTreeMap<String, String>) -> BTreeMap<String, String> {
    with_relay(env, under_sshd().then(|| client_socket(paths)))
}

/// `env` with `SSH_AUTH_SOCK` set to `relay`, unless there is none or `env` sets it already.
fn with_relay(
    mut env: BTreeMap<String, String>,
    relay: Option<PathBuf>,
) -> BTreeMap<String, String> {
    if let Some(relay) = relay {
        env.entry("SSH_AUTH_SOCK".into())
            .or_insert_with(|| relay.to_string_lossy().into_owned());
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_point_at_the_relay_unless_told_otherwise() {
        let t = tempfile::tempdir().unwrap();
        let paths = Paths::new(&t.path().join("run"), &t.path().join("state"), 1000);
        let relay = client_socket(&paths);
        assert_eq!(relay, paths.sockets.join(CLIENT_SOCKET));
        assert!(relay.as_os_str().len() <= crate::paths::MAX_SOCKET_PATH);
        let env = with_relay(BTreeMap::new(), Some(relay.clone()));
        assert_eq!(Path::new(&env["SSH_AUTH_SOCK"]), relay);
        let own = BTreeMap::from([("SSH_AUTH_SOCK".to_string(), "/mine".to_string())]);
        assert_eq!(with_relay(own, Some(relay))["SSH_AUTH_SOCK"], "/mine");
        // Not under sshd: the session keeps what it inherits.
        assert!(with_relay(BTreeMap::new(), None).is_empty());
    }
}

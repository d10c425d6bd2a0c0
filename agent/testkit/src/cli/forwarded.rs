//! The agent-forwarding setup of the desktop's tests and bench ([`Forwarded`]): the jump/target
//! topology, a user whose home holds no private key, a desktop key held only by a real
//! `ssh-agent` (the CLI authenticates with it through `IdentityAgent`), and the jump host saved
//! twice: `jump`, which never forwards, and `jumpf`, saved with `--forward-agent`.

use std::path::Path;
use std::process::Command;

use super::Cli;
use crate::ssh_agent::SshAgent;
use crate::{require_root, TestUser, Topology};

/// See the [module documentation](self).
pub struct Forwarded {
    // Field order is drop order: the CLI's files, the servers, the user, the desktop's agent.
    /// The CLI (the desktop).
    pub cli: Cli,
    /// Jump and target.
    pub topo: Topology,
    /// The user on both hosts.
    pub user: TestUser,
    keydir: tempfile::TempDir,
    /// The desktop's ssh-agent, the only holder of the key.
    pub agent: SshAgent,
    /// `SHA256:…` of the desktop's key (what `ssh-add -l` lists).
    pub fingerprint: String,
}

impl Forwarded {
    /// Builds it all; `onward` also makes the jump host's own `~/.ssh/config` forward the
    /// agent to the target (`ForwardAgent yes`).
    pub fn new(outpost: impl AsRef<Path>, onward: bool) -> Forwarded {
        require_root();
        let topo = Topology::new().expect("topology");
        let user = TestUser::create("ofwd").expect("test user");
        let cli = Cli::new(outpost);
        cli.trust(&topo.known_hosts());
        // The desktop's key, made here and then held only by the desktop's ssh-agent.
        let keydir = tempfile::Builder::new()
            .prefix("ofk")
            .tempdir_in("/tmp")
            .unwrap();
        let key = keydir.path().join("id_desk");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "desk", "-f"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(made.status.success(), "ssh-keygen: {made:?}");
        let agent = SshAgent::start(keydir.path());
        agent.add(&key);
        let public = key.with_extension("pub");
        let fingerprint = fingerprint_of(&public);
        let public = std::fs::read_to_string(public).unwrap();
        std::fs::remove_file(&key).unwrap();
        topo.authorize_key(&user, &public).unwrap();
        user.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600)
            .unwrap();
        if onward {
            let config = format!("Host {}\n  ForwardAgent yes\n", topo.target_addr().ip());
            user.write_file(".ssh/config", config, 0o600).unwrap();
        }
        // The desktop authenticates with its agent, as `IdentityAgent` in ~/.ssh/config says.
        let config = format!("Host *\n  IdentityAgent {}\n", agent.socket().display());
        std::fs::write(cli.home().join(".ssh/config"), config).unwrap();
        let jump = topo.jump_addr().expect("jump sshd");
        let dest = format!("{}@{}:{}", user.name, jump.ip(), jump.port());
        cli.ok(&["hosts", "add", "jump", &dest]);
        let saved = cli.ok(&["hosts", "add", "jumpf", &dest, "--forward-agent"]);
        assert_eq!(saved["forward_agent"], true, "{saved}");
        Forwarded {
            cli,
            topo,
            user,
            keydir,
            agent,
            fingerprint,
        }
    }

    /// A private directory of the desktop's (holds the agent's socket).
    pub fn desktop_dir(&self) -> &Path {
        self.keydir.path()
    }

    /// `user@address:port` of the target, as the jump host reaches it.
    pub fn target(&self) -> String {
        let t = self.topo.target_addr();
        format!("{}@{}:{}", self.user.name, t.ip(), t.port())
    }

    /// `SSH_AUTH_SOCK` inside the shell session `sid` on `jump` (the relay's socket).
    pub fn session_auth_sock(&self, sid: &str) -> String {
        self.cli
            .ok(&["send", "jump", sid, "echo SOCK=[$SSH_AUTH_SOCK]\\n"]);
        let text = self.cli.wait_output("jump", sid, "SOCK=[/");
        let at = text.find("SOCK=[/").unwrap() + "SOCK=[".len();
        text[at..].split(']').next().unwrap().to_string()
    }
}

/// `ssh-keygen -lf PUB`: the key's `SHA256:…` fingerprint.
pub fn fingerprint_of(public: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap_or_else(|| panic!("no fingerprint in {text:?}"))
        .to_string()
}

//! Agent forwarding that follows whichever desktop is attached, end to end: the `outpost` CLI
//! (the desktop), a real `ssh-agent` holding the only copy of the key, the jump/target topology
//! (real `sshd`s in network namespaces), and OpenSSH's `ssh` and `ssh-add` on the jump host as
//! the oracles.
//!
//! The jump host's own `~/.ssh/config` forwards onward to the target (`ForwardAgent yes`), where
//! `ssh-add -l` lists the desktop's key too.
//!
//! The desktop authenticates with its agent (`IdentityAgent` in its `~/.ssh/config`); the test
//! user's home on the hosts holds no private key at all. Host `jump` never forwards (every
//! control command goes through it, so none of them counts as "a desktop attached"); host
//! `jumpf` is the same server saved with `--forward-agent`, and an `outpost attach` over it is
//! "a desktop attached".
//!
//! The end-to-end test needs root (throwaway users, `sshd`, network namespaces) and fails
//! without it. A second test, against an in-process russh server that opens agent channels at
//! will, checks that a channel the connection did not ask for is refused (russh's default
//! accepts it) and that one it asked for reaches a real `ssh-agent` byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use outpost_testkit::cli::forwarded::Forwarded;
use outpost_testkit::cli::numbered::Attached;
use outpost_testkit::cli::relay::ssh_add_list_as;
use outpost_testkit::cli::DEADLINE;
use outpost_testkit::TestUser;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// How long "fails fast" may take, the shell's own start of `ssh-add` included.
const FAST: Duration = Duration::from_secs(3);

/// The shared setup, and `ssh-add -l` run in a jump-host shell session.
struct Setup(Forwarded);

impl std::ops::Deref for Setup {
    type Target = Forwarded;
    fn deref(&self) -> &Forwarded {
        &self.0
    }
}

impl Setup {
    /// Runs `ssh-add -l` in the shell session `sid` (marker `tag`): its exit status, how long
    /// it took in milliseconds, and the session's output so far.
    fn ssh_add_list(&self, sid: &str, tag: &str) -> (u32, u64, String) {
        let line = format!(
            "s=$(date +%s%N); ssh-add -l; echo {tag}=$? {tag}ms=$(( ($(date +%s%N)-s)/1000000 ))\\n"
        );
        self.cli.ok(&["send", "jump", sid, &line]);
        // The typed line shows the markers too, followed by `$`: wait for the numbers.
        let deadline = Instant::now() + DEADLINE;
        loop {
            let text = self.cli.read_text("jump", sid);
            let rc = number_after(&text, &format!("{tag}="));
            if let (Some(rc), Some(ms)) = (rc, number_after(&text, &format!("{tag}ms="))) {
                return (u32::try_from(rc).unwrap(), ms, text);
            }
            assert!(Instant::now() < deadline, "no {tag} result: {text}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `ssh-add -l` in `sid` until it succeeds (a desktop's forwarding is registered);
    /// returns its output.
    fn wait_listed(&self, sid: &str, tag: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        for n in 0.. {
            let (rc, _, text) = self.ssh_add_list(sid, &format!("{tag}{n}x"));
            if rc == 0 {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "ssh-add -l never listed a key: {text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        unreachable!()
    }

    /// Runs `ssh-add -l` in `sid` until it fails (no desktop forwards any more), each attempt
    /// within [`FAST`]; returns the failing status.
    fn wait_refused(&self, sid: &str, tag: &str) -> u32 {
        let deadline = Instant::now() + DEADLINE;
        for n in 0.. {
            let (rc, ms, text) = self.ssh_add_list(sid, &format!("{tag}{n}x"));
            assert!(
                Duration::from_millis(ms) < FAST,
                "ssh-add -l took {ms} ms: {text}"
            );
            if rc != 0 {
                return rc;
            }
            assert!(Instant::now() < deadline, "ssh-add -l kept working: {text}");
            std::thread::sleep(Duration::from_millis(200));
        }
        unreachable!()
    }
}

/// The number right after the last `key` in `text` that is followed by a digit (the typed
/// command shows `key` followed by `$`, the output by the value).
fn number_after(text: &str, key: &str) -> Option<u64> {
    text.match_indices(key)
        .filter_map(|(at, _)| {
            let digits: String = text[at + key.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .last()
}

/// Creates an `ssh` session from the jump host to the target and returns its id.
fn new_ssh_session(s: &Setup, title: &str) -> String {
    let created = s
        .cli
        .ok(&["new", "jump", "--ssh", &s.target(), "--title", title]);
    created["session_id"].as_str().unwrap().to_string()
}

#[test]
fn the_attached_desktops_agent_reaches_the_target_and_follows_the_next_desktop() {
    let s = Setup(Forwarded::new(OUTPOST, true));
    for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
        assert!(
            !s.user.home.join(".ssh").join(name).exists(),
            "a key on the jump host"
        );
    }
    let shell = s.cli.ok(&["new", "jump", "--title", "sh"]);
    let sid = shell["session_id"].as_str().unwrap().to_string();
    let relay = s.session_auth_sock(&sid);
    assert!(relay.ends_with("/agent.sock"), "{relay}");

    // No desktop forwards: ssh-add fails at once, and the target refuses the jump host.
    let (rc, ms, text) = s.ssh_add_list(&sid, "NOAGENT");
    assert_ne!(rc, 0, "{text}");
    assert!(Duration::from_millis(ms) < FAST, "{ms} ms: {text}");
    let refused = new_ssh_session(&s, "refused");
    s.cli.wait_output("jump", &refused, "Permission denied");

    // A desktop that forwards attaches: the key is listed, and an ssh session reaches the target.
    let first = Attached::start(&s.cli, "jumpf", &sid);
    let listed = s.wait_listed(&sid, "FIRST");
    assert!(listed.contains(&s.fingerprint), "{listed}");
    let ssid = new_ssh_session(&s, "to-target");
    s.cli
        .ok(&["send", "jump", &ssid, "echo at-$(hostname)-$((40+2))\\n"]);
    s.cli.wait_output(
        "jump",
        &ssid,
        &format!("at-{}-42", s.topo.target_hostname()),
    );
    // On the target, through the jump host's forwarding of the relay: the desktop's key.
    s.cli
        .ok(&["send", "jump", &ssid, "ssh-add -l; echo ONWARD=$?\\n"]);
    let onward = s.cli.wait_output("jump", &ssid, "ONWARD=0");
    assert!(onward.contains(&s.fingerprint), "{onward}");

    // The same user outside any session reaches the relay; another local user cannot.
    let own = ssh_add_list_as(&s.user, &relay);
    assert!(own.status.success(), "{own:?}");
    let other = TestUser::create("ofwo").expect("second user");
    let started = Instant::now();
    let theirs = ssh_add_list_as(&other, &relay);
    assert!(!theirs.status.success(), "{theirs:?}");
    assert!(started.elapsed() < FAST);
    let said = String::from_utf8_lossy(&theirs.stderr);
    assert!(!said.contains(&s.fingerprint), "{said}");

    // The desktop goes away: ssh-add fails fast again, never hangs.
    drop(first.finish(Duration::ZERO));
    let rc = s.wait_refused(&sid, "GONE");
    assert_ne!(rc, 0);

    // The next desktop attaches: the session made under the first one works again, to the target
    // too.
    let _second = Attached::start(&s.cli, "jumpf", &sid);
    let listed = s.wait_listed(&sid, "SECOND");
    assert!(listed.contains(&s.fingerprint), "{listed}");
    let t = s.topo.target_addr();
    let line = format!(
        "ssh -o BatchMode=yes -p {} {}@{} 'echo via-$(hostname)-$((6*7))'\\n",
        t.port(),
        s.user.name,
        t.ip()
    );
    s.cli.ok(&["send", "jump", &sid, &line]);
    s.cli.wait_output(
        "jump",
        &sid,
        &format!("via-{}-42", s.topo.target_hostname()),
    );
}

/// An in-process russh server that hands the test its session handle once the client is in, so
/// the test can open `auth-agent@openssh.com` channels towards the desktop at will.
mod opener {
    use russh::server::{Auth, Handle, Msg, Session};
    use russh::Channel;
    use tokio::sync::mpsc;

    pub struct Server {
        pub handles: mpsc::UnboundedSender<Handle>,
    }

    impl russh::server::Handler for Server {
        type Error = russh::Error;

        async fn auth_publickey(
            &mut self,
            _user: &str,
            _key: russh::server::VerifiedPublicKey<'_>,
        ) -> Result<Auth, Self::Error> {
            Ok(Auth::Accept)
        }

        async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Self::Error> {
            let _ = self.handles.send(session.handle());
            Ok(())
        }

        async fn channel_open_session(
            &mut self,
            _channel: Channel<Msg>,
            reply: russh::server::ChannelOpenHandle,
            _session: &mut Session,
        ) -> Result<(), Self::Error> {
            reply.accept().await;
            Ok(())
        }

        async fn agent_request(
            &mut self,
            _channel: russh::ChannelId,
            _session: &mut Session,
        ) -> Result<bool, Self::Error> {
            Ok(true)
        }
    }
}

/// `ssh-keygen -t ed25519` without passphrase into `dir/name`.
fn keygen(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let key = dir.join(name);
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "ssh-keygen: {made:?}");
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_channels_the_connection_did_not_ask_for_are_refused() {
    use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
    use outpost_desktop::engine::ssh::{
        AgentSource, AutoPrompter, Credentials, HostKeyPolicy, SshSession, SshTarget,
    };
    use outpost_testkit::ssh_agent::SshAgent;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let host_key = russh::keys::load_secret_key(keygen(dir.path(), "host"), None).unwrap();
    let config = std::sync::Arc::new(russh::server::Config {
        keys: vec![host_key],
        ..Default::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut handles) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let server = opener::Server { handles: tx };
        if let Ok(running) = russh::server::run_stream(config, tcp, server).await {
            let _ = running.await;
        }
    });

    let mut target = SshTarget::new("127.0.0.1", "me");
    target.port = port;
    target.identity_files = vec![keygen(dir.path(), "id_client")];
    target.default_identities = false;
    target.agent = AgentSource::Disabled;
    target.host_key_policy = HostKeyPolicy::AcceptNew;
    let known = KnownHosts::new(dir.path().join("user_kh"), dir.path().join("own_kh"));
    let session = SshSession::connect(
        &target,
        &known,
        std::sync::Arc::new(AutoPrompter::new()),
        &Credentials::new(),
    )
    .await
    .unwrap();
    let server = handles.recv().await.unwrap();

    // Not asked for: refused (russh's default would accept it).
    let refused = server.channel_open_agent().await;
    assert!(
        matches!(refused, Err(russh::Error::ChannelOpenFailure(_))),
        "{refused:?}"
    );

    // Asked for: the channel reaches the desktop's real agent, byte for byte.
    let agent = SshAgent::start(dir.path());
    agent.add(&keygen(dir.path(), "id_desk"));
    assert!(session
        .request_agent_forwarding(agent.socket())
        .await
        .unwrap());
    let channel = server.channel_open_agent().await.unwrap();
    let mut stream = channel.into_stream();
    // SSH2_AGENTC_REQUEST_IDENTITIES; the answer is SSH2_AGENT_IDENTITIES_ANSWER with one key.
    stream.write_all(&[0, 0, 0, 1, 11]).await.unwrap();
    let mut head = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head[4], 12, "{head:?}");
    assert_eq!(u32::from_be_bytes([head[5], head[6], head[7], head[8]]), 1);
    session.disconnect().await;
}

//! The SSH layer (`engine::ssh`, `engine::ssh::known_hosts`) against real OpenSSH servers started by
//! `outpost-testkit`: every authentication method, every host-key flow, ProxyJump through the
//! jump host to a target the test cannot reach itself, exec and streams, and keepalives that
//! notice a dead link. No mocks.
//!
//! Every test needs root (throwaway users, `sshd`, network namespaces) and fails without it.
//! Each test has its own users, servers and files, so they run in parallel.
//!
//! Keyboard-interactive needs PAM: the kit's servers run `UsePAM no`, where OpenSSH offers
//! keyboard-interactive with no devices to ask anything, so that test turns `UsePAM yes` on
//! (Debian's `/etc/pam.d/sshd`, which `openssh-server` installs). Should that file be missing,
//! the test says SKIPPED on standard error and returns rather than passing silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{
    AgentSource, AutoPrompter, Credentials, HostKeyDecision, Prompter, SecretKind, SshError,
    SshSession, SshTarget,
};
use outpost_testkit::ssh_agent::SshAgent;
use outpost_testkit::{
    note, public_key_of, require_root, Sshd, SshdBuilder, TestUser, Topology, TopologyKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------
// Fixture

/// One sshd, one user on it, and a directory with the known-hosts files.
struct Server {
    // Field order is drop order: the server (and its sessions) first, then the user.
    sshd: Sshd,
    user: TestUser,
    dir: tempfile::TempDir,
}

impl Server {
    /// A loopback sshd from `builder` and a fresh user; the server's key is trusted through the
    /// user-side known_hosts file unless `trusted` is false.
    fn start(builder: SshdBuilder, trusted: bool) -> Server {
        require_root();
        let sshd = builder.start().expect("sshd");
        let user = TestUser::create("sshtest").expect("test user");
        let dir = tempfile::tempdir().unwrap();
        let s = Server { sshd, user, dir };
        if trusted {
            std::fs::write(s.user_known_hosts(), s.sshd.known_hosts_entry()).unwrap();
        }
        s
    }

    fn user_known_hosts(&self) -> PathBuf {
        self.dir.path().join("user_known_hosts")
    }

    fn own_known_hosts(&self) -> PathBuf {
        self.dir.path().join("config").join("known_hosts")
    }

    fn known(&self) -> KnownHosts {
        KnownHosts::new(self.user_known_hosts(), self.own_known_hosts())
    }

    /// The user at this server: no agent, no default keys, a short timeout.
    fn target(&self) -> SshTarget {
        target_at(self.sshd.addr(), &self.user)
    }

    /// A fresh ed25519 key of the user, authorized on the server.
    fn authorized_key(&self, name: &str, passphrase: Option<&str>) -> PathBuf {
        let key = self.user.generate_key(name, passphrase).unwrap();
        self.sshd
            .authorize_key(&self.user.name, &public_key_of(&key).unwrap())
            .unwrap();
        key
    }

    /// The user at this server with a fresh ed25519 key, authorized on it, as its one identity.
    fn keyed_target(&self) -> SshTarget {
        let mut t = self.target();
        t.identity_files = vec![self.authorized_key("id_ed25519", None)];
        t
    }

    /// A session of the user logged in with [`Server::keyed_target`]'s key, asking nothing.
    async fn login(&self) -> SshSession {
        let p = prompter(AutoPrompter::new());
        connect(&self.keyed_target(), &self.known(), &p, &Credentials::new())
            .await
            .unwrap()
    }

    /// A fresh key of another type (`rsa`, `ecdsa`), authorized on the server.
    fn authorized_key_of_type(&self, kind: &str, name: &str) -> PathBuf {
        let path = self.user.home.join(".ssh").join(name);
        let out = self
            .user
            .command("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-C", "test", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-keygen -t {kind}: {out:?}");
        self.sshd
            .authorize_key(&self.user.name, &public_key_of(&path).unwrap())
            .unwrap();
        path
    }
}

fn target_at(addr: SocketAddr, user: &TestUser) -> SshTarget {
    SshTarget {
        host: addr.ip().to_string(),
        port: addr.port(),
        user: user.name.clone(),
        identity_files: Vec::new(),
        proxy_jump: Vec::new(),
        connect_timeout: Duration::from_secs(10),
        agent: AgentSource::Disabled,
        default_identities: false,
        ..SshTarget::default()
    }
}

async fn connect(
    target: &SshTarget,
    known: &KnownHosts,
    prompter: &Arc<AutoPrompter>,
    creds: &Credentials,
) -> Result<SshSession, SshError> {
    let p: Arc<dyn Prompter> = prompter.clone();
    SshSession::connect(target, known, p, creds).await
}

fn prompter(p: AutoPrompter) -> Arc<AutoPrompter> {
    Arc::new(p)
}

/// Waits until `sshd`'s log contains `needle` (log lines arrive through a reader thread).
fn wait_for_log(sshd: &Sshd, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = sshd.log();
        if log.contains(needle) || Instant::now() > deadline {
            assert!(log.contains(needle), "sshd log lacks {needle:?}:\n{log}");
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn passphrase_prompts(p: &AutoPrompter) -> usize {
    p.secret_prompts()
        .iter()
        .filter(|s| matches!(s.kind, SecretKind::Passphrase { .. }))
        .count()
}

// ---------------------------------------------------------------------------------------------
// Types

/// The engine spawns connects and shares sessions across tasks.
#[test]
fn sessions_and_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    fn stream<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static>() {}
    send_sync::<SshSession>();
    send_sync::<Credentials>();
    send_sync::<KnownHosts>();
    send_sync::<SshError>();
    stream::<outpost_desktop::engine::ssh::ChannelStream>();
    let t = SshTarget::new("h", "u");
    let k = KnownHosts::new("/nonexistent/a", "/nonexistent/b");
    let c = Credentials::new();
    let p: Arc<dyn Prompter> = Arc::new(AutoPrompter::new());
    let connecting = SshSession::connect(&t, &k, p, &c);
    send(&connecting);
    drop(connecting);
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_key_logs_in_without_asking() {
    let s = Server::start(Sshd::builder(), true);
    let t = s.keyed_target();
    let p = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    let out = session.exec("id -un", None).await.unwrap();
    assert_eq!(out.stdout_text().trim(), s.user.name);
    assert_eq!(out.exit_status, Some(0));
    assert!(p.secret_prompts().is_empty() && p.host_key_questions().is_empty());
    wait_for_log(&s.sshd, &format!("Accepted publickey for {}", s.user.name));
    session.disconnect().await;
}

/// sshd's own log names the cipher: AES-GCM where this CPU has AES instructions, else
/// ChaCha20-Poly1305; a server that offers only ChaCha20-Poly1305 still gets a session.
#[cfg(target_arch = "x86_64")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cipher_is_aes_gcm_and_chacha20_still_works() {
    let p = prompter(AutoPrompter::new());
    let aes = std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("pclmulqdq");
    let fastest = if aes {
        "aes128-gcm@openssh.com"
    } else {
        "chacha20-poly1305@openssh.com"
    };
    for (only, want) in [
        (None, fastest),
        (
            Some("Ciphers chacha20-poly1305@openssh.com"),
            "chacha20-poly1305@openssh.com",
        ),
    ] {
        let mut b = Sshd::builder().config_line("LogLevel DEBUG1");
        if let Some(line) = only {
            b = b.config_line(line);
        }
        let s = Server::start(b, true);
        let session = connect(&s.keyed_target(), &s.known(), &p, &Credentials::new())
            .await
            .unwrap();
        assert!(session.exec("true", None).await.unwrap().success());
        let log = wait_for_log(&s.sshd, "client->server cipher:");
        let line = log
            .lines()
            .find(|l| l.contains("client->server cipher:"))
            .unwrap();
        assert!(line.contains(&format!("cipher: {want} ")), "{line}");
        session.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_uses_sha2_signatures_and_ecdsa_works() {
    let s = Server::start(Sshd::builder().config_line("LogLevel DEBUG1"), true);
    let rsa = s.authorized_key_of_type("rsa", "id_rsa");
    let ecdsa = s.authorized_key_of_type("ecdsa", "id_ecdsa");
    let p = prompter(AutoPrompter::new());

    let mut t = s.target();
    t.identity_files = vec![rsa];
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    let log = wait_for_log(&s.sshd, "Accepted publickey");
    let accepted = log
        .lines()
        .find(|l| l.contains("Accepted publickey"))
        .unwrap();
    assert!(accepted.contains(" RSA SHA256:"), "{accepted}");
    // OpenSSH 8.8+ refuses SHA-1 `ssh-rsa` signatures; russh must have used rsa-sha2-*.
    assert!(
        log.lines()
            .any(|l| l.contains("userauth_pubkey") && l.contains("rsa-sha2-")),
        "no rsa-sha2 signature in the log:\n{log}"
    );
    session.disconnect().await;

    let mut t = s.target();
    t.identity_files = vec![ecdsa];
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    wait_for_log(&s.sshd, " ECDSA SHA256:");
    session.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_key_asks_passphrase_then_remembers_it() {
    let s = Server::start(Sshd::builder(), true);
    let key = s.authorized_key("id_enc", Some("correct horse"));
    let mut t = s.target();
    t.identity_files = vec![key.clone()];
    let creds = Credentials::new();

    let p = prompter(AutoPrompter::new().passphrase("correct horse"));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    let asked = p.secret_prompts();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        asked[0].kind,
        SecretKind::Passphrase {
            key_path: key.clone()
        }
    );
    assert_eq!(asked[0].user, s.user.name);
    assert!(creds.has_passphrase(&key));
    session.disconnect().await;

    // A reconnect authenticates from memory: a prompter that knows nothing is never asked.
    let p2 = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p2, &creds).await.unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    assert!(p2.secret_prompts().is_empty());
    session.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passphrase_fails_with_auth_failed_after_asking() {
    let s = Server::start(Sshd::builder(), true);
    let key = s.authorized_key("id_enc", Some("correct horse"));
    let mut t = s.target();
    t.identity_files = vec![key.clone()];
    let creds = Credentials::new();
    let p = prompter(AutoPrompter::new().passphrase("battery staple"));
    let err = connect(&t, &s.known(), &p, &creds).await.unwrap_err();
    assert_eq!(err.code(), "auth_failed", "{err}");
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert_eq!(passphrase_prompts(&p), 3, "{:?}", p.secret_prompts());
    assert!(!creds.has_passphrase(&key));

    // Cancelling the prompt ends the attempt at once.
    let p = prompter(AutoPrompter::new());
    let err = connect(&t, &s.known(), &p, &creds).await.unwrap_err();
    assert_eq!(err.code(), "cancelled", "{err}");
    assert_eq!(passphrase_prompts(&p), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_is_remembered_and_wrong_ones_fail() {
    let s = Server::start(Sshd::builder().password_authentication(true), true);
    s.user.set_password("s3cret-pw").unwrap();
    let t = s.target();
    let creds = Credentials::new();

    let p = prompter(AutoPrompter::new().password("s3cret-pw"));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    assert_eq!(
        session
            .exec("id -un", None)
            .await
            .unwrap()
            .stdout_text()
            .trim(),
        s.user.name
    );
    let asked = p.secret_prompts();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].kind, SecretKind::Password);
    assert_eq!(asked[0].host, t.host);
    assert!(creds.has_password(&t.host, t.port, &t.user));
    session.disconnect().await;

    let p2 = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p2, &creds).await.unwrap();
    assert!(p2.secret_prompts().is_empty(), "remembered password used");
    session.disconnect().await;

    // Wrong passwords: asked three times (like OpenSSH), then auth_failed.
    let p3 = prompter(AutoPrompter::new().password("nope"));
    let err = connect(&t, &s.known(), &p3, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth_failed", "{err}");
    assert_eq!(p3.secret_prompts().len(), 3);

    // No answer at all: cancelled.
    let p4 = prompter(AutoPrompter::new());
    let err = connect(&t, &s.known(), &p4, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cancelled", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive_through_pam() {
    if !Path::new("/etc/pam.d/sshd").exists() {
        note("SKIPPED keyboard_interactive_through_pam: /etc/pam.d/sshd is missing (no PAM)");
        return;
    }
    let s = Server::start(
        Sshd::builder()
            .config_line("UsePAM yes")
            .config_line("KbdInteractiveAuthentication yes"),
        true,
    );
    s.user.set_password("kbd-pw-123").unwrap();
    let t = s.target();
    let creds = Credentials::new();
    let p = prompter(AutoPrompter::new().password("kbd-pw-123"));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    let asked = p.secret_prompts();
    assert!(
        asked.iter().any(|a| matches!(
            &a.kind,
            SecretKind::KeyboardInteractive { prompt, echo: false, .. } if prompt.contains("assword")
        )),
        "{asked:?}"
    );
    assert!(asked
        .iter()
        .all(|a| matches!(a.kind, SecretKind::KeyboardInteractive { .. })));
    wait_for_log(&s.sshd, "Accepted keyboard-interactive/pam");
    session.disconnect().await;

    // Remembered answers.
    let p2 = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p2, &creds).await.unwrap();
    assert!(p2.secret_prompts().is_empty());
    session.disconnect().await;

    // Wrong answers: three rounds, then auth_failed.
    let p3 = prompter(AutoPrompter::new().password("wrong"));
    let err = connect(&t, &s.known(), &p3, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "auth_failed", "{err}");
    assert_eq!(p3.secret_prompts().len(), 3, "{:?}", p3.secret_prompts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_agent_keys_come_first() {
    let s = Server::start(Sshd::builder(), true);
    let key = s.authorized_key("id_agent", None);
    // A key file the server does not accept: never reached, since the agent's key works.
    let other = s.user.generate_key("id_other", Some("unused")).unwrap();
    let agent = SshAgent::start(s.dir.path());
    agent.add(&key);

    let mut t = s.target();
    t.agent = AgentSource::Socket(agent.socket().to_path_buf());
    t.identity_files = vec![other];
    let p = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    assert!(p.secret_prompts().is_empty());
    let fp = String::from_utf8(
        Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(&key)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let fp = fp.split_whitespace().nth(1).unwrap().to_owned();
    wait_for_log(&s.sshd, &format!("ED25519 {fp}"));
    session.disconnect().await;
    drop(agent);

    // A socket with no agent behind it is skipped, not fatal: the key file is used instead.
    let mut t = s.target();
    t.agent = AgentSource::Socket(s.dir.path().join("no-agent.sock"));
    t.identity_files = vec![key];
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    session.disconnect().await;
}

// ---------------------------------------------------------------------------------------------
// Host keys

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_key_reject_accept_once_and_save() {
    let s = Server::start(Sshd::builder(), false);
    let t = s.keyed_target();
    let known = s.known();
    let creds = Credentials::new();

    // Reject: an error naming the fingerprint, nothing saved, nothing sent.
    let p = prompter(AutoPrompter::new().host_key_decision(HostKeyDecision::Reject));
    let err = connect(&t, &known, &p, &creds).await.unwrap_err();
    assert_eq!(err.code(), "host_key_rejected", "{err}");
    assert!(err.to_string().contains(s.sshd.host_key_fingerprint()));
    let q = p.host_key_questions();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].host, t.host);
    assert_eq!(q[0].port, t.port);
    assert_eq!(q[0].key_type, "ssh-ed25519");
    assert_eq!(q[0].fingerprint, s.sshd.host_key_fingerprint());
    assert!(!s.own_known_hosts().exists());

    // Accept once: connected, still nothing saved, asked again next time.
    let p = prompter(AutoPrompter::new().host_key_decision(HostKeyDecision::AcceptOnce));
    let session = connect(&t, &known, &p, &creds).await.unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    session.disconnect().await;
    assert!(!s.own_known_hosts().exists());
    let session = connect(&t, &known, &p, &creds).await.unwrap();
    session.disconnect().await;
    assert_eq!(p.host_key_questions().len(), 2);

    // Accept and save: written to Outpost's own file (0600 in a 0700 directory), never to the
    // user's; the next connect does not ask.
    let p = prompter(AutoPrompter::new().accept_new_host_key(true));
    let session = connect(&t, &known, &p, &creds).await.unwrap();
    session.disconnect().await;
    let saved = std::fs::read_to_string(s.own_known_hosts()).unwrap();
    assert_eq!(saved, s.sshd.known_hosts_entry());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&s.own_known_hosts()), 0o600);
    assert_eq!(mode(s.own_known_hosts().parent().unwrap()), 0o700);
    assert!(!s.user_known_hosts().exists());
    let p2 = prompter(AutoPrompter::new());
    let session = connect(&t, &known, &p2, &creds).await.unwrap();
    session.disconnect().await;
    assert!(p2.host_key_questions().is_empty());
}

/// A server offering only a key type not on record while keys of other types are (what a man in
/// the middle offering only another key type looks like): the question lists the keys on record,
/// `--accept-new-host-key`'s policy refuses it (while it still accepts a host never seen), and
/// nothing is saved; a person who answers the warning may still trust it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_key_types_known_is_a_warning_that_accept_new_does_not_accept() {
    let s = Server::start(Sshd::builder(), false);
    let t = s.keyed_target();
    let creds = Credentials::new();

    // An ECDSA key of some other machine on record for this host and port (made by the kit's
    // `ssh-keygen`; authorizing it on the server changes nothing here).
    let other = s.authorized_key_of_type("ecdsa", "other_ecdsa");
    let other_pub = public_key_of(&other).unwrap();
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(other.with_extension("pub"))
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    let other_fp = listed.split_whitespace().nth(1).unwrap().to_owned();
    std::fs::write(
        s.user_known_hosts(),
        format!("{} {}", s.sshd.host_pattern(), other_pub.trim()),
    )
    .unwrap();

    let p = prompter(AutoPrompter::new().accept_new_host_key(true));
    let err = connect(&t, &s.known(), &p, &creds).await.unwrap_err();
    assert_eq!(err.code(), "host_key_rejected", "{err}");
    let q = p.host_key_questions();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].key_type, "ssh-ed25519");
    assert_eq!(q[0].fingerprint, s.sshd.host_key_fingerprint());
    assert!(q[0].other_types_known());
    assert_eq!(q[0].known.len(), 1, "{q:?}");
    assert_eq!(q[0].known[0].key_type, "ecdsa-sha2-nistp256");
    assert_eq!(q[0].known[0].fingerprint, other_fp);
    assert!(!s.own_known_hosts().exists(), "nothing saved");

    // A person who read the warning and answers "once" connects; still nothing saved.
    let p = prompter(AutoPrompter::new().host_key_decision(HostKeyDecision::AcceptOnce));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    session.disconnect().await;
    assert!(p.host_key_questions()[0].other_types_known());
    assert!(!s.own_known_hosts().exists());

    // The same policy still accepts a host never seen.
    std::fs::remove_file(s.user_known_hosts()).unwrap();
    let p = prompter(AutoPrompter::new().accept_new_host_key(true));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    session.disconnect().await;
    assert!(!p.host_key_questions()[0].other_types_known());
    assert_eq!(
        std::fs::read_to_string(s.own_known_hosts()).unwrap(),
        s.sshd.known_hosts_entry()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_known_hosts_entry_is_trusted() {
    let s = Server::start(Sshd::builder(), true);
    let out = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(s.user_known_hosts())
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen -H: {out:?}");
    let hashed = std::fs::read_to_string(s.user_known_hosts()).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    assert!(
        !hashed.contains(&s.sshd.addr().ip().to_string()),
        "{hashed}"
    );

    let t = s.keyed_target();
    let p = prompter(AutoPrompter::new());
    let session = connect(&t, &s.known(), &p, &Credentials::new())
        .await
        .unwrap();
    assert!(p.host_key_questions().is_empty());
    session.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_before_any_credential_is_sent() {
    let mut s = Server::start(
        Sshd::builder()
            .password_authentication(true)
            .config_line("LogLevel DEBUG1"),
        true,
    );
    s.user.set_password("pw-for-changed").unwrap();
    let t = s.keyed_target();
    let creds = Credentials::new();

    // Control: with the right key, the log shows the user's authentication requests, so their
    // absence below means something.
    let p = prompter(AutoPrompter::new().password("pw-for-changed"));
    let session = connect(&t, &s.known(), &p, &creds).await.unwrap();
    session.disconnect().await;
    wait_for_log(
        &s.sshd,
        &format!("userauth-request for user {}", s.user.name),
    );

    let old = s.sshd.host_key_fingerprint().to_owned();
    s.sshd.regenerate_host_key().unwrap();
    let new = s.sshd.host_key_fingerprint().to_owned();

    let p = prompter(
        AutoPrompter::new()
            .password("pw-for-changed")
            .accept_new_host_key(true),
    );
    let err = connect(&t, &s.known(), &p, &creds).await.unwrap_err();
    assert_eq!(err.code(), "host_key_changed", "{err}");
    match &err {
        SshError::HostKeyChanged(changed) => {
            let (presented, expected_fingerprints) =
                (&changed.presented, &changed.expected_fingerprints);
            assert_eq!(
                presented.known_hosts_name,
                format!("[{}]:{}", t.host, t.port)
            );
            assert_eq!(presented.fingerprint, new);
            assert_eq!(expected_fingerprints, &vec![old.clone()]);
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&old) && message.contains(&new),
        "{message}"
    );
    assert!(message.contains("ssh-keygen -R"), "{message}");
    // Never asked, never saved.
    assert!(p.secret_prompts().is_empty());
    assert!(p.host_key_questions().is_empty());
    assert!(!s.own_known_hosts().exists());
    // The server saw the connection come and go, and no authentication request at all.
    wait_for_log(&s.sshd, "Connection closed by");
    std::thread::sleep(Duration::from_millis(300));
    let log = s.sshd.log();
    assert!(!log.contains("userauth-request"), "{log}");
    assert!(!log.contains(&s.user.name), "{log}");
}

// ---------------------------------------------------------------------------------------------
// ProxyJump

/// A topology with a user authorized on both servers.
struct Jumped {
    topo: Topology,
    user: TestUser,
    key: PathBuf,
    dir: tempfile::TempDir,
}

fn jumped() -> Jumped {
    require_root();
    let topo = Topology::new().expect("topology");
    let user = TestUser::create("sshjump").expect("test user");
    let key = user.generate_key("id_ed25519", None).unwrap();
    topo.authorize_key(&user, &public_key_of(&key).unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    Jumped {
        topo,
        user,
        key,
        dir,
    }
}

impl Jumped {
    /// The target through the jump host.
    fn target(&self) -> SshTarget {
        let jump_addr = self.topo.jump_addr().expect("jump sshd");
        let mut jump = target_at(jump_addr, &self.user);
        jump.identity_files = vec![self.key.clone()];
        let mut t = target_at(self.topo.target_addr(), &self.user);
        t.identity_files = vec![self.key.clone()];
        t.proxy_jump = vec![jump];
        t
    }

    fn known(&self) -> KnownHosts {
        KnownHosts::new(
            self.dir.path().join("user_known_hosts"),
            self.dir.path().join("own_known_hosts"),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_jump_reaches_a_target_only_the_jump_host_can_reach() {
    let j = jumped();
    // Only the jump host is known: the target's key is asked about (once, for the target).
    std::fs::write(
        j.dir.path().join("user_known_hosts"),
        j.topo.jump().unwrap().known_hosts_entry(),
    )
    .unwrap();
    let t = j.target();

    if j.topo.kind() == TopologyKind::Netns {
        let mut direct = t.clone();
        direct.proxy_jump.clear();
        direct.connect_timeout = Duration::from_secs(3);
        let p = prompter(AutoPrompter::new().accept_new_host_key(true));
        let err = connect(&direct, &j.known(), &p, &Credentials::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err.code(), "unreachable" | "timeout"),
            "the target must not be reachable directly: {err}"
        );
    } else {
        note("loopback topology: the target is reachable directly too; isolation not checked");
    }

    let p = prompter(AutoPrompter::new().host_key_decision(HostKeyDecision::AcceptOnce));
    let session = connect(&t, &j.known(), &p, &Credentials::new())
        .await
        .unwrap();
    let out = session.exec("hostname", None).await.unwrap();
    assert_eq!(out.stdout_text().trim(), j.topo.target_hostname());
    let q = p.host_key_questions();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].host, t.host);
    assert_eq!(q[0].port, t.port);
    assert_eq!(q[0].fingerprint, j.topo.target().host_key_fingerprint());
    assert_eq!(session.hop_names().len(), 2);
    session.disconnect().await;

    // A target the jump host cannot reach: `unreachable`, naming the jump host.
    let mut bad = t.clone();
    bad.port = 1;
    let err = connect(&bad, &j.known(), &p, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unreachable", "{err}");
    assert!(err.to_string().contains("jump host"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Exec and streams

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_reports_exit_status_stdin_stderr_and_signals() {
    let s = Server::start(Sshd::builder(), true);
    let session = s.login().await;

    let out = session
        .exec("printf out; printf err >&2; exit 3", None)
        .await
        .unwrap();
    assert_eq!(out.stdout, b"out");
    assert_eq!(out.stderr, b"err");
    assert_eq!(out.exit_status, Some(3));
    assert!(!out.success());

    let out = session
        .exec("cat", Some(b"line one\nline two\n"))
        .await
        .unwrap();
    assert_eq!(out.stdout, b"line one\nline two\n");
    assert!(out.success());

    // Several MiB each way, concurrently: flow control in both directions.
    let big: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
    let (echo, count) = tokio::join!(
        session.exec("cat", Some(&big)),
        session.exec("wc -c", Some(&big))
    );
    assert!(echo.unwrap().stdout == big);
    assert_eq!(count.unwrap().stdout_text().trim(), (4 << 20).to_string());

    // A command that exits without reading its (large) stdin does not hang the call.
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        session.exec("exit 4", Some(&vec![b'x'; 16 << 20])),
    )
    .await
    .expect("exec hung writing stdin nobody reads")
    .unwrap();
    assert_eq!(out.exit_status, Some(4));

    let out = session.exec("kill -KILL $$", None).await.unwrap();
    assert_eq!(out.exit_status, None);
    assert_eq!(out.exit_signal.as_deref(), Some("KILL"));
    session.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_stream_round_trip_and_sftp_subsystem() {
    let s = Server::start(Sshd::builder(), true);
    let session = s.login().await;

    // `cat` echoes line by line while the stream stays open.
    let mut stream = session.exec_stream("cat").await.unwrap();
    let exit = stream.exit_watch();
    for i in 0..50 {
        let line = format!("{{\"jsonrpc\":\"2.0\",\"id\":{i}}}\n");
        stream.write_all(line.as_bytes()).await.unwrap();
        let mut back = vec![0u8; line.len()];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(back, line.as_bytes());
    }
    stream.shutdown().await.unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    let ended = tokio::time::timeout(Duration::from_secs(10), exit.wait())
        .await
        .unwrap();
    assert_eq!(ended.exit_status, Some(0));
    assert_eq!(stream.exit_status(), Some(0));

    // Exit status and stderr of a failing command.
    let mut stream = session
        .exec_stream("echo starting; echo 'agent: not found' >&2; exit 127")
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    assert_eq!(out, "starting\n");
    let ended = stream.exit_watch().wait().await;
    assert_eq!(ended.exit_status, Some(127));
    assert_eq!(stream.exit_watch().stderr(), b"agent: not found\n");

    // Writing to a command that has gone fails instead of waiting forever for window space.
    let mut stream = session.exec_stream("head -c 10 >/dev/null").await.unwrap();
    let written = tokio::time::timeout(
        Duration::from_secs(20),
        stream.write_all(&vec![b'y'; 16 << 20]),
    )
    .await
    .expect("write to a closed channel hung");
    assert_eq!(written.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    assert_eq!(stream.exit_watch().wait().await.exit_status, Some(0));
    drop(stream);

    // The SFTP subsystem, driven by russh-sftp (as agent deployment will).
    let stream = session.open_subsystem("sftp").await.unwrap();
    let sftp = russh_sftp::client::SftpSession::new(stream).await.unwrap();
    let home = sftp.canonicalize(".").await.unwrap();
    assert_eq!(Path::new(&home), s.user.home);
    let mut file = sftp.create("uploaded.txt").await.unwrap();
    file.write_all(b"via sftp\n").await.unwrap();
    file.shutdown().await.unwrap();
    drop(file);
    assert_eq!(sftp.read("uploaded.txt").await.unwrap(), b"via sftp\n");
    let out = session.exec("cat uploaded.txt", None).await.unwrap();
    assert_eq!(out.stdout, b"via sftp\n");
    sftp.close().await.unwrap();

    let err = session
        .open_subsystem("no-such-subsystem")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "channel_refused", "{err}");
    // The session is still fine after a refused request.
    assert!(session.exec("true", None).await.unwrap().success());
    session.disconnect().await;
}

// ---------------------------------------------------------------------------------------------
// Dead links and timeouts

/// How long `closed()` took after the link died; fails past 15 s.
async fn time_to_closed(session: &SshSession) -> Duration {
    let cut = Instant::now();
    tokio::time::timeout(Duration::from_secs(15), session.closed())
        .await
        .expect("closed() did not resolve within 15 s of the link dying");
    cut.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalives_notice_a_frozen_server() {
    let mut s = Server::start(Sshd::builder(), true);
    let session = s.login().await;
    assert!(session.exec("true", None).await.unwrap().success());
    assert!(!session.is_closed());

    s.sshd.suspend();
    let took = time_to_closed(&session).await;
    note(&format!("frozen server noticed after {took:?}"));
    assert!(took < Duration::from_secs(12), "{took:?}");
    assert!(session.is_closed());
    assert!(session.close_reason().is_some());
    let err = session.exec("true", None).await.unwrap_err();
    assert_eq!(err.code(), "disconnected", "{err}");
    s.sshd.resume();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalives_notice_a_cut_link_behind_the_jump_host() {
    let mut j = jumped();
    std::fs::write(j.dir.path().join("user_known_hosts"), j.topo.known_hosts()).unwrap();
    let t = j.target();
    let session = connect(
        &t,
        &j.known(),
        &prompter(AutoPrompter::new()),
        &Credentials::new(),
    )
    .await
    .unwrap();
    assert!(session.exec("true", None).await.unwrap().success());

    j.topo.cut_link().unwrap();
    let took = time_to_closed(&session).await;
    note(&format!(
        "cut link ({}) noticed after {took:?}",
        j.topo.kind()
    ));
    assert!(took < Duration::from_secs(12), "{took:?}");
    assert!(session.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_failures_are_unreachable_or_timeout() {
    require_root();
    let user = TestUser::create("sshto").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let known = KnownHosts::new(dir.path().join("a"), dir.path().join("b"));
    let p = prompter(AutoPrompter::new());

    // Nothing listens: refused at once.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = connect(&target_at(free, &user), &known, &p, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "connection_refused", "{err}");

    // A listener that never speaks: the TCP connection opens, the SSH banner never comes.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut t = target_at(silent.local_addr().unwrap(), &user);
    t.connect_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = connect(&t, &known, &p, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "timeout", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);

    let mut t = target_at(free, &user);
    t.host.clear();
    let err = connect(&t, &known, &p, &Credentials::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_target", "{err}");
}

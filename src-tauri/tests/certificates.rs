//! OpenSSH certificates against a real `sshd`, with CAs made by `ssh-keygen` in each test:
//! user certificates (`TrustedUserCAKeys` on the server; the certificate beside the key, in
//! `CertificateFile`, or held in a real `ssh-agent`) and host certificates (`HostCertificate`
//! on the server, `@cert-authority` in known_hosts with no plain entry): trusted when valid,
//! refused with a typed error when expired, for another name, revoked (the CA or the host key)
//! or signed by a CA not trusted for the host. OpenSSH's own `ssh` is run on the same files as
//! the oracle: where it refuses, Outpost refuses; where it connects, Outpost connects.
//!
//! Every test needs root (throwaway users, `sshd`) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{
    AgentSource, AutoPrompter, Credentials, HostKeyDecision, HostKeyPolicy, Prompter, SshSession,
    SshTarget,
};
use outpost_desktop::engine::EngineError;
use outpost_testkit::ssh_agent::SshAgent;
use outpost_testkit::{require_root, Sshd, TestUser};
use serde_json::Value;

/// The user certificate's key id and serial, as sshd logs them.
const USER_CERT_ID: &str = "alice-laptop";
const USER_CERT_SERIAL: &str = "42";

/// Runs a command that must succeed; its stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A CA key pair made by `ssh-keygen` in `dir`: its private key path and public line.
fn make_ca(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path));
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    (path, public)
}

/// `ssh-keygen -l` of a public key file: the fingerprint as OpenSSH prints it.
fn fingerprint_of(public_file: &Path) -> String {
    run(Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_file))
    .split_whitespace()
    .nth(1)
    .unwrap()
    .to_owned()
}

/// One sshd with a host certificate and a user CA, one user whose key is *not* in
/// `authorized_keys` (only its certificate opens the door), and the files of both.
struct Fixture {
    // Field order is drop order: the server (and its sessions) first, then the user.
    sshd: Sshd,
    user: TestUser,
    dir: tempfile::TempDir,
    host_ca: (PathBuf, String),
    /// The user's key, with its certificate `<key>-cert.pub` beside it.
    key: PathBuf,
}

impl Fixture {
    fn start() -> Fixture {
        require_root();
        let dir = tempfile::tempdir().unwrap();
        let user_ca = make_ca(dir.path(), "user_ca");
        let host_ca = make_ca(dir.path(), "host_ca");
        let sshd = Sshd::builder()
            .config_line(format!(
                "TrustedUserCAKeys {}",
                dir.path().join("user_ca.pub").display()
            ))
            .config_line(format!(
                "HostCertificate {}",
                dir.path().join("host-cert.pub").display()
            ))
            .start()
            .expect("sshd");
        let user = TestUser::create("certs").expect("test user");
        let key = user.generate_key("id_cert", None).unwrap();
        run(Command::new("ssh-keygen")
            .args(["-q", "-s"])
            .arg(&user_ca.0)
            .args(["-I", USER_CERT_ID, "-z", USER_CERT_SERIAL, "-n", &user.name])
            .arg(key.with_extension("pub")));
        assert!(cert_of(&key).exists());
        let mut f = Fixture {
            sshd,
            user,
            dir,
            host_ca,
            key,
        };
        f.sign_host(&f.host_ca.0.clone(), &["127.0.0.1"], "-5m:+1h");
        f
    }

    /// Signs the server's host key with `ca` for `principals` and `validity` (`ssh-keygen -V`)
    /// and restarts the server to present the new certificate.
    fn sign_host(&mut self, ca: &Path, principals: &[&str], validity: &str) {
        let public = self.dir.path().join("host.pub");
        std::fs::write(&public, format!("{}\n", self.sshd.host_public_key())).unwrap();
        run(Command::new("ssh-keygen")
            .args(["-q", "-s"])
            .arg(ca)
            .args(["-I", "test host", "-h", "-n", &principals.join(",")])
            .args(["-V", validity])
            .arg(&public));
        self.sshd.restart().expect("sshd restart");
    }

    fn host_ca_fingerprint(&self) -> String {
        fingerprint_of(&self.dir.path().join("host_ca.pub"))
    }

    /// Known hosts whose user file holds `lines` (and nothing else).
    fn known(&self, lines: &str) -> KnownHosts {
        let user_file = self.dir.path().join("known_hosts");
        std::fs::write(&user_file, lines).unwrap();
        KnownHosts::new(user_file, self.dir.path().join("own_known_hosts"))
    }

    /// `@cert-authority` for this server with `ca_public`.
    fn ca_line(&self, ca_public: &str) -> String {
        format!("@cert-authority {} {ca_public}\n", self.sshd.host_pattern())
    }

    /// The target: this server, the user, no agent, no default keys, `StrictHostKeyChecking
    /// yes` (nothing is trusted by asking).
    fn target(&self) -> SshTarget {
        let addr = self.sshd.addr();
        let mut t = SshTarget::new(addr.ip().to_string(), self.user.name.clone());
        t.port = addr.port();
        t.connect_timeout = Duration::from_secs(15);
        t.agent = AgentSource::Disabled;
        t.default_identities = false;
        t.host_key_policy = HostKeyPolicy::Strict;
        t.identity_files = vec![self.key.clone()];
        t
    }

    /// The oracle: whether OpenSSH's `ssh`, as the user with the same key, certificate and
    /// known-hosts lines (`StrictHostKeyChecking yes`), logs in.
    fn openssh_connects(&self, known_lines: &str) -> bool {
        let file = self
            .user
            .write_file(".ssh/oracle_known_hosts", known_lines, 0o600)
            .unwrap();
        let out = self
            .user
            .command("ssh")
            .args(["-F", "/dev/null", "-o", "BatchMode=yes"])
            .args(["-o", "StrictHostKeyChecking=yes"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", file.display()))
            .args([
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .arg("-i")
            .arg(&self.key)
            .arg("-p")
            .arg(self.sshd.addr().port().to_string())
            .arg(format!("{}@127.0.0.1", self.user.name))
            .arg("true")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        out.status.success()
    }

    fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.sshd.log();
            if log.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "sshd log lacks {needle:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A copy of the user's key with no certificate beside it.
    fn bare_key(&self) -> PathBuf {
        let bare = self.dir.path().join("bare_key");
        std::fs::copy(&self.key, &bare).unwrap();
        bare
    }

    /// `t` (whose key has no certificate beside it) is refused as it is: only the certificate
    /// opens the door; with `CertificateFile` naming the certificate it logs in.
    async fn needs_certificate_file(&self, mut t: SshTarget, known: &KnownHosts) {
        let r = refusal(&t, known).await;
        assert_eq!(r["code"], "auth_failed", "{r}");
        t.certificate_files = vec![cert_of(&self.key)];
        let p = Arc::new(AutoPrompter::new());
        let session = connect(&t, known, &p).await.unwrap();
        session.disconnect().await;
    }

    /// Asserts that the last login used the user certificate.
    fn logged_in_with_certificate(&self) {
        self.wait_for_log(&format!("ID {USER_CERT_ID} (serial {USER_CERT_SERIAL})"));
    }
}

fn cert_of(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push("-cert.pub");
    PathBuf::from(s)
}

async fn connect(
    t: &SshTarget,
    known: &KnownHosts,
    p: &Arc<AutoPrompter>,
) -> Result<SshSession, EngineError> {
    let dynp: Arc<dyn Prompter> = p.clone();
    SshSession::connect(t, known, dynp, &Credentials::new())
        .await
        .map_err(EngineError::from)
}

/// Connects, expecting a failure; the failure as the window receives it.
async fn refusal(t: &SshTarget, known: &KnownHosts) -> Value {
    let p = Arc::new(AutoPrompter::new());
    match connect(t, known, &p).await {
        Ok(_) => panic!("the connection must be refused"),
        Err(e) => serde_json::to_value(e.report()).unwrap(),
    }
}

/// `ssh-add -l` of the agent: one line per identity.
fn agent_list(agent: &SshAgent) -> String {
    run(Command::new("ssh-add")
        .arg("-l")
        .env("SSH_AUTH_SOCK", agent.socket()))
}

/// An agent in its own directory under `dir`.
fn agent_in(dir: &Path, name: &str) -> SshAgent {
    let sub = dir.join(name);
    std::fs::create_dir(&sub).unwrap();
    SshAgent::start(&sub)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_certificate_is_trusted_through_its_ca_and_a_user_certificate_logs_in() {
    let f = Fixture::start();
    let lines = f.ca_line(&f.host_ca.1);
    assert!(f.openssh_connects(&lines), "the oracle refuses the fixture");
    let known = f.known(&lines);
    let p = Arc::new(AutoPrompter::new());
    let session = connect(&f.target(), &known, &p).await.unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    session.disconnect().await;
    assert!(p.host_key_questions().is_empty(), "nothing is asked");
    assert!(!known.own_file().exists(), "nothing is recorded");
    f.logged_in_with_certificate();

    // The same key without its certificate beside it needs `CertificateFile`.
    let mut t = f.target();
    t.identity_files = vec![f.bare_key()];
    f.needs_certificate_file(t, &known).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_certificates_held_in_the_ssh_agent() {
    let f = Fixture::start();
    let known = f.known(&f.ca_line(&f.host_ca.1));

    // `ssh-add` of the key adds its certificate beside it: the agent holds both.
    let agent = agent_in(f.dir.path(), "with_cert");
    agent.add(&f.key);
    let listed = agent_list(&agent);
    assert!(listed.contains("ED25519-CERT"), "{listed}");
    let mut t = f.target();
    t.identity_files = Vec::new();
    t.agent = AgentSource::Socket(agent.socket().to_owned());
    let p = Arc::new(AutoPrompter::new());
    let session = connect(&t, &known, &p).await.unwrap();
    assert!(session.exec("true", None).await.unwrap().success());
    session.disconnect().await;
    f.logged_in_with_certificate();
    drop(agent);

    // An agent holding the plain key only: refused, unless `CertificateFile` names the
    // certificate, which the agent then signs for.
    let plain = agent_in(f.dir.path(), "plain");
    plain.add(&f.bare_key());
    let listed = agent_list(&plain);
    assert!(!listed.contains("CERT"), "{listed}");
    t.agent = AgentSource::Socket(plain.socket().to_owned());
    f.needs_certificate_file(t, &known).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_host_certificates_carry_typed_errors() {
    let mut f = Fixture::start();
    let ca_fp = f.host_ca_fingerprint();
    let ca_line = f.ca_line(&f.host_ca.1);
    let t = f.target();

    // Expired.
    f.sign_host(&f.host_ca.0.clone(), &["127.0.0.1"], "20200101:20200102");
    assert!(!f.openssh_connects(&ca_line));
    let r = refusal(&t, &f.known(&ca_line)).await;
    assert_eq!(r["code"], "host_certificate_expired", "{r}");
    let d = &r["details"];
    assert_eq!(d["kind"], "host_certificate", "{r}");
    assert_eq!(d["problem"]["reason"], "expired", "{r}");
    assert!(d["problem"]["valid_before"].as_u64().unwrap() < d["problem"]["now"].as_u64().unwrap());
    assert_eq!(d["fingerprint"], f.sshd.host_key_fingerprint(), "{r}");
    assert_eq!(d["certificate"]["ca_fingerprint"], ca_fp.as_str(), "{r}");
    assert_eq!(d["certificate"]["key_id"], "test host", "{r}");

    // For another name.
    f.sign_host(&f.host_ca.0.clone(), &["db.example", "10.9.9.9"], "-5m:+1h");
    assert!(!f.openssh_connects(&ca_line));
    let r = refusal(&t, &f.known(&ca_line)).await;
    assert_eq!(r["code"], "host_certificate_wrong_principal", "{r}");
    assert_eq!(
        r["details"]["problem"],
        serde_json::json!({"reason": "wrong_principal", "name": "127.0.0.1",
                           "principals": ["db.example", "10.9.9.9"]}),
        "{r}"
    );

    // Valid again, but the CA is revoked.
    f.sign_host(&f.host_ca.0.clone(), &["127.0.0.1"], "-5m:+1h");
    assert!(
        f.openssh_connects(&ca_line),
        "the oracle refuses a valid certificate"
    );
    let revoked_ca = format!("{ca_line}@revoked * {}\n", f.host_ca.1);
    assert!(!f.openssh_connects(&revoked_ca));
    let r = refusal(&t, &f.known(&revoked_ca)).await;
    assert_eq!(r["code"], "host_certificate_revoked", "{r}");
    assert_eq!(r["details"]["problem"]["ca"], true, "{r}");
    assert_eq!(
        r["details"]["problem"]["revoked_fingerprint"],
        ca_fp.as_str(),
        "{r}"
    );

    // The host key inside the certificate is revoked.
    let revoked_key = format!("{ca_line}@revoked * {}\n", f.sshd.host_public_key());
    assert!(!f.openssh_connects(&revoked_key));
    let r = refusal(&t, &f.known(&revoked_key)).await;
    assert_eq!(r["code"], "host_certificate_revoked", "{r}");
    assert_eq!(r["details"]["problem"]["ca"], false, "{r}");
    assert_eq!(
        r["details"]["problem"]["revoked_fingerprint"],
        f.sshd.host_key_fingerprint(),
        "{r}"
    );

    // A CA is trusted for this host, but not the one that signed it.
    let (_, other_ca) = make_ca(f.dir.path(), "other_ca");
    let other_line = f.ca_line(&other_ca);
    assert!(!f.openssh_connects(&other_line));
    let r = refusal(&t, &f.known(&other_line)).await;
    assert_eq!(r["code"], "host_certificate_unknown_ca", "{r}");
    assert_eq!(
        r["details"]["problem"]["trusted_cas"],
        serde_json::json!([fingerprint_of(&f.dir.path().join("other_ca.pub"))]),
        "{r}"
    );

    // The CA line for another host only: no CA is trusted for this one, so the certified key
    // is an unknown plain key, refused by `StrictHostKeyChecking yes` with its certificate.
    let elsewhere = format!("@cert-authority elsewhere.example {}\n", f.host_ca.1);
    let r = refusal(&t, &f.known(&elsewhere)).await;
    assert_eq!(r["code"], "host_key_rejected", "{r}");
    assert_eq!(
        r["details"]["certificate"]["ca_fingerprint"],
        ca_fp.as_str(),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_is_asked_about_with_its_certificate() {
    let f = Fixture::start();
    let known = f.known("");
    let mut t = f.target();
    t.host_key_policy = HostKeyPolicy::Ask;
    let p = Arc::new(AutoPrompter::new().host_key_decision(HostKeyDecision::AcceptAndSave));
    let session = connect(&t, &known, &p).await.unwrap();
    session.disconnect().await;
    let q = p.host_key_questions();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].fingerprint, f.sshd.host_key_fingerprint());
    let cert = q[0]
        .certificate
        .as_ref()
        .expect("the question shows the certificate");
    assert_eq!(cert.ca_fingerprint, f.host_ca_fingerprint());
    assert_eq!(cert.principals, vec!["127.0.0.1".to_owned()]);
    // The plain key was recorded (as OpenSSH does); the next connection asks nothing.
    let recorded = std::fs::read_to_string(known.own_file()).unwrap();
    assert!(recorded.contains(f.sshd.host_public_key()), "{recorded}");
    let p2 = Arc::new(AutoPrompter::new());
    let session = connect(&t, &known, &p2).await.unwrap();
    session.disconnect().await;
    assert!(p2.host_key_questions().is_empty());
}

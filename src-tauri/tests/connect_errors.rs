//! Each way a connection fails gets its own error code and typed details, from real failures:
//! a closed loopback port (`connection_refused`), a `.invalid` name (`name_not_resolved`), a
//! listener whose accept queue is full so the kernel drops the SYN like a blackholed address
//! (`timeout` while `connecting`), a wrong key against a real `sshd` (`auth_failed`) and an
//! unknown host key that is declined (`host_key_rejected`). Front ends choose their advice by
//! these codes, never by the message's words. The `sshd` cases need root (throwaway users).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{
    AgentSource, AutoPrompter, Credentials, HostKeyDecision, Prompter, SshSession, SshTarget,
};
use outpost_desktop::engine::EngineError;
use outpost_testkit::{public_key_of, Sshd, TestUser};
use serde_json::Value;

fn target(host: &str, port: u16, user: &str) -> SshTarget {
    let mut t = SshTarget::new(host, user);
    t.port = port;
    t.connect_timeout = Duration::from_secs(10);
    t.agent = AgentSource::Disabled;
    t.default_identities = false;
    t
}

/// Connects and returns the failure as the window receives it (`{code, message, details}`).
async fn failure(t: &SshTarget, known: &KnownHosts, p: AutoPrompter) -> Value {
    let p: Arc<dyn Prompter> = Arc::new(p);
    let Err(err) = SshSession::connect(t, known, p, &Credentials::new()).await else {
        panic!("the connection to {}:{} must fail", t.host, t.port);
    };
    serde_json::to_value(EngineError::from(err).report()).unwrap()
}

fn scratch_known() -> (tempfile::TempDir, KnownHosts) {
    let dir = tempfile::tempdir().unwrap();
    let known = KnownHosts::new(dir.path().join("user"), dir.path().join("own"));
    (dir, known)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_refused() {
    let (_d, known) = scratch_known();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = failure(
        &target("127.0.0.1", port, "nobody"),
        &known,
        AutoPrompter::new(),
    )
    .await;
    assert_eq!(r["code"], "connection_refused", "{r}");
    assert_eq!(r["details"]["kind"], "connection_refused", "{r}");
    assert_eq!(r["details"]["port"], port, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_name_does_not_resolve() {
    let (_d, known) = scratch_known();
    let r = failure(
        &target("no-such-host.invalid", 22, "nobody"),
        &known,
        AutoPrompter::new(),
    )
    .await;
    assert_eq!(r["code"], "name_not_resolved", "{r}");
    assert_eq!(r["details"]["host"], "no-such-host.invalid", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_syn_times_out_while_connecting() {
    let (_d, known) = scratch_known();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // The smallest accept queue; never accepted. Once it is full the kernel drops new SYNs.
    // SAFETY: listen(2) on a socket this test owns.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let mut held = Vec::new();
    let mut dropped = false;
    for _ in 0..16 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
                dropped = true;
                break;
            }
        }
    }
    assert!(
        dropped,
        "the kernel kept accepting connections into a full queue"
    );
    let mut t = target("127.0.0.1", addr.port(), "nobody");
    t.connect_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let r = failure(&t, &known, AutoPrompter::new()).await;
    assert_eq!(r["code"], "timeout", "{r}");
    assert_eq!(r["details"]["kind"], "connect_timeout", "{r}");
    assert_eq!(r["details"]["stage"], "connecting", "{r}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_fails_authentication_and_an_unknown_host_key_can_be_declined() {
    outpost_testkit::require_root();
    let sshd = Sshd::builder().start().expect("sshd");
    let user = TestUser::create("connerr").expect("test user");
    let authorized = user.generate_key("id_right", None).unwrap();
    sshd.authorize_key(&user.name, &public_key_of(&authorized).unwrap())
        .unwrap();
    let wrong = user.generate_key("id_wrong", None).unwrap();
    let (dir, known) = scratch_known();
    std::fs::write(dir.path().join("user"), sshd.known_hosts_entry()).unwrap();
    let addr = sshd.addr();
    let mut t = target(&addr.ip().to_string(), addr.port(), &user.name);
    t.identity_files = vec![wrong];
    let r = failure(&t, &known, AutoPrompter::new()).await;
    assert_eq!(r["code"], "auth_failed", "{r}");
    assert_eq!(r["details"]["kind"], "auth_failed", "{r}");
    assert_eq!(r["details"]["user"], user.name.as_str(), "{r}");

    // The same server, its key not on record, declined at the prompt.
    let (_d2, unknown) = scratch_known();
    let r = failure(
        &t,
        &unknown,
        AutoPrompter::new().host_key_decision(HostKeyDecision::Reject),
    )
    .await;
    assert_eq!(r["code"], "host_key_rejected", "{r}");
    assert_eq!(r["details"]["kind"], "host_key_rejected", "{r}");
}

//! The checks behind the desktop's fuzz targets (`src-tauri/fuzz/`), shared with
//! `src-tauri/tests/fuzz_regressions.rs`, so `cargo test` replays every kept input through the
//! very same code on stable Rust. Built only with the `fuzzing` feature (the fuzz crate and the
//! tests turn it on).
//!
//! * [`ssh_config`]: [`ssh_config::parse`] on arbitrary text. Imported aliases are concrete
//!   (no `*`, `?`, `!`) and unique, and writing the hosts back as a config file reads back to the
//!   same hosts. `Include` lines that could leave the scratch directory are dropped first, so the
//!   only files read are the few this module writes into it.
//! * [`known_hosts`]: arbitrary bytes as the user's `known_hosts` file (the API reads files, so
//!   they go to a scratch directory), looked up through [`KnownHosts::check`] and
//!   [`KnownHosts::known_algorithms`] for the hosts the file names; the answers agree with each
//!   other, and a key recorded with [`KnownHosts::add`] is trusted afterwards unless revoked.

use std::path::Path;

use crate::engine::ssh::known_hosts::{fingerprint, HostKeyStatus, KnownHosts};
use crate::engine::store::ssh_config::{self, SshConfigHost};
use russh::keys::PublicKey;

/// Files an `Include` in fuzzed text may reach, written into the scratch `.ssh` directory.
const INCLUDED: &[(&str, &str)] = &[
    ("a.conf", "Host inc-a\n  HostName a.example\n  Port 2200\n"),
    ("b.conf", "Host inc-b inc-a\n  User b\n  Include a.conf\n"),
];

/// Prepares `ssh_dir` for [`ssh_config`]: the files `Include` lines may name.
pub fn prepare_ssh_dir(ssh_dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(ssh_dir)?;
    for (name, text) in INCLUDED {
        std::fs::write(ssh_dir.join(name), text)?;
    }
    Ok(())
}

/// Whether a line is an `Include` that could name a file outside `ssh_dir` (any `/` does: an
/// absolute path, `~/`, or a relative path with a directory).
fn leaves_ssh_dir(line: &str) -> bool {
    let key = line
        .trim()
        .split(|c: char| c.is_whitespace() || c == '=')
        .next()
        .unwrap_or_default();
    key.eq_ignore_ascii_case("include") && line.contains(['/', '\\'])
}

/// One value as a config file argument: always quoted, with the characters OpenSSH's argument
/// splitting treats specially inside quotes (`\\`, `"`, `'`) escaped by a backslash.
fn arg(v: &str) -> String {
    let mut out = String::from("\"");
    for c in v.chars() {
        if matches!(c, '\\' | '"' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The hosts written back as a config file: one `Host` block each, every field once.
fn render(hosts: &[SshConfigHost]) -> String {
    let mut out = String::new();
    for h in hosts {
        out.push_str(&format!("Host {}\n", arg(&h.alias)));
        if let Some(v) = &h.hostname {
            out.push_str(&format!("  HostName {}\n", arg(v)));
        }
        if let Some(v) = &h.user {
            out.push_str(&format!("  User {}\n", arg(v)));
        }
        if let Some(p) = h.port {
            out.push_str(&format!("  Port {p}\n"));
        }
        for f in &h.identity_files {
            out.push_str(&format!("  IdentityFile {}\n", arg(f)));
        }
        if !h.proxy_jump.is_empty() {
            out.push_str(&format!("  ProxyJump {}\n", arg(&h.proxy_jump.join(","))));
        }
    }
    out
}

/// Fuzz check of the ssh_config reader; `ssh_dir` was set up by [`prepare_ssh_dir`].
pub fn ssh_config(data: &[u8], ssh_dir: &Path) {
    // `parse` takes text: only UTF-8 reaches it (files are read lossily, as `ssh` reads bytes).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text: String = text
        .lines()
        .filter(|l| !leaves_ssh_dir(l))
        .flat_map(|l| [l, "\n"])
        .collect();
    let hosts = ssh_config::parse(&text, ssh_dir);
    for (i, h) in hosts.iter().enumerate() {
        assert!(
            !h.alias.contains(['*', '?', '!']),
            "pattern imported: {h:?}"
        );
        assert!(
            hosts[..i].iter().all(|o| o.alias != h.alias),
            "alias twice: {h:?}"
        );
    }
    let written = render(&hosts);
    let again = ssh_config::parse(&written, ssh_dir);
    assert_eq!(again, hosts, "written back as:\n{written}");
}

/// Host keys every lookup is tried with, besides those the file holds.
const KEYS: &[&str] = &[
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLhLzAUBW+LPOPsZbYqBY7ou5DBk3ziRC+8vLQD+PklNeq55g8YDhZeN6qPaDMRFPi6KHUsS6VpFn0eLeL1ouFU=",
];

/// The most hosts and file keys one input is checked with (each lookup reads both files).
const MAX_LOOKUPS: usize = 4;

/// The hosts a file's lines name (`[host]:port` split; hashed and negated patterns as written
/// without `!`), and the keys it holds, at most [`MAX_LOOKUPS`] of each.
fn named_in(text: &str) -> (Vec<(String, u16)>, Vec<PublicKey>) {
    let mut hosts = vec![("example.com".to_string(), 22)];
    let mut keys = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(mut first) = fields.next() else {
            continue;
        };
        if first.starts_with('@') {
            let Some(next) = fields.next() else { continue };
            first = next;
        }
        for pattern in first.split(',') {
            let pattern = pattern.trim_start_matches('!');
            let named = match pattern
                .strip_prefix('[')
                .and_then(|p| p.rsplit_once("]:"))
                .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            {
                Some((h, port)) => (h.to_string(), port),
                None => (pattern.to_string(), 22),
            };
            if hosts.len() < MAX_LOOKUPS && !hosts.contains(&named) {
                hosts.push(named);
            }
        }
        if let (Some(kind), Some(blob)) = (fields.next(), fields.next()) {
            if keys.len() < MAX_LOOKUPS {
                keys.extend(PublicKey::from_openssh(&format!("{kind} {blob}")).ok());
            }
        }
    }
    (hosts, keys)
}

/// A host name `add` can write as one pattern that matches only itself.
fn plain_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(&b))
}

/// Fuzz check of the known_hosts reader; `dir` is a scratch directory the check owns.
pub fn known_hosts(data: &[u8], dir: &Path) {
    let user = dir.join("user_known_hosts");
    let own = dir.join("outpost").join("known_hosts");
    if let Err(e) = std::fs::write(&user, data) {
        panic!("writing {}: {e}", user.display());
    }
    match std::fs::remove_file(&own) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("removing {}: {e}", own.display()),
    }
    let kh = KnownHosts::new(&user, &own);
    let (hosts, mut keys) = named_in(&String::from_utf8_lossy(data));
    keys.extend(KEYS.iter().filter_map(|k| PublicKey::from_openssh(k).ok()));
    assert!(keys.len() >= KEYS.len(), "a built-in key does not parse");
    for (host, port) in &hosts {
        for key in &keys {
            // Asked afresh for each key: `add` below changes the answers.
            let algorithms = match kh.known_algorithms(host, *port) {
                Ok(a) => a,
                Err(e) => panic!("known_algorithms({host:?}, {port}): {e}"),
            };
            let status = match kh.check(host, *port, key) {
                Ok(s) => s,
                Err(e) => panic!("check({host:?}, {port}): {e}"),
            };
            match &status {
                HostKeyStatus::Trusted => assert!(algorithms.contains(&key.algorithm())),
                HostKeyStatus::Changed {
                    expected_fingerprints,
                } => {
                    assert!(!algorithms.is_empty() && !expected_fingerprints.is_empty());
                    assert!(!expected_fingerprints.contains(&fingerprint(key)));
                }
                HostKeyStatus::OtherTypesKnown { known } => {
                    assert!(!algorithms.is_empty() && !known.is_empty());
                    assert!(!algorithms.contains(&key.algorithm()));
                }
                HostKeyStatus::Unknown | HostKeyStatus::Revoked => {}
            }
            if plain_host(host) {
                if let Err(e) = kh.add(host, *port, key) {
                    panic!("add({host:?}, {port}): {e}");
                }
                let after = match kh.check(host, *port, key) {
                    Ok(s) => s,
                    Err(e) => panic!("check({host:?}, {port}) after add: {e}"),
                };
                let want = if status == HostKeyStatus::Revoked {
                    HostKeyStatus::Revoked
                } else {
                    HostKeyStatus::Trusted
                };
                assert_eq!(after, want, "{host:?} port {port} after add");
            }
        }
    }
}

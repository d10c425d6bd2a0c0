//! Host-key trust: which server keys Outpost accepts, read from two OpenSSH `known_hosts` files.
//!
//! - The user's own `~/.ssh/known_hosts`, shared with OpenSSH (or, for a host whose
//!   `~/.ssh/config` sets `UserKnownHostsFile`, those files: [`KnownHosts::with_user_files`]).
//!   Outpost only ever *reads* them, so a host the user already trusts in `ssh` is trusted here
//!   too, and a key that changed there is refused here too.
//! - Outpost's own file (`<config dir>/known_hosts`), where keys the user accepts in Outpost are
//!   appended ([`KnownHosts::add`]); the directory is created 0700 and the file 0600.
//!
//! Both files use OpenSSH's format, and lookups follow OpenSSH's rules: a host on port 22 is
//! looked up as `host`, any other port as `[host]:port`; host fields are comma-separated pattern
//! lists with `*`/`?` wildcards and `!` negation, compared without regard to case; hashed entries
//! (`|1|salt|hash`, written by `HashKnownHosts yes` or `ssh-keygen -H`) match by HMAC-SHA1;
//! `@revoked` lines revoke a key (a plain key, the key inside a host certificate, or a CA key);
//! `@cert-authority` lines name the CAs whose host certificates are trusted for the hosts they
//! match ([`KnownHosts::cert_authorities`], checked by [`super::host_cert`]). A key is [`HostKeyStatus::Trusted`] when any matching line holds it,
//! [`HostKeyStatus::Changed`] when matching lines hold only *other* keys of the same type,
//! [`HostKeyStatus::OtherTypesKnown`] when they hold keys of other types only (what a man in the
//! middle offering only another key type looks like: OpenSSH warns "but keys of different type
//! are already known for this host"), and [`HostKeyStatus::Unknown`] when no line matches.
//!
//! ```no_run
//! # use outpost_desktop::engine::ssh::known_hosts::{KnownHosts, HostKeyStatus};
//! # fn demo(key: &russh::keys::PublicKey) -> Result<(), Box<dyn std::error::Error>> {
//! let known = KnownHosts::default_paths(std::path::Path::new("/home/me/.config/outpost"));
//! match known.check("example.com", 22, key)? {
//!     HostKeyStatus::Trusted => {}
//!     HostKeyStatus::Unknown => known.add("example.com", 22, key)?, // after asking the user
//!     HostKeyStatus::OtherTypesKnown { known } => eprintln!("warn first: {known:?}"),
//!     HostKeyStatus::Changed { expected_fingerprints } => eprintln!("{expected_fingerprints:?}"),
//!     HostKeyStatus::Revoked => eprintln!("revoked"),
//! }
//! # Ok(()) }
//! ```

use std::fs::{DirBuilder, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{Algorithm, EcdsaCurve, HashAlg, PublicKey};
use sha1::Sha1;

use super::host_cert::CertificateInfo;
use outpost_openssh::home_dir;
use outpost_openssh::pattern::match_list;

/// Name of Outpost's own known-hosts file inside the configuration directory.
pub const OWN_FILE_NAME: &str = "known_hosts";

/// Host key algorithms whose certificates Outpost accepts, most preferred first (OpenSSH's
/// order, without DSA and the SHA-1 `ssh-rsa` variant).
const CERTIFICATE_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

/// What went wrong reading or writing a known-hosts file.
#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    /// A known-hosts file exists but could not be read (a missing file is simply empty).
    #[error("cannot read known-hosts file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Outpost's own known-hosts file (or its directory) could not be written.
    #[error("cannot write known-hosts file {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key to record cannot be written in OpenSSH format.
    #[error("cannot encode the host key: {0}")]
    Encode(String),
}

/// Whether a host's key is trusted, per [`KnownHosts::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line for this host holds exactly this key.
    Trusted,
    /// No line for this host holds any key: ask the user.
    Unknown,
    /// Lines for this host hold keys of other types only: ask the user, with a warning and the
    /// keys on record, never accepting it automatically (`--accept-new-host-key` does not).
    OtherTypesKnown {
        /// The keys on record for this host (types other than the presented one).
        known: Vec<KnownKey>,
    },
    /// Lines for this host hold other keys of the same type, never this one: refuse (possible
    /// man-in-the-middle, or a reinstalled host).
    Changed {
        /// Fingerprints (`SHA256:…`) of the keys on record for this host and key type.
        expected_fingerprints: Vec<String>,
    },
    /// An `@revoked` line holds this key: refuse, never ask.
    Revoked,
}

/// A key on record for a host: its type and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct KnownKey {
    /// The key's algorithm, e.g. `ecdsa-sha2-nistp256`.
    pub key_type: String,
    /// The key's fingerprint ([`fingerprint`]).
    pub fingerprint: String,
}

/// A server's key as it was checked: the facts a host-key error or question carries as fields,
/// so a front end shows them without reading them back out of a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ServerKey {
    /// The host as connected to.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The host as `known_hosts` names it ([`lookup_name`]): what `ssh-keygen -R` takes.
    pub known_hosts_name: String,
    /// The key's algorithm, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// The key's fingerprint ([`fingerprint`]).
    pub fingerprint: String,
    /// The host certificate the key came in, when the server presented one (its CA and
    /// principals); `key_type` and `fingerprint` are then those of the certified key.
    // Boxed: errors carry this struct, and most keys are plain.
    pub certificate: Option<Box<CertificateInfo>>,
}

impl ServerKey {
    /// The facts of `key`, presented by `host` on `port` as a plain key.
    pub fn new(host: &str, port: u16, key: &PublicKey) -> Self {
        ServerKey {
            host: host.to_owned(),
            port,
            known_hosts_name: lookup_name(host, port),
            key_type: key.algorithm().as_str().to_owned(),
            fingerprint: fingerprint(key),
            certificate: None,
        }
    }

    /// The same facts, with the certificate `key` came in (if any).
    pub fn with_certificate(mut self, certificate: Option<CertificateInfo>) -> Self {
        self.certificate = certificate.map(Box::new);
        self
    }
}

/// A server presenting a key other than those on record for it ([`HostKeyStatus::Changed`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChangedKey {
    /// The key presented now.
    #[serde(flatten)]
    pub presented: ServerKey,
    /// Fingerprints of the keys on record for this host and key type.
    pub expected_fingerprints: Vec<String>,
}

/// The two known-hosts files Outpost consults; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownHosts {
    user_file: PathBuf,
    /// More read-only files after `user_file` (`~/.ssh/known_hosts2`, or the rest of a
    /// `UserKnownHostsFile` list).
    more_user_files: Vec<PathBuf>,
    own_file: PathBuf,
}

/// How one line of a known-hosts file applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

/// One parsed line that matched the host being looked up.
struct Entry {
    marker: Marker,
    key: PublicKey,
}

impl KnownHosts {
    /// Known hosts read from `user_file` (read-only, normally `~/.ssh/known_hosts`) and
    /// `own_file` (read and appended to). Neither file has to exist.
    pub fn new(user_file: impl Into<PathBuf>, own_file: impl Into<PathBuf>) -> Self {
        KnownHosts {
            user_file: user_file.into(),
            more_user_files: Vec::new(),
            own_file: own_file.into(),
        }
    }

    /// The same trust with `files` read instead of the user's file(s) (`UserKnownHostsFile`);
    /// Outpost's own file stays. An empty list changes nothing.
    pub fn with_user_files(&self, files: &[PathBuf]) -> KnownHosts {
        match files.split_first() {
            None => self.clone(),
            Some((first, rest)) => KnownHosts {
                user_file: first.clone(),
                more_user_files: rest.to_vec(),
                own_file: self.own_file.clone(),
            },
        }
    }

    /// `~/.ssh/known_hosts` (from `$HOME`, else the password database) and
    /// `<config_dir>/known_hosts`.
    pub fn default_paths(config_dir: &Path) -> Self {
        let user_file = home_dir()
            .map(|h| h.join(".ssh").join("known_hosts"))
            // No home at all: a path that cannot exist, so nothing is trusted from it.
            .unwrap_or_else(|| PathBuf::from("/nonexistent/.ssh/known_hosts"));
        KnownHosts::new(user_file, config_dir.join(OWN_FILE_NAME))
    }

    /// The user's file (never written).
    pub fn user_file(&self) -> &Path {
        &self.user_file
    }

    /// Outpost's own file ([`KnownHosts::add`] appends here).
    pub fn own_file(&self) -> &Path {
        &self.own_file
    }

    /// Whether `key` is trusted for `host` on `port`, per both files; see the
    /// [module documentation](self) for the rules.
    pub fn check(
        &self,
        host: &str,
        port: u16,
        key: &PublicKey,
    ) -> Result<HostKeyStatus, KnownHostsError> {
        let entries = self.entries_for(host, port)?;
        let mut trusted = false;
        let mut expected: Vec<String> = Vec::new();
        let mut other_types: Vec<KnownKey> = Vec::new();
        for entry in &entries {
            let same_key = entry.key.key_data() == key.key_data();
            match entry.marker {
                Marker::Revoked if same_key => return Ok(HostKeyStatus::Revoked),
                Marker::Revoked | Marker::CertAuthority => {}
                Marker::None if same_key => trusted = true,
                Marker::None => {
                    if same_key_type(&entry.key, key) {
                        let fp = fingerprint(&entry.key);
                        if !expected.contains(&fp) {
                            expected.push(fp);
                        }
                    } else {
                        let other = KnownKey {
                            key_type: entry.key.algorithm().as_str().to_owned(),
                            fingerprint: fingerprint(&entry.key),
                        };
                        if !other_types.contains(&other) {
                            other_types.push(other);
                        }
                    }
                }
            }
        }
        Ok(if trusted {
            HostKeyStatus::Trusted
        } else if !expected.is_empty() {
            HostKeyStatus::Changed {
                expected_fingerprints: expected,
            }
        } else if !other_types.is_empty() {
            HostKeyStatus::OtherTypesKnown { known: other_types }
        } else {
            HostKeyStatus::Unknown
        })
    }

    /// Key types on record for `host` on `port` (no duplicates, in file order), so that key
    /// exchange can prefer a type that can actually be verified, as OpenSSH does.
    pub fn known_algorithms(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<Algorithm>, KnownHostsError> {
        let mut algorithms = Vec::new();
        for entry in self.entries_for(host, port)? {
            let alg = entry.key.algorithm();
            if entry.marker == Marker::None && !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        Ok(algorithms)
    }

    /// The CA keys of the `@cert-authority` lines matching `host` on `port` (no duplicates, in
    /// file order): the CAs whose host certificates are trusted for it.
    pub fn cert_authorities(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<PublicKey>, KnownHostsError> {
        let mut cas: Vec<PublicKey> = Vec::new();
        for entry in self.entries_for(host, port)? {
            if entry.marker == Marker::CertAuthority
                && !cas.iter().any(|k| k.key_data() == entry.key.key_data())
            {
                cas.push(entry.key);
            }
        }
        Ok(cas)
    }

    /// Whether an `@revoked` line matching `host` on `port` holds `key` (any key: a host key,
    /// a certified key or a CA key).
    pub fn is_revoked(
        &self,
        host: &str,
        port: u16,
        key: &KeyData,
    ) -> Result<bool, KnownHostsError> {
        Ok(self
            .entries_for(host, port)?
            .iter()
            .any(|e| e.marker == Marker::Revoked && e.key.key_data() == key))
    }

    /// The host key algorithms whose certificate variants (`*-cert-v01@openssh.com`) to ask
    /// `host` on `port` for: every certificate-capable one when an `@cert-authority` line
    /// matches the host (its certificate can then be checked) or when no key at all is on
    /// record for it (a certificate's CA and principals are then shown when asking about it);
    /// none when plain keys are on record and no CA is, so such a host keeps presenting the
    /// plain key that is on record.
    pub fn certificate_algorithms(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<Algorithm>, KnownHostsError> {
        let entries = self.entries_for(host, port)?;
        let has_ca = entries.iter().any(|e| e.marker == Marker::CertAuthority);
        let has_plain = entries.iter().any(|e| e.marker == Marker::None);
        Ok(if has_ca || !has_plain {
            CERTIFICATE_ALGORITHMS.to_vec()
        } else {
            Vec::new()
        })
    }

    /// Records `key` for `host` (lower-cased, as OpenSSH does) on `port` by appending one line
    /// to the own file (created 0600, its directory 0700 when missing). The line is written with a single `O_APPEND` write, so
    /// concurrent writers never interleave.
    pub fn add(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), KnownHostsError> {
        let path = &self.own_file;
        let write_err = |path: &Path, source| KnownHostsError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| write_err(dir, e))?;
        }
        let mut plain = key.clone();
        plain.set_comment("");
        let encoded = plain
            .to_openssh()
            .map_err(|e| KnownHostsError::Encode(e.to_string()))?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| write_err(path, e))?;
        // Tighten a file someone else created with a looser mode.
        let meta = file.metadata().map_err(|e| write_err(path, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| write_err(path, e))?;
        }
        let mut line = String::new();
        if meta.len() > 0 && !ends_with_newline(&mut file).map_err(|e| write_err(path, e))? {
            line.push('\n');
        }
        line.push_str(&lookup_name(&host.to_lowercase(), port));
        line.push(' ');
        line.push_str(encoded.trim());
        line.push('\n');
        file.write_all(line.as_bytes())
            .map_err(|e| write_err(path, e))?;
        file.sync_data().map_err(|e| write_err(path, e))?;
        Ok(())
    }

    /// Every line of both files whose host field matches `host`/`port`.
    fn entries_for(&self, host: &str, port: u16) -> Result<Vec<Entry>, KnownHostsError> {
        let name = lookup_name(host, port).to_lowercase();
        let mut entries = Vec::new();
        let files = std::iter::once(&self.user_file)
            .chain(&self.more_user_files)
            .chain(std::iter::once(&self.own_file));
        for path in files {
            let text = match std::fs::read(path) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(KnownHostsError::Read {
                        path: path.clone(),
                        source: e,
                    })
                }
            };
            for (n, line) in text.lines().enumerate() {
                if let Some(entry) = parse_line(line, &name) {
                    tracing::trace!(file = %path.display(), line = n + 1, "known_hosts match");
                    entries.push(entry);
                }
            }
        }
        Ok(entries)
    }
}

/// `host` for port 22, `[host]:port` otherwise: how OpenSSH names a host in `known_hosts`.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// A key's fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Whether two keys are of the same type (RSA hash variants count as one type).
fn same_key_type(a: &PublicKey, b: &PublicKey) -> bool {
    match (a.algorithm(), b.algorithm()) {
        (Algorithm::Rsa { .. }, Algorithm::Rsa { .. }) => true,
        (x, y) => x == y,
    }
}

/// Parses one line; `Some` when it is a well-formed entry whose host field matches `name`
/// (already lower-case). Malformed lines are skipped, as OpenSSH does.
fn parse_line(line: &str, name: &str) -> Option<Entry> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        m if m.starts_with('@') => return None,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next()?;
    }
    if !hosts_match(first, name) {
        return None;
    }
    let key_type = fields.next()?;
    let blob = fields.next()?;
    match PublicKey::from_openssh(&format!("{key_type} {blob}")) {
        Ok(key) => Some(Entry { marker, key }),
        Err(e) => {
            tracing::debug!("skipping a known_hosts line with an unreadable key: {e}");
            None
        }
    }
}

/// OpenSSH's host-field matching: comma-separated patterns compared without regard to case
/// ([`match_list`]: a matching negated pattern rejects the line whatever else matches); a hashed
/// entry matches by HMAC-SHA1 of `name`.
fn hosts_match(field: &str, name: &str) -> bool {
    if let Some(hashed) = field.strip_prefix("|1|") {
        return hashed_match(hashed, name);
    }
    match_list(name, field.to_lowercase().split(','))
}

/// `salt|hash` (both base64) of a `|1|` entry: HMAC-SHA1 keyed with the salt over `name`.
fn hashed_match(salt_and_hash: &str, name: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = salt_and_hash.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else {
        return false;
    };
    let Ok(mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// Whether a non-empty file ends with `\n`. Reading moves the file position, but writes to an
/// `O_APPEND` file always go to its end.
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    fn known(user: &str, own: &str) -> (tempfile::TempDir, KnownHosts) {
        let dir = tempfile::tempdir().unwrap();
        let kh = KnownHosts::new(dir.path().join("user"), dir.path().join("cfg/own"));
        std::fs::write(kh.user_file(), user).unwrap();
        if !own.is_empty() {
            std::fs::create_dir_all(dir.path().join("cfg")).unwrap();
            std::fs::write(kh.own_file(), own).unwrap();
        }
        (dir, kh)
    }

    #[test]
    fn trusted_changed_unknown() {
        let (_d, kh) = known(&format!("host.example,10.1.1.1 {KEY_A}\n"), "");
        assert_eq!(
            kh.check("host.example", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            kh.check("HOST.example", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            kh.check("10.1.1.1", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Changed {
                expected_fingerprints: vec![fingerprint(&key(KEY_A))]
            }
        );
        // Another port is another host.
        assert_eq!(
            kh.check("host.example", 2222, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            kh.check("other", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn other_key_types_on_record_are_not_unknown() {
        const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAlFeCb+/GtSj/7JIkkZSZEl3UCH/YHLzxMuw176vUHxxsF60riY0YIkmTRovAEXk28xXNhttUYAXK6JPDFY/BM=";
        let (_d, kh) = known(&format!("h {ECDSA}\n"), "");
        let want = vec![KnownKey {
            key_type: "ecdsa-sha2-nistp256".into(),
            fingerprint: fingerprint(&key(ECDSA)),
        }];
        assert_eq!(
            kh.check("h", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::OtherTypesKnown { known: want }
        );
        // A key of the same type on record as well: changed, which wins.
        let (_d, kh) = known(&format!("h {ECDSA}\nh {KEY_B}\n"), "");
        assert!(matches!(
            kh.check("h", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Changed { .. }
        ));
        // Revoked lines are not keys on record.
        let (_d, kh) = known(&format!("@revoked h {ECDSA}\n"), "");
        assert_eq!(
            kh.check("h", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn both_files_and_markers() {
        let (_d, kh) = known(
            &format!("# comment\n\n[h]:2222 {KEY_A}\n@revoked * {KEY_B}\n"),
            &format!("@cert-authority *.corp {KEY_A}\n!bad.h,*.h\t{KEY_B}\n"),
        );
        assert_eq!(
            kh.check("h", 2222, &key(KEY_A)).unwrap(),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            kh.check("x.h", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Revoked
        );
        assert_eq!(
            kh.check("x.corp", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            kh.known_algorithms("h", 2222).unwrap(),
            vec![Algorithm::Ed25519]
        );
        assert!(kh.known_algorithms("bad.h", 22).unwrap().is_empty());
    }

    #[test]
    fn cert_authority_and_revoked_lines() {
        let (_d, kh) = known(
            &format!(
                "@cert-authority *.corp,!bad.corp {KEY_A}\n@cert-authority [*.corp]:2222 {KEY_B}\n\
                 @revoked *.corp {KEY_B}\nplain.corp {KEY_B}\n"
            ),
            &format!("@cert-authority WEB.CORP {KEY_A}\n"),
        );
        assert_eq!(
            kh.cert_authorities("web.corp", 22).unwrap(),
            vec![key(KEY_A)]
        );
        assert_eq!(
            kh.cert_authorities("web.corp", 2222).unwrap(),
            vec![key(KEY_B)]
        );
        assert!(kh.cert_authorities("bad.corp", 22).unwrap().is_empty());
        assert!(kh.cert_authorities("web.other", 22).unwrap().is_empty());
        assert!(kh
            .is_revoked("web.corp", 22, key(KEY_B).key_data())
            .unwrap());
        assert!(!kh
            .is_revoked("web.corp", 22, key(KEY_A).key_data())
            .unwrap());
        assert!(!kh
            .is_revoked("web.other", 22, key(KEY_B).key_data())
            .unwrap());
        // CA lines are not keys on record.
        assert_eq!(
            kh.known_algorithms("web.corp", 22).unwrap(),
            Vec::<Algorithm>::new()
        );
        // Certificates are asked for where a CA is trusted, or where nothing is on record;
        // a host known by a plain key only keeps presenting it.
        assert_eq!(kh.certificate_algorithms("web.corp", 22).unwrap().len(), 6);
        assert_eq!(kh.certificate_algorithms("new.host", 22).unwrap().len(), 6);
        let (_d, kh) = known(&format!("plain.host {KEY_B}\n"), "");
        assert!(kh
            .certificate_algorithms("plain.host", 22)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn hashed_entry() {
        // Computed like `ssh-keygen -H`: HMAC-SHA1(salt, "[127.0.0.1]:2222").
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = [7u8; 20];
        let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt)
            .unwrap()
            .chain_update(b"[127.0.0.1]:2222")
            .finalize()
            .into_bytes();
        let line = format!("|1|{}|{} {KEY_A}\n", b64.encode(salt), b64.encode(mac));
        let (_d, kh) = known(&line, "");
        assert_eq!(
            kh.check("127.0.0.1", 2222, &key(KEY_A)).unwrap(),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            kh.check("127.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn add_appends_with_modes() {
        let (d, kh) = known("", "");
        kh.add("h", 2200, &key(KEY_A)).unwrap();
        kh.add("g", 22, &key(KEY_B)).unwrap();
        let text = std::fs::read_to_string(kh.own_file()).unwrap();
        assert_eq!(text, format!("[h]:2200 {KEY_A}\ng {KEY_B}\n"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(kh.own_file()), 0o600);
        assert_eq!(mode(&d.path().join("cfg")), 0o700);
        assert_eq!(
            kh.check("h", 2200, &key(KEY_A)).unwrap(),
            HostKeyStatus::Trusted
        );
    }

    #[test]
    fn add_after_missing_newline() {
        let (_d, kh) = known("", &format!("x {KEY_B}"));
        kh.add("h", 22, &key(KEY_A)).unwrap();
        let text = std::fs::read_to_string(kh.own_file()).unwrap();
        assert_eq!(text, format!("x {KEY_B}\nh {KEY_A}\n"));
    }
}

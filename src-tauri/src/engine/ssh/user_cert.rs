//! User certificates for public-key authentication, found where OpenSSH finds them: the files
//! of `CertificateFile` (`SshTarget::certificate_files`) and `<key>-cert.pub` beside each
//! identity file. Certificates held in the ssh-agent come with its identities instead
//! (`auth.rs`).
//!
//! A certificate is offered with the private key it certifies (from a key file or the agent),
//! before that key is offered plainly: a server trusting the CA (`TrustedUserCAKeys`) accepts
//! the certificate, any other server the plain key. Certificates that are not user certificates,
//! or whose file is unreadable, malformed or larger than [`MAX_CERTIFICATE_BYTES`], are skipped
//! with a log line, as OpenSSH skips them.

use std::io::Read;
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::Certificate;

/// The largest certificate file read (OpenSSH certificates are a few KiB at most).
pub(crate) const MAX_CERTIFICATE_BYTES: u64 = 64 * 1024;

/// User certificates, each with the file it came from.
#[derive(Debug, Default)]
pub(crate) struct UserCertificates {
    certs: Vec<(PathBuf, Certificate)>,
}

impl UserCertificates {
    /// Reads `configured` (`CertificateFile`; a missing one is logged) and the `-cert.pub`
    /// beside each of `identity_files` (a missing one is normal).
    pub(crate) fn load(configured: &[PathBuf], identity_files: &[PathBuf]) -> Self {
        let mut certs = UserCertificates::default();
        for path in configured {
            certs.add(path, true);
        }
        for key in identity_files {
            certs.add(&cert_path(key), false);
        }
        certs
    }

    fn add(&mut self, path: &Path, explicit: bool) {
        match read_certificate(path) {
            Ok(Some(cert)) => {
                if self.certs.iter().any(|(_, c)| *c == cert) {
                    return;
                }
                tracing::debug!(file = %path.display(), key_id = %cert.key_id(), "user certificate");
                self.certs.push((path.to_owned(), cert));
            }
            Ok(None) if explicit => {
                tracing::warn!("certificate file {} does not exist", path.display());
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("cannot use certificate file {}: {e}", path.display()),
        }
    }

    /// The certificates of `key`, in the order found.
    pub(crate) fn for_key(&self, key: &KeyData) -> Vec<(PathBuf, Certificate)> {
        self.certs
            .iter()
            .filter(|(_, c)| c.public_key() == key)
            .cloned()
            .collect()
    }
}

/// `<key>-cert.pub`: where OpenSSH looks for the certificate of an identity file.
pub(crate) fn cert_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push("-cert.pub");
    PathBuf::from(s)
}

/// The user certificate in `path` (OpenSSH's one-line format); `None` when the file does not
/// exist; an error for an unreadable, oversized or malformed file, or a host certificate.
pub(crate) fn read_certificate(path: &Path) -> Result<Option<Certificate>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut text = String::new();
    file.take(MAX_CERTIFICATE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_CERTIFICATE_BYTES {
        return Err(format!("larger than {MAX_CERTIFICATE_BYTES} bytes"));
    }
    let cert = Certificate::from_openssh(text.trim()).map_err(|e| e.to_string())?;
    if cert.cert_type() != CertType::User {
        return Err("a host certificate, not a user certificate".into());
    }
    Ok(Some(cert))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use russh::keys::ssh_key::certificate::Builder;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::ssh_key::PrivateKey;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn cert(subject: &PrivateKey, cert_type: CertType) -> Certificate {
        let mut b = Builder::new(
            vec![1u8; 16],
            subject.public_key().key_data().clone(),
            0,
            u64::MAX,
        )
        .unwrap();
        b.cert_type(cert_type).unwrap();
        b.key_id("alice@laptop").unwrap();
        b.valid_principal("alice").unwrap();
        b.sign(&key(99)).unwrap()
    }

    #[test]
    fn configured_and_beside_the_key_matched_by_key() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (key(1), key(2));
        let id_a = d.path().join("id_a");
        std::fs::write(
            cert_path(&id_a),
            cert(&a, CertType::User).to_openssh().unwrap() + "\n",
        )
        .unwrap();
        let configured = d.path().join("b.cert");
        std::fs::write(&configured, cert(&b, CertType::User).to_openssh().unwrap()).unwrap();
        let certs = UserCertificates::load(
            &[configured.clone(), d.path().join("missing.cert")],
            &[id_a.clone(), d.path().join("id_none")],
        );
        let for_a = certs.for_key(a.public_key().key_data());
        assert_eq!(for_a.len(), 1);
        assert_eq!(for_a[0].0, d.path().join("id_a-cert.pub"));
        assert_eq!(for_a[0].1.key_id(), "alice@laptop");
        let for_b = certs.for_key(b.public_key().key_data());
        assert_eq!(for_b.len(), 1);
        assert_eq!(for_b[0].0, configured);
        assert!(certs.for_key(key(3).public_key().key_data()).is_empty());
    }

    #[test]
    fn bad_files_are_errors_and_missing_ones_are_none() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read_certificate(&d.path().join("none")).unwrap(), None);
        let p = d.path().join("c");
        std::fs::write(&p, "ssh-ed25519-cert-v01@openssh.com AAAA garbage").unwrap();
        assert!(read_certificate(&p).is_err());
        std::fs::write(&p, cert(&key(1), CertType::Host).to_openssh().unwrap()).unwrap();
        assert!(read_certificate(&p)
            .unwrap_err()
            .contains("host certificate"));
        std::fs::write(&p, vec![b'A'; MAX_CERTIFICATE_BYTES as usize + 1]).unwrap();
        assert!(read_certificate(&p).unwrap_err().contains("larger"));
        assert_eq!(
            cert_path(Path::new("/k/id_ed25519")),
            Path::new("/k/id_ed25519-cert.pub")
        );
    }
}

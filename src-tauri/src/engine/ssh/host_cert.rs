//! Host certificates: whether a server's OpenSSH host certificate (`*-cert-v01@openssh.com`,
//! made with `ssh-keygen -s CA -h`) is trusted, by OpenSSH's rules, and its facts as data.
//!
//! A certificate is trusted for a host when every check below passes, in this order (the first
//! failure is the [`CertificateProblem`] reported):
//!
//! 1. neither the certified key nor the CA key is `@revoked` in a known-hosts file
//!    ([`CertificateProblem::Revoked`]);
//! 2. its CA key is on an `@cert-authority` line whose host patterns match the host
//!    ([`CertificateProblem::UnknownCa`]);
//! 3. the CA's signature over it verifies ([`CertificateProblem::BadSignature`]);
//! 4. it is a *host* certificate, not a user one ([`CertificateProblem::NotHostCertificate`]);
//! 5. now is inside its validity window ([`CertificateProblem::NotYetValid`],
//!    [`CertificateProblem::Expired`]);
//! 6. its principals name the host as it was looked up in `known_hosts` (the `HostName`
//!    connected to, lower-cased, without the port); an empty list names every host, and a
//!    principal may be a `*`/`?` pattern, as in OpenSSH ([`CertificateProblem::WrongPrincipal`]);
//! 7. it has no critical options (none are defined for host certificates, and OpenSSH refuses
//!    any; [`CertificateProblem::CriticalOption`]).
//!
//! What happens after a failure — falling back to the certified key as a plain key, asking, or
//! refusing — is decided by the host-key handler (`handler.rs`); see `docs/certificates.md`.

use std::time::{SystemTime, UNIX_EPOCH};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::{Certificate, HashAlg, PublicKey};

use super::known_hosts::ServerKey;
use outpost_openssh::pattern::wildcard_match;

/// The facts of a certificate a server presented, as a front end shows them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CertificateInfo {
    /// The certificate's key id (`ssh-keygen -I`).
    pub key_id: String,
    /// Its serial number (`ssh-keygen -z`). Serials above 2^53 lose precision in JavaScript;
    /// they are shown, never compared.
    pub serial: u64,
    /// The names it is valid for (`ssh-keygen -n`); empty: every name.
    pub principals: Vec<String>,
    /// The signing CA key's algorithm, e.g. `ssh-ed25519`.
    pub ca_key_type: String,
    /// The signing CA key's fingerprint (`SHA256:…`).
    pub ca_fingerprint: String,
    /// Start of validity, in seconds since the Unix epoch (0: always valid before its end).
    pub valid_after: u64,
    /// End of validity (exclusive), in seconds since the Unix epoch; `None`: forever.
    pub valid_before: Option<u64>,
}

impl CertificateInfo {
    /// The facts of `cert`.
    pub fn of(cert: &Certificate) -> Self {
        CertificateInfo {
            key_id: cert.key_id().to_owned(),
            serial: cert.serial(),
            principals: cert.valid_principals().to_vec(),
            ca_key_type: cert.signature_key().algorithm().as_str().to_owned(),
            ca_fingerprint: cert
                .signature_key()
                .fingerprint(HashAlg::Sha256)
                .to_string(),
            valid_after: cert.valid_after(),
            valid_before: (cert.valid_before() != u64::MAX).then_some(cert.valid_before()),
        }
    }
}

/// Why a host certificate is not trusted; see the [module documentation](self) for the order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CertificateProblem {
    /// An `@revoked` line holds the certified key or the CA key.
    Revoked {
        /// The fingerprint of the revoked key.
        revoked_fingerprint: String,
        /// True when the revoked key is the CA's (every certificate it signed is refused).
        ca: bool,
    },
    /// No `@cert-authority` line for this host holds the CA that signed it.
    UnknownCa {
        /// Fingerprints of the CAs trusted for this host (empty: none is).
        trusted_cas: Vec<String>,
    },
    /// The CA's signature does not verify: the certificate was altered or forged.
    BadSignature,
    /// It is a user certificate (made without `ssh-keygen -h`).
    NotHostCertificate,
    /// Its validity starts later.
    NotYetValid {
        /// Start of validity, in seconds since the Unix epoch.
        valid_after: u64,
        /// The local clock when checked, in seconds since the Unix epoch.
        now: u64,
    },
    /// Its validity has ended.
    Expired {
        /// End of validity, in seconds since the Unix epoch.
        valid_before: u64,
        /// The local clock when checked, in seconds since the Unix epoch.
        now: u64,
    },
    /// Its principals do not name the host connected to.
    WrongPrincipal {
        /// The name that was looked for.
        name: String,
        /// The names it is valid for.
        principals: Vec<String>,
    },
    /// It carries a critical option (none is defined for host certificates).
    CriticalOption {
        /// The option's name.
        option: String,
    },
}

impl CertificateProblem {
    /// The stable error code of a connection refused for this problem.
    pub fn code(&self) -> &'static str {
        match self {
            CertificateProblem::Revoked { .. } => "host_certificate_revoked",
            CertificateProblem::UnknownCa { .. } => "host_certificate_unknown_ca",
            CertificateProblem::NotYetValid { .. } => "host_certificate_not_yet_valid",
            CertificateProblem::Expired { .. } => "host_certificate_expired",
            CertificateProblem::WrongPrincipal { .. } => "host_certificate_wrong_principal",
            CertificateProblem::BadSignature
            | CertificateProblem::NotHostCertificate
            | CertificateProblem::CriticalOption { .. } => "host_certificate_invalid",
        }
    }
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateProblem::Revoked {
                revoked_fingerprint,
                ca: true,
            } => write!(
                f,
                "the CA key that signed it ({revoked_fingerprint}) is marked @revoked in a known-hosts file"
            ),
            CertificateProblem::Revoked {
                revoked_fingerprint,
                ca: false,
            } => write!(
                f,
                "its host key ({revoked_fingerprint}) is marked @revoked in a known-hosts file"
            ),
            CertificateProblem::UnknownCa { trusted_cas } if trusted_cas.is_empty() => write!(
                f,
                "no @cert-authority line in a known-hosts file trusts a CA for this host"
            ),
            CertificateProblem::UnknownCa { trusted_cas } => write!(
                f,
                "it is signed by a CA that is not trusted for this host (trusted: {})",
                trusted_cas.join(", ")
            ),
            CertificateProblem::BadSignature => {
                write!(f, "the CA's signature on it does not verify")
            }
            CertificateProblem::NotHostCertificate => {
                write!(f, "it is a user certificate, not a host certificate")
            }
            CertificateProblem::NotYetValid { valid_after, now } => write!(
                f,
                "it is not valid yet (valid from {valid_after}, now {now}, in seconds since 1970; \
                 check both clocks)"
            ),
            CertificateProblem::Expired { valid_before, now } => write!(
                f,
                "it expired (valid until {valid_before}, now {now}, in seconds since 1970)"
            ),
            CertificateProblem::WrongPrincipal { name, principals } => write!(
                f,
                "it is not valid for the name {name} (it names {})",
                principals.join(", ")
            ),
            CertificateProblem::CriticalOption { option } => {
                write!(f, "it carries the unsupported critical option {option}")
            }
        }
    }
}

/// A server whose host certificate was refused: the key and certificate it presented, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CertificateRejected {
    /// The key presented, with its certificate ([`ServerKey::certificate`] is set).
    #[serde(flatten)]
    pub presented: ServerKey,
    /// Why the certificate is not trusted.
    pub problem: CertificateProblem,
}

/// Seconds since the Unix epoch by the local clock (0 for a clock before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks `cert` for `name` (the host as looked up in `known_hosts`, without the port) against
/// the CA keys trusted for the host and a revocation test, at `now` (seconds since the Unix
/// epoch); see the [module documentation](self).
pub fn check(
    cert: &Certificate,
    name: &str,
    trusted_cas: &[PublicKey],
    is_revoked: impl Fn(&KeyData) -> bool,
    now: u64,
) -> Result<(), CertificateProblem> {
    let fp = |k: &KeyData| k.fingerprint(HashAlg::Sha256).to_string();
    if is_revoked(cert.public_key()) {
        return Err(CertificateProblem::Revoked {
            revoked_fingerprint: fp(cert.public_key()),
            ca: false,
        });
    }
    if is_revoked(cert.signature_key()) {
        return Err(CertificateProblem::Revoked {
            revoked_fingerprint: fp(cert.signature_key()),
            ca: true,
        });
    }
    if !trusted_cas
        .iter()
        .any(|ca| ca.key_data() == cert.signature_key())
    {
        return Err(CertificateProblem::UnknownCa {
            trusted_cas: trusted_cas.iter().map(|k| fp(k.key_data())).collect(),
        });
    }
    // `verify_signature` checks the CA's signature over the certificate's body and nothing
    // else; whether that CA is trusted was decided above.
    if cert.verify_signature().is_err() {
        return Err(CertificateProblem::BadSignature);
    }
    if cert.cert_type() != CertType::Host {
        return Err(CertificateProblem::NotHostCertificate);
    }
    if now < cert.valid_after() {
        return Err(CertificateProblem::NotYetValid {
            valid_after: cert.valid_after(),
            now,
        });
    }
    if now >= cert.valid_before() {
        return Err(CertificateProblem::Expired {
            valid_before: cert.valid_before(),
            now,
        });
    }
    let name = name.to_lowercase();
    let principals = cert.valid_principals();
    if !principals.is_empty() && !principals.iter().any(|p| wildcard_match(p, &name)) {
        return Err(CertificateProblem::WrongPrincipal {
            name,
            principals: principals.to_vec(),
        });
    }
    if let Some((option, _)) = cert.critical_options().iter().next() {
        return Err(CertificateProblem::CriticalOption {
            option: option.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use russh::keys::ssh_key::certificate::Builder;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::ssh_key::PrivateKey;
    use std::sync::atomic::{AtomicU8, Ordering};

    const NOW: u64 = 1_800_000_000;

    /// A fresh, deterministic ed25519 key (each call another seed).
    fn key() -> PrivateKey {
        static SEED: AtomicU8 = AtomicU8::new(1);
        let seed = SEED.fetch_add(1, Ordering::Relaxed);
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    struct Made {
        ca: PrivateKey,
        cert: Certificate,
    }

    fn make(
        cert_type: CertType,
        principals: &[&str],
        window: (u64, u64),
        option: Option<&str>,
    ) -> Made {
        let ca = key();
        let host = key();
        let mut b = Builder::new(
            vec![9u8; 16],
            host.public_key().key_data().clone(),
            window.0,
            window.1,
        )
        .unwrap();
        b.serial(7).unwrap().key_id("web-1").unwrap();
        b.cert_type(cert_type).unwrap();
        if principals.is_empty() {
            b.all_principals_valid().unwrap();
        }
        for p in principals {
            b.valid_principal(*p).unwrap();
        }
        if let Some(o) = option {
            b.critical_option(o, "").unwrap();
        }
        let cert = b.sign(&ca).unwrap();
        Made { ca, cert }
    }

    fn good() -> Made {
        make(
            CertType::Host,
            &["web-1.example", "10.0.0.1"],
            (NOW - 60, NOW + 60),
            None,
        )
    }

    fn check_with(m: &Made, name: &str, now: u64) -> Result<(), CertificateProblem> {
        check(&m.cert, name, &[m.ca.public_key().clone()], |_| false, now)
    }

    #[test]
    fn a_valid_certificate_is_trusted() {
        let m = good();
        assert_eq!(check_with(&m, "web-1.example", NOW), Ok(()));
        assert_eq!(check_with(&m, "WEB-1.example", NOW), Ok(()));
        assert_eq!(check_with(&m, "10.0.0.1", NOW), Ok(()));
        // The window is [after, before).
        assert_eq!(check_with(&m, "10.0.0.1", NOW - 60), Ok(()));
        let info = CertificateInfo::of(&m.cert);
        assert_eq!(info.key_id, "web-1");
        assert_eq!(info.serial, 7);
        assert_eq!(info.principals, vec!["web-1.example", "10.0.0.1"]);
        assert_eq!(info.ca_key_type, "ssh-ed25519");
        assert_eq!(
            info.ca_fingerprint,
            m.ca.public_key().fingerprint(HashAlg::Sha256).to_string()
        );
        assert_eq!(
            (info.valid_after, info.valid_before),
            (NOW - 60, Some(NOW + 60))
        );
    }

    #[test]
    fn each_problem_is_told_apart() {
        let m = good();
        assert_eq!(
            check_with(&m, "web-1.example", NOW + 60),
            Err(CertificateProblem::Expired {
                valid_before: NOW + 60,
                now: NOW + 60
            })
        );
        assert_eq!(
            check_with(&m, "web-1.example", NOW - 61),
            Err(CertificateProblem::NotYetValid {
                valid_after: NOW - 60,
                now: NOW - 61
            })
        );
        assert_eq!(
            check_with(&m, "web-2.example", NOW),
            Err(CertificateProblem::WrongPrincipal {
                name: "web-2.example".into(),
                principals: vec!["web-1.example".into(), "10.0.0.1".into()]
            })
        );
        let other_ca = key();
        assert_eq!(
            check(
                &m.cert,
                "web-1.example",
                &[other_ca.public_key().clone()],
                |_| false,
                NOW
            ),
            Err(CertificateProblem::UnknownCa {
                trusted_cas: vec![other_ca
                    .public_key()
                    .fingerprint(HashAlg::Sha256)
                    .to_string()]
            })
        );
        let user = make(CertType::User, &["web-1.example"], (0, u64::MAX), None);
        assert_eq!(
            check_with(&user, "web-1.example", NOW),
            Err(CertificateProblem::NotHostCertificate)
        );
        let opt = make(
            CertType::Host,
            &["web-1.example"],
            (0, u64::MAX),
            Some("force-command"),
        );
        assert_eq!(
            check_with(&opt, "web-1.example", NOW),
            Err(CertificateProblem::CriticalOption {
                option: "force-command".into()
            })
        );
        assert_eq!(CertificateInfo::of(&opt.cert).valid_before, None);
    }

    #[test]
    fn revocation_of_the_key_or_the_ca_comes_first() {
        let m = good();
        let host_key = m.cert.public_key().clone();
        let ca_key = m.ca.public_key().key_data().clone();
        let r = check(&m.cert, "nowhere", &[], |k| *k == host_key, NOW + 1000);
        assert!(matches!(
            r,
            Err(CertificateProblem::Revoked { ca: false, .. })
        ));
        let r = check(&m.cert, "nowhere", &[], |k| *k == ca_key, NOW + 1000);
        assert_eq!(
            r.unwrap_err().code(),
            "host_certificate_revoked",
            "a revoked CA refuses even an otherwise unknown certificate"
        );
    }

    #[test]
    fn a_forged_signature_fails() {
        let m = good();
        // Re-sign the same body with another key, then claim the trusted CA signed it.
        let forger = key();
        let mut b = Builder::new(
            vec![3u8; 16],
            m.cert.public_key().clone(),
            NOW - 60,
            NOW + 60,
        )
        .unwrap();
        b.cert_type(CertType::Host).unwrap();
        b.valid_principal("web-1.example").unwrap();
        let forged = b.sign(&forger).unwrap();
        let mut bytes = forged.to_bytes().unwrap();
        let forger_blob = forger.public_key().key_data().encode_vec_prefixed();
        let ca_blob = m.ca.public_key().key_data().encode_vec_prefixed();
        let at = bytes
            .windows(forger_blob.len())
            .position(|w| w == forger_blob.as_slice())
            .unwrap();
        bytes.splice(at..at + forger_blob.len(), ca_blob);
        let forged = Certificate::from_bytes(&bytes).unwrap();
        assert_eq!(
            check_with(
                &Made {
                    ca: m.ca,
                    cert: forged
                },
                "web-1.example",
                NOW
            ),
            Err(CertificateProblem::BadSignature)
        );
    }

    #[test]
    fn wildcard_principals_match_like_openssh() {
        let m = make(CertType::Host, &["*.example"], (0, u64::MAX), None);
        assert_eq!(check_with(&m, "web-9.example", NOW), Ok(()));
        assert!(check_with(&m, "example", NOW).is_err());
        let any = make(CertType::Host, &[], (0, u64::MAX), None);
        assert_eq!(check_with(&any, "whatever", NOW), Ok(()));
    }

    trait PrefixedBlob {
        fn encode_vec_prefixed(&self) -> Vec<u8>;
    }

    impl PrefixedBlob for KeyData {
        fn encode_vec_prefixed(&self) -> Vec<u8> {
            use russh::keys::ssh_encoding::Encode;
            let mut v = Vec::new();
            self.encode_prefixed(&mut v).unwrap();
            v
        }
    }
}

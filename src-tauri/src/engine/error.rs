//! [`EngineError`], and how it reaches a front end as data: an [`ErrorReport`] of a stable
//! `code`, a `message` for people and typed `details` ([`ErrorDetails`]).
//!
//! A front end branches on `code` and shows `details` as fields (a changed host key's
//! fingerprints, a deploy step's checksums); it never reads facts back out of `message`. The
//! window's commands reject with an [`ErrorReport`], tabs end with one, and the UI's TypeScript
//! types of all three are generated from these definitions (`gui::bindings`).

use serde::Serialize;

use crate::engine::agent::deploy::DeployError;
use crate::engine::agent::rpc_client::RpcError;
use crate::engine::automation::AutomationError;
use crate::engine::ssh::host_cert::CertificateRejected;
use crate::engine::ssh::known_hosts::{ChangedKey, ServerKey};
use crate::engine::ssh::SshError;
use crate::engine::{agent, ssh, store};

/// What can go wrong in the engine, with a stable code for JSON output.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Saved hosts could not be read or changed.
    #[error(transparent)]
    Hosts(#[from] store::hosts::HostsError),
    /// The configuration could not be read or written.
    #[error(transparent)]
    Config(#[from] store::config_dir::ConfigError),
    /// No agent binary for the host's platform.
    #[error(transparent)]
    NoAgentBinary(#[from] agent::bin::NoAgentBinary),
    /// The agent could not be started or spoke nonsense.
    #[error("{0}")]
    Agent(String),
    /// A call to the agent failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// Bad input from the user.
    #[error("{0}")]
    Usage(String),
    /// SSH failed (connection, host key, authentication).
    #[error(transparent)]
    Ssh(#[from] ssh::SshError),
    /// Deploying the agent failed.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// The window's saved state could not be read or written.
    #[error(transparent)]
    UiState(#[from] store::ui_state::UiStateError),
    /// An automation request the desktop refused, or whose target it could not find.
    #[error(transparent)]
    Automation(#[from] AutomationError),
    /// A port forward could not listen or reach its destination.
    #[error(transparent)]
    Forward(#[from] crate::engine::forward::ForwardError),
    /// A file operation or transfer failed (its code says how: `not_found`, `no_space`, …).
    #[error(transparent)]
    Transfer(#[from] crate::engine::transfer::TransferError),
}

impl EngineError {
    /// Whether retrying cannot help a long-lived view of a session: the session is gone, the
    /// request is invalid, or the user must act first (host keys, credentials, configuration).
    /// Lost connections, timeouts and agent start-up failures are worth retrying.
    pub fn is_permanent(&self) -> bool {
        use outpost_protocol::ErrorCode;
        match self {
            EngineError::Rpc(RpcError::Remote(o)) => {
                o.code == ErrorCode::SessionNotFound.code()
                    || o.code == ErrorCode::InvalidParams.code()
            }
            EngineError::Rpc(_) | EngineError::Agent(_) => false,
            EngineError::Ssh(e) => !e.is_transient(),
            _ => true,
        }
    }

    /// Whether the connection to the agent went away (closed, or stopped answering): the view
    /// was working and should reconnect at once.
    pub fn is_lost_link(&self) -> bool {
        matches!(
            self,
            EngineError::Rpc(RpcError::Closed | RpcError::Timeout { .. })
        )
    }

    /// A stable, machine-readable code.
    pub fn code(&self) -> String {
        use store::hosts::HostsError;
        match self {
            EngineError::Hosts(HostsError::NotFound(_)) => "host_not_found".into(),
            EngineError::Hosts(HostsError::Exists(_)) => "host_exists".into(),
            EngineError::Hosts(HostsError::Invalid(_)) => "invalid".into(),
            EngineError::Hosts(HostsError::Config(_)) | EngineError::Config(_) => "config".into(),
            EngineError::NoAgentBinary(_) => "no_agent_binary".into(),
            EngineError::Agent(_) => "agent".into(),
            EngineError::Rpc(RpcError::Remote(e)) => match remote_code(e.code) {
                Some(name) => name.into(),
                None => format!("rpc_{}", -e.code),
            },
            EngineError::Rpc(RpcError::Closed) => "disconnected".into(),
            EngineError::Rpc(RpcError::Timeout { .. }) => "timeout".into(),
            EngineError::Rpc(RpcError::BadResult { .. }) => "protocol".into(),
            EngineError::Usage(_) => "usage".into(),
            EngineError::Ssh(e) => e.code().into(),
            EngineError::Deploy(_) => "deploy".into(),
            EngineError::UiState(_) => "ui_state".into(),
            EngineError::Automation(e) => e.code().into(),
            EngineError::Forward(e) => e.code().into(),
            EngineError::Transfer(e) => e.code().into(),
        }
    }

    /// The facts of this error as fields, when it has any worth showing.
    pub fn details(&self) -> Option<ErrorDetails> {
        use store::hosts::HostsError;
        use store::ui_state::UiStateError;
        Some(match self {
            EngineError::Hosts(HostsError::NotFound(name) | HostsError::Exists(name)) => {
                ErrorDetails::SavedHost { name: name.clone() }
            }
            EngineError::NoAgentBinary(e) => ErrorDetails::NoAgentBinary {
                platform: e.platform.clone(),
                file_name: e.file_name.clone(),
                looked: e.looked.clone(),
            },
            EngineError::Rpc(RpcError::Remote(e)) => ErrorDetails::Rpc {
                rpc_code: e.code,
                data: e.data.clone(),
            },
            EngineError::Rpc(RpcError::Timeout { method, timeout }) => ErrorDetails::RpcTimeout {
                method: method.clone(),
                after_ms: millis(*timeout),
            },
            EngineError::Ssh(e) => return ssh_details(e),
            EngineError::Deploy(e) => ErrorDetails::Deploy(e.clone()),
            EngineError::Automation(AutomationError::NoTargetSession { host, target, open }) => {
                ErrorDetails::NoTargetSession {
                    host: host.clone(),
                    target: target.clone(),
                    open: open.clone(),
                }
            }
            EngineError::Automation(AutomationError::InvalidPattern { pattern, reason }) => {
                ErrorDetails::InvalidPattern {
                    pattern: pattern.clone(),
                    reason: reason.clone(),
                }
            }
            EngineError::UiState(UiStateError::TooLarge { key, size }) => {
                ErrorDetails::StateTooLarge {
                    key: key.clone(),
                    size: *size as u64,
                    limit: store::ui_state::MAX_BYTES as u64,
                }
            }
            _ => return None,
        })
    }

    /// This error as a front end receives it.
    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
            details: self.details().map(Box::new),
        }
    }
}

/// The names of the agent's codes a front end branches on (`session_busy`, …); the others read
/// `rpc_<n>`.
fn remote_code(code: i32) -> Option<&'static str> {
    use outpost_protocol::ErrorCode;
    [
        (ErrorCode::SessionBusy, "session_busy"),
        (ErrorCode::ExecNotFound, "exec_not_found"),
        (ErrorCode::TimedOut, "timed_out"),
        (ErrorCode::SpawnFailed, "spawn_failed"),
        (ErrorCode::ForwardNotFound, "forward_not_found"),
        (ErrorCode::Unreachable, "unreachable"),
    ]
    .into_iter()
    .find(|(c, _)| c.code() == code)
    .map(|(_, name)| name)
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn ssh_details(e: &SshError) -> Option<ErrorDetails> {
    Some(match e {
        SshError::HostKeyChanged(c) => ErrorDetails::HostKeyChanged((**c).clone()),
        SshError::HostKeyRevoked(k) => ErrorDetails::HostKeyRevoked(k.clone()),
        SshError::HostKeyRejected(k) => ErrorDetails::HostKeyRejected(k.clone()),
        SshError::HostCertificate(r) => ErrorDetails::HostCertificate((**r).clone()),
        SshError::AuthFailed {
            host,
            user,
            tried,
            allowed,
        } => ErrorDetails::AuthFailed {
            host: host.clone(),
            user: user.clone(),
            tried: tried.clone(),
            allowed: allowed.clone(),
        },
        SshError::Refused { host, port } => ErrorDetails::ConnectionRefused {
            host: host.clone(),
            port: *port,
        },
        SshError::NameNotResolved { host, reason } => ErrorDetails::NameNotResolved {
            host: host.clone(),
            reason: reason.clone(),
        },
        SshError::Unreachable { host, port, reason } => ErrorDetails::Unreachable {
            host: host.clone(),
            port: *port,
            reason: reason.clone(),
        },
        SshError::Timeout {
            host,
            port,
            after,
            stage,
        } => ErrorDetails::ConnectTimeout {
            host: host.clone(),
            port: *port,
            after_ms: millis(*after),
            stage: (*stage).to_owned(),
        },
        _ => return None,
    })
}

/// A failure as a front end receives it: the rejection of every window command, and the end of
/// a tab that no reconnect can cure.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ErrorReport {
    /// A stable, machine-readable code ([`EngineError::code`], or the window's own such as
    /// `not_attached`, `clipboard`).
    pub code: String,
    /// What happened, in plain words, for people (never parsed).
    pub message: String,
    /// The facts as fields, when the error has any.
    pub details: Option<Box<ErrorDetails>>,
}

impl ErrorReport {
    /// A report with `code` and `message` and no details.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ErrorReport {
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }
}

impl From<EngineError> for ErrorReport {
    fn from(e: EngineError) -> Self {
        e.report()
    }
}

/// The facts of an error, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorDetails {
    /// The saved host named in the request (`host_not_found`, `host_exists`).
    SavedHost {
        /// The host's name.
        name: String,
    },
    /// The server presents a key other than those on record (`host_key_changed`).
    HostKeyChanged(ChangedKey),
    /// The server's key is revoked (`host_key_revoked`).
    HostKeyRevoked(ServerKey),
    /// The server's key is unknown and was not accepted (`host_key_rejected`).
    HostKeyRejected(ServerKey),
    /// The server's host certificate is not trusted (`host_certificate_*`); `problem.reason`
    /// says why, with its facts.
    HostCertificate(CertificateRejected),
    /// No authentication method worked (`auth_failed`).
    AuthFailed {
        /// The host.
        host: String,
        /// The user name sent.
        user: String,
        /// What was tried, in order.
        tried: Vec<String>,
        /// The methods the server still accepted at the end.
        allowed: Vec<String>,
    },
    /// Nothing listens on the port (`connection_refused`).
    ConnectionRefused {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// The host name does not resolve (`name_not_resolved`).
    NameNotResolved {
        /// The host name.
        host: String,
        /// The resolver's words.
        reason: String,
    },
    /// No connection could be made (`unreachable`).
    Unreachable {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// Why, in the system's or the jump host's words.
        reason: String,
    },
    /// Connecting took too long (`timeout` from SSH).
    ConnectTimeout {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// The limit that was exceeded, in milliseconds.
        after_ms: u64,
        /// What was under way: `connecting`, `key exchange and authentication`.
        stage: String,
    },
    /// No agent binary for the host's platform (`no_agent_binary`).
    NoAgentBinary {
        /// `os-arch`, e.g. `linux-riscv64`.
        platform: String,
        /// The missing file, e.g. `outpost-agent-linux-riscv64`.
        file_name: String,
        /// Every path looked at, in order.
        looked: Vec<String>,
    },
    /// A deployment step failed (`deploy`); `reason` says which.
    Deploy(DeployError),
    /// The agent answered with a JSON-RPC error (`rpc_<n>`).
    Rpc {
        /// The JSON-RPC code (negative), as `code` names it without the sign.
        rpc_code: i32,
        /// The agent's structured detail, when it sent one.
        #[cfg_attr(test, ts(type = "unknown"))]
        data: Option<serde_json::Value>,
    },
    /// The agent did not answer in time (`timeout` from the agent).
    RpcTimeout {
        /// The method asked.
        method: String,
        /// The limit, in milliseconds.
        after_ms: u64,
    },
    /// No running ssh session of the host goes to the target asked for (`no_target_session`).
    NoTargetSession {
        /// The host whose sessions were looked at.
        host: String,
        /// The target asked for, `[user@]host[:port]`.
        target: String,
        /// The targets of the host's running ssh sessions.
        open: Vec<String>,
    },
    /// A pattern that does not compile (`invalid_pattern`).
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's words.
        reason: String,
    },
    /// A saved window document is too large (`ui_state`).
    StateTooLarge {
        /// The document's key.
        key: String,
        /// Its size in bytes.
        size: u64,
        /// The largest size kept.
        limit: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServerKey {
        ServerKey {
            host: "db-1".into(),
            port: 2222,
            known_hosts_name: "[db-1]:2222".into(),
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:new".into(),
            certificate: None,
        }
    }

    #[test]
    fn a_changed_host_key_crosses_as_fields() {
        let e = EngineError::Ssh(SshError::HostKeyChanged(Box::new(ChangedKey {
            presented: key(),
            expected_fingerprints: vec!["SHA256:old1".into(), "SHA256:old2".into()],
        })));
        let v = serde_json::to_value(e.report()).unwrap();
        assert_eq!(v["code"], "host_key_changed");
        assert_eq!(
            v["details"],
            serde_json::json!({
                "kind": "host_key_changed",
                "host": "db-1",
                "port": 2222,
                "known_hosts_name": "[db-1]:2222",
                "key_type": "ssh-ed25519",
                "fingerprint": "SHA256:new",
                "certificate": null,
                "expected_fingerprints": ["SHA256:old1", "SHA256:old2"],
            })
        );
        let message = v["message"].as_str().unwrap();
        assert!(message.contains("[db-1]:2222") && message.contains("SHA256:old2"));
    }

    #[test]
    fn a_refused_host_certificate_crosses_as_fields() {
        use crate::engine::ssh::host_cert::{CertificateInfo, CertificateProblem};
        let mut presented = key();
        presented.certificate = Some(Box::new(CertificateInfo {
            key_id: "db-1 host".into(),
            serial: 3,
            principals: vec!["db-2".into()],
            ca_key_type: "ssh-ed25519".into(),
            ca_fingerprint: "SHA256:ca".into(),
            valid_after: 0,
            valid_before: Some(1_700_000_000),
        }));
        let e = EngineError::Ssh(SshError::HostCertificate(Box::new(CertificateRejected {
            presented,
            problem: CertificateProblem::WrongPrincipal {
                name: "db-1".into(),
                principals: vec!["db-2".into()],
            },
        })));
        let v = serde_json::to_value(e.report()).unwrap();
        assert_eq!(v["code"], "host_certificate_wrong_principal");
        let d = &v["details"];
        assert_eq!(d["kind"], "host_certificate");
        assert_eq!(d["known_hosts_name"], "[db-1]:2222");
        assert_eq!(d["certificate"]["ca_fingerprint"], "SHA256:ca");
        assert_eq!(d["certificate"]["valid_before"], 1_700_000_000);
        assert_eq!(
            d["problem"],
            serde_json::json!({"reason": "wrong_principal", "name": "db-1", "principals": ["db-2"]})
        );
        let message = v["message"].as_str().unwrap();
        assert!(
            message.contains("SHA256:ca") && message.contains("db-1"),
            "{message}"
        );
    }

    #[test]
    fn deploy_errors_keep_their_code_and_name_their_step() {
        let e = EngineError::Deploy(DeployError::ChecksumMismatch {
            expected: "ab".into(),
            actual: None,
        });
        let r = e.report();
        assert_eq!(r.code, "deploy");
        assert!(r.message.contains("corrupted") && r.message.contains("unknown"));
        assert_eq!(
            serde_json::to_value(&r.details).unwrap(),
            serde_json::json!({"kind": "deploy", "reason": "checksum_mismatch", "expected": "ab", "actual": null})
        );
    }

    #[test]
    fn automation_refusals_of_the_agent_have_names() {
        use outpost_protocol::{ErrorCode, ErrorObject};
        let remote = |c: ErrorCode| {
            EngineError::Rpc(RpcError::Remote(ErrorObject {
                code: c.code(),
                message: "m".into(),
                data: None,
            }))
            .report()
        };
        assert_eq!(remote(ErrorCode::SessionBusy).code, "session_busy");
        assert_eq!(remote(ErrorCode::ExecNotFound).code, "exec_not_found");
        assert_eq!(remote(ErrorCode::TimedOut).code, "timed_out");
        assert_eq!(remote(ErrorCode::SpawnFailed).code, "spawn_failed");
        assert_eq!(remote(ErrorCode::ForwardNotFound).code, "forward_not_found");
        assert_eq!(remote(ErrorCode::Unreachable).code, "unreachable");
        let busy = remote(ErrorCode::SessionBusy);
        assert_eq!(
            serde_json::to_value(busy.details).unwrap(),
            serde_json::json!({"kind": "rpc", "rpc_code": -32009, "data": null})
        );
        assert_eq!(remote(ErrorCode::SessionNotFound).code, "rpc_32001");
        let e = EngineError::from(AutomationError::NoTargetSession {
            host: "jump".into(),
            target: "db".into(),
            open: vec!["web".into()],
        });
        assert_eq!(
            serde_json::to_value(e.report()).unwrap()["details"],
            serde_json::json!({"kind": "no_target_session", "host": "jump", "target": "db", "open": ["web"]})
        );
    }

    #[test]
    fn errors_without_facts_have_no_details() {
        let r = EngineError::Usage("no".into()).report();
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            serde_json::json!({"code": "usage", "message": "no", "details": null})
        );
    }
}

//! Agent-owned forwards: `forward.open`, `forward.list` and `forward.close`.
//!
//! An agent-owned forward offers a destination `host:port` as a Unix socket on the agent's host,
//! so it lives as long as the agent's host keeps it, not as long as a desktop stays connected.
//! The destination is reached either from an `ssh` session's target (through the session's
//! ControlMaster: `ssh -S <master> -O forward -L <socket>:<host>:<port>`) or, without a session,
//! from the agent's host itself (the agent's forward keeper listens on the socket and connects).
//!
//! The socket is private to the agent's user: mode 0600 in a 0700 directory of the agent's
//! private runtime directory, so another local user gets `EACCES`. A desktop reaches it with a
//! `direct-streamlocal@openssh.com` channel of its own SSH connection to the host. See
//! docs/forwarding.md.

use serde::{Deserialize, Serialize};

/// The most agent-owned forwards one user may have at once.
pub const MAX_FORWARDS: usize = 64;

/// The longest destination host name, in bytes (DNS's limit).
pub const MAX_DEST_HOST: usize = 253;

/// The length of a forward id: `f` and 16 lowercase hex digits.
pub const FORWARD_ID_LEN: usize = 17;

/// Whether `id` is spelled as the agent makes forward ids (`f` and 16 lowercase hex digits).
pub fn valid_forward_id(id: &str) -> bool {
    id.len() == FORWARD_ID_LEN
        && id.starts_with('f')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `forward.open` params. Opening a forward that already exists (same session, host and port)
/// answers the existing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardOpenParams {
    /// Reach the destination from this `ssh` session's target; without it, from the agent's
    /// host itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The destination host, as the target (or the agent's host) resolves it: 1 to
    /// [`MAX_DEST_HOST`] bytes, OpenSSH's host-name rules.
    pub host: String,
    /// The destination port, 1-65535.
    pub port: u16,
}

/// Whether a forward's socket takes connections now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardState {
    /// The socket is there and served (by the session's ControlMaster or the agent's keeper).
    Active,
    /// The session's ssh is reconnecting (no ControlMaster), or the keeper is starting: the
    /// forward is added again as soon as it can be.
    Waiting,
}

/// One agent-owned forward (the result of `forward.open`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardInfo {
    /// Its id; see [`valid_forward_id`].
    pub id: String,
    /// The Unix socket on the agent's host (absolute; 0600).
    pub socket: String,
    /// The session whose target reaches the destination (none: the agent's host does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The destination host.
    pub host: String,
    /// The destination port.
    pub port: u16,
    /// Whether it takes connections now.
    pub state: ForwardState,
}

/// `forward.list` params (none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardListParams {}

/// `forward.list` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardListResult {
    /// Every forward of this user, by id (at most [`MAX_FORWARDS`]).
    pub forwards: Vec<ForwardInfo>,
}

/// `forward.close` params. An unknown id answers `forward_not_found` (-32013).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardCloseParams {
    /// The forward's id.
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_ids() {
        assert!(valid_forward_id("f0123456789abcdef"));
        for bad in [
            "",
            "f0123456789abcde",
            "f0123456789abcdeF",
            "g0123456789abcdef",
            "f0123456789abcdeg",
            "f0123456789abcdef0",
            "f../../etc/passwd",
        ] {
            assert!(!valid_forward_id(bad), "{bad}");
        }
    }

    #[test]
    fn open_params_refuse_unknown_fields() {
        let ok: ForwardOpenParams =
            serde_json::from_str(r#"{"host":"db","port":5432}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.session_id, None);
        assert!(serde_json::from_str::<ForwardOpenParams>(
            r#"{"host":"db","port":5432,"bind":"0.0.0.0"}"#
        )
        .is_err());
        assert!(
            serde_json::from_str::<ForwardOpenParams>(r#"{"host":"db","port":70000}"#).is_err()
        );
    }
}

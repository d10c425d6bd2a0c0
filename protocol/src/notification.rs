//! Notifications the agent sends to its client.

use serde::{Deserialize, Serialize};

use crate::jsonrpc::Version;
use crate::monitor::SampleParams;
use crate::session::{ChangedParams, ExitParams, OutputParams};

/// A notification from the agent, tagged by its method name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params")]
pub enum Notification {
    /// Output bytes of an attached session, in order, each byte exactly once.
    #[serde(rename = "session.output")]
    SessionOutput(OutputParams),
    /// An attached session's process exited (after its last output).
    #[serde(rename = "session.exit")]
    SessionExit(ExitParams),
    /// An attached session's title or working directory changed.
    #[serde(rename = "session.changed")]
    SessionChanged(ChangedParams),
    /// A new sample for a monitoring subscription.
    #[serde(rename = "monitor.sample")]
    MonitorSample(Box<SampleParams>),
}

impl Notification {
    /// Every notification method name.
    pub const METHODS: &'static [&'static str] = &[
        "session.output",
        "session.exit",
        "session.changed",
        "monitor.sample",
    ];

    /// The method name.
    pub fn method(&self) -> &'static str {
        match self {
            Notification::SessionOutput(_) => "session.output",
            Notification::SessionExit(_) => "session.exit",
            Notification::SessionChanged(_) => "session.changed",
            Notification::MonitorSample(_) => "monitor.sample",
        }
    }
}

/// A notification with its `"jsonrpc": "2.0"` envelope, as written on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationEnvelope {
    /// Always `"2.0"`.
    pub jsonrpc: Version,
    /// The notification.
    #[serde(flatten)]
    pub notification: Notification,
}

impl From<Notification> for NotificationEnvelope {
    fn from(notification: Notification) -> Self {
        Self {
            jsonrpc: Version,
            notification,
        }
    }
}

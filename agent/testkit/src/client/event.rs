//! What the client keeps of the agent's notifications other than `session.output`, and the
//! in-order journal of everything it read (for callers that check the order of messages).

use std::time::Instant;

use outpost_protocol::monitor::SampleParams;
use outpost_protocol::session::{ChangedParams, ExitParams};
use outpost_protocol::{Notification, RequestId};
use serde_json::Value;

/// A notification other than `session.output`, with how much output of its session had been
/// received when it arrived.
#[derive(Clone, Debug)]
pub struct Event {
    /// Its method name.
    pub method: String,
    /// The notification, typed; `None` for a method this build does not know.
    pub notification: Option<Notification>,
    /// The whole line as the agent wrote it (for failure messages).
    pub line: String,
    /// [`Stream::received`](super::Stream::received) of the notification's session at that
    /// moment (0 if none).
    pub output_received: u64,
    /// When it was read.
    pub at: Instant,
}

impl Event {
    /// The method name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The params as JSON, read from [`Event::line`] when asked (`Null` if absent).
    pub fn params(&self) -> Value {
        serde_json::from_str::<Value>(&self.line)
            .ok()
            .and_then(|mut v| v.get_mut("params").map(Value::take))
            .unwrap_or(Value::Null)
    }

    /// The params of a `session.exit`.
    pub fn exit(&self) -> Option<&ExitParams> {
        match &self.notification {
            Some(Notification::SessionExit(e)) => Some(e),
            _ => None,
        }
    }

    /// The params of a `session.changed`.
    pub fn changed(&self) -> Option<&ChangedParams> {
        match &self.notification {
            Some(Notification::SessionChanged(c)) => Some(c),
            _ => None,
        }
    }

    /// The params of a `monitor.sample`.
    pub fn sample(&self) -> Option<&SampleParams> {
        match &self.notification {
            Some(Notification::MonitorSample(s)) => Some(s),
            _ => None,
        }
    }

    /// The session a notification is about, if it names one.
    pub fn session_id(&self) -> Option<&str> {
        match &self.notification {
            Some(Notification::SessionExit(e)) => Some(&e.session_id),
            Some(Notification::SessionOutput(o)) => Some(&o.session_id),
            Some(Notification::SessionChanged(c)) => Some(&c.session_id),
            _ => None,
        }
    }
}

/// One thing read from the agent, in the order it was read (see
/// [`Options::journal`](super::Options::journal)).
#[derive(Clone, Debug)]
pub enum Entry {
    /// A `session.output` chunk, decoded.
    Output {
        /// The session.
        session_id: String,
        /// The offset of its first byte.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Any other notification.
    Event(Event),
    /// A response (its outcome is filed by id as usual).
    Response(Option<RequestId>),
    /// A line that is not a well-formed message.
    Violation(String),
}

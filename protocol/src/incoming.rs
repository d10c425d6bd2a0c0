//! What a client reads from the agent, sorted in one pass over the line.
//!
//! [`AgentMessage::parse`] walks the JSON object once. When `method` comes before `params` (as
//! the agent always writes it), the params are read straight into their type: `session.output`
//! into an [`OutputRef`] borrowed from the line, the other notifications into their typed
//! [`Notification`]. A response keeps its `result` as the raw JSON text ([`RawValue`]), which the
//! caller reads once into the result type of the method it called. No `serde_json::Value` is
//! built on any path.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jsonrpc::{RequestId, Version};
use crate::monitor::SampleParams;
use crate::notification::Notification;
use crate::output::{OutputRef, METHOD as OUTPUT};
use crate::session::{ChangedParams, ExitParams};
use crate::ErrorObject;

/// One line from the agent.
#[derive(Debug)]
pub enum AgentMessage<'a> {
    /// A response to one of the client's requests.
    Response {
        /// The request's id (`None` for `null`: the agent could not read the request's id).
        id: Option<RequestId>,
        /// The raw `result`, or the error.
        outcome: Result<&'a RawValue, ErrorObject>,
    },
    /// A `session.output` notification, borrowed from the line.
    Output(OutputRef<'a>),
    /// Any other notification the protocol defines.
    Notification(Notification),
    /// A notification or request this client does not know (a newer agent's); ignorable.
    Unknown {
        /// Its method name.
        method: String,
    },
}

/// Why a line from the agent is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON-RPC message from the agent: {0}")]
pub struct NotAMessage(pub String);

impl<'a> AgentMessage<'a> {
    /// Sorts one line (without its newline). An output line in the agent's own shape is read
    /// without the JSON parser ([`known_shape`](crate::output::known_shape)), to the same result.
    pub fn parse(line: &'a [u8]) -> Result<AgentMessage<'a>, NotAMessage> {
        if let Some(out) = crate::output::known_shape::parse(line) {
            return Ok(AgentMessage::Output(out));
        }
        Self::json(line)
    }

    /// Sorts one line with the JSON parser only (what [`AgentMessage::parse`] does for every
    /// line not in the agent's own output shape); for the checks that hold the two to the same
    /// result.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn parse_json(line: &'a [u8]) -> Result<AgentMessage<'a>, NotAMessage> {
        Self::json(line)
    }

    fn json(line: &'a [u8]) -> Result<AgentMessage<'a>, NotAMessage> {
        let mut de = serde_json::Deserializer::from_slice(line);
        let msg = de
            .deserialize_map(MessageVisitor)
            .map_err(|e| NotAMessage(e.to_string()))?;
        de.end().map_err(|e| NotAMessage(e.to_string()))?;
        msg.finish()
    }
}

/// The params, read as soon as the method is known, or kept raw when they came first.
enum Params<'a> {
    Output(OutputRef<'a>),
    Notification(Notification),
    Ignored,
    Raw(&'a RawValue),
}

#[derive(Default)]
struct Parts<'a> {
    version: bool,
    id: Option<Option<RequestId>>,
    method: Option<std::borrow::Cow<'a, str>>,
    params: Option<Params<'a>>,
    result: Option<&'a RawValue>,
    error: Option<ErrorObject>,
}

impl<'a> Parts<'a> {
    fn finish(self) -> Result<AgentMessage<'a>, NotAMessage> {
        let bad = |m: &str| Err(NotAMessage(m.into()));
        if !self.version {
            return bad("jsonrpc must be \"2.0\"");
        }
        match (self.method, self.result, self.error) {
            (Some(method), None, None) => {
                let params = match self.params {
                    Some(Params::Raw(raw)) => params_for(&method, raw)?,
                    Some(p) => p,
                    None => Params::Ignored,
                };
                // A request from the agent (it has an id) is not part of the protocol yet.
                if self.id.is_some() {
                    return Ok(AgentMessage::Unknown {
                        method: method.into_owned(),
                    });
                }
                Ok(match params {
                    Params::Output(o) => AgentMessage::Output(o),
                    Params::Notification(n) => AgentMessage::Notification(n),
                    Params::Ignored | Params::Raw(_) => match known(&method) {
                        // A known method must carry its params.
                        true => return bad("a notification is missing its params"),
                        false => AgentMessage::Unknown {
                            method: method.into_owned(),
                        },
                    },
                })
            }
            (None, Some(result), None) => Ok(AgentMessage::Response {
                id: self.id.flatten(),
                outcome: Ok(result),
            }),
            (None, None, Some(error)) => Ok(AgentMessage::Response {
                id: self.id.flatten(),
                outcome: Err(error),
            }),
            _ => bad("a message needs exactly one of method, result and error"),
        }
    }
}

fn known(method: &str) -> bool {
    Notification::METHODS.contains(&method)
}

/// Reads params given as raw JSON (they came before the method).
fn params_for<'a>(method: &str, raw: &'a RawValue) -> Result<Params<'a>, NotAMessage> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    ParamsSeed { method }
        .deserialize(&mut de)
        .map_err(|e| NotAMessage(e.to_string()))
}

/// Reads `params` into the type its method defines.
struct ParamsSeed<'m> {
    method: &'m str,
}

impl<'de> DeserializeSeed<'de> for ParamsSeed<'_> {
    type Value = Params<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Params<'de>, D::Error> {
        Ok(match self.method {
            OUTPUT => Params::Output(OutputRef::deserialize(d)?),
            "session.exit" => {
                Params::Notification(Notification::SessionExit(ExitParams::deserialize(d)?))
            }
            "session.changed" => {
                Params::Notification(Notification::SessionChanged(ChangedParams::deserialize(d)?))
            }
            "monitor.sample" => Params::Notification(Notification::MonitorSample(Box::new(
                SampleParams::deserialize(d)?,
            ))),
            _ => {
                IgnoredAny::deserialize(d)?;
                Params::Ignored
            }
        })
    }
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Parts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC 2.0 message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts<'de>, A::Error> {
        let mut parts = Parts::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "jsonrpc" => {
                    map.next_value::<Version>()?;
                    parts.version = true;
                }
                "id" => parts.id = Some(map.next_value::<Option<RequestId>>()?),
                "method" => {
                    parts.method = Some(map.next_value::<std::borrow::Cow<'de, str>>()?);
                }
                "params" => {
                    parts.params = Some(match &parts.method {
                        Some(m) => map.next_value_seed(ParamsSeed { method: m })?,
                        None => Params::Raw(map.next_value::<&'de RawValue>()?),
                    });
                }
                "result" => parts.result = Some(map.next_value::<&'de RawValue>()?),
                "error" => parts.error = Some(map.next_value::<ErrorObject>()?),
                // Members a newer agent may add are skipped.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::encode;

    #[test]
    fn output_lines_are_borrowed() {
        let line = encode("abc", 9, b"hi");
        let AgentMessage::Output(o) = AgentMessage::parse(&line).unwrap() else {
            panic!("not output")
        };
        assert_eq!(
            (o.session_id, o.offset, o.decode().unwrap()),
            ("abc", 9, b"hi".to_vec())
        );
    }

    #[test]
    fn params_before_method_still_parse() {
        let line = br#"{"params":{"session_id":"a","offset":1,"data":"eA=="},"method":"session.output","jsonrpc":"2.0"}"#;
        let AgentMessage::Output(o) = AgentMessage::parse(line).unwrap() else {
            panic!("not output")
        };
        assert_eq!(o.decode().unwrap(), b"x");
        let line = br#"{"params":{"session_id":"a","exit_code":3},"jsonrpc":"2.0","method":"session.exit"}"#;
        let AgentMessage::Notification(Notification::SessionExit(e)) =
            AgentMessage::parse(line).unwrap()
        else {
            panic!("not exit")
        };
        assert_eq!(e.exit_code, Some(3));
    }

    #[test]
    fn responses_keep_the_raw_result() {
        let line = br#"{"jsonrpc":"2.0","id":4,"result":{"sessions":[]}}"#;
        let AgentMessage::Response { id, outcome } = AgentMessage::parse(line).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(id, Some(RequestId::Number(4)));
        assert_eq!(outcome.unwrap().get(), r#"{"sessions":[]}"#);
        let line = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#;
        let AgentMessage::Response { id, outcome } = AgentMessage::parse(line).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(id, None);
        assert_eq!(outcome.unwrap_err().code, -32700);
    }

    #[test]
    fn unknown_methods_are_ignorable() {
        let line = br#"{"jsonrpc":"2.0","method":"future.thing","params":{"x":[1,2]}}"#;
        assert!(matches!(
            AgentMessage::parse(line).unwrap(),
            AgentMessage::Unknown { method } if method == "future.thing"
        ));
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        for bad in [
            &b"hello from .bashrc"[..],
            b"[1,2]",
            br#"{"jsonrpc":"1.0","id":1,"result":{}}"#,
            br#"{"id":1,"result":{}}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#,
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a"}}"#,
            br#"{"jsonrpc":"2.0","method":"session.exit"}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":{}} trailing"#,
        ] {
            assert!(
                AgentMessage::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

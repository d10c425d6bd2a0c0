//! JSON-RPC 2.0 envelopes: requests, notifications, responses, and the parser that sorts an
//! incoming line into one of them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorObject};

/// The `"jsonrpc": "2.0"` member: serialises as `"2.0"` and refuses any other value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version;

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("2.0")
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if v == "2.0" {
            Ok(Version)
        } else {
            Err(serde::de::Error::custom("jsonrpc must be \"2.0\""))
        }
    }
}

/// A request id: an integer or a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A request: a call that expects a response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Always `"2.0"`.
    pub jsonrpc: Version,
    /// The id the response will carry.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The params, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// A notification: a call that expects no response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationMessage {
    /// Always `"2.0"`.
    pub jsonrpc: Version,
    /// The method name.
    pub method: String,
    /// The params, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// The outcome part of a response: exactly one of `result` and `error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// The method succeeded.
    #[serde(rename = "result")]
    Result(Value),
    /// The method failed.
    #[serde(rename = "error")]
    Error(ErrorObject),
}

/// A response to a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Always `"2.0"`.
    pub jsonrpc: Version,
    /// The request's id; `null` when the request could not be read far enough to know it.
    pub id: Option<RequestId>,
    /// The result or the error.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Response {
    /// A successful response.
    pub fn result(id: RequestId, result: Value) -> Self {
        Self {
            jsonrpc: Version,
            id: Some(id),
            outcome: Outcome::Result(result),
        }
    }

    /// An error response.
    pub fn error(id: Option<RequestId>, error: ErrorObject) -> Self {
        Self {
            jsonrpc: Version,
            id,
            outcome: Outcome::Error(error),
        }
    }
}

/// Any JSON-RPC message, as sorted by [`Message::parse`].
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(NotificationMessage),
    /// A response.
    Response(Response),
}

/// Why a line is not a usable message, with the response the peer should get.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct ParseFailure {
    /// The request id, when it could be read.
    pub id: Option<RequestId>,
    /// The error to answer with (-32700 or -32600).
    pub error: ErrorObject,
}

/// The members a message may have, before it is sorted.
#[derive(Deserialize)]
struct Raw {
    jsonrpc: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    method: Option<Value>,
    params: Option<Value>,
    result: Option<Value>,
    error: Option<Value>,
}

/// Distinguishes `"id": null` (present) from a missing id.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Message {
    /// Sorts one line into a request, notification or response.
    pub fn parse(line: &[u8]) -> Result<Message, ParseFailure> {
        // Only an object is a message; serde's derive would also read an array in field order.
        if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                    Ok(_) => invalid(None, "a message must be a JSON object"),
                    Err(e) => ParseFailure {
                        id: None,
                        error: ErrorObject::new(
                            ErrorCode::ParseError,
                            format!("invalid JSON: {e}"),
                        ),
                    },
                },
            );
        }
        let raw: Raw = serde_json::from_slice(line).map_err(|e| {
            let code = if e.is_data() {
                ErrorCode::InvalidRequest
            } else {
                ErrorCode::ParseError
            };
            let what = if code == ErrorCode::ParseError {
                "invalid JSON"
            } else {
                "not a JSON-RPC message object"
            };
            ParseFailure {
                id: None,
                error: ErrorObject::new(code, format!("{what}: {e}")),
            }
        })?;
        let id = match raw.id {
            None => None,
            Some(v) => Some(
                serde_json::from_value::<Option<RequestId>>(v)
                    .map_err(|_| invalid(None, "id must be an integer, a string or null"))?,
            ),
        };
        let known_id = id.clone().flatten();
        match raw.jsonrpc {
            Some(Value::String(s)) if s == "2.0" => {}
            _ => return Err(invalid(known_id, "jsonrpc must be \"2.0\"")),
        }
        let params = match raw.params {
            None | Some(Value::Object(_)) | Some(Value::Array(_)) => raw.params,
            Some(_) => return Err(invalid(known_id, "params must be an object or an array")),
        };
        match (raw.method, raw.result, raw.error) {
            (Some(Value::String(method)), None, None) => match id {
                None => Ok(Message::Notification(NotificationMessage {
                    jsonrpc: Version,
                    method,
                    params,
                })),
                Some(Some(id)) => Ok(Message::Request(Request {
                    jsonrpc: Version,
                    id,
                    method,
                    params,
                })),
                Some(None) => Err(invalid(None, "a request id may not be null")),
            },
            (Some(_), None, None) => Err(invalid(known_id, "method must be a string")),
            (None, Some(result), None) => Ok(Message::Response(Response {
                jsonrpc: Version,
                id: known_id,
                outcome: Outcome::Result(result),
            })),
            (None, None, Some(error)) => {
                let error: ErrorObject = serde_json::from_value(error)
                    .map_err(|e| invalid(known_id.clone(), &format!("bad error object: {e}")))?;
                Ok(Message::Response(Response {
                    jsonrpc: Version,
                    id: known_id,
                    outcome: Outcome::Error(error),
                }))
            }
            _ => Err(invalid(
                known_id,
                "a message needs exactly one of method, result and error",
            )),
        }
    }
}

fn invalid(id: Option<RequestId>, msg: &str) -> ParseFailure {
    ParseFailure {
        id,
        error: ErrorObject::new(ErrorCode::InvalidRequest, msg),
    }
}

/// Reads typed params, mapping any failure to -32602 with serde's explanation.
///
/// A missing `params` member reads as `{}`, so methods whose params are all optional accept it.
pub fn parse_params<P: DeserializeOwned>(params: Option<Value>) -> Result<P, ErrorObject> {
    let value = params.unwrap_or_else(|| Value::Object(Default::default()));
    serde_json::from_value(value)
        .map_err(|e| ErrorObject::new(ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_messages() {
        let m = Message::parse(br#"{"jsonrpc":"2.0","id":1,"method":"session.list","params":{}}"#)
            .unwrap();
        assert!(matches!(m, Message::Request(r) if r.id == RequestId::Number(1)));
        let m =
            Message::parse(br#"{"jsonrpc":"2.0","method":"session.input","params":{}}"#).unwrap();
        assert!(matches!(m, Message::Notification(_)));
        let m = Message::parse(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#).unwrap();
        assert!(matches!(m, Message::Response(_)));
    }

    #[test]
    fn reports_parse_and_invalid_request() {
        let e = Message::parse(b"{nope").unwrap_err();
        assert_eq!(e.error.code, -32700);
        let e = Message::parse(b"[1,2]").unwrap_err();
        assert_eq!(e.error.code, -32600);
        let e = Message::parse(br#"["2.0", 5, "session.list", null, null, null]"#).unwrap_err();
        assert_eq!(e.error.code, -32600);
        let e = Message::parse(b"[1,").unwrap_err();
        assert_eq!(e.error.code, -32700);
        let e = Message::parse(br#"{"jsonrpc":"1.0","id":7,"method":"x"}"#).unwrap_err();
        assert_eq!(e.error.code, -32600);
        assert_eq!(e.id, Some(RequestId::Number(7)));
        let e = Message::parse(br#"{"jsonrpc":"2.0","id":7,"method":3}"#).unwrap_err();
        assert_eq!(e.error.code, -32600);
        let e = Message::parse(br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#).unwrap_err();
        assert_eq!(e.error.code, -32600);
        let e = Message::parse(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#).unwrap_err();
        assert_eq!(e.error.code, -32600);
    }

    #[test]
    fn response_serialises_flat() {
        let r = Response::result(RequestId::Number(3), serde_json::json!({"a":1}));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"jsonrpc":"2.0","id":3,"result":{"a":1}}"#
        );
        let r = Response::error(None, ErrorObject::new(ErrorCode::ParseError, "bad"));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#
        );
    }
}

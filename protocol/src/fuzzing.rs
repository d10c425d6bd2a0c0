//! The checks behind the protocol's fuzz targets (`protocol/fuzz/`), shared with
//! `protocol/tests/fuzz_regressions.rs`, so `cargo test` replays every kept input through the very
//! same code on stable Rust. Built only with the `fuzzing` feature (the fuzz crate and the tests
//! turn it on).
//!
//! Each check takes arbitrary bytes, feeds them to a parser that reads outside input, and panics
//! when the parser panics or breaks one of its promises:
//!
//! * [`line_codec`]: the [`LineDecoder`] fed in arbitrary chunks yields exactly the lines a simple
//!   model of the framing yields, never holds more than its limit plus one byte between calls,
//!   and never returns a line longer than the limit.
//! * [`message`]: [`Message::parse`] sorts a line or fails with -32700/-32600; what it accepts
//!   re-serialises to one line that parses back to the same message, and the error response
//!   for what it refuses parses back too.
//! * [`params`]: the typed params of every method in [`method::ALL`], every method's result type,
//!   and the [`Notification`] enum: what parses re-serialises and parses to the same JSON.
//!
//! "The same" allows a floating-point number to move in its last digits: without its
//! `float_roundtrip` feature, serde_json parses some numbers, among them the 17-digit shortest
//! forms it writes itself, a few ULPs away from the nearest `f64`, so a number that is parsed,
//! re-serialised and parsed again can change (found by the `message` target, by one and by two
//! ULPs; the inputs are kept in `regressions/message/`). See [`same_json`].

use crate::codec::{encode_line, CodecError, LineDecoder};
use crate::jsonrpc::{parse_params, Outcome, Response};
use crate::method::{self, Method};
use crate::notification::NotificationEnvelope;
use crate::{ErrorCode, Message, Notification, MAX_LINE_BYTES};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One decoder result, as the model and the decoder both produce them.
type Line = Result<Vec<u8>, CodecError>;

/// Splits `data` into a line limit and chunks: byte 0 gives the limit (0..=63, small so over-long
/// lines are common), then each chunk is a length byte followed by up to that many bytes.
fn codec_input(data: &[u8]) -> Option<(usize, Vec<&[u8]>)> {
    let (&first, mut rest) = data.split_first()?;
    let max = usize::from(first & 0x3f);
    let mut chunks = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len).min(tail.len());
        chunks.push(&tail[..take]);
        rest = &tail[take..];
    }
    Some((max, chunks))
}

/// What the framing promises for a whole stream: every `\n`-terminated line, and a final
/// unterminated one, loses one trailing `\r`; empty lines are skipped and lines longer than
/// `max` are reported as errors.
fn codec_model(stream: &[u8], max: usize) -> Vec<Line> {
    let mut out = Vec::new();
    let mut segments: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    // `split` always yields a last segment: the unterminated tail, often empty.
    let tail = segments.pop().unwrap_or_default();
    if !tail.is_empty() {
        segments.push(tail);
    }
    for seg in segments {
        let line = seg.strip_suffix(b"\r").unwrap_or(seg);
        if line.len() > max {
            out.push(Err(CodecError::LineTooLong { max }));
        } else if !line.is_empty() {
            out.push(Ok(line.to_vec()));
        }
    }
    out
}

/// Fuzz check of the newline framing: arbitrary chunks, bounded buffering, same lines as the model.
pub fn line_codec(data: &[u8]) {
    let Some((max, chunks)) = codec_input(data) else {
        return;
    };
    let mut decoder = LineDecoder::new(max);
    let mut got: Vec<Line> = Vec::new();
    let mut stream = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        stream.extend_from_slice(chunk);
        while let Some(line) = decoder.next_line() {
            got.push(line);
        }
        assert!(
            decoder.pending() <= max + 1,
            "the decoder holds {} bytes with a limit of {max}",
            decoder.pending()
        );
    }
    got.extend(decoder.finish());
    assert_eq!(decoder.pending(), 0, "bytes left after finish");
    for line in got.iter().flatten() {
        assert!(line.len() <= max && !line.contains(&b'\n') && !line.is_empty());
    }
    assert_eq!(
        got,
        codec_model(&stream, max),
        "stream {stream:?}, limit {max}"
    );
}

/// One message as the peer writes it: JSON and `\n`.
fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = Vec::new();
    if let Err(e) = encode_line(msg, &mut out) {
        panic!("a parsed message does not serialise: {e}");
    }
    out
}

/// Whether two JSON values are equal, numbers allowed to differ in their last digits (see the
/// module docs).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y
                || match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => nearly_equal(x, y),
                    _ => false,
                }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The relative difference [`nearly_equal`] allows: about 45 ULPs, far more than serde_json's
/// parsing errors and far less than any difference that matters to a reader of the numbers.
pub const FLOAT_TOLERANCE: f64 = 1e-14;

/// Two finite numbers equal to within [`FLOAT_TOLERANCE`] of the larger.
pub fn nearly_equal(x: f64, y: f64) -> bool {
    x == y
        || (x.is_finite()
            && y.is_finite()
            && (x - y).abs() <= FLOAT_TOLERANCE * x.abs().max(y.abs()))
}

/// A message as the JSON value it serialises to.
fn message_value(msg: &Message) -> Value {
    match msg {
        Message::Request(r) => to_value(r),
        Message::Notification(n) => to_value(n),
        Message::Response(r) => to_value(r),
    }
}

/// Asserts that `again` is the same message as `msg` (same kind, same JSON up to [`same_json`]).
fn assert_same_message(again: &Message, msg: &Message) {
    assert_eq!(
        std::mem::discriminant(again),
        std::mem::discriminant(msg),
        "{again:?} is not {msg:?}"
    );
    let (a, b) = (message_value(again), message_value(msg));
    assert!(same_json(&a, &b), "{a} is not {b}");
}

/// Serialises a parsed message back to its wire form, then decodes that as the peer would: the
/// bytes must make exactly one line (the codec's framing holds) that parses to `msg` again.
fn reparse(msg: &Message) -> Message {
    let line = match msg {
        Message::Request(r) => encode(r),
        Message::Notification(n) => encode(n),
        Message::Response(r) => encode(r),
    };
    let mut decoder = LineDecoder::new(MAX_LINE_BYTES.max(line.len()));
    decoder.push(&line);
    let one = match decoder.next_line() {
        Some(Ok(one)) => one,
        other => panic!("a serialised message is not one line: {other:?}"),
    };
    assert!(decoder.next_line().is_none() && decoder.pending() == 0);
    match Message::parse(&one) {
        Ok(again) => again,
        Err(e) => panic!(
            "re-serialised message {:?} does not parse: {e}",
            String::from_utf8_lossy(&one)
        ),
    }
}

/// Fuzz check of [`AgentMessage::parse`](crate::incoming::AgentMessage::parse), a client's
/// reader of agent lines: it never panics, an output line read without the JSON parser
/// ([`known_shape`](crate::output::known_shape)) is read alike by it, and its base64 decodes to
/// exactly [`OutputRef::data_len`](crate::output::OutputRef::data_len) bytes when it decodes.
pub fn agent_line(data: &[u8]) {
    use crate::incoming::AgentMessage;
    let parsed = AgentMessage::parse(data);
    if let Some(short) = crate::output::known_shape::parse(data) {
        match AgentMessage::parse_json(data) {
            Ok(AgentMessage::Output(json)) => assert_eq!(short, json, "the two readers differ"),
            other => panic!("read the short way as {short:?}, by the JSON parser as {other:?}"),
        }
    }
    if let Ok(AgentMessage::Output(out)) = parsed {
        if let Ok(bytes) = out.decode() {
            assert_eq!(
                bytes.len(),
                out.data_len(),
                "data_len disagrees with the decoded bytes"
            );
        }
    }
}

/// Fuzz check of [`Message::parse`]: sorted messages round-trip; refusals carry -32700 or
/// -32600 and make an error response that round-trips too.
pub fn message(data: &[u8]) {
    match Message::parse(data) {
        Ok(msg) => assert_same_message(&reparse(&msg), &msg),
        Err(failure) => {
            let kind = failure.error.kind();
            assert!(
                matches!(
                    kind,
                    Some(ErrorCode::ParseError | ErrorCode::InvalidRequest)
                ),
                "unexpected error code {}",
                failure.error.code
            );
            if kind == Some(ErrorCode::ParseError) {
                assert_eq!(failure.id, None, "an id read from invalid JSON");
            }
            let answer = Message::Response(Response::error(failure.id, failure.error));
            assert_same_message(&reparse(&answer), &answer);
        }
    }
}

/// Parses `value` as `T`; when that works, the re-serialised JSON must parse as `T` and
/// serialise to the same JSON again. Returns whether `value` parsed.
fn value_round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> bool {
    let Ok(typed) = serde_json::from_value::<T>(value.clone()) else {
        return false;
    };
    let first = to_value(&typed);
    let again: T = match serde_json::from_value(first.clone()) {
        Ok(t) => t,
        Err(e) => panic!(
            "{} re-serialised as {first} does not parse: {e}",
            std::any::type_name::<T>()
        ),
    };
    let second = to_value(&again);
    assert!(
        same_json(&second, &first),
        "{}: {second} is not {first}",
        std::any::type_name::<T>()
    );
    true
}

fn to_value<T: Serialize>(v: &T) -> Value {
    match serde_json::to_value(v) {
        Ok(v) => v,
        Err(e) => panic!("{} does not serialise: {e}", std::any::type_name::<T>()),
    }
}

/// Params as a server reads them ([`parse_params`]): a failure is always -32602, and what
/// parses round-trips.
fn params_round_trip<P: Serialize + DeserializeOwned>(params: Option<Value>) {
    match parse_params::<P>(params) {
        Ok(p) => {
            let value = to_value(&p);
            assert!(
                value_round_trip::<P>(&value),
                "{} re-serialised as {value} does not parse",
                std::any::type_name::<P>()
            );
        }
        Err(e) => assert_eq!(e.kind(), Some(ErrorCode::InvalidParams), "{e:?}"),
    }
}

/// One method's typed checks.
pub struct Typed {
    /// The method's name on the wire.
    pub name: &'static str,
    /// Checks params given to the method.
    pub params: fn(Option<Value>),
    /// Checks a result value as the method's result type; returns whether it parsed.
    pub result: fn(&Value) -> bool,
}

macro_rules! typed {
    ($($m:ident),* $(,)?) => {
        &[$(Typed {
            name: <method::$m as Method>::NAME,
            params: params_round_trip::<<method::$m as Method>::Params>,
            result: value_round_trip::<<method::$m as Method>::Result>,
        }),*]
    };
}

/// Every method with typed checks; `fuzz_regressions` fails when [`method::ALL`] has one more.
pub static TYPED: &[Typed] = typed![
    Initialize,
    SessionCreate,
    SessionList,
    SessionAttach,
    SessionDetach,
    SessionInput,
    SessionResize,
    SessionSignal,
    SessionRead,
    SessionClose,
    SessionMarks,
    MonitorSnapshot,
    MonitorSubscribe,
    MonitorUnsubscribe,
    SshHosts,
    SessionRecord,
    SessionExec,
    SessionExecResult,
    SessionExpect,
    ExecRun,
    RecordingList,
    RecordingRead,
    SessionSshControl,
    ForwardOpen,
    ForwardList,
    ForwardClose,
];

/// Fuzz check of typed parsing: a request's or notification's params as its method's params
/// type, a notification as the [`Notification`] enum (built as the desktop's client builds it),
/// a whole line as a [`NotificationEnvelope`], and a result as every method's result type.
pub fn params(data: &[u8]) {
    if let Ok(envelope) = serde_json::from_slice::<Value>(data) {
        value_round_trip::<NotificationEnvelope>(&envelope);
    }
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let (method, params) = match msg {
        Message::Request(r) => (r.method, r.params),
        Message::Notification(n) => {
            let value = serde_json::json!({"method": n.method, "params": n.params});
            if let Ok(note) = serde_json::from_value::<Notification>(value.clone()) {
                assert_eq!(note.method(), n.method);
                assert!(value_round_trip::<Notification>(&value));
            }
            (n.method, n.params)
        }
        Message::Response(r) => {
            if let Outcome::Result(value) = r.outcome {
                for t in TYPED {
                    (t.result)(&value);
                }
            }
            return;
        }
    };
    if let Some(t) = TYPED.iter().find(|t| t.name == method) {
        (t.params)(params);
    }
}

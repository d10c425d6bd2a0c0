//! The hot notification, `session.output`, both ways: the agent encodes it straight into a line,
//! and clients decode it borrowed from the line they read.
//!
//! Every byte a session prints crosses the wire inside one of these lines, so neither side goes
//! through `serde_json::Value` or an intermediate base64 `String`:
//!
//! - [`encode`] writes exactly the JSON serde would write for
//!   [`Notification::SessionOutput`](crate::Notification::SessionOutput) (a unit test holds it to
//!   that), base64 encoded in place into the line buffer;
//! - [`OutputRef`] borrows the session id and the base64 text from the line; the bytes are decoded
//!   once, by [`OutputRef::decode`], straight into the caller's buffer.
//!
//! Reading any line the agent writes, with output lines decoded this way, is
//! [`AgentMessage::parse`](crate::incoming::AgentMessage::parse); a line in exactly the shape
//! [`encode`] writes is read without a JSON parser ([`known_shape`]).
//!
//! The base64 both ways is `base64-simd` (vector instructions, chosen at run time): four to six
//! times the `base64` crate's speed here, with the same strict rules (standard alphabet, padding,
//! no stray bits), which a test holds it to.
//!
//! ```
//! use outpost_protocol::incoming::AgentMessage;
//! use outpost_protocol::output::encode;
//!
//! let line = encode("k3f9x2ab", 42, b"hello\r\n");
//! assert!(line.ends_with(b"\n"));
//! let Ok(AgentMessage::Output(out)) = AgentMessage::parse(&line) else { panic!() };
//! assert_eq!((out.session_id, out.offset), ("k3f9x2ab", 42));
//! assert_eq!(out.decode().unwrap(), b"hello\r\n");
//! ```

use base64_simd::STANDARD;
use serde::Deserialize;

pub mod known_shape;

/// The method name of the hot notification.
pub const METHOD: &str = "session.output";

/// The start of every output line [`encode`] writes, up to the session id's opening quote.
pub const LINE_HEAD: &[u8] =
    br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"#;

/// The most output bytes the agent puts in one line (the base64 stays far below
/// [`MAX_LINE_BYTES`](crate::MAX_LINE_BYTES)).
pub const MAX_CHUNK_BYTES: usize = 64 * 1024;

/// Why an output line or its payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// The params were not `{session_id, offset, data}` as the protocol defines them.
    #[error("bad session.output params: {0}")]
    Params(String),
    /// `data` was not standard padded base64.
    #[error("session.output data is not valid base64: {0}")]
    Base64(String),
}

/// Encodes the complete `session.output` line (with its newline) for `data` at `offset`.
///
/// Session ids are `[a-z0-9]` (see [`valid_session_id`](crate::session::valid_session_id)) and
/// base64 needs no escaping, so the JSON is assembled directly; an id that would need escaping is
/// still written correctly, through serde_json.
pub fn encode(session_id: &str, offset: u64, data: &[u8]) -> Vec<u8> {
    let b64_len = data.len().div_ceil(3) * 4;
    let mut line = Vec::with_capacity(LINE_HEAD.len() + session_id.len() + 48 + b64_len);
    line.extend_from_slice(LINE_HEAD);
    if plain_id(session_id.as_bytes()) {
        line.push(b'"');
        line.extend_from_slice(session_id.as_bytes());
        line.push(b'"');
    } else {
        // Not an id the agent hands out; serde_json escapes it as any string.
        let quoted = serde_json::to_string(session_id).unwrap_or_else(|_| "\"\"".into());
        line.extend_from_slice(quoted.as_bytes());
    }
    line.extend_from_slice(b",\"offset\":");
    line.extend_from_slice(offset.to_string().as_bytes());
    line.extend_from_slice(b",\"data\":\"");
    // Into the reserved capacity: the base64 is written once, with no zero-filling first.
    STANDARD.encode_append(data, &mut line);
    line.extend_from_slice(b"\"}}\n");
    line
}

/// Whether a session id goes into JSON as it is, between quotes: ASCII letters, digits, `-` and
/// `_` (no escaping); [`encode`] writes any other through serde_json, and [`known_shape`] leaves
/// any other to the JSON parser.
fn plain_id(id: &[u8]) -> bool {
    id.iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `session.output` params borrowed from the line they were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputRef<'a> {
    /// The session's id.
    #[serde(borrow)]
    pub session_id: &'a str,
    /// The offset of the first byte of `data`.
    pub offset: u64,
    /// The output bytes as standard base64, not yet decoded.
    #[serde(borrow, rename = "data")]
    pub data_base64: &'a str,
}

impl<'a> OutputRef<'a> {
    /// Reads the params object of a `session.output` line.
    pub fn parse_params(params: &'a [u8]) -> Result<OutputRef<'a>, OutputError> {
        serde_json::from_slice(params).map_err(|e| OutputError::Params(e.to_string()))
    }

    /// How many bytes [`decode`](Self::decode) yields, without decoding them (exact for padded
    /// base64, which is all the protocol allows).
    pub fn data_len(&self) -> usize {
        let b = self.data_base64.as_bytes();
        let pad = b.iter().rev().take(2).filter(|c| **c == b'=').count();
        (b.len() / 4 * 3).saturating_sub(pad)
    }

    /// The offset just past the last byte; `None` when it does not fit in 64 bits (a peer that
    /// sends that breaks the protocol).
    pub fn end_offset(&self) -> Option<u64> {
        self.offset.checked_add(self.data_len() as u64)
    }

    /// Decodes the bytes.
    pub fn decode(&self) -> Result<Vec<u8>, OutputError> {
        let mut out = Vec::with_capacity(self.data_len());
        self.decode_into(&mut out)?;
        Ok(out)
    }

    /// Decodes the bytes onto the end of `out`.
    pub fn decode_into(&self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        STANDARD
            .decode_append(self.data_base64.as_bytes(), out)
            .map_err(|e| OutputError::Base64(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_line;
    use crate::notification::NotificationEnvelope;
    use crate::session::OutputParams;
    use crate::{Base64Bytes, Notification};

    fn serde_line(id: &str, offset: u64, data: &[u8]) -> Vec<u8> {
        let n = NotificationEnvelope::from(Notification::SessionOutput(OutputParams {
            session_id: id.into(),
            offset,
            data: Base64Bytes(data.to_vec()),
        }));
        let mut want = Vec::new();
        encode_line(&n, &mut want).unwrap();
        want
    }

    #[test]
    fn encode_writes_what_serde_writes() {
        for id in ["k3f9x2ab", "a", "we\"ird\\id\u{1}"] {
            for data in [&b""[..], b"a", b"ab", b"abc", b"\x00\xff\x1b[0m\r\n"] {
                for offset in [0, 7, u64::MAX] {
                    let got = encode(id, offset, data);
                    assert_eq!(
                        String::from_utf8(got).unwrap(),
                        String::from_utf8(serde_line(id, offset, data)).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn every_line_starts_with_the_head() {
        assert!(encode("abc", 1, b"x").starts_with(LINE_HEAD));
    }

    #[test]
    fn borrowed_params_decode_to_the_bytes() {
        let data: Vec<u8> = (0u8..=255).cycle().take(1000).collect();
        for len in [0, 1, 2, 3, 4, 999, 1000] {
            let line = encode("s1", 5, &data[..len]);
            let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
            let params = serde_json::to_vec(&v["params"]).unwrap();
            let out = OutputRef::parse_params(&params).unwrap();
            assert_eq!(out.session_id, "s1");
            assert_eq!(out.offset, 5);
            assert_eq!(out.data_len(), len);
            assert_eq!(out.end_offset(), Some(5 + len as u64));
            assert_eq!(out.decode().unwrap(), &data[..len]);
        }
    }

    proptest::proptest! {
        /// The SIMD base64 keeps the `base64` crate's strict rules (which [`crate::Base64Bytes`]
        /// uses): the same text decodes to the same bytes or fails with both.
        #[test]
        fn decoding_is_as_strict_as_the_base64_crate(text in "[A-Za-z0-9+/=\\- ]{0,40}") {
            use base64::Engine as _;
            let want = base64::engine::general_purpose::STANDARD.decode(&text).ok();
            let out = OutputRef { session_id: "s", offset: 0, data_base64: &text };
            proptest::prop_assert_eq!(out.decode().ok(), want);
        }

        /// And encodes to the same text.
        #[test]
        fn encoding_matches_the_base64_crate(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            use base64::Engine as _;
            let line = encode("s", 0, &data);
            let want = base64::engine::general_purpose::STANDARD.encode(&data);
            let Ok(crate::incoming::AgentMessage::Output(out)) = crate::incoming::AgentMessage::parse(&line) else {
                panic!("not an output line");
            };
            proptest::prop_assert_eq!(out.data_base64, want.as_str());
        }
    }

    #[test]
    fn an_end_past_2_64_is_none() {
        let out = OutputRef::parse_params(
            br#"{"session_id":"a","offset":18446744073709551610,"data":"aGVsbG8gd29ybGQ="}"#,
        )
        .unwrap();
        assert_eq!(out.end_offset(), None);
    }

    #[test]
    fn bad_params_are_errors() {
        assert!(matches!(
            OutputRef::parse_params(br#"{"session_id":"a","offset":1,"data":"@@"}"#)
                .unwrap()
                .decode(),
            Err(OutputError::Base64(_))
        ));
        for bad in [
            &br#"{"session_id":"a","offset":-1,"data":""}"#[..],
            br#"{"session_id":"a","data":""}"#,
            br#"{"session_id":"a","offset":1,"data":"","extra":1}"#,
            br#"[1,2]"#,
        ] {
            assert!(matches!(
                OutputRef::parse_params(bad),
                Err(OutputError::Params(_))
            ));
        }
    }
}

//! `session.output` lines in exactly the shape the agent writes them ([`super::encode`]), read
//! without a JSON parser.
//!
//! Output lines are nearly every byte a client reads, and a JSON parser walks each one twice more
//! than needed: once looking for escapes in the base64 and once checking it is UTF-8. A line in
//! the agent's own shape needs neither:
//!
//! ```text
//! {"jsonrpc":"2.0","method":"session.output","params":{"session_id":"ID","offset":N,"data":"B64"}}
//! ```
//!
//! where `ID` is 1 to [`MAX_ID_BYTES`] ASCII letters, digits, `-` or `_`; `N` is a JSON integer
//! without sign, fraction, exponent or leading zero that fits in 64 bits; `B64` holds only the
//! base64 alphabet and `=`; and nothing but JSON whitespace follows. [`parse`] reads such a line
//! with one `memchr` and one pass over the base64 that the compiler vectorises. Any other line —
//! another member order, an escape, a space, an unknown member — gets `None` and goes to the JSON
//! parser ([`AgentMessage::parse`](crate::incoming::AgentMessage::parse)), which gives the same
//! result for every line this accepts (a property test holds the two to that).

use super::{OutputRef, LINE_HEAD};

/// The longest session id read here (longer ones are left to the JSON parser).
pub const MAX_ID_BYTES: usize = 128;

/// The `session.output` params of `line` when it has exactly the agent's shape; `None` otherwise
/// (which says nothing about whether the line is valid).
pub fn parse(line: &[u8]) -> Option<OutputRef<'_>> {
    let rest = line.strip_prefix(LINE_HEAD)?.strip_prefix(b"\"")?;
    let id_len = rest
        .iter()
        .take(MAX_ID_BYTES + 1)
        .position(|&b| b == b'"')?;
    let (id, rest) = (&rest[..id_len], &rest[id_len + 1..]);
    if id.is_empty() || !super::plain_id(id) {
        return None;
    }
    let rest = rest.strip_prefix(b",\"offset\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (offset, rest) = (integer(&rest[..digits])?, &rest[digits..]);
    let rest = rest.strip_prefix(b",\"data\":\"")?;
    let end = memchr::memchr(b'"', rest)?;
    let (data, tail) = (&rest[..end], &rest[end + 1..]);
    let tail = tail.strip_prefix(b"}}")?;
    if !tail
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        || !base64_text(data)
    {
        return None;
    }
    Some(OutputRef {
        session_id: std::str::from_utf8(id).ok()?,
        offset,
        data_base64: std::str::from_utf8(data).ok()?,
    })
}

/// A JSON integer as serde reads it into a `u64`: no leading zero, no overflow.
fn integer(digits: &[u8]) -> Option<u64> {
    match digits {
        [] => None,
        [b'0'] => Some(0),
        [b'0', ..] => None,

        _ => digits.iter().try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        }),
    }
}

/// Whether every byte is in the base64 alphabet or `=`. Branch-free per byte, a block at a time,
/// so it compiles to vector compares.
fn base64_text(data: &[u8]) -> bool {
    data.chunks(64).all(|block| {
        block.iter().fold(true, |ok, &b| {
            ok & ((b.wrapping_sub(b'A') < 26)
                | (b.wrapping_sub(b'a') < 26)
                | (b.wrapping_sub(b'0') < 10)
                | (b == b'+')
                | (b == b'/')
                | (b == b'='))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incoming::AgentMessage;
    use crate::output::encode;
    use proptest::prelude::*;

    /// What the JSON parser makes of `line`, when it is an output line.
    fn by_json(line: &[u8]) -> Option<OutputRef<'_>> {
        match AgentMessage::parse_json(line) {
            Ok(AgentMessage::Output(o)) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn the_agents_lines_take_the_short_way() {
        for (id, offset, data) in [
            ("k3f9x2ab", 0u64, &b""[..]),
            ("a-b_C9", 42, b"hello\r\n"),
            ("x", u64::MAX, b"\x00\xff"),
        ] {
            let line = encode(id, offset, data);
            let out = parse(&line).expect("the agent's own shape");
            assert_eq!(Some(out), by_json(&line));
            assert_eq!(out.decode().unwrap(), data);
        }
    }

    #[test]
    fn other_shapes_go_to_the_json_parser() {
        for line in [
            &br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":01,"data":""}}"#[..],
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":18446744073709551616,"data":""}}"#,
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":1,"data":"QQ\u003d\u003d"}}"#,
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":1,"data":""},"x":1}"#,
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"","offset":1,"data":""}}"#,
            br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":1, "data":""}}"#,
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
        // Escaped padding is valid JSON, but output is borrowed from the line, so the JSON parser
        // refuses it too (the agent never escapes base64).
        let escaped = br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"a","offset":1,"data":"QQ\u003d\u003d"}}"#;
        assert!(AgentMessage::parse(escaped).is_err());
    }

    /// Bytes that change what a line means when put anywhere in it.
    const TRICKY: &[u8] = b"\\\"{}[],: 0123456789=+/Aa-_\x01\x7f\t\n\xc3\xa9";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The agent's lines, whole or damaged anywhere: whatever the short way accepts, the JSON
        /// parser reads the same way.
        #[test]
        fn the_short_way_agrees_with_the_json_parser(
            id in "[A-Za-z0-9_-]{1,12}",
            offset in any::<u64>(),
            data in proptest::collection::vec(any::<u8>(), 0..64),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..TRICKY.len(), 0..3u8), 0..3),
        ) {
            let mut line = encode(&id, offset, &data);
            for (at, byte, how) in edits {
                let i = at.index(line.len());
                match how {
                    0 => line[i] = TRICKY[byte],
                    1 => line.insert(i, TRICKY[byte]),
                    _ => { line.remove(i); }
                }
            }
            if let Some(out) = parse(&line) {
                prop_assert_eq!(Some(out), by_json(&line));
            }
        }

        /// Lines of the agent's layout with any text in its three places, and any tail.
        #[test]
        fn any_values_in_the_agents_layout_read_alike(
            id in "[ -~]{0,10}|[A-Za-z0-9_-]{120,130}",
            offset in "-?[0-9]{0,22}(\\.[0-9]|[eE][0-9])?",
            data in "[A-Za-z0-9+/=\\\\\" \u{1}\u{e9}]{0,12}",
            tail in "[ \t\r\n}x]{0,3}",
        ) {
            let line = format!(
                r#"{{"jsonrpc":"2.0","method":"session.output","params":{{"session_id":"{id}","offset":{offset},"data":"{data}"}}{tail}"#
            );
            if let Some(out) = parse(line.as_bytes()) {
                prop_assert_eq!(Some(out), by_json(line.as_bytes()));
            }
        }

        /// Every line the agent writes is read the short way, to the same bytes.
        #[test]
        fn every_agent_line_is_read_the_short_way(
            id in "[A-Za-z0-9_-]{1,128}",
            offset in any::<u64>(),
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let line = encode(&id, offset, &data);
            let out = parse(&line);
            prop_assert!(out.is_some());
            prop_assert_eq!(out, by_json(&line));
            prop_assert_eq!(out.unwrap().decode().unwrap(), data);
        }
    }
}

//! Bad input: every malformed or invalid message gets its error code, and the agent keeps
//! serving (each case is followed by a call that must succeed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_protocol::session::{SCROLLBACK_RANGE, SIZE_RANGE};
use outpost_protocol::MAX_LINE_BYTES;
use outpost_testkit::fixture::{sid_of, wait_until, Agent, Home, DEADLINE};
use outpost_testkit::text::b64;
use serde_json::{json, Value};

/// A well-formed call that must succeed after each bad one.
fn still_serving(a: &Agent) {
    a.call_ok("session.list", json!({}));
}

/// Sends a raw line and returns the one error response with `"id": null` it causes.
fn raw_error_null_id(a: &Agent, line: &[u8]) -> (i64, String) {
    let mut l = line.to_vec();
    l.push(b'\n');
    a.send_raw(&l);
    let r = a.null_id_response();
    assert!(r["id"].is_null(), "{r}");
    assert!(r.get("result").is_none(), "{r}");
    (
        r["error"]["code"].as_i64().expect("error code"),
        r["error"]["message"].as_str().unwrap_or("").to_string(),
    )
}

/// Invalid JSON → -32700 with id null; a non-request JSON value → -32600; a missing or wrong
/// `jsonrpc` → -32600 (with the id when it could be read); unknown method → -32601.
#[test]
fn envelope_errors() {
    let home = Home::new();
    let a = home.agent_initialized();

    for bad in [
        &b"{not json"[..],
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":",
        b"\xff\xfe garbage",
        b"}",
    ] {
        let (code, _) = raw_error_null_id(&a, bad);
        assert_eq!(code, -32700, "for {:?}", String::from_utf8_lossy(bad));
        still_serving(&a);
    }

    for bad in [&b"42"[..], b"\"text\"", b"null", b"true"] {
        let (code, _) = raw_error_null_id(&a, bad);
        assert_eq!(code, -32600, "for {:?}", String::from_utf8_lossy(bad));
        still_serving(&a);
    }

    // Missing or wrong "jsonrpc": -32600, answered with the request's id.
    for (id, line) in [
        (501, json!({"id": 501, "method": "session.list"})),
        (
            502,
            json!({"jsonrpc": "1.0", "id": 502, "method": "session.list"}),
        ),
        (
            503,
            json!({"jsonrpc": 2.0, "id": 503, "method": "session.list"}),
        ),
    ] {
        a.send_json(&line);
        let r = a.response(&json!(id), "a request without jsonrpc 2.0");
        assert_eq!(r.unwrap_err().0, -32600, "for {line}");
        still_serving(&a);
    }
    // A method that is not a string, params that are not structured, an id that is an object.
    a.send_json(&json!({"jsonrpc": "2.0", "id": 504, "method": 7}));
    assert_eq!(a.response(&json!(504), "method 7").unwrap_err().0, -32600);
    a.send_json(&json!({"jsonrpc": "2.0", "id": 505, "method": "session.list", "params": "x"}));
    assert_eq!(
        a.response(&json!(505), "params \"x\"").unwrap_err().0,
        -32600
    );
    let (code, _) = raw_error_null_id(
        &a,
        br#"{"jsonrpc":"2.0","id":{"a":1},"method":"session.list"}"#,
    );
    assert_eq!(code, -32600);
    still_serving(&a);

    let msg = a.call_err("session.frobnicate", json!({}), -32601);
    assert!(msg.contains("session.frobnicate"), "{msg:?}");
    a.call_err("", json!({}), -32601);
    still_serving(&a);

    // String ids are echoed back as strings.
    a.send_json(&json!({"jsonrpc": "2.0", "id": "abc", "method": "session.list"}));
    a.response(&json!("abc"), "a string id")
        .expect("string ids work");
    a.assert_no_violations();
}

/// A JSON array is not a request (this agent does no batches): -32600, whatever it holds.
#[test]
fn json_arrays_are_invalid_requests() {
    let home = Home::new();
    let a = home.agent_initialized();
    for bad in [
        &b"[]"[..],
        b"[1,2,3]",
        br#"[{"jsonrpc":"2.0","id":77,"method":"session.list"}]"#,
    ] {
        let (code, _) = raw_error_null_id(&a, bad);
        assert_eq!(code, -32600, "for {}", String::from_utf8_lossy(bad));
        still_serving(&a);
    }
    // An array that happens to line up with the fields of a request must not be run as one.
    a.send_raw(b"[\"2.0\", 901, \"session.list\", null, null, null]\n");
    let mut executed = None;
    wait_until(DEADLINE, "an answer to the array", || {
        executed = a.try_response(&json!(901), std::time::Duration::ZERO);
        executed.is_some() || a.pending_null_id_responses() > 0
    });
    if let Some(r) = executed {
        panic!("a JSON array was executed as the request with id 901, answered {r:?}");
    }
    let r = a.null_id_response();
    assert_eq!(r["error"]["code"], -32600, "{r}");
    still_serving(&a);
}

/// Params of the wrong type or out of range → -32602.
#[test]
fn invalid_params() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    let bash = a.bash_params(80, 24);
    let with = |k: &str, v: Value| {
        let mut p = bash.clone();
        p[k] = v;
        p
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "session.resize",
            json!({"session_id": sid, "cols": "x", "rows": 24}),
        ),
        ("session.resize", json!({"session_id": sid, "cols": 80})),
        (
            "session.resize",
            json!({"session_id": sid, "cols": 70000, "rows": 24}),
        ),
        ("session.create", with("cols", json!("x"))),
        ("session.create", with("cols", json!(0))),
        ("session.create", with("rows", json!(SIZE_RANGE.end() + 1))),
        ("session.create", with("scrollback_bytes", json!(1))),
        (
            "session.create",
            with("scrollback_bytes", json!(SCROLLBACK_RANGE.end() * 2)),
        ),
        ("session.create", with("colour", json!("red"))),
        ("session.create", with("kind", json!("telnet"))),
        ("session.create", with("env", json!({"A=B": "c"}))),
        ("session.create", json!({"cols": 80, "rows": 24})),
        ("session.create", json!([])),
        (
            "session.attach",
            json!({"session_id": sid, "from_offset": "0"}),
        ),
        ("session.attach", json!({"session_id": 5})),
        ("session.attach", json!({})),
        (
            "session.input",
            json!({"session_id": sid, "data": "@@not base64@@"}),
        ),
        ("session.input", json!({"session_id": sid, "data": 5})),
        ("session.input", json!({"session_id": sid})),
        (
            "session.signal",
            json!({"session_id": sid, "signal": "USR1"}),
        ),
        ("session.read", json!({"session_id": sid, "from_offset": 0})),
        (
            "initialize",
            json!({"protocol_version": "1", "client": {"name": "t", "version": "0"}}),
        ),
        ("initialize", json!({"protocol_version": 1})),
    ];
    for (method, params) in cases {
        a.call_err(method, params, -32602);
        still_serving(&a);
    }
    // Malformed session ids are refused before any file is touched.
    for bad in ["../x", "", "ABC", "a/b", "a.json", &"a".repeat(33)] {
        a.call_err("session.attach", json!({"session_id": bad}), -32602);
        a.call_err(
            "session.input",
            json!({"session_id": bad, "data": b64(b"x")}),
            -32602,
        );
        a.call_err(
            "session.read",
            json!({"session_id": bad, "from_offset": 0, "max_bytes": 1}),
            -32602,
        );
        a.call_err("session.close", json!({"session_id": bad}), -32602);
    }
    // Nothing was created by the refused creates.
    assert_eq!(a.list().len(), 1);
    // Bad base64 as a notification is dropped without an answer; input still works after it.
    a.notify(
        "session.input",
        json!({"session_id": sid, "data": "@@not base64@@"}),
    );
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo fine-$((8*8))");
    a.wait_for_output(&sid, b"fine-64\r\n", DEADLINE);
    a.assert_no_violations();
}

/// Unknown (well-formed) session ids → -32001 for every session method.
#[test]
fn unknown_session_id() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = "zzzzzzzzzzzz";
    a.call_err("session.attach", json!({"session_id": sid}), -32001);
    a.call_err("session.detach", json!({"session_id": sid}), -32001);
    a.call_err(
        "session.input",
        json!({"session_id": sid, "data": b64(b"x")}),
        -32001,
    );
    a.call_err(
        "session.resize",
        json!({"session_id": sid, "cols": 80, "rows": 24}),
        -32001,
    );
    a.call_err(
        "session.signal",
        json!({"session_id": sid, "signal": "INT"}),
        -32001,
    );
    a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": 0, "max_bytes": 1}),
        -32001,
    );
    a.call_err("session.close", json!({"session_id": sid}), -32001);
    still_serving(&a);
}

/// A 10 MiB line → -32007 (once), and the next request still works; so do lines just under
/// the limit.
#[test]
fn huge_line_is_refused_and_the_agent_keeps_serving() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut line = br#"{"jsonrpc":"2.0","id":9,"method":"session.list","params":{"pad":""#.to_vec();
    line.resize(MAX_LINE_BYTES * 5 / 2, b'x');
    line.extend_from_slice(b"\"}}\n");
    a.send_raw(&line);
    let id = a.send_request("session.list", json!({}));
    a.response(&id, "session.list after a 10 MiB line")
        .expect("still serving");
    let r = a.null_id_response();
    assert_eq!(r["error"]["code"], -32007, "{r}");
    assert_eq!(a.pending_null_id_responses(), 0, "one error per long line");
    assert!(
        a.try_response(&json!(9), std::time::Duration::ZERO)
            .is_none(),
        "the long request must not run"
    );

    // A long but allowed line (3 MiB) goes through.
    let pad = "x".repeat(MAX_LINE_BYTES * 3 / 4);
    a.call_ok("session.list", json!({"pad": pad}));
    // Two more in a row: one error each.
    for _ in 0..2 {
        let mut l = vec![b'{'; MAX_LINE_BYTES * 5 / 2];
        l.push(b'\n');
        a.send_raw(&l);
        let r = a.null_id_response();
        assert_eq!(r["error"]["code"], -32007, "{r}");
    }
    still_serving(&a);
    a.assert_no_violations();
}

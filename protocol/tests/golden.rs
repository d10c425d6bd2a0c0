//! Golden tests: the exact JSON of every message of the Outpost protocol.
//!
//! Each file in `protocol/tests/golden/` holds one complete message (request, response, error
//! response or notification, with its `"jsonrpc": "2.0"` envelope) as pretty-printed JSON with a
//! trailing newline. It is named for the message: `<method>[.<variant>].request.json`,
//! `<method>.result.json`, `<method>[.<variant>].notification.json`, `empty.result.json` for the
//! `{}` result of the methods that only acknowledge, and `error.<code>.json` for each
//! [`ErrorCode`].
//!
//! Each test builds the message from the crate's types, serialises it, and checks that
//!
//! * it equals the golden file as a `serde_json::Value`,
//! * its pretty form is byte-for-byte the file's content, and
//! * the file parses back (through [`Message::parse`] and [`parse_params`] as a peer would) into
//!   the very value it was built from.
//!
//! A change to the wire format therefore shows up as a diff in these files, to be reviewed like
//! any other. After an intended change, regenerate the files with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p outpost-protocol --test golden
//! ```
//!
//! and read the diff. Every file must be listed in [`FILES`], and every method and notification
//! must have at least one file, so a new method without a golden file fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;

use outpost_protocol::exec::{
    exec_id, ExecParams, ExecResult, ExecResultParams, ExpectParams, ExpectResult, OnTimeout,
    RunParams, RunResult, RunTarget,
};
use outpost_protocol::initialize::{
    Capabilities, ClientInfo, HostInfo, InitializeParams, InitializeResult,
};
use outpost_protocol::jsonrpc::{parse_params, NotificationMessage, Outcome, Request, Response};
use outpost_protocol::method::{self, Method};
use outpost_protocol::monitor::{
    CpuSample, DiskSample, InterfaceSample, MemorySample, MonitorTarget, NetSample, ProcessSample,
    Sample, SampleParams, SnapshotParams, SnapshotResult, SubscribeParams, SubscribeResult,
    UnsubscribeParams,
};
use outpost_protocol::notification::NotificationEnvelope;
use outpost_protocol::recording::{
    RecordParams, RecordResult, RecordingInfo, RecordingListParams, RecordingListResult,
    RecordingReadParams, RecordingReadResult,
};
use outpost_protocol::session::{
    AttachParams, AttachResult, ChangedParams, CreateParams, CreateResult, Empty, ExitParams,
    InputParams, LinkState, ListParams, ListResult, MarksResult, OutputParams, PromptMark,
    PromptMarkKind, ReadParams, ReadResult, ReconnectPolicy, ResizeParams, Restore, ScreenSnapshot,
    SessionInfo, SessionKind, SessionRef, SessionState, ShellSpec, Signal, SignalParams, SshSpec,
    DEFAULT_SCROLLBACK_BYTES,
};
use outpost_protocol::ssh_hosts::{SshHost, SshHostsParams, SshHostsResult};
use outpost_protocol::{
    Base64Bytes, ErrorCode, ErrorObject, Message, Notification, RequestId, MAX_LINE_BYTES,
    PROTOCOL_VERSION,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Every golden file. [`check_golden`] refuses a name not listed here, and a file on disk that is
/// not listed fails the tests, so stale files do not linger.
const FILES: &[&str] = &[
    "initialize.request.json",
    "initialize.result.json",
    "session.create.request.json",
    "session.create.minimal.request.json",
    "session.create.result.json",
    "session.create.ssh.request.json",
    "session.create.ssh.result.json",
    "monitor.snapshot.request.json",
    "monitor.snapshot.session.request.json",
    "monitor.snapshot.result.json",
    "monitor.subscribe.request.json",
    "monitor.subscribe.result.json",
    "monitor.unsubscribe.request.json",
    "monitor.sample.notification.json",
    "monitor.sample.error.notification.json",
    "ssh.hosts.request.json",
    "ssh.hosts.result.json",
    "session.list.request.json",
    "session.list.result.json",
    "session.attach.request.json",
    "session.attach.minimal.request.json",
    "session.attach.result.json",
    "session.attach.snapshot.result.json",
    "session.detach.request.json",
    "session.input.request.json",
    "session.input.notification.json",
    "session.resize.request.json",
    "session.signal.request.json",
    "session.read.request.json",
    "session.read.result.json",
    "session.close.request.json",
    "session.marks.request.json",
    "session.marks.result.json",
    "session.exec.request.json",
    "session.exec.result.json",
    "session.exec.running.result.json",
    "session.exec_result.request.json",
    "session.expect.request.json",
    "session.expect.result.json",
    "exec.run.request.json",
    "exec.run.target.request.json",
    "exec.run.result.json",
    "session.record.request.json",
    "session.record.result.json",
    "recording.list.request.json",
    "recording.list.result.json",
    "recording.read.request.json",
    "recording.read.result.json",
    "session.ssh_control.request.json",
    "session.ssh_control.result.json",
    "forward.open.request.json",
    "forward.open.session.request.json",
    "forward.open.result.json",
    "forward.list.request.json",
    "forward.list.result.json",
    "forward.close.request.json",
    "empty.result.json",
    "session.output.notification.json",
    "session.exit.notification.json",
    "session.exit.signal.notification.json",
    "session.changed.notification.json",
    "error.parse_error.json",
    "error.invalid_request.json",
    "error.method_not_found.json",
    "error.invalid_params.json",
    "error.internal_error.json",
    "error.session_not_found.json",
    "error.not_initialized.json",
    "error.session_create_failed.json",
    "error.version_mismatch.json",
    "error.session_not_running.json",
    "error.target_unavailable.json",
    "error.message_too_large.json",
    "error.limit_reached.json",
    "error.session_busy.json",
    "error.exec_not_found.json",
    "error.timed_out.json",
    "error.spawn_failed.json",
    "error.forward_not_found.json",
    "error.unreachable.json",
    "error.with_data.json",
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Whether the files are to be (re)written rather than compared.
fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Checks `value` against the golden file `name` (or writes the file when updating), checks that
/// the file parses back into `value`, and returns the file's content.
fn check_golden<T>(name: &str, value: &T) -> String
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    assert!(
        FILES.contains(&name),
        "golden file {name} is not listed in FILES in {}",
        file!()
    );
    let path = golden_dir().join(name);
    let pretty = serde_json::to_string_pretty(value).unwrap() + "\n";
    let content = if updating() {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(pretty.as_str()) {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &pretty)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
        pretty.clone()
    } else {
        match std::fs::read_to_string(&path) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "golden file {} is missing; create it with \
                 `UPDATE_GOLDEN=1 cargo test -p outpost-protocol --test golden`",
                path.display()
            ),
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        }
    };

    let expected: Value = serde_json::from_str(&content)
        .unwrap_or_else(|e| panic!("golden file {name} is not valid JSON: {e}"));
    let actual = serde_json::to_value(value).unwrap();
    assert_eq!(
        actual, expected,
        "{name}: the serialised message differs from the golden file \
         (if the change is intended, run with UPDATE_GOLDEN=1 and review the diff)"
    );
    assert_eq!(
        pretty, content,
        "{name}: the pretty JSON differs byte-for-byte from the golden file \
         (if the change is intended, run with UPDATE_GOLDEN=1 and review the diff)"
    );
    let back: T = serde_json::from_str(&content)
        .unwrap_or_else(|e| panic!("{name}: does not deserialise into its envelope type: {e}"));
    assert_eq!(
        &back, value,
        "{name}: does not round-trip through its envelope type"
    );
    content
}

/// A request for method `M` with typed params.
fn check_request<M: Method>(name: &str, id: RequestId, params: M::Params)
where
    M::Params: PartialEq + Debug,
{
    let request = Request {
        jsonrpc: Default::default(),
        id,
        method: M::NAME.to_owned(),
        params: Some(serde_json::to_value(&params).unwrap()),
    };
    let content = check_golden(name, &request);
    match Message::parse(content.as_bytes()) {
        Ok(Message::Request(parsed)) => {
            assert_eq!(
                parsed, request,
                "{name}: Message::parse changed the request"
            );
            assert_eq!(parsed.method, M::NAME);
            let back: M::Params = parse_params(parsed.params)
                .unwrap_or_else(|e| panic!("{name}: parse_params failed: {e}"));
            assert_eq!(back, params, "{name}: params do not round-trip");
        }
        other => panic!("{name}: Message::parse did not give a request: {other:?}"),
    }
}

/// A successful response to method `M` with a typed result.
fn check_result<M: Method>(name: &str, id: RequestId, result: M::Result)
where
    M::Result: PartialEq + Debug,
{
    let response = Response::result(id, serde_json::to_value(&result).unwrap());
    let content = check_golden(name, &response);
    match Message::parse(content.as_bytes()) {
        Ok(Message::Response(parsed)) => {
            assert_eq!(
                parsed, response,
                "{name}: Message::parse changed the response"
            );
            let Outcome::Result(value) = parsed.outcome else {
                panic!("{name}: not a result: {parsed:?}");
            };
            let back: M::Result = serde_json::from_value(value)
                .unwrap_or_else(|e| panic!("{name}: result does not deserialise: {e}"));
            assert_eq!(back, result, "{name}: result does not round-trip");
        }
        other => panic!("{name}: Message::parse did not give a response: {other:?}"),
    }
}

/// An error response.
fn check_error(name: &str, id: Option<RequestId>, error: ErrorObject) {
    let response = Response::error(id, error);
    let content = check_golden(name, &response);
    match Message::parse(content.as_bytes()) {
        Ok(Message::Response(parsed)) => {
            assert_eq!(
                parsed, response,
                "{name}: Message::parse changed the response"
            );
        }
        other => panic!("{name}: Message::parse did not give a response: {other:?}"),
    }
}

/// A notification from the agent.
fn check_notification(name: &str, notification: Notification) {
    let envelope = NotificationEnvelope::from(notification);
    let content = check_golden(name, &envelope);
    match Message::parse(content.as_bytes()) {
        Ok(Message::Notification(parsed)) => {
            assert_eq!(parsed.method, envelope.notification.method());
            // Re-tag the generic message as the typed notification a client would read.
            let back: NotificationEnvelope =
                serde_json::from_value(serde_json::to_value(&parsed).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: notification does not deserialise: {e}"));
            assert_eq!(back, envelope, "{name}: notification does not round-trip");
        }
        other => panic!("{name}: Message::parse did not give a notification: {other:?}"),
    }
}

fn num(id: i64) -> RequestId {
    RequestId::Number(id)
}

const SESSION_ID: &str = "k3f9x2ab";

fn running_shell() -> SessionInfo {
    SessionInfo {
        session_id: SESSION_ID.to_owned(),
        kind: SessionKind::Shell,
        title: "build".to_owned(),
        state: SessionState::Running,
        exit_code: None,
        exit_signal: None,
        pid: 48213,
        created_at: "2025-03-14T09:26:53Z".to_owned(),
        cols: 120,
        rows: 40,
        output_start: 0,
        output_end: 18_342,
        attached_clients: 1,
        scrollback_bytes: 4 * 1024 * 1024,
        target: None,
        link: None,
        terminal_title: None,
        cwd: None,
        foreground: None,
        preview: None,
    }
}

fn input_params() -> InputParams {
    InputParams {
        session_id: SESSION_ID.to_owned(),
        data: Base64Bytes::from(&b"ls -la\r"[..]),
    }
}

fn session_ref() -> SessionRef {
    SessionRef {
        session_id: SESSION_ID.to_owned(),
    }
}

#[test]
fn initialize_request() {
    check_request::<method::Initialize>(
        "initialize.request.json",
        num(1),
        InitializeParams {
            protocol_version: PROTOCOL_VERSION,
            client: ClientInfo {
                name: "outpost-desktop".to_owned(),
                version: "0.1.0".to_owned(),
            },
        },
    );
}

#[test]
fn initialize_result() {
    check_result::<method::Initialize>(
        "initialize.result.json",
        num(1),
        InitializeResult {
            protocol_version: PROTOCOL_VERSION,
            agent_version: "0.1.0".to_owned(),
            host: HostInfo {
                hostname: "bastion-1".to_owned(),
                os: "linux".to_owned(),
                arch: "x86_64".to_owned(),
                user: "deploy".to_owned(),
            },
            capabilities: Capabilities {
                session_kinds: vec![SessionKind::Shell, SessionKind::Ssh],
                max_line_bytes: MAX_LINE_BYTES as u64,
                default_scrollback_bytes: DEFAULT_SCROLLBACK_BYTES,
                max_sessions: 64,
            },
        },
    );
}

#[test]
fn session_create_request_with_every_field() {
    check_request::<method::SessionCreate>(
        "session.create.request.json",
        num(2),
        CreateParams {
            kind: SessionKind::Shell,
            cols: 120,
            rows: 40,
            title: Some("build".to_owned()),
            cwd: Some("/srv/app".to_owned()),
            env: BTreeMap::from([
                ("LANG".to_owned(), "C.UTF-8".to_owned()),
                ("TERM".to_owned(), "xterm-256color".to_owned()),
            ]),
            scrollback_bytes: Some(4 * 1024 * 1024),
            shell: Some(ShellSpec {
                program: Some("/bin/bash".to_owned()),
                args: vec!["--login".to_owned(), "-i".to_owned()],
            }),
            ssh: None,
            reconnect: None,
            record: true,
            record_input: true,
            max_stall_ms: Some(30_000),
        },
    );
}

#[test]
fn session_create_request_minimal() {
    check_request::<method::SessionCreate>(
        "session.create.minimal.request.json",
        num(2),
        CreateParams {
            kind: SessionKind::Shell,
            cols: 80,
            rows: 24,
            title: None,
            cwd: None,
            env: BTreeMap::new(),
            scrollback_bytes: None,
            shell: None,
            ssh: None,
            reconnect: None,
            record: false,
            record_input: false,
            max_stall_ms: None,
        },
    );
}

#[test]
fn session_create_ssh_request() {
    check_request::<method::SessionCreate>(
        "session.create.ssh.request.json",
        num(2),
        CreateParams {
            kind: SessionKind::Ssh,
            cols: 120,
            rows: 40,
            title: None,
            cwd: None,
            env: BTreeMap::new(),
            scrollback_bytes: None,
            shell: None,
            ssh: Some(SshSpec {
                host: "db-1".to_owned(),
                port: Some(2222),
                user: Some("deploy".to_owned()),
                identity_file: Some("~/.ssh/id_ed25519".to_owned()),
                options: BTreeMap::from([("ConnectTimeout".to_owned(), "10".to_owned())]),
                remote_command: Some("tail -f /var/log/app.log".to_owned()),
                forward_agent: false,
            }),
            reconnect: Some(ReconnectPolicy {
                max_attempts: 5,
                initial_delay_ms: 500,
                max_delay_ms: 15_000,
            }),
            record: false,
            record_input: false,
            max_stall_ms: None,
        },
    );
}

#[test]
fn session_create_ssh_result() {
    check_result::<method::SessionCreate>(
        "session.create.ssh.result.json",
        num(2),
        CreateResult {
            session: SessionInfo {
                kind: SessionKind::Ssh,
                title: "deploy@db-1:2222".to_owned(),
                output_end: 0,
                target: Some("deploy@db-1:2222".to_owned()),
                link: Some(LinkState::Connecting),
                ..running_shell()
            },
        },
    );
}

#[test]
fn session_create_result() {
    check_result::<method::SessionCreate>(
        "session.create.result.json",
        num(2),
        CreateResult {
            session: SessionInfo {
                output_end: 0,
                ..running_shell()
            },
        },
    );
}

#[test]
fn session_list_request() {
    check_request::<method::SessionList>("session.list.request.json", num(3), ListParams {});
}

#[test]
fn session_list_result() {
    check_result::<method::SessionList>(
        "session.list.result.json",
        num(3),
        ListResult {
            sessions: vec![
                running_shell(),
                SessionInfo {
                    session_id: "p07qz1".to_owned(),
                    kind: SessionKind::Ssh,
                    title: "ssh db-2".to_owned(),
                    state: SessionState::Exited,
                    exit_code: Some(255),
                    exit_signal: None,
                    pid: 50112,
                    created_at: "2025-03-14T10:02:11Z".to_owned(),
                    cols: 80,
                    rows: 24,
                    output_start: 0,
                    output_end: 211,
                    attached_clients: 0,
                    scrollback_bytes: DEFAULT_SCROLLBACK_BYTES,
                    target: Some("db-2".to_owned()),
                    link: Some(LinkState::Down),
                    terminal_title: None,
                    cwd: None,
                    foreground: None,
                    preview: Some("Connection to db-2 closed.".to_owned()),
                },
                SessionInfo {
                    session_id: "zz9".to_owned(),
                    kind: SessionKind::Shell,
                    title: "top".to_owned(),
                    state: SessionState::Exited,
                    exit_code: None,
                    exit_signal: Some("KILL".to_owned()),
                    pid: 50377,
                    created_at: "2025-03-14T10:15:00Z".to_owned(),
                    cols: 200,
                    rows: 60,
                    output_start: 1_048_576,
                    output_end: 3_407_872,
                    attached_clients: 0,
                    scrollback_bytes: DEFAULT_SCROLLBACK_BYTES,
                    target: None,
                    link: None,
                    terminal_title: Some("top - 10:15:00 up 10 days".to_owned()),
                    cwd: None,
                    foreground: None,
                    preview: None,
                },
            ],
        },
    );
}

#[test]
fn session_attach_request() {
    check_request::<method::SessionAttach>(
        "session.attach.request.json",
        num(4),
        AttachParams {
            session_id: SESSION_ID.to_owned(),
            from_offset: Some(16_384),
            restore: Restore::Auto,
            max_stall_ms: None,
        },
    );
}

#[test]
fn session_attach_request_minimal() {
    check_request::<method::SessionAttach>(
        "session.attach.minimal.request.json",
        num(4),
        AttachParams {
            session_id: SESSION_ID.to_owned(),
            from_offset: None,
            restore: Restore::Bytes,
            max_stall_ms: None,
        },
    );
}

#[test]
fn session_attach_result() {
    check_result::<method::SessionAttach>(
        "session.attach.result.json",
        num(4),
        AttachResult {
            session: SessionInfo {
                attached_clients: 2,
                terminal_title: Some("ann@build: ~/src".to_owned()),
                cwd: Some("/home/ann/src".to_owned()),
                foreground: Some("make".to_owned()),
                preview: Some("cc -o app main.c".to_owned()),
                ..running_shell()
            },
            replay_from: 16_384,
            truncated: false,
            snapshot: None,
        },
    );
}

#[test]
fn session_attach_result_with_snapshot() {
    // Restore "auto" from an offset the ring no longer holds: the screen, then bytes from 18342.
    check_result::<method::SessionAttach>(
        "session.attach.snapshot.result.json",
        num(4),
        AttachResult {
            session: running_shell(),
            replay_from: 18_342,
            truncated: true,
            snapshot: Some(ScreenSnapshot {
                offset: 18_342,
                data: Base64Bytes::from(&b"\x1b[?1049l\x1b[r\x1b[m\x1b[H\x1b[J$ make\x1b[?25h"[..]),
            }),
        },
    );
}

#[test]
fn session_detach_request() {
    check_request::<method::SessionDetach>("session.detach.request.json", num(5), session_ref());
}

#[test]
fn session_input_request() {
    check_request::<method::SessionInput>("session.input.request.json", num(6), input_params());
}

#[test]
fn session_input_notification() {
    // The client may also send input as a notification (no id, no response).
    let name = "session.input.notification.json";
    let params = input_params();
    let message = NotificationMessage {
        jsonrpc: Default::default(),
        method: method::SessionInput::NAME.to_owned(),
        params: Some(serde_json::to_value(&params).unwrap()),
    };
    let content = check_golden(name, &message);
    match Message::parse(content.as_bytes()) {
        Ok(Message::Notification(parsed)) => {
            assert_eq!(parsed, message);
            let back: InputParams = parse_params(parsed.params).unwrap();
            assert_eq!(back, params);
        }
        other => panic!("{name}: Message::parse did not give a notification: {other:?}"),
    }
}

#[test]
fn session_resize_request() {
    check_request::<method::SessionResize>(
        "session.resize.request.json",
        num(7),
        ResizeParams {
            session_id: SESSION_ID.to_owned(),
            cols: 132,
            rows: 43,
        },
    );
}

#[test]
fn session_signal_request() {
    check_request::<method::SessionSignal>(
        "session.signal.request.json",
        num(8),
        SignalParams {
            session_id: SESSION_ID.to_owned(),
            signal: Signal::Int,
        },
    );
}

#[test]
fn session_read_request() {
    check_request::<method::SessionRead>(
        "session.read.request.json",
        num(9),
        ReadParams {
            session_id: SESSION_ID.to_owned(),
            from_offset: 0,
            max_bytes: 65_536,
        },
    );
}

#[test]
fn session_read_result() {
    check_result::<method::SessionRead>(
        "session.read.result.json",
        num(9),
        ReadResult {
            offset: 0,
            data: Base64Bytes::from(&b"$ make\r\ncc -o app main.c\r\n"[..]),
            output_end: 18_342,
        },
    );
}

#[test]
fn session_close_request() {
    // A string id, to pin that form of `RequestId` too.
    check_request::<method::SessionClose>(
        "session.close.request.json",
        RequestId::String("close-k3f9x2ab".to_owned()),
        session_ref(),
    );
}

#[test]
fn empty_result() {
    // detach, input, resize, signal and close all answer `{}`.
    check_result::<method::SessionDetach>("empty.result.json", num(5), Empty {});
    let content = std::fs::read_to_string(golden_dir().join("empty.result.json")).unwrap();
    let Ok(Message::Response(Response {
        outcome: Outcome::Result(value),
        ..
    })) = Message::parse(content.as_bytes())
    else {
        panic!("empty.result.json is not a result");
    };
    for parse in [
        serde_json::from_value::<<method::SessionInput as Method>::Result>,
        serde_json::from_value::<<method::SessionResize as Method>::Result>,
        serde_json::from_value::<<method::SessionSignal as Method>::Result>,
        serde_json::from_value::<<method::SessionClose as Method>::Result>,
    ] {
        assert_eq!(parse(value.clone()).unwrap(), Empty {});
    }
}

#[test]
fn session_output_notification() {
    // Terminal output is arbitrary bytes: escape sequences and bytes that are not UTF-8.
    check_notification(
        "session.output.notification.json",
        Notification::SessionOutput(OutputParams {
            session_id: SESSION_ID.to_owned(),
            offset: 18_342,
            data: Base64Bytes::from(&b"\x1b[1;32m$\x1b[0m caf\xc3\xa9 \xff\xfe\r\n"[..]),
        }),
    );
}

#[test]
fn session_exit_notification_with_exit_code() {
    check_notification(
        "session.exit.notification.json",
        Notification::SessionExit(ExitParams {
            session_id: SESSION_ID.to_owned(),
            exit_code: Some(0),
            signal: None,
        }),
    );
}

#[test]
fn session_marks_request() {
    check_request::<method::SessionMarks>("session.marks.request.json", num(12), session_ref());
}

#[test]
fn session_marks_result() {
    check_result::<method::SessionMarks>(
        "session.marks.result.json",
        num(12),
        MarksResult {
            marks: vec![
                PromptMark {
                    offset: 1_024,
                    kind: PromptMarkKind::PromptStart,
                    exit_code: None,
                },
                PromptMark {
                    offset: 1_031,
                    kind: PromptMarkKind::CommandStart,
                    exit_code: None,
                },
                PromptMark {
                    offset: 1_045,
                    kind: PromptMarkKind::OutputStart,
                    exit_code: None,
                },
                PromptMark {
                    offset: 2_310,
                    kind: PromptMarkKind::CommandEnd,
                    exit_code: Some(2),
                },
            ],
        },
    );
}

#[test]
fn session_changed_notification() {
    check_notification(
        "session.changed.notification.json",
        Notification::SessionChanged(ChangedParams {
            session_id: SESSION_ID.to_owned(),
            terminal_title: Some("vim notes.md".to_owned()),
            cwd: Some("/home/ann/notes".to_owned()),
        }),
    );
}

#[test]
fn session_exit_notification_with_signal() {
    check_notification(
        "session.exit.signal.notification.json",
        Notification::SessionExit(ExitParams {
            session_id: SESSION_ID.to_owned(),
            exit_code: None,
            signal: Some("KILL".to_owned()),
        }),
    );
}

fn linux_sample() -> Sample {
    Sample {
        at: 1_741_944_413_000,
        hostname: "db-1".to_owned(),
        os: "linux".to_owned(),
        kernel: "6.1.0-18-amd64".to_owned(),
        uptime_s: 864_000,
        load: [0.5, 0.25, 0.125],
        cpu: CpuSample {
            percent: 12.5,
            per_core: vec![25.0, 0.0],
        },
        memory: MemorySample {
            total_bytes: 8_589_934_592,
            used_bytes: 2_147_483_648,
            available_bytes: 6_442_450_944,
            swap_total_bytes: 1_073_741_824,
            swap_used_bytes: 0,
        },
        disks: vec![DiskSample {
            mount: "/".to_owned(),
            fs: "ext4".to_owned(),
            total_bytes: 107_374_182_400,
            used_bytes: 53_687_091_200,
        }],
        net: NetSample {
            rx_bytes_per_s: 2048.0,
            tx_bytes_per_s: 512.0,
            interfaces: vec![InterfaceSample {
                name: "eth0".to_owned(),
                rx_bytes_per_s: 2048.0,
                tx_bytes_per_s: 512.0,
                rx_bytes_total: 123_456_789,
                tx_bytes_total: 9_876_543,
            }],
        },
        processes: 142,
        top: vec![ProcessSample {
            pid: 812,
            name: "postgres".to_owned(),
            cpu_percent: 8.5,
            memory_bytes: 268_435_456,
        }],
        error: None,
    }
}

#[test]
fn monitor_snapshot_requests() {
    check_request::<method::MonitorSnapshot>(
        "monitor.snapshot.request.json",
        num(20),
        SnapshotParams {
            target: MonitorTarget::Agent,
        },
    );
    check_request::<method::MonitorSnapshot>(
        "monitor.snapshot.session.request.json",
        num(21),
        SnapshotParams {
            target: MonitorTarget::Session {
                session_id: SESSION_ID.to_owned(),
            },
        },
    );
}

#[test]
fn monitor_snapshot_result() {
    check_result::<method::MonitorSnapshot>(
        "monitor.snapshot.result.json",
        num(21),
        SnapshotResult {
            sample: linux_sample(),
        },
    );
}

#[test]
fn monitor_subscribe() {
    check_request::<method::MonitorSubscribe>(
        "monitor.subscribe.request.json",
        num(22),
        SubscribeParams {
            target: MonitorTarget::Session {
                session_id: SESSION_ID.to_owned(),
            },
            interval_ms: 1000,
        },
    );
    check_result::<method::MonitorSubscribe>(
        "monitor.subscribe.result.json",
        num(22),
        SubscribeResult {
            subscription_id: "m1".to_owned(),
            history: vec![linux_sample()],
        },
    );
    check_request::<method::MonitorUnsubscribe>(
        "monitor.unsubscribe.request.json",
        num(23),
        UnsubscribeParams {
            subscription_id: "m1".to_owned(),
        },
    );
}

#[test]
fn monitor_sample_notifications() {
    check_notification(
        "monitor.sample.notification.json",
        Notification::MonitorSample(Box::new(SampleParams {
            subscription_id: "m1".to_owned(),
            sample: linux_sample(),
        })),
    );
    check_notification(
        "monitor.sample.error.notification.json",
        Notification::MonitorSample(Box::new(SampleParams {
            subscription_id: "m1".to_owned(),
            sample: Sample {
                at: 1_741_944_414_000,
                error: Some("the connection of session k3f9x2ab is down".to_owned()),
                ..Sample::default()
            },
        })),
    );
}

#[test]
fn ssh_hosts() {
    check_request::<method::SshHosts>("ssh.hosts.request.json", num(30), SshHostsParams {});
    check_result::<method::SshHosts>(
        "ssh.hosts.result.json",
        num(30),
        SshHostsResult {
            hosts: vec![
                SshHost {
                    alias: "web1".to_owned(),
                    hostname: Some("10.0.0.5".to_owned()),
                    user: Some("deploy".to_owned()),
                    port: Some(2222),
                },
                SshHost {
                    alias: "db-2".to_owned(),
                    hostname: None,
                    user: None,
                    port: None,
                },
            ],
            config_path: "/home/ann/.ssh/config".to_owned(),
        },
    );
}

#[test]
fn session_record() {
    check_request::<method::SessionRecord>(
        "session.record.request.json",
        num(31),
        RecordParams {
            session_id: "k3v9q2".to_owned(),
            on: true,
            input: true,
            max_bytes: Some(16 * 1024 * 1024),
            keep: Some(4),
        },
    );
    check_result::<method::SessionRecord>(
        "session.record.result.json",
        num(31),
        RecordResult {
            recording: Some("20261204T183421123Z-k3v9q2-0001.cast".to_owned()),
        },
    );
}

#[test]
fn recording_list() {
    check_request::<method::RecordingList>(
        "recording.list.request.json",
        num(32),
        RecordingListParams {
            session_id: Some("k3v9q2".to_owned()),
        },
    );
    check_result::<method::RecordingList>(
        "recording.list.result.json",
        num(32),
        RecordingListResult {
            recordings: vec![
                RecordingInfo {
                    name: "20261204T183421123Z-k3v9q2-0001.cast".to_owned(),
                    session_id: "k3v9q2".to_owned(),
                    bytes: 67_108_790,
                    started: "2026-12-04T18:34:21.123Z".to_owned(),
                    duration_ms: Some(3_600_250),
                },
                RecordingInfo {
                    name: "20261204T193421373Z-k3v9q2-0002.cast".to_owned(),
                    session_id: "k3v9q2".to_owned(),
                    bytes: 1_024,
                    started: "2026-12-04T19:34:21.373Z".to_owned(),
                    duration_ms: None,
                },
            ],
            truncated: false,
        },
    );
}

#[test]
fn recording_read() {
    check_request::<method::RecordingRead>(
        "recording.read.request.json",
        num(33),
        RecordingReadParams {
            name: "20261204T183421123Z-k3v9q2-0001.cast".to_owned(),
            offset: 0,
            max: 65_536,
        },
    );
    check_result::<method::RecordingRead>(
        "recording.read.result.json",
        num(33),
        RecordingReadResult {
            offset: 0,
            data: Base64Bytes(b"{\"version\": 2}\n".to_vec()),
            size: 1_024,
        },
    );
}

#[test]
fn session_ssh_control() {
    check_request::<method::SessionSshControl>(
        "session.ssh_control.request.json",
        num(34),
        SessionRef {
            session_id: "k3v9q2".to_owned(),
        },
    );
    check_result::<method::SessionSshControl>(
        "session.ssh_control.result.json",
        num(34),
        outpost_protocol::files::SshControlResult {
            control_path: "/run/user/1000/outpost/d1/k3v9q2.cm".to_owned(),
            host: "db-2".to_owned(),
            user: Some("deploy".to_owned()),
            port: Some(2222),
        },
    );
}

fn forward_info() -> outpost_protocol::forward::ForwardInfo {
    outpost_protocol::forward::ForwardInfo {
        id: "f0123456789abcdef".to_owned(),
        socket: "/run/user/1000/outpost/d1/fwd/f0123456789abcdef.sock".to_owned(),
        session_id: Some("k3v9q2".to_owned()),
        host: "10.0.0.7".to_owned(),
        port: 80,
        state: outpost_protocol::forward::ForwardState::Active,
    }
}

#[test]
fn forward_open() {
    use outpost_protocol::forward::ForwardOpenParams;
    check_request::<method::ForwardOpen>(
        "forward.open.request.json",
        num(35),
        ForwardOpenParams {
            session_id: None,
            host: "db.internal".to_owned(),
            port: 5432,
        },
    );
    check_request::<method::ForwardOpen>(
        "forward.open.session.request.json",
        num(35),
        ForwardOpenParams {
            session_id: Some("k3v9q2".to_owned()),
            host: "10.0.0.7".to_owned(),
            port: 80,
        },
    );
    check_result::<method::ForwardOpen>("forward.open.result.json", num(35), forward_info());
}

#[test]
fn forward_list_and_close() {
    use outpost_protocol::forward::{ForwardCloseParams, ForwardListParams, ForwardListResult};
    check_request::<method::ForwardList>(
        "forward.list.request.json",
        num(36),
        ForwardListParams {},
    );
    let waiting = outpost_protocol::forward::ForwardInfo {
        id: "f00000000000000aa".to_owned(),
        socket: "/run/user/1000/outpost/d1/fwd/f00000000000000aa.sock".to_owned(),
        session_id: None,
        host: "db.internal".to_owned(),
        port: 5432,
        state: outpost_protocol::forward::ForwardState::Waiting,
    };
    check_result::<method::ForwardList>(
        "forward.list.result.json",
        num(36),
        ForwardListResult {
            forwards: vec![forward_info(), waiting],
        },
    );
    check_request::<method::ForwardClose>(
        "forward.close.request.json",
        num(37),
        ForwardCloseParams {
            id: "f0123456789abcdef".to_owned(),
        },
    );
}

/// The golden file stem and an example message for each code. The match has no wildcard, so a
/// new code does not compile until it has a golden file.
fn error_case(code: ErrorCode) -> (&'static str, &'static str) {
    match code {
        ErrorCode::ParseError => (
            "parse_error",
            "invalid JSON: expected value at line 1 column 1",
        ),
        ErrorCode::InvalidRequest => ("invalid_request", "jsonrpc must be \"2.0\""),
        ErrorCode::MethodNotFound => ("method_not_found", "no method session.rename"),
        ErrorCode::InvalidParams => (
            "invalid_params",
            "invalid params: missing field `session_id`",
        ),
        ErrorCode::InternalError => ("internal_error", "cannot read the session directory"),
        ErrorCode::SessionNotFound => ("session_not_found", "no session k3f9x2ab"),
        ErrorCode::NotInitialized => ("not_initialized", "call initialize first"),
        ErrorCode::SessionCreateFailed => (
            "session_create_failed",
            "cannot start /bin/bash: No such file or directory",
        ),
        ErrorCode::VersionMismatch => (
            "version_mismatch",
            "the client speaks protocol version 2, the agent version 1",
        ),
        ErrorCode::SessionNotRunning => ("session_not_running", "session k3f9x2ab has exited"),
        ErrorCode::TargetUnavailable => ("target_unavailable", "target db-2 cannot be read"),
        ErrorCode::MessageTooLarge => (
            "message_too_large",
            "the message is longer than 4194304 bytes",
        ),
        ErrorCode::LimitReached => ("limit_reached", "at most 64 sessions are allowed"),
        ErrorCode::SessionBusy => (
            "session_busy",
            "session k3f9x2ab is not at its shell prompt (python3 is running)",
        ),
        ErrorCode::ExecNotFound => ("exec_not_found", "session k3f9x2ab holds no exec 12"),
        ErrorCode::TimedOut => ("timed_out", "no pattern matched within 5000 ms"),
        ErrorCode::SpawnFailed => (
            "spawn_failed",
            "cannot start nosuchprogram: No such file or directory",
        ),
        ErrorCode::ForwardNotFound => ("forward_not_found", "no forward f0123456789abcdef"),
        ErrorCode::Unreachable => (
            "unreachable",
            "10.0.0.7:80 does not answer from the target of session k3v9q2",
        ),
    }
}

#[test]
fn error_responses() {
    for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
        let (stem, message) = error_case(code);
        // A parse error has no id: the request could not be read far enough to know it.
        let id = (code != ErrorCode::ParseError).then(|| num(100 + i as i64));
        let error = ErrorObject::new(code, message);
        assert_eq!(error.kind(), Some(code));
        check_error(&format!("error.{stem}.json"), id, error);
    }
}

#[test]
fn error_response_with_data() {
    let error = ErrorObject {
        data: Some(json!({ "agent": 1, "client": 2 })),
        ..ErrorObject::new(
            ErrorCode::VersionMismatch,
            "the client speaks protocol version 2, the agent version 1",
        )
    };
    check_error("error.with_data.json", Some(num(1)), error);
}

/// Names of the golden files on disk.
fn files_on_disk() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", golden_dir().display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_method_and_notification_has_a_golden_file() {
    let names: Vec<&str> = method::ALL
        .iter()
        .chain(Notification::METHODS)
        .copied()
        .collect();
    let on_disk = files_on_disk();
    for name in names {
        let prefix = format!("{name}.");
        assert!(
            FILES.iter().any(|f| f.starts_with(&prefix)),
            "{name} has no golden file: add a test and a file named {name}.*.json"
        );
        // When updating, the other tests may still be writing their files.
        if !updating() {
            assert!(
                on_disk.iter().any(|f| f.starts_with(&prefix)),
                "{name} has no golden file in {}",
                golden_dir().display()
            );
        }
    }
}

#[test]
fn golden_directory_holds_exactly_the_listed_files() {
    let on_disk = files_on_disk();
    for file in &on_disk {
        assert!(
            FILES.contains(&file.as_str()),
            "{file} in {} is checked by no test: delete it or list it in FILES",
            golden_dir().display()
        );
    }
    if !updating() {
        for file in FILES {
            assert!(
                on_disk.iter().any(|f| f == file),
                "golden file {file} is missing; create it with \
                 `UPDATE_GOLDEN=1 cargo test -p outpost-protocol --test golden`"
            );
        }
    }
    let mut unique = FILES.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), FILES.len(), "FILES lists a file twice");
}

#[test]
fn session_exec_request() {
    check_request::<method::SessionExec>(
        "session.exec.request.json",
        num(30),
        ExecParams {
            session_id: SESSION_ID.to_owned(),
            command: "make -j2 test".to_owned(),
            timeout_ms: Some(60_000),
            on_timeout: Some(OnTimeout::Interrupt),
            max_output: Some(65_536),
        },
    );
}

#[test]
fn session_exec_result() {
    check_result::<method::SessionExec>(
        "session.exec.result.json",
        num(30),
        ExecResult {
            exec_id: exec_id(SESSION_ID, 3),
            exit_code: Some(2),
            output: "make: *** No rule to make target 'test'.  Stop.\n".to_owned(),
            output_from: 4_096,
            output_to: 4_146,
            truncated: false,
            duration_ms: 12,
            timed_out: false,
            cwd: Some("/home/ann/src".to_owned()),
        },
    );
}

#[test]
fn session_exec_running_result() {
    check_result::<method::SessionExec>(
        "session.exec.running.result.json",
        num(31),
        ExecResult {
            exec_id: exec_id(SESSION_ID, 4),
            exit_code: None,
            output: "step 1\n".to_owned(),
            output_from: 5_000,
            output_to: 5_007,
            truncated: true,
            duration_ms: 60_000,
            timed_out: true,
            cwd: None,
        },
    );
}

#[test]
fn session_exec_result_request() {
    check_request::<method::SessionExecResult>(
        "session.exec_result.request.json",
        num(32),
        ExecResultParams {
            exec_id: exec_id(SESSION_ID, 4),
            max_output: None,
        },
    );
}

#[test]
fn session_expect_request() {
    check_request::<method::SessionExpect>(
        "session.expect.request.json",
        num(33),
        ExpectParams {
            session_id: SESSION_ID.to_owned(),
            from_offset: Some(5_007),
            patterns: vec!["[Pp]assword: ?$".to_owned(), "\\(yes/no\\)".to_owned()],
            timeout_ms: 5_000,
        },
    );
}

#[test]
fn session_expect_result() {
    check_result::<method::SessionExpect>(
        "session.expect.result.json",
        num(33),
        ExpectResult {
            pattern: 0,
            matched: "Password: ".to_owned(),
            offset: 5_120,
            end_offset: 5_130,
        },
    );
}

#[test]
fn exec_run_request() {
    check_request::<method::ExecRun>(
        "exec.run.request.json",
        num(34),
        RunParams {
            argv: Some(vec!["grep".to_owned(), "-c".to_owned(), "ERROR".to_owned()]),
            shell: None,
            cwd: Some("/var/log".to_owned()),
            env: BTreeMap::from([("LC_ALL".to_owned(), "C".to_owned())]),
            stdin: Some(Base64Bytes(b"ERROR one\nfine\n".to_vec())),
            timeout_ms: Some(10_000),
            max_output: Some(4_096),
            target: None,
        },
    );
}

#[test]
fn exec_run_target_request() {
    check_request::<method::ExecRun>(
        "exec.run.target.request.json",
        num(35),
        RunParams {
            argv: None,
            shell: Some("uptime; df -h /".to_owned()),
            cwd: None,
            env: BTreeMap::new(),
            stdin: None,
            timeout_ms: None,
            max_output: None,
            target: Some(RunTarget {
                session_id: SESSION_ID.to_owned(),
            }),
        },
    );
}

#[test]
fn exec_run_result() {
    check_result::<method::ExecRun>(
        "exec.run.result.json",
        num(34),
        RunResult {
            exit_code: Some(0),
            signal: None,
            stdout: Base64Bytes(b"1\n".to_vec()),
            stderr: Base64Bytes(Vec::new()),
            stdout_truncated: false,
            stderr_truncated: false,
            timed_out: false,
            duration_ms: 3,
        },
    );
}

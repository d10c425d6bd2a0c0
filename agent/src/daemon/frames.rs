//! Frames between an agent and a session daemon, over the daemon's local socket.
//!
//! Each frame is a 1-byte kind, a 4-byte little-endian payload length and the payload; payloads
//! are at most [`MAX_PAYLOAD`] bytes. Control messages carry JSON; the hot path (output and input)
//! carries raw bytes. Kinds are fixed numbers that are never reused; an unknown kind is an error
//! that closes the connection. The protocol's version is the socket directory's name
//! ([`crate::paths::DAEMON_PROTOCOL_DIR`]).
//!
//! | kind | direction | payload |
//! |------|-----------|---------|
//! | 0x01 `Request` | agent → daemon | u32 id, JSON [`DaemonRequest`] |
//! | 0x02 `Input` | agent → daemon | u32 id (0: no reply wanted), raw bytes to type |
//! | 0x81 `Reply` | daemon → agent | u32 id, JSON [`DaemonReply`] |
//! | 0x82 `Output` | daemon → agent | u64 offset, raw output bytes |
//! | 0x83 `Exit` | daemon → agent | JSON [`ExitInfo`] |
//! | 0x84 `Changed` | daemon → agent | JSON [`Reported`]: the title or directory changed (only to connections attached with `changes: true`, at most every [`CHANGED_MIN_INTERVAL_MS`](outpost_protocol::session::CHANGED_MIN_INTERVAL_MS)) |
//!
//! New fields are added with serde defaults, so agents and daemons of neighbouring versions
//! still understand each other (an old daemon ignores `restore` and sends bytes).

use outpost_protocol::session::{PromptMark, Restore, ScreenSnapshot, SessionInfo, Signal};
use outpost_protocol::Base64Bytes;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest payload a frame may carry: a `session.read` reply of the largest page
/// ([`MAX_READ_BYTES`](outpost_protocol::session::MAX_READ_BYTES), base64 in JSON, so 4/3 of it)
/// plus room for the envelope.
pub const MAX_PAYLOAD: usize = 2 * 1024 * 1024;

/// The most output or input bytes sent in one frame: one frame of output becomes one
/// `session.output` line, so this is the protocol's limit for a line's output.
pub const MAX_CHUNK: usize = outpost_protocol::output::MAX_CHUNK_BYTES;

const KIND_REQUEST: u8 = 0x01;
const KIND_INPUT: u8 = 0x02;
const KIND_REPLY: u8 = 0x81;
const KIND_OUTPUT: u8 = 0x82;
const KIND_EXIT: u8 = 0x83;
const KIND_CHANGED: u8 = 0x84;

/// A request from an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DaemonRequest {
    /// Describe the session.
    Info,
    /// Start streaming output from an offset (default: the oldest held).
    Attach {
        /// The first offset wanted.
        from_offset: Option<u64>,
        /// Bytes, a screen snapshot, or a snapshot only when the bytes are gone.
        #[serde(default)]
        restore: Restore,
        /// Whether the agent takes `Changed` frames (agents from before them do not, and would
        /// close the connection at an unknown kind).
        #[serde(default)]
        changes: bool,
        /// How long this client may stop reading while it holds the program back, in ms
        /// (default [`DEFAULT_MAX_STALL_MS`](outpost_protocol::session::DEFAULT_MAX_STALL_MS);
        /// 0: never). See [`super::flow`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_stall_ms: Option<u64>,
    },
    /// Stop streaming output.
    Detach,
    /// Resize the terminal.
    Resize {
        /// Width.
        cols: u16,
        /// Height.
        rows: u16,
    },
    /// Signal the foreground process group.
    Signal {
        /// The signal.
        signal: Signal,
    },
    /// Read held output.
    Read {
        /// The first offset wanted.
        from_offset: u64,
        /// The most bytes wanted.
        max_bytes: u64,
    },
    /// End the process and the daemon.
    Close,
    /// The prompt marks held.
    Marks,
    /// Start or stop recording ([`crate::recording`]).
    Record {
        /// Start (true) or stop.
        on: bool,
        /// Record input too.
        #[serde(default)]
        input: bool,
        /// The size bound of one file.
        #[serde(default)]
        max_bytes: Option<u64>,
        /// How many of the session's files to keep.
        #[serde(default)]
        keep: Option<u32>,
    },
    /// Type a command at the shell's prompt and wait for its end ([`crate::exec::daemon`]).
    /// Agents send it on a connection of its own: the answer may take until the timeout.
    Exec {
        /// The command line.
        command: String,
        /// How long to wait, in ms.
        timeout_ms: u64,
        /// Interrupt the command when the timeout passes.
        #[serde(default)]
        interrupt: bool,
        /// The most output text, in bytes.
        max_output: u64,
    },
    /// An exec's result, by its number in the session.
    ExecResult {
        /// The exec's number.
        number: u64,
        /// The most output text, in bytes.
        max_output: u64,
    },
}

/// A daemon's answer to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DaemonReply {
    /// The session's description.
    Info {
        /// The session.
        session: SessionInfo,
    },
    /// Streaming starts at `replay_from`.
    Attached {
        /// The session.
        session: SessionInfo,
        /// The first offset that will be sent.
        replay_from: u64,
        /// Whether the requested offset was older than the oldest byte held.
        truncated: bool,
        /// The screen as of `replay_from`, when asked for (boxed: it is rare and large).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<Box<ScreenSnapshot>>,
    },
    /// Output read by offset.
    Read {
        /// The offset of the first byte.
        offset: u64,
        /// The bytes.
        data: Base64Bytes,
        /// The next offset the session will produce.
        output_end: u64,
    },
    /// The prompt marks held, oldest first.
    Marks {
        /// The marks.
        marks: Vec<PromptMark>,
    },
    /// An exec's result (boxed: it carries its output).
    Exec {
        /// The result.
        result: Box<outpost_protocol::exec::ExecResult>,
    },
    /// Recording started (the file being written) or stopped (`None`).
    Recording {
        /// The file's name.
        name: Option<String>,
    },
    /// Done, nothing to report.
    Done,
    /// Failed, with a JSON-RPC error code.
    Error {
        /// The code.
        code: i32,
        /// Why.
        message: String,
    },
}

/// How the session's process ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// The signal name, when a signal ended it.
    pub signal: Option<String>,
}

/// One frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// A request.
    Request {
        /// Matches the reply.
        id: u32,
        /// The request.
        req: DaemonRequest,
    },
    /// Bytes to type.
    Input {
        /// Matches the reply; 0 asks for none.
        id: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A reply.
    Reply {
        /// The request's id.
        id: u32,
        /// The reply (boxed: a session's description is far larger than the hot frames).
        reply: Box<DaemonReply>,
    },
    /// Output bytes.
    Output {
        /// Offset of the first byte.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The process exited; no output follows.
    Exit(ExitInfo),
    /// The program's title or working directory changed.
    Changed(Reported),
}

/// What a program reported about itself (the payload of a `Changed` frame).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// The title (OSC 0/2), cleaned and bounded.
    pub terminal_title: Option<String>,
    /// The working directory (OSC 7), decoded, cleaned and bounded.
    pub cwd: Option<String>,
}

/// A framing failure.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The socket failed or closed.
    #[error("daemon socket: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent a frame we cannot read.
    #[error("bad frame: {0}")]
    Bad(String),
}

fn bad(msg: impl Into<String>) -> FrameError {
    FrameError::Bad(msg.into())
}

impl Frame {
    /// Appends the encoded frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&[0; 5]);
        let kind = match self {
            Frame::Request { id, req } => {
                out.extend_from_slice(&id.to_le_bytes());
                json_into(req, out);
                KIND_REQUEST
            }
            Frame::Input { id, data } => {
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(data);
                KIND_INPUT
            }
            Frame::Reply { id, reply } => {
                out.extend_from_slice(&id.to_le_bytes());
                json_into(reply, out);
                KIND_REPLY
            }
            Frame::Output { offset, data } => {
                out.extend_from_slice(&offset.to_le_bytes());
                out.extend_from_slice(data);
                KIND_OUTPUT
            }
            Frame::Exit(info) => {
                json_into(info, out);
                KIND_EXIT
            }
            Frame::Changed(reported) => {
                json_into(reported, out);
                KIND_CHANGED
            }
        };
        let len = (out.len() - at - 5) as u32;
        out[at] = kind;
        out[at + 1..at + 5].copy_from_slice(&len.to_le_bytes());
    }

    /// Appends an `Output` frame to `out` whose bytes `fill` appends and whose offset it returns
    /// (the bytes go straight from the ring into the frame, with no copy of their own): the same
    /// bytes as encoding [`Frame::Output`]. Returns the offset and how many bytes `fill` added.
    pub fn encode_output(
        out: &mut Vec<u8>,
        fill: impl FnOnce(&mut Vec<u8>) -> u64,
    ) -> (u64, usize) {
        let at = out.len();
        out.extend_from_slice(&[0; 13]);
        let offset = fill(out);
        let len = out.len() - at - 13;
        out[at] = KIND_OUTPUT;
        out[at + 1..at + 5].copy_from_slice(&((len + 8) as u32).to_le_bytes());
        out[at + 5..at + 13].copy_from_slice(&offset.to_le_bytes());
        (offset, len)
    }

    /// Decodes one frame's payload.
    pub fn decode(kind: u8, payload: &[u8]) -> Result<Frame, FrameError> {
        let split4 = |p: &[u8]| -> Result<(u32, Vec<u8>), FrameError> {
            let (id, rest) = p
                .split_first_chunk::<4>()
                .ok_or_else(|| bad("short frame"))?;
            Ok((u32::from_le_bytes(*id), rest.to_vec()))
        };
        Ok(match kind {
            KIND_REQUEST => {
                let (id, body) = split4(payload)?;
                let req = serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?;
                Frame::Request { id, req }
            }
            KIND_INPUT => {
                let (id, data) = split4(payload)?;
                Frame::Input { id, data }
            }
            KIND_REPLY => {
                let (id, body) = split4(payload)?;
                let reply = serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))?;
                Frame::Reply {
                    id,
                    reply: Box::new(reply),
                }
            }
            KIND_OUTPUT => {
                let (off, rest) = payload
                    .split_first_chunk::<8>()
                    .ok_or_else(|| bad("short output frame"))?;
                Frame::Output {
                    offset: u64::from_le_bytes(*off),
                    data: rest.to_vec(),
                }
            }
            KIND_EXIT => {
                Frame::Exit(serde_json::from_slice(payload).map_err(|e| bad(e.to_string()))?)
            }
            KIND_CHANGED => {
                Frame::Changed(serde_json::from_slice(payload).map_err(|e| bad(e.to_string()))?)
            }
            k => return Err(bad(format!("unknown frame kind {k:#04x}"))),
        })
    }
}

fn json_into<T: Serialize>(v: &T, out: &mut Vec<u8>) {
    // Serialising these plain types into a Vec cannot fail.
    let _ = serde_json::to_writer(out, v);
}

/// Reads one frame; `Ok(None)` at a clean end of stream (between frames).
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Frame>, FrameError> {
    let mut head = [0u8; 5];
    // The stream may end before a frame, but not inside its header.
    if r.read(&mut head[..1]).await? == 0 {
        return Ok(None);
    }
    r.read_exact(&mut head[1..]).await?;
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(bad(format!("frame of {len} bytes exceeds {MAX_PAYLOAD}")));
    }
    // The hot frames (output and input) are read straight into their data buffer, without an
    // intermediate payload copy.
    match head[0] {
        KIND_OUTPUT if len >= 8 => {
            let mut off = [0u8; 8];
            r.read_exact(&mut off).await?;
            let mut data = vec![0u8; len - 8];
            r.read_exact(&mut data).await?;
            Ok(Some(Frame::Output {
                offset: u64::from_le_bytes(off),
                data,
            }))
        }
        KIND_INPUT if len >= 4 => {
            let mut id = [0u8; 4];
            r.read_exact(&mut id).await?;
            let mut data = vec![0u8; len - 4];
            r.read_exact(&mut data).await?;
            Ok(Some(Frame::Input {
                id: u32::from_le_bytes(id),
                data,
            }))
        }
        kind => {
            let mut payload = vec![0u8; len];
            r.read_exact(&mut payload).await?;
            Frame::decode(kind, &payload).map(Some)
        }
    }
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, f: &Frame) -> std::io::Result<()> {
    let mut buf = Vec::new();
    f.encode(&mut buf);
    w.write_all(&buf).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(f: Frame) {
        let mut buf = Vec::new();
        f.encode(&mut buf);
        let len = u32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
        assert_eq!(len, buf.len() - 5);
        assert_eq!(Frame::decode(buf[0], &buf[5..]).unwrap(), f);
    }

    #[test]
    fn frames_round_trip() {
        round_trip(Frame::Request {
            id: 7,
            req: DaemonRequest::Attach {
                from_offset: Some(9),
                restore: Restore::Auto,
                changes: true,
                max_stall_ms: Some(2000),
            },
        });
        round_trip(Frame::Input {
            id: 0,
            data: b"ls\r".to_vec(),
        });
        round_trip(Frame::Reply {
            id: 1,
            reply: Box::new(DaemonReply::Done),
        });
        round_trip(Frame::Output {
            offset: u64::MAX - 3,
            data: vec![0, 255, 10],
        });
        round_trip(Frame::Exit(ExitInfo {
            exit_code: Some(3),
            signal: None,
        }));
        round_trip(Frame::Changed(Reported {
            terminal_title: Some("vim".into()),
            cwd: None,
        }));
        round_trip(Frame::Reply {
            id: 2,
            reply: Box::new(DaemonReply::Attached {
                session: serde_json::from_value(serde_json::json!({
                    "session_id": "a", "kind": "shell", "title": "t", "state": "running",
                    "pid": 1, "created_at": "", "cols": 80, "rows": 24, "output_start": 0,
                    "output_end": 5, "attached_clients": 1
                }))
                .unwrap_or_else(|e| panic!("{e}")),
                replay_from: 5,
                truncated: true,
                snapshot: Some(Box::new(ScreenSnapshot {
                    offset: 5,
                    data: Base64Bytes(b"\x1b[H".to_vec()),
                })),
            }),
        });
    }

    #[test]
    fn output_filled_in_place_encodes_as_output() {
        let mut direct = b"before".to_vec();
        let (offset, len) = Frame::encode_output(&mut direct, |out| {
            out.extend_from_slice(b"\x1b[1mbytes");
            42
        });
        assert_eq!((offset, len), (42, 9));
        let mut want = b"before".to_vec();
        Frame::Output {
            offset: 42,
            data: b"\x1b[1mbytes".to_vec(),
        }
        .encode(&mut want);
        assert_eq!(direct, want);
    }

    #[test]
    fn an_old_attach_request_means_bytes() {
        let req: DaemonRequest = serde_json::from_str(r#"{"op":"attach","from_offset":null}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            req,
            DaemonRequest::Attach {
                from_offset: None,
                restore: Restore::Bytes,
                changes: false,
                max_stall_ms: None,
            }
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(Frame::decode(0x7f, b"").is_err());
        assert!(Frame::decode(KIND_REQUEST, b"ab").is_err());
        assert!(Frame::decode(KIND_REQUEST, b"abcd{").is_err());
        assert!(Frame::decode(KIND_OUTPUT, b"1234567").is_err());
    }

    #[tokio::test]
    async fn streamed_frames_read_back() {
        let frames = [
            Frame::Output {
                offset: 42,
                data: b"hello".to_vec(),
            },
            Frame::Input {
                id: 3,
                data: vec![],
            },
            Frame::Exit(ExitInfo {
                exit_code: None,
                signal: Some("KILL".into()),
            }),
        ];
        let mut buf = Vec::new();
        for f in &frames {
            f.encode(&mut buf);
        }
        let mut r = &buf[..];
        for f in &frames {
            assert_eq!(read_frame(&mut r).await.unwrap().as_ref(), Some(f));
        }
        assert!(read_frame(&mut r).await.unwrap().is_none());
        // A short output frame is an error, not a panic.
        let mut short = vec![KIND_OUTPUT];
        short.extend_from_slice(&3u32.to_le_bytes());
        short.extend_from_slice(b"abc");
        assert!(read_frame(&mut &short[..]).await.is_err());
    }

    #[tokio::test]
    async fn oversized_frame_is_refused() {
        let mut data = vec![KIND_INPUT];
        data.extend_from_slice(&(u32::MAX).to_le_bytes());
        let err = read_frame(&mut &data[..]).await.unwrap_err();
        assert!(err.to_string().contains("exceeds"));
        assert!(read_frame(&mut &b""[..]).await.unwrap().is_none());
        // A stream cut inside a header is an error, not a clean end.
        assert!(read_frame(&mut &[KIND_INPUT, 1, 0][..]).await.is_err());
    }
}

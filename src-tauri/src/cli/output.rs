//! How commands print: plain text for people, or `{"ok":true,"data":…}` /
//! `{"ok":false,"error":{"code","message","details"?}}` with `--json` (the engine's `ErrorReport`:
//! the same error data the window gets).
//!
//! An error's text may quote an agent or a server, so in text mode it is printed with control
//! characters made visible ([`visible_lines`]).
//!
//! The commands that follow a session (`attach`, `read --follow`) print it through one
//! [`SessionSink`].

use std::io::Write;

use outpost_protocol::Base64Bytes;
use serde::Serialize;

use crate::engine::live::stay_attached::{AttachSink, ConnectionState};
use crate::engine::ssh::visible_lines;
use crate::engine::EngineError;

/// The output mode of one invocation.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// Print JSON envelopes.
    pub json: bool,
}

impl Output {
    /// Prints a command's result: `text` for people, `data` as JSON.
    pub fn ok<T: Serialize>(&self, data: &T, text: impl FnOnce() -> String) {
        // A closed pipe (`outpost … | head`) is not an error worth a panic.
        let mut o = std::io::stdout().lock();
        if self.json {
            let _ = writeln!(o, "{}", serde_json::json!({"ok": true, "data": data}));
        } else {
            let t = text();
            if !t.is_empty() {
                let _ = writeln!(o, "{t}");
            }
        }
        let _ = o.flush();
    }

    /// Prints an error (to stdout as JSON with `--json`, else to stderr).
    pub fn error(&self, e: &EngineError) {
        if self.json {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"ok": false, "error": e.report()})
            );
        } else {
            eprintln!("outpost: {}", visible_lines(&e.to_string()));
        }
    }
}

/// Where a session followed by `attach` or `read --follow` goes.
#[derive(Clone, Copy, Debug)]
pub enum SessionSink {
    /// This terminal, in raw mode (`attach`): bytes and screen snapshots as they are, gaps and
    /// reconnects as highlighted `[outpost] …` lines between the session's own.
    Terminal,
    /// A reader of the stream (`read --follow`): bytes raw, or one
    /// `{"offset","data"}` (base64) line each with `--json`; snapshots skipped; gaps and
    /// reconnects as `outpost: …` lines on stderr.
    Reader(Output),
}

impl SessionSink {
    /// Tells `text` on stderr.
    fn tell(&self, text: &str) {
        match self {
            SessionSink::Terminal => eprint!("\r\n\x1b[7m[outpost] {text}\x1b[0m\r\n"),
            SessionSink::Reader(_) => eprintln!("outpost: {text}"),
        }
    }
}

impl AttachSink for SessionSink {
    fn output(&mut self, offset: u64, data: &[u8]) {
        match self {
            SessionSink::Reader(out) if out.json => out.ok(
                &serde_json::json!({"offset": offset, "data": Base64Bytes(data.to_vec())}),
                String::new,
            ),
            _ => {
                // A closed pipe (`outpost read --follow … | head`) is not an error worth a panic.
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(data);
                let _ = o.flush();
            }
        }
    }

    fn gap(&mut self, from: u64, to: u64) {
        let n = to - from;
        let text = match self {
            SessionSink::Terminal => {
                format!("{n} bytes of output were no longer held and are missing here")
            }
            SessionSink::Reader(_) => {
                format!("{n} bytes of output ({from}..{to}) were no longer held")
            }
        };
        self.tell(&text);
    }

    /// A screen snapshot is drawn on a terminal; a reader of the stream skips it.
    fn snapshot(&mut self, offset: u64, data: &[u8]) {
        if let SessionSink::Terminal = self {
            self.output(offset, data);
        }
    }

    fn state(&mut self, state: &ConnectionState) {
        if let ConnectionState::Reconnecting {
            attempt,
            retry_in,
            reason,
        } = state
        {
            self.tell(&format!(
                "{reason}; reconnecting in {:.1} s (attempt {attempt})",
                retry_in.as_secs_f64()
            ));
        }
    }
}

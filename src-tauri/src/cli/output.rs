//! How commands print: plain text for people, or `{"ok":true,"data":…}` /
//! `{"ok":false,"error":{"code","message","details"?}}` with `--json` (the engine's `ErrorReport`:
//! the same error data the window gets).
//!
//! An error's text may quote an agent or a server, so in text mode it is printed with control
//! characters made visible ([`visible_lines`]).

use std::io::Write;

use serde::Serialize;

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

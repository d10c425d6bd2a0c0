//! `outpost read HOST SESSION --follow`: print the held output, then new output as it comes,
//! until the session exits or Ctrl-C / SIGTERM (like `tail -f`), following across lost
//! connections with the engine's one follow loop (nothing twice, gaps told on stderr).
//!
//! Text mode writes the bytes raw, as `read` does; `--json` prints one line per chunk,
//! `{"ok":true,"data":{"offset","data"}}` (base64), and a last line with the exit when the
//! session ends.

use std::io::Write;

use outpost_protocol::Base64Bytes;
use tokio::sync::mpsc;

use super::output::Output;
use crate::engine::live::stay_attached::{
    run_attached, AttachEnd, AttachSink, ConnectionState, InputEvent,
};
use crate::engine::store::hosts::HostStore;
use crate::engine::{EngineContext, EngineError};

struct FollowSink {
    json: Output,
}

impl AttachSink for FollowSink {
    fn output(&mut self, offset: u64, data: &[u8]) {
        if self.json.json {
            self.json.ok(
                &serde_json::json!({"offset": offset, "data": Base64Bytes(data.to_vec())}),
                String::new,
            );
        } else {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(data);
            let _ = o.flush();
        }
    }

    fn gap(&mut self, from: u64, to: u64) {
        eprintln!(
            "outpost: {} bytes of output ({from}..{to}) were no longer held",
            to - from
        );
    }

    /// A screen snapshot is for terminals that attach; a reader of the stream skips it.
    fn snapshot(&mut self, _offset: u64, _data: &[u8]) {}

    fn state(&mut self, state: &ConnectionState) {
        if let ConnectionState::Reconnecting {
            attempt,
            retry_in,
            reason,
        } = state
        {
            eprintln!(
                "outpost: {reason}; reconnecting in {:.1} s (attempt {attempt})",
                retry_in.as_secs_f64()
            );
        }
    }
}

/// Runs `read --follow`; exits 0 when stopped or when the session ends.
pub async fn follow(
    host: &str,
    session: &str,
    from: Option<u64>,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let host = HostStore::load(&ctx.config_dir)?.get(host)?;
    let (tx, mut rx) = mpsc::channel::<InputEvent>(4);
    super::attach::detach_on_interrupt(tx);
    let mut sink = FollowSink { json: out };
    match run_attached(&host, ctx, session, from, None, &mut rx, &mut sink).await? {
        AttachEnd::Detached(_) => {}
        AttachEnd::Exited(exit) => {
            if out.json {
                out.ok(&serde_json::json!({ "exit": exit }), String::new);
            }
        }
    }
    Ok(0)
}

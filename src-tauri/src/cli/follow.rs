//! `outpost read HOST SESSION --follow`: print the held output, then new output as it comes,
//! until the session exits or Ctrl-C / SIGTERM (like `tail -f`), following across lost
//! connections with the engine's one follow loop (nothing twice, gaps told on stderr).
//!
//! Text mode writes the bytes raw, as `read` does; `--json` prints one line per chunk,
//! `{"ok":true,"data":{"offset","data"}}` (base64), and a last line with the exit when the
//! session ends.

use tokio::sync::mpsc;

use super::output::{Output, SessionSink};
use crate::engine::live::stay_attached::{run_attached, AttachEnd, InputEvent};
use crate::engine::store::hosts::HostStore;
use crate::engine::{EngineContext, EngineError};

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
    let mut sink = SessionSink::Reader(out);
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

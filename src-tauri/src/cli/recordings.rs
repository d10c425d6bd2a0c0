//! `outpost recordings list [HOST]` and `outpost recordings export HOST NAME FILE`: a host's
//! session recordings (asciicast v2, playable with `asciinema play FILE`), over the engine's
//! [`recordings`](crate::engine::recordings) module.

use std::path::PathBuf;

use clap::Subcommand;
use outpost_protocol::recording::RecordingInfo;

use super::commands::connect;
use super::output::Output;
use crate::engine::ssh::visible;
use crate::engine::{recordings, EngineContext, EngineError};

/// `outpost recordings …`.
#[derive(Subcommand, Debug)]
pub enum RecordingsAction {
    /// List a host's recordings, oldest first.
    List {
        /// The host (default `local`, this computer).
        #[arg(default_value = "local")]
        host: String,
        /// Only this session's recordings.
        #[arg(long)]
        session: Option<String>,
    },
    /// Copy a recording to a local file (play it with `asciinema play FILE`).
    Export {
        /// The host.
        host: String,
        /// The recording's name, as `outpost recordings list` shows it.
        name: String,
        /// Where to write it.
        file: PathBuf,
    },
}

/// Runs one `recordings` command; returns the exit code.
pub async fn run(
    action: RecordingsAction,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    match action {
        RecordingsAction::List { host, session } => {
            let conn = connect(&host, ctx).await?;
            let r = recordings::list(&conn.rpc, session.as_deref()).await;
            conn.close().await;
            let (list, truncated) = r?;
            out.ok(
                &serde_json::json!({"recordings": list, "truncated": truncated}),
                || text(&list, truncated),
            );
            Ok(0)
        }
        RecordingsAction::Export { host, name, file } => {
            let conn = connect(&host, ctx).await?;
            let r = recordings::export(&conn.rpc, &name, &file).await;
            conn.close().await;
            let bytes = r?;
            out.ok(
                &serde_json::json!({"name": name, "file": file, "bytes": bytes}),
                || format!("{bytes} bytes written to {}", file.display()),
            );
            Ok(0)
        }
    }
}

/// One line per recording: name, size, start, duration.
fn text(list: &[RecordingInfo], truncated: bool) -> String {
    let mut lines: Vec<String> = list
        .iter()
        .map(|r| {
            let duration = r
                .duration_ms
                .map_or("-".to_string(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
            format!(
                "{}\t{}\t{}\t{}",
                visible(&r.name),
                r.bytes,
                visible(&r.started),
                duration
            )
        })
        .collect();
    if truncated {
        lines.push("(older recordings not shown)".into());
    }
    lines.join("\n")
}

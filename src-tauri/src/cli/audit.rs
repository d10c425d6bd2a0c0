//! `outpost audit verify [FILE]`: checks the hash chain of the MCP server's audit log and names
//! the first line that breaks it (exit code 1), see [`crate::mcp::audit`].

use std::path::PathBuf;

use clap::Subcommand;

use super::output::Output;
use crate::engine::store::config_dir::ConfigError;
use crate::engine::{EngineContext, EngineError};
use crate::mcp::audit::{self, AuditError};

/// `outpost audit …`.
#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// Check that no line of the audit log was changed, inserted, reordered or removed (other
    /// than at its end); names the first bad line and exits 1 when one is.
    Verify {
        /// The log (default: audit.jsonl in the configuration directory).
        file: Option<PathBuf>,
    },
}

impl From<AuditError> for EngineError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Io { what, path, source } => {
                EngineError::Config(ConfigError::Io { what, path, source })
            }
            other => EngineError::Usage(other.to_string()),
        }
    }
}

/// Runs `outpost audit ACTION`; returns the exit code.
pub fn run(action: AuditAction, out: Output, ctx: &EngineContext) -> Result<i32, EngineError> {
    let AuditAction::Verify { file } = action;
    let path = file.unwrap_or_else(|| crate::mcp::default_audit_path(&ctx.config_dir));
    match audit::verify(&path)? {
        Ok(v) => {
            out.ok(&v, || {
                format!(
                    "{}: {} lines, chain intact (last line's SHA-256 {})",
                    path.display(),
                    v.lines,
                    v.last_hash
                )
            });
            Ok(0)
        }
        Err(bad) => {
            if out.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "error": {
                        "code": "audit_chain_broken",
                        "message": format!("{}: {bad}", path.display()),
                        "details": bad,
                    }})
                );
            } else {
                eprintln!("outpost: {}: chain broken at {bad}", path.display());
            }
            Ok(1)
        }
    }
}

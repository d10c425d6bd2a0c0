//! `outpost mcp`: a Model Context Protocol server on standard input and output, for AI agents,
//! over the same engine as the command line and the window (see docs/mcp.md).
//!
//! | piece | file |
//! |---|---|
//! | the server: shared connections, policy and audit around every tool call | [`server`] |
//! | the tools, by what they act on | [`tools`] |
//! | the tools' parameters and their JSON schemas | [`params`], [`file_params`], [`forward_params`] |
//! | answers and errors as structured data | [`reply`] |
//! | the user's policy (`policy.json`): hosts, read-only, command patterns, tools | [`policy`] |
//! | the hash-chained audit log and its check | [`audit`] |
//! | what of the arguments the log keeps | [`redact`] |
//! | terminal output as plain text | `outpost_protocol::text` (the agent's own, feature `text`) |
//!
//! Standard output carries only the protocol; logs go to standard error (`OUTPOST_LOG`).
//! Sessions live in the hosts' agents, so they outlive the server: a new server lists and
//! drives them again.

pub mod audit;
pub mod file_params;
pub mod forward_params;
pub mod params;
pub mod policy;
pub mod redact;
pub mod reply;
pub mod server;
pub mod tools;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rmcp::ServiceExt;

use crate::engine::live::connections::Connections;
use crate::engine::ssh::AutoPrompter;
use crate::engine::EngineContext;

/// How `outpost mcp` was started.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The policy file (default: `policy.json` in the configuration directory).
    pub policy: Option<PathBuf>,
    /// The audit log (default: `audit.jsonl` in the configuration directory).
    pub audit: Option<PathBuf>,
    /// Trust host keys seen for the first time (saved), as `--accept-new-host-key`.
    pub accept_new_host_key: bool,
}

/// The default audit log of a configuration directory.
pub fn default_audit_path(config_dir: &std::path::Path) -> PathBuf {
    config_dir.join(audit::AUDIT_FILE)
}

/// Serves MCP on stdio until the client closes it.
pub async fn serve(ctx: &EngineContext, options: Options) -> anyhow::Result<()> {
    let policy_path = options
        .policy
        .unwrap_or_else(|| ctx.config_dir.join(policy::POLICY_FILE));
    let policy = policy::Policy::load(&policy_path).context("loading the MCP policy")?;
    let audit_path = options
        .audit
        .unwrap_or_else(|| default_audit_path(&ctx.config_dir));
    let audit = audit::AuditLog::open(&audit_path).context("opening the audit log")?;
    // Nobody can answer a question on stdio: unknown host keys are refused (or accepted when
    // asked to) and secrets come from the ssh-agent and key files only.
    let prompter = AutoPrompter::new().accept_new_host_key(options.accept_new_host_key);
    let conns = Connections::new(EngineContext::new(
        ctx.config_dir.clone(),
        Arc::new(prompter),
    ));
    tracing::info!(
        policy = %policy_path.display(),
        audit = %audit_path.display(),
        "MCP server starting"
    );
    let server = server::OutpostMcp::new(conns.clone(), policy, audit);
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session")?;
    let reason = running.waiting().await;
    tracing::info!(?reason, "MCP server stopping");
    conns.shutdown().await;
    Ok(())
}

/// `outpost mcp`: serves, and reports a failure on standard error; returns the exit code.
pub async fn run(ctx: &EngineContext, options: Options) -> i32 {
    match serve(ctx, options).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("outpost mcp: {e:#}");
            1
        }
    }
}

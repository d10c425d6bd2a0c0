//! The `policy` tool: shows the rules in force and changes them for the life of the server,
//! only as far as the policy file's `runtime_changes` allows.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use serde_json::json;

use crate::mcp::params::PolicyParams;
use crate::mcp::policy::Change;
use crate::mcp::reply::{self, Failure};
use crate::mcp::server::OutpostMcp;

#[tool_router(router = policy_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// Show the user's policy for this server (allowed hosts, read-only hosts, denied and
    /// allowed command patterns, disabled tools), or change it until the server exits: make a
    /// host read-only, deny more commands, disable tools. The policy file decides what may be
    /// changed (`runtime_changes`: none, tighten or any); a refused change names the rule.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        open_world_hint = false
    ))]
    async fn policy(&self, Parameters(p): Parameters<PolicyParams>) -> CallToolResult {
        if let Some(t) = p
            .disable_tools
            .iter()
            .chain(&p.enable_tools)
            .find(|t| !self.knows_tool(t))
        {
            return reply::error(&Failure::Invalid(format!("there is no tool named {t:?}")));
        }
        let change = Change {
            host: p.host,
            read_only: p.read_only,
            add_deny_commands: p.add_deny_commands,
            remove_deny_commands: p.remove_deny_commands,
            disable_tools: p.disable_tools,
            enable_tools: p.enable_tools,
        };
        let changed = self.with_policy_mut(|policy| {
            let changed = !change.is_empty();
            if changed {
                policy.change(&change)?;
            }
            Ok::<_, Failure>(json!({"changed": changed, "policy": policy.current()}))
        });
        reply::result(changed)
    }
}

//! Tools about hosts: which there are, whether one answers, and its load.

use outpost_protocol::method;
use outpost_protocol::monitor::{MonitorTarget, SnapshotParams};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use serde_json::json;

use crate::engine::store::hosts::HostStore;
use crate::mcp::params::{HostParams, MonitorParams, NoParams};
use crate::mcp::reply::{self, Failure};
use crate::mcp::server::OutpostMcp;

#[tool_router(router = host_tools, vis = "pub(crate)")]
impl OutpostMcp {
    /// List the hosts this server may use: `local` (this computer) and the saved hosts, with
    /// their address, jump hosts, and whether the user's policy makes them read-only. Hosts the
    /// policy does not allow are left out.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn hosts_list(&self, Parameters(_): Parameters<NoParams>) -> CallToolResult {
        let listed = HostStore::load(&self.conns().context().config_dir).map(|s| s.list());
        reply::result(match listed {
            Ok(hosts) => Ok(json!({
                "hosts": hosts
                    .iter()
                    .filter(|h| self.check_host(&h.name).is_ok())
                    .map(|h| {
                        let read_only = self.with_policy(|p| p.read_only_rule(&h.name).is_some());
                        if h.is_local() {
                            json!({"name": h.name, "local": true, "read_only": read_only})
                        } else {
                            json!({
                                "name": h.name,
                                "hostname": h.hostname,
                                "port": h.port,
                                "user": h.user,
                                "jump": h.proxy_jump,
                                "read_only": read_only,
                            })
                        }
                    })
                    .collect::<Vec<_>>()
            })),
            Err(e) => Err(Failure::Engine(e.into())),
        })
    }

    /// Connect to a host (starting or deploying its Outpost agent when needed) and report its
    /// name, platform, user, agent version and latency. Use it to see whether a host answers.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn host_check(&self, Parameters(p): Parameters<HostParams>) -> CallToolResult {
        let checked = async {
            self.check_host(&p.host)?;
            Ok::<_, Failure>(self.conns().connection(&p.host).await?.info.clone())
        };
        reply::result(checked.await)
    }

    /// One sample of a host's load (CPU, memory, load average, network, disks, processes), or
    /// of the target of an ssh session on it.
    #[tool(annotations(read_only_hint = true, open_world_hint = true))]
    async fn monitor_snapshot(&self, Parameters(p): Parameters<MonitorParams>) -> CallToolResult {
        let target = match p.session_id {
            Some(session_id) => MonitorTarget::Session { session_id },
            None => MonitorTarget::Agent,
        };
        let sampled = async {
            let rpc = self.rpc(&p.host).await?;
            let r = rpc
                .call::<method::MonitorSnapshot>(SnapshotParams { target })
                .await?;
            Ok::<_, Failure>(r.sample)
        };
        reply::result(sampled.await)
    }
}

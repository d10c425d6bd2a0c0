//! The local host ("This computer"): the agent binary started over pipes, no SSH.

use std::process::Stdio;

use crate::engine::agent::bin::{self as agent_bin, Platform};
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::EngineError;

/// A running local agent.
pub struct LocalAgent {
    /// The client speaking to it.
    pub rpc: RpcClient,
    child: tokio::process::Child,
}

impl LocalAgent {
    /// Starts `outpost-agent serve --stdio` locally.
    pub fn start() -> Result<LocalAgent, EngineError> {
        let bin = agent_bin::find(&Platform::current())?;
        let mut child = tokio::process::Command::new(&bin)
            .args(["serve", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| EngineError::Agent(format!("cannot start {}: {e}", bin.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(EngineError::Agent("the local agent has no pipes".into()));
        };
        Ok(LocalAgent {
            rpc: RpcClient::start(stdout, stdin),
            child,
        })
    }

    /// The agent process's id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the agent (sessions keep running in their daemons).
    pub async fn stop(mut self) {
        drop(self.rpc);
        // Closing stdin ends the agent; give it a moment, then make sure.
        let wait = tokio::time::timeout(std::time::Duration::from_secs(2), self.child.wait());
        if wait.await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

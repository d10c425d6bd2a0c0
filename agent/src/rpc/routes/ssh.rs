//! `ssh.hosts`: the `Host` aliases of the agent user's `~/.ssh/config`.

use outpost_protocol::method::SshHosts;
use outpost_protocol::ssh_hosts::{SshHostsParams, SshHostsResult};
use outpost_protocol::{ErrorCode, ErrorObject};

use super::{Context, Handler};
use crate::ssh::hosts;

impl Handler for SshHosts {
    async fn handle(_: &Context, _: SshHostsParams) -> Result<SshHostsResult, ErrorObject> {
        let listed = tokio::task::spawn_blocking(|| hosts::list(&hosts::home_dir()?))
            .await
            .map_err(|e| ErrorObject::new(ErrorCode::InternalError, e.to_string()))?;
        Ok(listed?)
    }
}

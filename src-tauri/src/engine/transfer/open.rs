//! Opening a [`RemoteFs`] for a [`RemotePath`]: an SSH connection to the saved host (the same
//! resolution, host keys and credentials as every other connection), then SFTP on it. For a
//! session's target the host's agent is asked first where the session's ControlMaster is
//! (`session.ssh_control`); SFTP then runs through it ([`RemoteFs::target`]).

use std::sync::Arc;

use outpost_protocol::method;
use outpost_protocol::session::SessionRef;

use super::path::RemotePath;
use super::remote::RemoteFs;
use crate::engine::agent::connect::Connection;
use crate::engine::ssh::SshSession;
use crate::engine::store::hosts::HostStore;
use crate::engine::store::targets;
use crate::engine::{EngineContext, EngineError};

/// An open [`RemoteFs`] and the connection under it; [`Opened::close`] ends both.
pub struct Opened {
    /// The file system.
    pub fs: RemoteFs,
    ssh: Arc<SshSession>,
}

impl Opened {
    /// Ends the SFTP session and the SSH connection.
    pub async fn close(self) {
        let Opened { fs, ssh } = self;
        drop(fs);
        if let Ok(ssh) = Arc::try_unwrap(ssh) {
            ssh.disconnect().await;
        }
    }
}

/// Connects to `at.host` and opens its file system (or, with a session, the session's target's).
pub async fn open(at: &RemotePath, ctx: &EngineContext) -> Result<Opened, EngineError> {
    let store = HostStore::load(&ctx.config_dir)?;
    let host = store.get(&at.host)?;
    if host.is_local() {
        return Err(EngineError::Usage(
            "`local` is this computer: write its paths without a host".into(),
        ));
    }
    // A session's target: where its ControlMaster is, from the agent.
    let control = match &at.session {
        Some(session) => {
            let conn = Connection::open(&host, ctx).await?;
            let r = conn
                .rpc
                .call::<method::SessionSshControl>(SessionRef {
                    session_id: session.clone(),
                })
                .await;
            conn.close().await;
            Some(r?)
        }
        None => None,
    };
    let target = targets::ssh_target(&host, &store)?;
    let ssh = Arc::new(
        SshSession::connect(
            &target,
            &ctx.known_hosts,
            ctx.prompter.clone(),
            &ctx.credentials,
        )
        .await?,
    );
    let fs = match control {
        Some(c) => RemoteFs::target(ssh.clone(), c.control_path, c.host, at.label()).await?,
        None => RemoteFs::host(ssh.clone(), at.label()).await?,
    };
    Ok(Opened { fs, ssh })
}

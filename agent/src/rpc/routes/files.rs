//! `session.ssh_control`: an `ssh` session's ControlMaster socket and target, read from the
//! session's checked metadata, for a desktop that reaches the target through it (file
//! transfer: `ssh -S <socket> -s -- <host> sftp`). The host and user are validated again as
//! they are read back from disk; a session that is not an `ssh` session is refused.

use outpost_openssh::names;
use outpost_protocol::files::SshControlResult;
use outpost_protocol::method::SessionSshControl;
use outpost_protocol::session::SessionRef;
use outpost_protocol::{ErrorCode, ErrorObject};

use super::{Context, Handler};

impl Handler for SessionSshControl {
    async fn handle(cx: &Context, p: SessionRef) -> Result<SshControlResult, ErrorObject> {
        let meta = cx.registry.meta(&p.session_id)?;
        let invalid = |m: String| ErrorObject::new(ErrorCode::InvalidParams, m);
        let ssh = meta
            .ssh
            .ok_or_else(|| invalid(format!("session {} is not an ssh session", p.session_id)))?;
        names::check_host(&ssh.host).map_err(|e| invalid(format!("ssh {e}")))?;
        if let Some(u) = &ssh.user {
            names::check_user(u).map_err(|e| invalid(format!("ssh {e}")))?;
        }
        Ok(SshControlResult {
            control_path: ssh.control_path.to_string_lossy().into_owned(),
            host: ssh.host,
            user: ssh.user,
            port: ssh.port,
        })
    }
}

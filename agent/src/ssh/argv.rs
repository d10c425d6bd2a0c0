//! `ssh` sessions: validating what the client asked for and building OpenSSH's argv.
//!
//! Nothing here goes through a shell: the argv is passed to `execve` as is. Every value that
//! could be read as an option by `ssh` is refused, and `--` ends the options before the host, so
//! the only text a shell ever reads is the remote command the user typed (run by the remote
//! shell, as with plain `ssh`).

use std::path::{Path, PathBuf};

use outpost_openssh::master::MASTER_ONLY;
use outpost_openssh::names;
use outpost_protocol::session::SshSpec;
use outpost_protocol::{ErrorCode, ErrorObject};

/// Keepalives added unless the client sets them: a dead link is noticed within ~45 s.
const DEFAULT_OPTIONS: &[(&str, &str)] =
    &[("ServerAliveInterval", "15"), ("ServerAliveCountMax", "3")];

/// Options Outpost sets itself (the per-session ControlMaster); a client may not override them.
const RESERVED_OPTIONS: &[&str] = &["controlmaster", "controlpath", "controlpersist"];

fn invalid(msg: String) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, msg)
}

/// Checks an ssh spec; -32602 for anything that could inject options or commands. Host and user
/// names follow OpenSSH 9.6's rules ([`names`]): older clients expand `%h`/`%r` into commands
/// a shell runs.
pub fn validate(spec: &SshSpec) -> Result<(), ErrorObject> {
    names::check_host(&spec.host).map_err(|e| invalid(format!("ssh {e}")))?;
    if let Some(u) = &spec.user {
        names::check_user(u).map_err(|e| invalid(format!("ssh {e}")))?;
    }
    if spec.port == Some(0) {
        return Err(invalid("ssh port must be 1..=65535".into()));
    }
    if let Some(i) = &spec.identity_file {
        if i.is_empty() || i.starts_with('-') || i.chars().any(char::is_control) {
            return Err(invalid(format!(
                "ssh identity_file {i:?} is not allowed: it must be a path without control characters"
            )));
        }
    }
    for (name, value) in &spec.options {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid(format!(
                "ssh option name {name:?} is not allowed: option names are plain words (letters and digits)"
            )));
        }
        if RESERVED_OPTIONS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(invalid(format!(
                "ssh option {name} is managed by Outpost (each session has its own ControlMaster)"
            )));
        }
        if value.chars().any(|c| c == '\n' || c == '\r' || c == '\0') {
            return Err(invalid(format!(
                "ssh option {name}: values may not hold newlines or NUL"
            )));
        }
    }
    if let Some(c) = &spec.remote_command {
        if c.contains('\0') {
            return Err(invalid("ssh remote_command may not contain NUL".into()));
        }
    }
    Ok(())
}

/// Finds OpenSSH's client in `PATH`.
pub fn find_ssh() -> Result<PathBuf, ErrorObject> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join("ssh"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            ErrorObject::new(
                ErrorCode::SessionCreateFailed,
                "no OpenSSH client (ssh) is installed on this host; install it (e.g. apt-get install openssh-client)",
            )
        })
}

/// The argv after the program: `-tt`, the ControlMaster, the client's options, keepalives, the
/// agent (the relay beside the ControlMaster, when the agent runs under sshd), port, user,
/// identity, `--`, the host and the optional remote command.
pub fn argv(spec: &SshSpec, control_path: &Path) -> Vec<String> {
    let relay = control_path
        .parent()
        .filter(|_| crate::relay::under_sshd())
        .map(crate::relay::client_socket_in);
    argv_with(spec, control_path, relay.as_deref())
}

/// [`argv`] with the agent relay's socket given (`None`: the environment's agent).
fn argv_with(spec: &SshSpec, control_path: &Path, relay: Option<&Path>) -> Vec<String> {
    let mut a: Vec<String> = vec!["-tt".into()];
    let opt = |a: &mut Vec<String>, k: &str, v: &str| {
        a.push("-o".into());
        a.push(format!("{k}={v}"));
    };
    // ssh takes the first value it sees for each option: Outpost's ControlMaster first, then the
    // client's options, then the defaults they did not override.
    opt(&mut a, "ControlMaster", "auto");
    opt(&mut a, "ControlPath", &control_path.to_string_lossy());
    opt(&mut a, "ControlPersist", "no");
    for (k, v) in &spec.options {
        opt(&mut a, k, v);
    }
    let client_sets = |k: &str| spec.options.keys().any(|o| o.eq_ignore_ascii_case(k));
    for (k, v) in DEFAULT_OPTIONS {
        if !client_sets(k) {
            opt(&mut a, k, v);
        }
    }
    // The agent is the relay (the forwarded agent of whichever desktop is attached), for this
    // `ssh` and the ControlMaster it is; onward forwarding, when asked for, points at it too.
    if let Some(relay) = relay.map(Path::to_string_lossy) {
        if !client_sets("IdentityAgent") {
            opt(&mut a, "IdentityAgent", &relay);
        }
    }
    if spec.forward_agent && !client_sets("ForwardAgent") {
        match relay.map(Path::to_string_lossy) {
            Some(relay) => opt(&mut a, "ForwardAgent", &relay),
            None => opt(&mut a, "ForwardAgent", "yes"),
        }
    }
    push_port_user(&mut a, spec);
    if let Some(i) = &spec.identity_file {
        a.push("-i".into());
        a.push(i.clone());
    }
    a.push("--".into());
    a.push(spec.host.clone());
    if let Some(c) = &spec.remote_command {
        a.push(c.clone());
    }
    a
}

/// Adds `-p PORT` and `-l USER` when the spec has them.
fn push_port_user(a: &mut Vec<String>, spec: &SshSpec) {
    if let Some(p) = spec.port {
        a.push("-p".into());
        a.push(p.to_string());
    }
    if let Some(u) = &spec.user {
        a.push("-l".into());
        a.push(u.clone());
    }
}

/// The argv that runs the monitoring probe (`sh -s`, script on stdin) through the session's
/// ControlMaster only ([`MASTER_ONLY`]): no prompt, and no new connection if the master is gone.
pub fn probe_argv(spec: &SshSpec, control_path: &Path) -> Vec<String> {
    let mut a: Vec<String> = vec!["-T".into()];
    a.extend(MASTER_ONLY.map(String::from));
    a.extend([
        "-o".into(),
        "ConnectTimeout=5".into(),
        "-o".into(),
        format!("ControlPath={}", control_path.to_string_lossy()),
    ]);
    push_port_user(&mut a, spec);
    a.push("--".into());
    a.push(spec.host.clone());
    a.push("exec sh -s".into());
    a
}

/// The argv of `ssh -O check` for the session's ControlMaster.
pub fn check_argv(spec: &SshSpec, control_path: &Path) -> Vec<String> {
    let mut a = vec![
        "-o".into(),
        format!("ControlPath={}", control_path.to_string_lossy()),
        "-O".into(),
        "check".into(),
    ];
    push_port_user(&mut a, spec);
    a.push("--".into());
    a.push(spec.host.clone());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(host: &str) -> SshSpec {
        SshSpec {
            host: host.into(),
            ..Default::default()
        }
    }

    #[test]
    fn refuses_injection() {
        for bad in [
            "-oProxyCommand=sh",
            "a b",
            "a\nb",
            "a\0b",
            "",
            "x\t",
            "x$(id)",
            "x;id",
            "x`id`",
            "x|id",
        ] {
            assert_eq!(validate(&spec(bad)).unwrap_err().code, -32602, "{bad:?}");
            let mut s = spec("ok");
            s.user = Some(bad.into());
            assert_eq!(validate(&s).unwrap_err().code, -32602, "user {bad:?}");
        }
        for bad_name in ["Proxy-Command", "a b", "", "X=Y", "-o"] {
            let mut s = spec("ok");
            s.options.insert(bad_name.into(), "v".into());
            assert!(validate(&s).is_err(), "{bad_name:?}");
        }
        let mut s = spec("ok");
        s.options
            .insert("ProxyCommand".into(), "nc %h %p\nHost *".into());
        assert!(validate(&s).is_err());
        let mut s = spec("ok");
        s.options.insert("controlpath".into(), "/tmp/x".into());
        assert!(validate(&s).is_err());
        let mut s = spec("ok");
        s.identity_file = Some("-F/etc/passwd".into());
        assert!(validate(&s).is_err());
        assert!(validate(&spec("db.internal")).is_ok());
    }

    #[test]
    fn builds_argv_without_a_shell() {
        let mut s = spec("db");
        s.port = Some(2222);
        s.user = Some("ann".into());
        s.identity_file = Some("/k/id".into());
        s.options.insert("ServerAliveInterval".into(), "5".into());
        s.remote_command = Some("echo $HOME; ls".into());
        let a = argv(&s, Path::new("/run/x.cm"));
        let joined = a.join(" ");
        assert!(joined.starts_with("-tt -o ControlMaster=auto -o ControlPath=/run/x.cm -o ControlPersist=no -o ServerAliveInterval=5 -o ServerAliveCountMax=3"), "{joined}");
        assert_eq!(joined.matches("ServerAliveInterval").count(), 1);
        assert!(
            joined.ends_with("-p 2222 -l ann -i /k/id -- db echo $HOME; ls"),
            "{joined}"
        );
        assert_eq!(a.last().map(String::as_str), Some("echo $HOME; ls"));
    }

    #[test]
    fn the_probe_rides_the_master_only() {
        let mut s = spec("db");
        s.port = Some(2222);
        s.user = Some("ann".into());
        let a = probe_argv(&s, Path::new("/run/x.cm"));
        assert_eq!(
            a.join(" "),
            "-T -o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false \
             -o ConnectTimeout=5 -o ControlPath=/run/x.cm -p 2222 -l ann -- db exec sh -s"
        );
        assert_eq!(a.last().map(String::as_str), Some("exec sh -s"));
    }

    #[test]
    fn the_agent_is_the_relay_and_forwarding_is_asked_for() {
        let mut s = spec("db");
        let cm = Path::new("/run/o/d1/x.cm");
        let relay = Some(Path::new("/run/o/d1/agent.sock"));
        let a = argv_with(&s, cm, relay).join(" ");
        assert!(a.contains("-o IdentityAgent=/run/o/d1/agent.sock"), "{a}");
        assert!(!a.contains("ForwardAgent"), "{a}");
        s.forward_agent = true;
        let a = argv_with(&s, cm, relay).join(" ");
        assert!(a.contains("-o ForwardAgent=/run/o/d1/agent.sock"), "{a}");
        // Not under sshd: the environment's agent, forwarded as is.
        let a = argv_with(&s, cm, None).join(" ");
        assert!(!a.contains("IdentityAgent"), "{a}");
        assert!(a.contains("-o ForwardAgent=yes"), "{a}");
        // The client's own choice wins.
        s.options.insert("identityagent".into(), "none".into());
        let a = argv_with(&s, cm, relay).join(" ");
        assert_eq!(
            a.matches("IdentityAgent").count() + a.matches("identityagent").count(),
            1,
            "{a}"
        );
    }
}

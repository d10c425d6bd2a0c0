//! What a forward is: `-L [bind:]PORT:DEST:DPORT` (a desktop port to a destination reached from
//! the jump host), `-D [bind:]PORT` (a SOCKS5 server on the desktop) or
//! `-R [bind:]PORT:DEST:DPORT` (a port on the jump host to a destination reached from the
//! desktop), parsed as OpenSSH spells them (IPv6 addresses in brackets), bounded and checked, and
//! written back in the same spelling.

use serde::{Deserialize, Serialize};

use super::error::ForwardError;

/// The address a forward listens on when the spelling names none: loopback only, like
/// OpenSSH's `GatewayPorts no`.
pub const DEFAULT_BIND: &str = "127.0.0.1";

/// The address a `-R` forward asks the host to listen on when the spelling names none: what
/// OpenSSH's `ssh -R` sends, which `sshd` binds to loopback (unless its `GatewayPorts` says
/// otherwise).
pub const DEFAULT_REMOTE_BIND: &str = "localhost";

/// A `-R` bind address meaning every address of the host (`-R *:PORT:…` or `-R :PORT:…`);
/// sent to `sshd` as the empty string, as OpenSSH does. `sshd` honours it only with
/// `GatewayPorts clientspecified` (with `no` it binds loopback, with `yes` every address).
pub const ALL_ADDRESSES: &str = "*";

/// The longest destination host name accepted (DNS's limit).
pub const MAX_HOST_LEN: usize = 253;

/// One forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ForwardSpec {
    /// `-L`: connections to `bind:port` on the desktop go to `dest_host:dest_port` as the jump
    /// host reaches it.
    Local {
        /// The desktop address to listen on.
        bind: String,
        /// The desktop port (0: any free port).
        port: u16,
        /// The destination, as the jump host resolves it.
        dest_host: String,
        /// The destination port.
        dest_port: u16,
    },
    /// `-D`: a SOCKS5 server on the desktop; each request's destination is reached from the
    /// jump host.
    Dynamic {
        /// The desktop address to listen on.
        bind: String,
        /// The desktop port (0: any free port).
        port: u16,
    },
    /// `-R`: the jump host listens on `bind:port`; each connection there is carried back to the
    /// desktop, which connects to `dest_host:dest_port` as the desktop reaches it.
    Remote {
        /// The address the jump host listens on: [`DEFAULT_REMOTE_BIND`], [`ALL_ADDRESSES`] or
        /// an IP address (`sshd`'s `GatewayPorts` decides what it binds).
        bind: String,
        /// The jump host's port (0: the server picks one; the forward then holds the port it
        /// picked).
        port: u16,
        /// The destination, as the desktop resolves it.
        dest_host: String,
        /// The destination port.
        dest_port: u16,
    },
}

impl ForwardSpec {
    /// Parses `-L`'s argument: `[bind:]PORT:DEST:DPORT`.
    pub fn parse_local(text: &str) -> Result<ForwardSpec, ForwardError> {
        parse_with_dest(text, false)
    }

    /// Parses `-D`'s argument: `[bind:]PORT`.
    pub fn parse_dynamic(text: &str) -> Result<ForwardSpec, ForwardError> {
        let invalid = |reason: &str| ForwardError::Invalid {
            spec: text.chars().take(300).collect(),
            reason: reason.into(),
        };
        let parts = split(text).ok_or_else(|| invalid("unbalanced brackets"))?;
        let (bind, port) = match parts.as_slice() {
            [p] => (DEFAULT_BIND.to_string(), p),
            [b, p] => (bind_or_default(b), p),
            _ => return Err(invalid("expected [bind:]PORT")),
        };
        let spec = ForwardSpec::Dynamic {
            bind,
            port: port_of(port).ok_or_else(|| invalid("the port is not 0-65535"))?,
        };
        spec.check().map_err(|r| invalid(&r))?;
        Ok(spec)
    }

    /// Parses `-R`'s argument: `[bind:]PORT:DEST:DPORT` (an empty or `*` bind: every address).
    pub fn parse_remote(text: &str) -> Result<ForwardSpec, ForwardError> {
        parse_with_dest(text, true)
    }

    /// Checks the fields (also of a spec read from disk).
    pub fn check(&self) -> Result<(), String> {
        let (bind, dest) = match self {
            ForwardSpec::Local {
                bind, dest_host, ..
            } => (bind, Some(dest_host)),
            ForwardSpec::Dynamic { bind, .. } => (bind, None),
            ForwardSpec::Remote {
                bind, dest_host, ..
            } => (bind, Some(dest_host)),
        };
        let all = self.is_remote() && bind == ALL_ADDRESSES;
        if !all && bind.parse::<std::net::IpAddr>().is_err() && bind != "localhost" {
            return Err(format!(
                "bind address {:?} is not an IP address or localhost",
                bind.chars().take(64).collect::<String>()
            ));
        }
        if let Some(d) = dest {
            if d.is_empty() || d.len() > MAX_HOST_LEN {
                return Err(format!("destination host must be 1-{MAX_HOST_LEN} bytes"));
            }
            if d.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err("destination host has spaces or control characters".into());
            }
        }
        Ok(())
    }

    /// The address and port to listen on (for `-R`: on the jump host).
    pub fn listen(&self) -> (&str, u16) {
        match self {
            ForwardSpec::Local { bind, port, .. }
            | ForwardSpec::Dynamic { bind, port }
            | ForwardSpec::Remote { bind, port, .. } => (bind, *port),
        }
    }

    /// True for `-R`, whose listener is on the jump host (see
    /// [`remote`](super::remote)), not on the desktop.
    pub fn is_remote(&self) -> bool {
        matches!(self, ForwardSpec::Remote { .. })
    }

    /// The same spec listening on `port` (the one a port-0 listener got).
    pub fn with_port(&self, got: u16) -> ForwardSpec {
        let mut s = self.clone();
        match &mut s {
            ForwardSpec::Local { port, .. }
            | ForwardSpec::Dynamic { port, .. }
            | ForwardSpec::Remote { port, .. } => *port = got,
        }
        s
    }

    /// OpenSSH's spelling, with the option letter: `L127.0.0.1:8080:db:5432`, `D127.0.0.1:1080`,
    /// `Rlocalhost:8080:127.0.0.1:3000`.
    /// It is also the forward's id in `outpost forward list` and `close`.
    pub fn id(&self) -> String {
        match self {
            ForwardSpec::Local {
                bind,
                port,
                dest_host,
                dest_port,
            }
            | ForwardSpec::Remote {
                bind,
                port,
                dest_host,
                dest_port,
            } => format!(
                "{}{}:{port}:{}:{dest_port}",
                if self.is_remote() { 'R' } else { 'L' },
                bracket(bind),
                bracket(dest_host)
            ),
            ForwardSpec::Dynamic { bind, port } => format!("D{}:{port}", bracket(bind)),
        }
    }
}

/// Parses `-L`'s or (`remote`) `-R`'s argument, `[bind:]PORT:DEST:DPORT`; they differ in the
/// bind address only (`-R`'s is sent to the host as written, `*` or empty meaning every address).
fn parse_with_dest(text: &str, remote: bool) -> Result<ForwardSpec, ForwardError> {
    let invalid = |reason: &str| ForwardError::Invalid {
        spec: text.chars().take(300).collect(),
        reason: reason.into(),
    };
    let parts = split(text).ok_or_else(|| invalid("unbalanced brackets"))?;
    let default = if remote {
        DEFAULT_REMOTE_BIND
    } else {
        DEFAULT_BIND
    };
    let (bind, port, dest, dport) = match parts.as_slice() {
        [p, d, dp] => (default.to_string(), p, d, dp),
        [b, p, d, dp] if remote && (b.is_empty() || b == ALL_ADDRESSES) => {
            (ALL_ADDRESSES.to_string(), p, d, dp)
        }
        [b, p, d, dp] if remote => (b.clone(), p, d, dp),
        [b, p, d, dp] => (bind_or_default(b), p, d, dp),
        [_] | [_, _] if remote => return Err(invalid(
            "expected [bind:]PORT:HOST:HOSTPORT (a remote SOCKS server, -R PORT, is not supported)",
        )),
        _ => return Err(invalid("expected [bind:]PORT:HOST:HOSTPORT")),
    };
    let side = if remote { "remote" } else { "local" };
    let port = port_of(port).ok_or_else(|| invalid(&format!("the {side} port is not 0-65535")))?;
    let dest_port = port_of(dport)
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid("the destination port is not 1-65535"))?;
    let dest_host = dest.clone();
    let spec = if remote {
        ForwardSpec::Remote {
            bind,
            port,
            dest_host,
            dest_port,
        }
    } else {
        ForwardSpec::Local {
            bind,
            port,
            dest_host,
            dest_port,
        }
    };
    spec.check().map_err(|r| invalid(&r))?;
    Ok(spec)
}

/// `[v6]` for an address with colons, else as is.
fn bracket(a: &str) -> String {
    if a.contains(':') {
        format!("[{a}]")
    } else {
        a.to_string()
    }
}

/// An empty or `*` bind address means all addresses (as in OpenSSH); spelled out here.
fn bind_or_default(b: &str) -> String {
    match b {
        "" | "*" => "0.0.0.0".into(),
        b => b.to_string(),
    }
}

fn port_of(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Splits on `:` outside brackets, removing the brackets; `None` when they do not balance.
fn split(text: &str) -> Option<Vec<String>> {
    if text.len() > 600 {
        return None;
    }
    let mut parts = vec![String::new()];
    let mut inside = false;
    for c in text.chars() {
        match c {
            '[' if !inside => inside = true,
            ']' if inside => inside = false,
            '[' | ']' => return None,
            ':' if !inside => parts.push(String::new()),
            c => parts.last_mut()?.push(c),
        }
    }
    (!inside).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_forms() {
        let s = ForwardSpec::parse_local("8080:10.0.0.2:80").unwrap();
        assert_eq!(s.id(), "L127.0.0.1:8080:10.0.0.2:80");
        let s = ForwardSpec::parse_local("[::1]:0:[fe80::1]:22").unwrap();
        assert_eq!(s.id(), "L[::1]:0:[fe80::1]:22");
        assert_eq!(s.listen(), ("::1", 0));
        let s = ForwardSpec::parse_local("*:9000:db.internal:5432").unwrap();
        assert_eq!(s.id(), "L0.0.0.0:9000:db.internal:5432");
        assert_eq!(s.with_port(9001).listen(), ("0.0.0.0", 9001));
    }

    #[test]
    fn dynamic_forms() {
        assert_eq!(
            ForwardSpec::parse_dynamic("1080").unwrap().id(),
            "D127.0.0.1:1080"
        );
        assert_eq!(
            ForwardSpec::parse_dynamic("localhost:1080").unwrap().id(),
            "Dlocalhost:1080"
        );
    }

    #[test]
    fn remote_forms() {
        let s = ForwardSpec::parse_remote("8080:127.0.0.1:3000").unwrap();
        assert_eq!(s.id(), "Rlocalhost:8080:127.0.0.1:3000");
        assert!(s.is_remote());
        assert_eq!(s.listen(), ("localhost", 8080));
        let s = ForwardSpec::parse_remote("*:0:web:80").unwrap();
        assert_eq!(s.id(), "R*:0:web:80");
        assert_eq!(s.with_port(40000).listen(), ("*", 40000));
        assert_eq!(
            ForwardSpec::parse_remote(":1:web:80").unwrap().id(),
            "R*:1:web:80"
        );
        let s = ForwardSpec::parse_remote("[::1]:2222:[fe80::1]:22").unwrap();
        assert_eq!(s.id(), "R[::1]:2222:[fe80::1]:22");
        for bad in [
            "8080",
            "0.0.0.0:8080",
            "8080:h:0",
            "x:80:h:22",
            "80:a b:1",
            "1:2:3:4:5",
        ] {
            let e = ForwardSpec::parse_remote(bad).unwrap_err();
            assert_eq!(e.code(), "forward_invalid", "{bad}");
        }
        let j = serde_json::to_string(&ForwardSpec::parse_remote("9:h:1").unwrap()).unwrap();
        assert_eq!(
            j,
            r#"{"kind":"remote","bind":"localhost","port":9,"dest_host":"h","dest_port":1}"#
        );
    }

    #[test]
    fn bad_input_is_refused() {
        for bad in [
            "",
            "80",
            "x:80:h:22",
            "70000:h:22",
            "80:h:0",
            "80:h:+22",
            "80:h h:22",
            "80:[h:22",
            "notanip:80:h:22",
            "1:2:3:4:5",
        ] {
            let e = ForwardSpec::parse_local(bad).unwrap_err();
            assert_eq!(e.code(), "forward_invalid", "{bad}");
        }
        let long = format!("80:{}:22", "a".repeat(300));
        assert!(ForwardSpec::parse_local(&long).is_err());
        assert!(ForwardSpec::parse_dynamic("1080:x").is_err());
        assert!(ForwardSpec::parse_dynamic("-1").is_err());
    }

    #[test]
    fn saved_form_round_trips() {
        let s = ForwardSpec::parse_local("8080:db:5432").unwrap();
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(
            j,
            r#"{"kind":"local","bind":"127.0.0.1","port":8080,"dest_host":"db","dest_port":5432}"#
        );
        assert_eq!(serde_json::from_str::<ForwardSpec>(&j).unwrap(), s);
    }
}

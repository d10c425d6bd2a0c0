//! Commands that ride an existing ControlMaster and nothing else.
//!
//! Outpost runs some `ssh` commands only through an `ssh` session's ControlMaster: on the agent,
//! the monitoring probe and `exec.run` on a target (`agent/src/ssh/argv.rs::probe_argv`); on
//! the desktop, file transfers to a target (`engine/transfer/remote.rs`). They share one rule:
//! use the master, never become one, never prompt, and when the master is gone fail instead of
//! opening a connection of their own. [`MASTER_ONLY`] is that rule as `ssh` options, in one
//! copy; each caller adds the master's path (`-S PATH` or `-o ControlPath=PATH`) and the rest
//! of its argv.
//!
//! ```
//! let mut argv: Vec<String> = vec!["-T".into()];
//! argv.extend(outpost_openssh::master::MASTER_ONLY.map(String::from));
//! assert_eq!(argv.join(" "), "-T -o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false");
//! ```

/// `-o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false`: use an existing master
/// without becoming one, never prompt, and (the master being gone) fail rather than log in
/// anew: with `ProxyCommand=/bin/false` a fresh connection can only fail.
pub const MASTER_ONLY: [&str; 6] = [
    "-o",
    "ControlMaster=no",
    "-o",
    "BatchMode=yes",
    "-o",
    "ProxyCommand=/bin/false",
];

#[cfg(test)]
mod tests {
    use super::MASTER_ONLY;
    use std::process::Command;

    /// OpenSSH reads the options as meant: `ssh -G` (no config file) prints them back.
    #[test]
    fn ssh_reads_them_as_master_only() {
        let out = Command::new("ssh")
            .args(["-G", "-F", "/dev/null"])
            .args(MASTER_ONLY)
            .args(["-S", "/run/x.cm", "--", "target"])
            .output()
            .expect("running ssh -G (is OpenSSH's client installed?)");
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for line in [
            "controlmaster false",
            "batchmode yes",
            "proxycommand /bin/false",
            "controlpath /run/x.cm",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    }
}

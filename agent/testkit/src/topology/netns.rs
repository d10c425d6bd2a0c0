//! The network half of [`crate::Topology`] in "netns" mode: two network namespaces, "jump" and
//! "target", joined by a veth pair, plus a veth pair from the test's (root) namespace to "jump".
//!
//! Addresses come from one `/29` block of `10.200.0.0/16` per instance, unique among the blocks
//! in use in the root namespace (chosen under the machine-wide lock):
//!
//! ```text
//! root ns  op<pid>-<n>  BASE+5/30 ──── BASE+6/30  to-root   jump ns
//! jump ns  to-target    BASE+1/30 ──── BASE+2/30  to-jump   target ns
//! ```
//!
//! The root namespace only knows the `BASE+4/30` link, plus an `unreachable 10.200.0.0/16` route,
//! so it cannot reach "target" (and nothing for `10.200.0.0/16` ever leaves the machine); "jump"
//! does not forward. "target" is therefore reachable from "jump" only.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, ensure, Result};

use super::global::GlobalLock;
use crate::process::{self, run, run_tolerating};

/// Name prefix of "jump" namespaces: `opj-<pid>-<n>`.
pub(crate) const JUMP_PREFIX: &str = "opj-";
/// Name prefix of "target" namespaces: `opt-<pid>-<n>`.
pub(crate) const TARGET_PREFIX: &str = "opt-";
/// Name prefix of root-namespace veth ends: `op<pid>-<n>`.
pub(crate) const ROOT_VETH_PREFIX: &str = "op";
/// The jump-side end of the jump ↔ target pair (inside the jump namespace).
pub const JUMP_TO_TARGET_DEV: &str = "to-target";
/// The target-side end of the jump ↔ target pair (inside the target namespace).
pub const TARGET_TO_JUMP_DEV: &str = "to-jump";
/// The jump-side end of the root ↔ jump pair (inside the jump namespace).
pub const JUMP_TO_ROOT_DEV: &str = "to-root";
/// Every address the kit uses lies in this `/16`; the root namespace routes it nowhere.
pub const NET_PREFIX: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 200, 0, 0), 16);

fn ip<const N: usize>(args: [&str; N]) -> Result<String> {
    run(Command::new("ip").args(args))
}

/// Whether this machine lets the test create network namespaces and veth pairs; checked once
/// per process by creating (and deleting) a namespace with a veth pair inside.
pub(crate) fn netns_support() -> Result<(), String> {
    static SUPPORT: OnceLock<Result<(), String>> = OnceLock::new();
    SUPPORT
        .get_or_init(|| {
            if !process::have_program("ip") {
                return Err("`ip` is missing (apt-get install -y iproute2)".into());
            }
            let name = format!("{JUMP_PREFIX}{}-probe", std::process::id());
            let result = ip(["netns", "add", &name])
                .and_then(|_| {
                    ip([
                        "-n", &name, "link", "add", "name", "probe0", "type", "veth", "peer",
                        "name", "probe1",
                    ])
                })
                .and_then(|_| ip(["-n", &name, "link", "set", "lo", "up"]))
                .map(drop)
                .map_err(|e| format!("{e:#}"));
            let _ = ip(["netns", "del", &name]);
            result
        })
        .clone()
}

/// `ip route add unreachable 10.200.0.0/16` in the root namespace (once it exists, it stays).
fn ensure_unreachable_route() -> Result<()> {
    let (net, len) = NET_PREFIX;
    run_tolerating(
        Command::new("ip").args(["route", "add", "unreachable", &format!("{net}/{len}")]),
        "File exists",
    )
}

/// The `/29` blocks (as indexes 0..8192 within `10.200.0.0/16`) that root-namespace addresses
/// already use.
fn blocks_in_use() -> Result<Vec<u32>> {
    let listing = ip(["-o", "-4", "addr", "show"])?;
    let base = u32::from(NET_PREFIX.0);
    Ok(listing
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "inet")?;
            let addr: Ipv4Addr = words.next()?.split('/').next()?.parse().ok()?;
            let a = u32::from(addr);
            (a >> 16 == base >> 16).then_some((a - base) >> 3)
        })
        .collect())
}

/// The network namespaces and links of one topology; deleted on drop.
#[derive(Debug)]
pub(crate) struct NetPair {
    pub jump_ns: String,
    pub target_ns: String,
    pub root_dev: String,
    /// First address of the instance's `/29`.
    pub base: Ipv4Addr,
}

impl NetPair {
    /// Creates both namespaces and both veth pairs, with addresses and loopback up; `(pid, n)`
    /// is the instance's unique id (see `global::unique_id`).
    pub fn create((pid, n): (u32, u32)) -> Result<NetPair> {
        let mut pair = NetPair {
            jump_ns: format!("{JUMP_PREFIX}{pid}-{n}"),
            target_ns: format!("{TARGET_PREFIX}{pid}-{n}"),
            root_dev: format!("{ROOT_VETH_PREFIX}{pid}-{n}"),
            base: NET_PREFIX.0,
        };
        ensure!(
            pair.root_dev.len() <= 15,
            "interface name {} is too long",
            pair.root_dev
        );
        let _lock = GlobalLock::acquire()?;
        ensure_unreachable_route()?;
        let used = blocks_in_use()?;
        let start = (pid.wrapping_mul(7919).wrapping_add(n.wrapping_mul(13))) % 8192;
        let Some(block) = (0..8192)
            .map(|i| (start + i) % 8192)
            .find(|b| !used.contains(b))
        else {
            bail!("every /29 of 10.200.0.0/16 is in use");
        };
        // From here on, an early return drops `pair`, which deletes whatever exists.
        pair.base = Ipv4Addr::from(u32::from(NET_PREFIX.0) + block * 8);
        let (j, t, r) = (
            pair.jump_ns.clone(),
            pair.target_ns.clone(),
            pair.root_dev.clone(),
        );
        let cidr = |offset: u32| format!("{}/30", Ipv4Addr::from(u32::from(pair.base) + offset));
        ip(["netns", "add", &j])?;
        ip(["netns", "add", &t])?;
        ip(["-n", &j, "link", "set", "lo", "up"])?;
        ip(["-n", &t, "link", "set", "lo", "up"])?;
        // jump ↔ target
        ip([
            "-n",
            &j,
            "link",
            "add",
            JUMP_TO_TARGET_DEV,
            "type",
            "veth",
            "peer",
            "name",
            TARGET_TO_JUMP_DEV,
            "netns",
            &t,
        ])?;
        ip(["-n", &j, "addr", "add", &cidr(1), "dev", JUMP_TO_TARGET_DEV])?;
        ip(["-n", &t, "addr", "add", &cidr(2), "dev", TARGET_TO_JUMP_DEV])?;
        ip(["-n", &j, "link", "set", JUMP_TO_TARGET_DEV, "up"])?;
        ip(["-n", &t, "link", "set", TARGET_TO_JUMP_DEV, "up"])?;
        // root ↔ jump
        ip([
            "link",
            "add",
            &r,
            "type",
            "veth",
            "peer",
            "name",
            JUMP_TO_ROOT_DEV,
            "netns",
            &j,
        ])?;
        ip(["addr", "add", &cidr(5), "dev", &r])?;
        ip(["-n", &j, "addr", "add", &cidr(6), "dev", JUMP_TO_ROOT_DEV])?;
        ip(["link", "set", &r, "up"])?;
        ip(["-n", &j, "link", "set", JUMP_TO_ROOT_DEV, "up"])?;
        Ok(pair)
    }

    /// `BASE + offset`.
    pub fn addr(&self, offset: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) + offset)
    }

    /// Sets the jump-side end of the jump ↔ target link down or up.
    pub fn set_target_link(&self, up: bool) -> Result<()> {
        ip([
            "-n",
            &self.jump_ns,
            "link",
            "set",
            JUMP_TO_TARGET_DEV,
            if up { "up" } else { "down" },
        ])
        .map(drop)
    }

    /// Sets the root-namespace end of the root ↔ jump link down or up.
    pub fn set_root_link(&self, up: bool) -> Result<()> {
        ip([
            "link",
            "set",
            &self.root_dev,
            if up { "up" } else { "down" },
        ])
        .map(drop)
    }
}

impl Drop for NetPair {
    fn drop(&mut self) {
        // Processes still inside (e.g. detached daemons started on "jump") would keep a deleted
        // namespace alive; nothing should outlive the topology.
        for ns in [&self.jump_ns, &self.target_ns] {
            if let Ok(pids) = ip(["netns", "pids", ns]) {
                for pid in pids.split_whitespace().filter_map(|p| p.parse().ok()) {
                    process::signal(pid, libc::SIGKILL);
                }
            }
        }
        // No lock here: freeing addresses cannot conflict with another instance picking some.
        let _ = ip(["link", "del", &self.root_dev]);
        for ns in [&self.jump_ns, &self.target_ns] {
            if process::netns_path(ns).exists() {
                if let Err(e) = ip(["netns", "del", ns]) {
                    crate::note(&format!("cannot delete network namespace {ns}: {e:#}"));
                }
            }
        }
    }
}

/// True when an SSH server answers at `addr` as seen from network namespace `ns` (`None`: the
/// test's own): a TCP connection opens and the `SSH-` banner arrives within `timeout`.
pub fn ssh_answers(ns: Option<&str>, addr: SocketAddr, timeout: Duration) -> bool {
    process::in_netns(ns, move || {
        use std::io::Read;
        let Ok(mut s) = TcpStream::connect_timeout(&addr, timeout) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(timeout));
        let mut banner = [0u8; 4];
        s.read_exact(&mut banner).is_ok() && &banner == b"SSH-"
    })
    .unwrap_or(false)
}

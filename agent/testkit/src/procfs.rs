//! The one reader of `/proc` for tests, benches and the soak: a process's `stat` line, the
//! memory fields of its `status` and `smaps_rollup`, its environment, command line and open
//! descriptors, the TCP ports it listens on, and the list of every process.
//!
//! Every reader returns `None` when the process is gone (or the file is unreadable), so callers
//! can poll without racing the process's exit. A zombie still has a `stat` line: use
//! [`Stat::is_zombie`] or [`alive`] where "no process" should include zombies.
//!
//! ```
//! use outpost_testkit::procfs;
//!
//! let me = procfs::stat(std::process::id()).unwrap();
//! assert!(!me.is_zombie());
//! assert!(procfs::status(me.pid).unwrap().rss_kib > 0);
//! ```

use std::path::Path;

/// The fields of `/proc/PID/stat` that tests and benches use; times are in clock ticks (see
/// [`ticks_per_second`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Process id.
    pub pid: u32,
    /// Command name, without its parentheses.
    pub comm: String,
    /// State letter (`R`, `S`, `Z`, …).
    pub state: char,
    /// Parent pid.
    pub ppid: u32,
    /// Process group.
    pub pgrp: i32,
    /// Session id.
    pub session: i32,
    /// Kernel flags (field 9; `PF_KTHREAD` = 0x0020_0000 marks a kernel thread).
    pub flags: u64,
    /// User CPU time (field 14).
    pub utime: u64,
    /// System CPU time (field 15).
    pub stime: u64,
    /// User CPU time of reaped children (field 16).
    pub cutime: u64,
    /// System CPU time of reaped children (field 17).
    pub cstime: u64,
    /// Start time after boot (field 22); with the pid, an identity that survives pid reuse.
    pub start_time: u64,
}

impl Stat {
    /// Parses the text of a `stat` file. The command name is in parentheses and may itself
    /// contain spaces or parentheses, so the fields are counted from the last `)`.
    pub fn parse(text: &str) -> Option<Stat> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let pid = text[..open].trim().parse().ok()?;
        let comm = text[open + 1..close].to_string();
        // Fields from 3 (state) on.
        let f: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let num = |i: usize| -> Option<u64> { f.get(i)?.parse().ok() };
        Some(Stat {
            pid,
            comm,
            state: f.first()?.chars().next()?,
            ppid: f.get(1)?.parse().ok()?,
            pgrp: f.get(2)?.parse().ok()?,
            session: f.get(3)?.parse().ok()?,
            flags: num(6)?,
            utime: num(11)?,
            stime: num(12)?,
            cutime: num(13)?,
            cstime: num(14)?,
            start_time: num(19)?,
        })
    }

    /// Whether this is a kernel thread (`PF_KTHREAD`), which `ps` does not count as a process.
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & 0x0020_0000 != 0
    }

    /// Whether the process has ended and waits to be reaped (`Z`, or `X` while going).
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }

    /// Own CPU time (`utime + stime`) in ticks.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime + self.stime
    }

    /// CPU time of reaped children (`cutime + cstime`) in ticks.
    pub fn children_cpu_ticks(&self) -> u64 {
        self.cutime + self.cstime
    }
}

/// Reads `/proc/PID/stat`.
pub fn stat(pid: u32) -> Option<Stat> {
    stat_at(format!("/proc/{pid}/stat"))
}

/// Reads a `stat` file by path (`/proc/self/stat`, `/proc/thread-self/stat`, …).
pub fn stat_at(path: impl AsRef<Path>) -> Option<Stat> {
    Stat::parse(&std::fs::read_to_string(path).ok()?)
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| !s.is_zombie())
}

/// Every pid in `/proc`.
pub fn pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The `stat` of every process (zombies included).
pub fn all() -> Vec<Stat> {
    pids().into_iter().filter_map(stat).collect()
}

/// Clock ticks per second, the unit of [`Stat`]'s times.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf with a constant name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// The fields of `/proc/PID/status` that tests and benches use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Resident set size in KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size in KiB (`VmHWM`).
    pub hwm_kib: u64,
    /// Real user id (first field of `Uid`).
    pub real_uid: u32,
    /// State letter (first letter of `State`).
    pub state: char,
}

/// The number of a `key: N kB` line (or `key: N`) in the text of a `/proc` file.
pub fn field_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Reads `/proc/PID/status`. Kernel threads have no `VmRSS`; theirs reads as 0.
pub fn status(pid: u32) -> Option<Status> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map(str::trim)
    };
    Some(Status {
        rss_kib: field_kib(&text, "VmRSS").unwrap_or(0),
        hwm_kib: field_kib(&text, "VmHWM").unwrap_or(0),
        real_uid: field("Uid")?.split_whitespace().next()?.parse().ok()?,
        state: field("State")?.chars().next()?,
    })
}

/// Resident memory of `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    Some(status(pid)?.rss_kib)
}

/// The memory totals of `/proc/PID/smaps_rollup`, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rollup {
    /// Resident set size.
    pub rss_kib: u64,
    /// Proportional set size (shared pages split between their users).
    pub pss_kib: u64,
    /// Private clean pages.
    pub private_clean_kib: u64,
    /// Private dirty pages.
    pub private_dirty_kib: u64,
}

impl Rollup {
    /// Private resident memory: what this process alone costs.
    pub fn private_kib(&self) -> u64 {
        self.private_clean_kib + self.private_dirty_kib
    }
}

/// Reads `/proc/PID/smaps_rollup`.
pub fn smaps_rollup(pid: u32) -> Option<Rollup> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    Some(Rollup {
        rss_kib: field_kib(&text, "Rss")?,
        pss_kib: field_kib(&text, "Pss")?,
        private_clean_kib: field_kib(&text, "Private_Clean")?,
        private_dirty_kib: field_kib(&text, "Private_Dirty")?,
    })
}

/// How many descriptors `pid` has open.
pub fn fd_count(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// The environment of `pid`, as its `NAME=value` entries.
pub fn environ(pid: u32) -> Option<Vec<Vec<u8>>> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    Some(
        raw.split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
    )
}

/// The value of `name` in the environment of `pid`.
pub fn env_var(pid: u32, name: &str) -> Option<Vec<u8>> {
    environ(pid)?.into_iter().find_map(|e| {
        e.strip_prefix(name.as_bytes())?
            .strip_prefix(b"=")
            .map(<[u8]>::to_vec)
    })
}

/// Whether the environment of `pid` holds `name=value` exactly.
pub fn has_env(pid: u32, name: &str, value: &[u8]) -> bool {
    env_var(pid, name).is_some_and(|v| v == value)
}

/// The command line of `pid`, NUL-separated as the kernel gives it.
pub fn cmdline(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/cmdline")).ok()
}

/// The socket inodes of `pid`'s open descriptors (`socket:[INODE]` links in `/proc/PID/fd`).
fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            l.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// The inodes of the listening sockets on `port` in one `/proc/…/net/tcp` or `tcp6` table
/// (columns: slot, local `ADDR:PORT` in hex, remote, state `0A` = LISTEN, …, inode tenth).
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let want = format!("{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit_once(':')?.1;
            (local_port == want && *f.get(3)? == "0A")
                .then(|| f.get(9)?.parse().ok())
                .flatten()
        })
        .collect()
}

/// Whether `pid` itself holds a socket listening on TCP `port` (IPv4 or IPv6, in its own
/// network namespace) — not merely whether something answers there.
pub fn listens_on(pid: u32, port: u16) -> bool {
    let mine = socket_inodes(pid);
    ["tcp", "tcp6"].iter().any(|t| {
        std::fs::read_to_string(format!("/proc/{pid}/net/{t}"))
            .map(|table| {
                listening_inodes(&table, port)
                    .iter()
                    .any(|i| mine.contains(i))
            })
            .unwrap_or(false)
    })
}

/// Every live process whose environment holds `OUTPOST_HOME=home`, except this one.
pub fn processes_of_home(home: &Path) -> Vec<u32> {
    let want = home.as_os_str().as_encoded_bytes();
    let me = std::process::id();
    pids()
        .into_iter()
        .filter(|&p| p != me && alive(p) && has_env(p, "OUTPOST_HOME", want))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_spaces_and_parentheses() {
        let text = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 555 1 2";
        let s = Stat::parse(text).unwrap();
        assert_eq!((s.pid, s.comm.as_str(), s.state), (42, "a (b) c", 'S'));
        assert_eq!((s.ppid, s.pgrp, s.session), (1, 42, 42));
        assert_eq!((s.utime, s.stime, s.cutime, s.cstime), (7, 3, 2, 1));
        assert_eq!((s.start_time, s.flags), (555, 4194560));
        assert!(!s.is_kernel_thread());
        assert!(Stat::parse("42 (x) S 1").is_none());
    }

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let s = stat(me).unwrap();
        assert_eq!(s.pid, me);
        assert!(alive(me));
        assert!(pids().contains(&me));
        let st = status(me).unwrap();
        assert!(st.rss_kib > 0 && st.hwm_kib >= st.rss_kib);
        assert_eq!(st.real_uid, nix::unistd::getuid().as_raw());
        assert!(smaps_rollup(me).unwrap().private_kib() > 0);
        assert!(fd_count(me).is_some_and(|n| n >= 3));
        assert!(cmdline(me).is_some_and(|c| !c.is_empty()));
        assert_eq!(stat_at("/proc/self/stat").unwrap().pid, me);
        assert!(stat(u32::MAX).is_none() && status(u32::MAX).is_none());
        assert!(ticks_per_second() > 0.0);
        assert!(socket_inodes(u32::MAX).is_empty() && !listens_on(u32::MAX, 1));
        assert_eq!(field_kib("VmRSS:\t  1234 kB\n", "VmRSS"), Some(1234));
    }

    #[test]
    fn tells_a_port_this_process_listens_on_from_one_it_only_connects_to() {
        let me = std::process::id();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listens_on(me, port));
        // A connection to the port is not a listener on it, and the connecting side's port
        // is not one either.
        let conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let local = conn.local_addr().unwrap().port();
        assert!(!listens_on(me, local));
        drop(listener);
        assert!(!listens_on(me, port));
        // Another process's listener is not this one's.
        let child = std::process::Command::new("python3")
            .args(["-c", "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); sys.stdin.read()"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        {
            let mut child = child;
            let mut line = String::new();
            std::io::BufRead::read_line(
                &mut std::io::BufReader::new(child.stdout.take().unwrap()),
                &mut line,
            )
            .unwrap();
            let theirs: u16 = line.trim().parse().unwrap();
            assert!(listens_on(child.id(), theirs));
            assert!(!listens_on(me, theirs));
            drop(child.stdin.take());
            child.wait().unwrap();
        }
    }

    #[test]
    fn reads_listeners_from_a_tcp_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0
";
        assert_eq!(listening_inodes(table, 8080), vec![4242]);
        assert_eq!(listening_inodes(table, 22), vec![99]);
        assert!(listening_inodes(table, 50000).is_empty());
    }
}

//! Reading a target with nothing installed on it: one POSIX `sh` script sent over the session's
//! own SSH connection, printing `/proc`, `df -P` and `uname` in marked sections, parsed here.
//!
//! Rates and CPU percentages need two readings; [`sample`] turns a reading and the previous one
//! into a [`Sample`].
//!
//! The output comes from a target that may be hostile: parsing is linear in its size, lists are
//! capped ([`MAX_CORES`], [`MAX_DISKS`], [`MAX_INTERFACES`], [`MAX_PROCESSES`]) and every text
//! is cut to [`MAX_TEXT_BYTES`] with control characters replaced ([`clean_text`]), so a sample
//! stays far below the protocol's line limit.

use std::collections::{HashMap, HashSet};

use outpost_protocol::monitor::{
    CpuSample, DiskSample, InterfaceSample, MemorySample, NetSample, ProcessSample, Sample,
};

/// The probe: a POSIX `sh` loop run on the target that prints one reading per empty line it reads
/// on standard input, so one `ssh` through the ControlMaster serves a sampler for its whole life.
/// A line of process ids instead asks for their `argv[0]` ([`argv0_request`]): one
/// `@argv0 PID` section each, holding the first [`MAX_CMDLINE_BYTES`] of `/proc/PID/cmdline`
/// up to its first NUL. It only reads; every section starts with `@name`, and each answer ends
/// with `@end`.
pub const PROBE_LOOP: &str = r#"LC_ALL=C; export LC_ALL
while IFS= read -r req; do
if [ -n "$req" ]; then
for p in $req; do
case $p in *[!0-9]*) continue;; esac
echo "@argv0 $p"; dd if=/proc/$p/cmdline bs=4096 count=1 2>/dev/null | tr '\0' '\n' | head -n 1
done
echo "@end"; continue
fi
echo "@uname"; uname -s; uname -n; uname -r
if [ "$(uname -s)" = Linux ]; then
echo "@uptime"; cat /proc/uptime
echo "@loadavg"; cat /proc/loadavg
echo "@stat"; grep '^cpu' /proc/stat
echo "@meminfo"; cat /proc/meminfo
echo "@netdev"; cat /proc/net/dev
echo "@df"; df -P -T 2>/dev/null || df -P
echo "@procs"; cat /proc/[0-9]*/stat 2>/dev/null
echo "@pagesize"; getconf PAGESIZE 2>/dev/null || echo 4096
echo "@clk"; getconf CLK_TCK 2>/dev/null || echo 100
fi
echo "@end"
done
"#;

/// The remote command that runs [`PROBE_LOOP`]: `exec sh -c '<loop>'`. The loop is a constant
/// of ours (no outside text), quoted for the remote shell.
pub fn probe_command() -> String {
    format!("exec sh -c '{}'", PROBE_LOOP.replace('\'', r"'\''"))
}

pub use outpost_protocol::monitor::{
    MAX_CORES, MAX_DISKS, MAX_INTERFACES, MAX_TEXT_BYTES, MAX_TOP,
};
/// The most processes one reading keeps (the sample lists the top [`MAX_TOP`] and counts the
/// rest).
pub const MAX_PROCESSES: usize = 65_536;

/// Text from the target made safe to show: every control character (C0, DEL, C1) becomes
/// U+FFFD, and the result is cut to at most [`MAX_TEXT_BYTES`] bytes on a character boundary.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_TEXT_BYTES));
    for c in s.chars() {
        let c = if c.is_control() { '\u{fffd}' } else { c };
        if out.len() + c.len_utf8() > MAX_TEXT_BYTES {
            break;
        }
        out.push(c);
    }
    out
}

/// The kernel keeps 15 bytes of a command name (`/proc/PID/comm`, the `stat` line's name).
pub const COMM_BYTES: usize = 15;

/// The most bytes of `/proc/PID/cmdline` read for a name (here and by the probe's `dd`).
pub const MAX_CMDLINE_BYTES: usize = 4096;

/// The whole name of a process whose command name `comm` the kernel may have cut at
/// [`COMM_BYTES`], from the start of its `/proc/PID/cmdline`: the last path element of its
/// `argv[0]` when that is longer than `comm` and starts with it (`WebKitWebProces` →
/// `WebKitWebProcess`), cleaned ([`clean_text`]). `None` for shorter names, renamed processes
/// and kernel threads, which keep `comm`. Only the first [`MAX_CMDLINE_BYTES`] are looked at.
pub fn whole_name(comm: &str, cmdline: &[u8]) -> Option<String> {
    if comm.len() < COMM_BYTES {
        return None;
    }
    let cmdline = &cmdline[..cmdline.len().min(MAX_CMDLINE_BYTES)];
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let base = argv0.rsplit(|b| *b == b'/').next().unwrap_or_default();
    match std::str::from_utf8(base) {
        Ok(name) if name.len() > comm.len() && name.starts_with(comm) => Some(clean_text(name)),
        _ => None,
    }
}

/// The request line asking the probe for the `argv[0]` of the listed processes whose names may
/// have been cut ([`COMM_BYTES`] or longer); `None` when there is none.
pub fn argv0_request(top: &[ProcessSample]) -> Option<String> {
    let pids: Vec<String> = top
        .iter()
        .filter(|p| p.name.len() >= COMM_BYTES)
        .map(|p| p.pid.to_string())
        .collect();
    (!pids.is_empty()).then(|| pids.join(" "))
}

/// Gives the processes of `top` their whole names from the probe's answer to
/// [`argv0_request`]: only the first line of a section naming one of them counts.
pub fn apply_argv0s<'a>(top: &mut [ProcessSample], answer: impl IntoIterator<Item = &'a str>) {
    let mut current: Option<usize> = None;
    for line in answer {
        if let Some(header) = line.strip_prefix('@') {
            current = header
                .strip_prefix("argv0 ")
                .and_then(|pid| pid.trim().parse::<u32>().ok())
                .and_then(|pid| top.iter().position(|p| p.pid == pid));
        } else if let Some(i) = current.take() {
            if let Some(name) = whole_name(&top[i].name, line.as_bytes()) {
                top[i].name = name;
            }
        }
    }
}

/// Filesystem types that are not real storage.
pub const PSEUDO_FS: &[&str] = &[
    "tmpfs",
    "devtmpfs",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "overlay",
    "squashfs",
    "ramfs",
    "devpts",
    "mqueue",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "autofs",
    "fusectl",
    "configfs",
    "efivarfs",
    "nsfs",
    "hugetlbfs",
    "binfmt_misc",
    "rpc_pipefs",
    "none",
    "udev",
    "shm",
    "fuse.lxcfs",
    "fuse.portal",
    "nfsd",
];

/// Why a probe's output is unusable.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The target runs another operating system.
    #[error("the target runs {0}, not Linux; only Linux targets can be monitored")]
    NotLinux(String),
    /// The output is cut short or malformed.
    #[error("unexpected probe output: {0}")]
    Malformed(String),
}

/// CPU time counters of one `cpu` line of `/proc/stat`, in ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// All time.
    pub total: u64,
    /// Idle and I/O wait.
    pub idle: u64,
}

/// One process from `/proc/PID/stat`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcTimes {
    /// Command name.
    pub name: String,
    /// User plus system time, in ticks.
    pub ticks: u64,
    /// Resident pages.
    pub rss_pages: u64,
}

/// One raw reading of a target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// When it was taken, Unix ms (set by the caller).
    pub at: u64,
    /// `uname -n`.
    pub hostname: String,
    /// `uname -s`, lower-cased.
    pub os: String,
    /// `uname -r`.
    pub kernel: String,
    /// Seconds since boot.
    pub uptime_s: u64,
    /// Load averages.
    pub load: [f64; 3],
    /// The aggregate `cpu` line.
    pub cpu: CpuTimes,
    /// Each `cpuN` line.
    pub cores: Vec<CpuTimes>,
    /// Memory.
    pub memory: MemorySample,
    /// Interface name → (rx bytes, tx bytes), loopback excluded.
    pub net: Vec<(String, u64, u64)>,
    /// Real filesystems.
    pub disks: Vec<DiskSample>,
    /// pid → times, at most [`MAX_PROCESSES`].
    pub procs: HashMap<u32, ProcTimes>,
    /// How many processes the target reported (also those past the cap).
    pub process_count: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// Clock ticks per second.
    pub clk_tck: u64,
}

fn sections<'a>(lines: impl IntoIterator<Item = &'a str>) -> HashMap<&'a str, Vec<&'a str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut current: Option<&str> = None;
    let mut section: Vec<&str> = Vec::new();
    for line in lines {
        if let Some(name) = line.strip_prefix('@') {
            if let Some(done) = current.replace(name.trim()) {
                out.entry(done).or_default().append(&mut section);
            }
        } else if current.is_some() {
            section.push(line);
        }
    }
    if let Some(done) = current {
        out.entry(done).or_default().append(&mut section);
    }
    out
}

fn num<T: std::str::FromStr + Default>(s: Option<&str>) -> T {
    s.and_then(|s| s.parse().ok()).unwrap_or_default()
}

/// Parses the probe's output.
pub fn parse(text: &str) -> Result<Reading, ProbeError> {
    parse_lines(text.lines())
}

/// Parses the probe's output, given as lines (without their newlines).
pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Reading, ProbeError> {
    let s = sections(lines);
    let uname = s
        .get("uname")
        .ok_or_else(|| ProbeError::Malformed("no uname section".into()))?;
    let os = uname.first().map(|l| l.trim()).unwrap_or_default();
    if os != "Linux" {
        return Err(ProbeError::NotLinux(if os.is_empty() {
            "an unknown system".into()
        } else {
            clean_text(os)
        }));
    }
    if !s.contains_key("end") || !s.contains_key("meminfo") {
        return Err(ProbeError::Malformed("the output was cut short".into()));
    }
    let mut r = Reading {
        os: "linux".into(),
        hostname: uname
            .get(1)
            .map(|l| clean_text(l.trim()))
            .unwrap_or_default(),
        kernel: uname
            .get(2)
            .map(|l| clean_text(l.trim()))
            .unwrap_or_default(),
        ..Default::default()
    };
    let first = |name: &str| s.get(name).and_then(|v| v.first().copied()).unwrap_or("");
    r.uptime_s = first("uptime")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0) as u64;
    let mut load = first("loadavg").split_whitespace();
    for slot in &mut r.load {
        // `f64` also parses "inf" and "NaN", which JSON cannot carry.
        let v: f64 = num(load.next());
        *slot = if v.is_finite() { v } else { 0.0 };
    }
    for line in s.get("stat").into_iter().flatten() {
        let mut f = line.split_whitespace();
        let Some(label) = f.next() else { continue };
        if label != "cpu" && r.cores.len() == MAX_CORES {
            continue;
        }
        let v: Vec<u64> = f.map(|x| x.parse().unwrap_or(0)).collect();
        // user nice system idle iowait irq softirq steal (guest is already in user).
        // Counters come from another host: saturate rather than overflow.
        let total = v.iter().take(8).fold(0u64, |a, &b| a.saturating_add(b));
        let idle = v
            .get(3)
            .copied()
            .unwrap_or(0)
            .saturating_add(v.get(4).copied().unwrap_or(0));
        let t = CpuTimes { total, idle };
        if label == "cpu" {
            r.cpu = t;
        } else if label.starts_with("cpu") && r.cores.len() < MAX_CORES {
            r.cores.push(t);
        }
    }
    let mut mem: HashMap<&str, u64> = HashMap::new();
    for line in s.get("meminfo").into_iter().flatten() {
        if let Some((k, v)) = line.split_once(':') {
            let kib = num::<u64>(v.split_whitespace().next());
            mem.insert(k.trim(), kib.saturating_mul(1024));
        }
    }
    let total = mem.get("MemTotal").copied().unwrap_or(0);
    let available = mem
        .get("MemAvailable")
        .copied()
        .unwrap_or_else(|| mem.get("MemFree").copied().unwrap_or(0));
    let swap_total = mem.get("SwapTotal").copied().unwrap_or(0);
    r.memory = MemorySample {
        total_bytes: total,
        used_bytes: total.saturating_sub(available),
        available_bytes: available,
        swap_total_bytes: swap_total,
        swap_used_bytes: swap_total.saturating_sub(mem.get("SwapFree").copied().unwrap_or(0)),
    };
    let mut seen: HashSet<&str> = HashSet::new();
    for line in s.get("netdev").into_iter().flatten() {
        if r.net.len() == MAX_INTERFACES {
            break;
        }
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name == "lo" || !seen.insert(name) {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        if f.len() >= 9 {
            r.net.push((clean_text(name), f[0], f[8]));
        }
    }
    r.disks = parse_df(s.get("df").map(Vec::as_slice).unwrap_or_default());
    for line in s.get("procs").into_iter().flatten() {
        if let Some((pid, p)) = parse_proc_stat(line) {
            r.process_count = r.process_count.saturating_add(1);
            if r.procs.len() < MAX_PROCESSES {
                r.procs.insert(pid, p);
            }
        }
    }
    r.page_size = num::<u64>(Some(first("pagesize").trim())).max(1);
    r.clk_tck = num::<u64>(Some(first("clk").trim())).max(1);
    Ok(r)
}

/// Parses `df -P -T` (or `df -P`) output into real filesystems, one entry per mount point.
fn parse_df(lines: &[&str]) -> Vec<DiskSample> {
    let Some(header) = lines.first() else {
        return Vec::new();
    };
    let typed = header.contains("Type");
    let mut out: Vec<DiskSample> = Vec::new();
    let mut mounts: HashSet<String> = HashSet::new();
    for line in &lines[1..] {
        if out.len() == MAX_DISKS {
            break;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let (source, fs, rest) = if typed && f.len() >= 7 {
            (f[0], f[1], &f[2..])
        } else if !typed && f.len() >= 6 {
            (f[0], "", &f[1..])
        } else {
            continue;
        };
        // 1024-blocks Used Available Capacity Mounted-on (the mount may hold spaces).
        let total: u64 = num(Some(rest[0]));
        let used: u64 = num(Some(rest[1]));
        let mount = clean_text(&rest[4..].join(" "));
        let pseudo = PSEUDO_FS.contains(&fs) || (fs.is_empty() && !source.starts_with('/'));
        if pseudo || total == 0 || !mounts.insert(mount.clone()) {
            continue;
        }
        out.push(DiskSample {
            mount,
            fs: clean_text(fs),
            total_bytes: total.saturating_mul(1024),
            used_bytes: used.saturating_mul(1024),
        });
    }
    out
}

/// The `flags` bit of kernel threads, which are not counted as processes.
const PF_KTHREAD: u64 = 0x0020_0000;

/// Parses one `/proc/PID/stat` line: `pid (comm) state ppid ... flags(9) ... utime(14) stime(15)
/// ... rss(24)`; `None` for kernel threads and malformed lines.
fn parse_proc_stat(line: &str) -> Option<(u32, ProcTimes)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let pid = line[..open].trim().parse().ok()?;
    let name = clean_text(&line[open + 1..close]);
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state): field N is rest[N - 3].
    let flags: u64 = rest.get(6)?.parse().ok()?;
    if flags & PF_KTHREAD != 0 {
        return None;
    }
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    let rss: i64 = rest.get(21)?.parse().ok()?;
    Some((
        pid,
        ProcTimes {
            name,
            ticks: utime.saturating_add(stime),
            rss_pages: rss.max(0) as u64,
        },
    ))
}

fn busy_percent(prev: CpuTimes, cur: CpuTimes) -> f64 {
    let total = cur.total.saturating_sub(prev.total);
    if total == 0 {
        return 0.0;
    }
    let idle = cur.idle.saturating_sub(prev.idle).min(total);
    ((total - idle) as f64 * 100.0 / total as f64).clamp(0.0, 100.0)
}

/// Turns a reading (and the previous one, for rates) into a sample.
pub fn sample(cur: &Reading, prev: Option<&Reading>) -> Sample {
    let secs = prev
        .map(|p| cur.at.saturating_sub(p.at) as f64 / 1000.0)
        .filter(|s| *s > 0.0);
    let (percent, per_core) = match prev {
        Some(p) => (
            busy_percent(p.cpu, cur.cpu),
            cur.cores
                .iter()
                .enumerate()
                .map(|(i, c)| busy_percent(p.cores.get(i).copied().unwrap_or_default(), *c))
                .collect(),
        ),
        // Nothing to take deltas against: no per-core figures rather than zeros.
        None => (0.0, Vec::new()),
    };
    let mut net = NetSample::default();
    let before_net: HashMap<&str, (u64, u64)> = prev
        .map(|p| {
            p.net
                .iter()
                .map(|(n, rx, tx)| (n.as_str(), (*rx, *tx)))
                .collect()
        })
        .unwrap_or_default();
    for (name, rx, tx) in &cur.net {
        let before = before_net.get(name.as_str());
        let rate = |now: u64, then: Option<u64>| match (then, secs) {
            (Some(t), Some(s)) => now.saturating_sub(t) as f64 / s,
            _ => 0.0,
        };
        let i = InterfaceSample {
            name: name.clone(),
            rx_bytes_per_s: rate(*rx, before.map(|b| b.0)),
            tx_bytes_per_s: rate(*tx, before.map(|b| b.1)),
            rx_bytes_total: *rx,
            tx_bytes_total: *tx,
        };
        net.rx_bytes_per_s += i.rx_bytes_per_s;
        net.tx_bytes_per_s += i.tx_bytes_per_s;
        net.interfaces.push(i);
    }
    let mut top: Vec<ProcessSample> = cur
        .procs
        .iter()
        .map(|(pid, p)| {
            let before = prev
                .and_then(|pr| pr.procs.get(pid))
                .filter(|b| b.name == p.name);
            let cpu_percent = match (before, secs) {
                (Some(b), Some(s)) => {
                    p.ticks.saturating_sub(b.ticks) as f64 / cur.clk_tck as f64 / s * 100.0
                }
                _ => 0.0,
            };
            ProcessSample {
                pid: *pid,
                name: p.name.clone(),
                cpu_percent,
                memory_bytes: p.rss_pages.saturating_mul(cur.page_size),
            }
        })
        .collect();
    top.sort_by(|a, b| {
        b.cpu_percent
            .total_cmp(&a.cpu_percent)
            .then(b.memory_bytes.cmp(&a.memory_bytes))
    });
    top.truncate(MAX_TOP);
    Sample {
        at: cur.at,
        hostname: cur.hostname.clone(),
        os: cur.os.clone(),
        kernel: cur.kernel.clone(),
        uptime_s: cur.uptime_s,
        load: cur.load,
        cpu: CpuSample { percent, per_core },
        memory: cur.memory.clone(),
        disks: cur.disks.clone(),
        net,
        processes: cur.process_count,
        top,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "@uname\nLinux\ntarget-1\n6.1.0\n@uptime\n3600.52 7000.1\n@loadavg\n0.50 0.25 0.10 1/100 999\n@stat\ncpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n@meminfo\nMemTotal:       2000 kB\nMemFree:         500 kB\nMemAvailable:   1000 kB\nSwapTotal:       100 kB\nSwapFree:         40 kB\n@netdev\nInter-|   Receive\n face |bytes    packets errs drop fifo frame compressed multicast|bytes\n    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n@df\nFilesystem     Type  1024-blocks  Used Available Capacity Mounted on\n/dev/vda1      ext4      1000    400       600      40% /\ntmpfs          tmpfs      100      0       100       0% /run\n/dev/vdb1      xfs       2000   1000      1000      50% /data dir\n@procs\n1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 1 1000 50 0\n42 (a b) R 1 42 42 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 1 1000 200 0\n@pagesize\n4096\n@clk\n100\n@end\n";

    #[test]
    fn parses_a_reading() {
        let r = parse(OUT).unwrap();
        assert_eq!(r.hostname, "target-1");
        assert_eq!(r.kernel, "6.1.0");
        assert_eq!(r.uptime_s, 3600);
        assert_eq!(r.load, [0.5, 0.25, 0.1]);
        assert_eq!(
            r.cpu,
            CpuTimes {
                total: 1000,
                idle: 800
            }
        );
        assert_eq!(r.cores.len(), 2);
        assert_eq!(r.memory.total_bytes, 2000 * 1024);
        assert_eq!(r.memory.used_bytes, 1000 * 1024);
        assert_eq!(r.memory.swap_used_bytes, 60 * 1024);
        assert_eq!(r.net, vec![("eth0".to_string(), 1000, 2000)]);
        assert_eq!(r.disks.len(), 2);
        assert_eq!(r.disks[1].mount, "/data dir");
        assert_eq!(r.disks[0].total_bytes, 1000 * 1024);
        assert_eq!(r.procs[&42].name, "a b");
        assert_eq!(r.procs[&42].ticks, 400);
        assert_eq!(r.procs[&42].rss_pages, 200);
    }

    #[test]
    fn rates_come_from_deltas() {
        let mut a = parse(OUT).unwrap();
        a.at = 1000;
        let mut b = a.clone();
        b.at = 3000;
        b.cpu = CpuTimes {
            total: 1200,
            idle: 900,
        };
        b.net[0].1 += 4000;
        b.procs.get_mut(&42).unwrap().ticks += 100;
        let first = sample(&a, None);
        assert_eq!(first.cpu.percent, 0.0);
        let s = sample(&b, Some(&a));
        assert!((s.cpu.percent - 50.0).abs() < 1e-9, "{}", s.cpu.percent);
        assert!((s.net.rx_bytes_per_s - 2000.0).abs() < 1e-9);
        assert_eq!(s.net.tx_bytes_per_s, 0.0);
        assert_eq!(s.top[0].pid, 42);
        assert!((s.top[0].cpu_percent - 50.0).abs() < 1e-9);
        assert_eq!(s.processes, 2);
    }

    /// What the real script prints through a real `sh` for `input`.
    fn run_probe_loop(input: &[u8]) -> String {
        let out = std::process::Command::new("sh")
            .args(["-c", PROBE_LOOP])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().map(|mut i| i.write_all(input));
                c.wait_with_output()
            })
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn the_probe_loop_runs_here() {
        // The real script, through a real sh, answers once per line it reads.
        let text = run_probe_loop(b"\n\n");
        assert_eq!(text.matches("@end").count(), 2);
        let first = text.split_inclusive("@end\n").next().unwrap();
        let r = parse(first).unwrap();
        assert!(r.memory.total_bytes > 0);
        assert!(!r.procs.is_empty());
        assert!(probe_command().starts_with("exec sh -c 'LC_ALL=C"));
        assert!(probe_command().contains(r"'\''^cpu'\''"));
    }

    /// Probe output a hostile target could print: 50,000 cores, 25,000 mounts, 5,000
    /// interfaces, 70,000 processes, a 1 MiB process name and escape sequences in names.
    fn hostile_output() -> String {
        let mut t = String::from("@uname\nLinux\nevil\x1b]0;pwned\x07\x1b[2J\n6.1\u{9b}31m\n@uptime\n1\n@loadavg\n1 1 1\n@stat\ncpu 1 1 1 1\n");
        for i in 0..50_000 {
            t.push_str(&format!("cpu{i} 1 1 1 1\n"));
        }
        t.push_str("@meminfo\nMemTotal: 1000 kB\n@netdev\nh\nh\n");
        for i in 0..5_000 {
            t.push_str(&format!("eth{i}\x1b[31m: 1 0 0 0 0 0 0 0 2 0\n"));
        }
        t.push_str("@df\nFilesystem Type 1024-blocks Used Available Capacity Mounted on\n");
        for i in 0..25_000 {
            t.push_str(&format!("/dev/x ext4 10 5 5 50% /mnt/{i}\x7f\n"));
        }
        t.push_str("@procs\n");
        t.push_str(&format!(
            "1 ({}) S 0 1 1 0 -1 0 0 0 0 0 500 0 0 0 20 0 1 0 1 1 9 0\n",
            "n".repeat(1 << 20)
        ));
        for i in 2..70_000 {
            t.push_str(&format!(
                "{i} (p\x1b) S 0 1 1 0 -1 0 0 0 0 0 1 0 0 0 20 0 1 0 1 1 1 0\n"
            ));
        }
        t.push_str("@pagesize\n4096\n@clk\n100\n@end\n");
        t
    }

    fn clean_text(what: &str, s: &str) {
        assert!(s.len() <= MAX_TEXT_BYTES, "{what} is {} bytes", s.len());
        assert!(
            !s.chars().any(|c| c.is_control()),
            "{what} holds control characters: {s:?}"
        );
    }

    #[test]
    fn hostile_output_is_bounded_cleaned_and_parsed_fast() {
        let text = hostile_output();
        let started = std::time::Instant::now();
        let mut a = parse(&text).unwrap();
        a.at = 1000;
        let mut b = parse(&text).unwrap();
        b.at = 2000;
        let s = sample(&b, Some(&a));
        let took = started.elapsed();
        // Two parses and a sample in a debug build; quadratic matching took 18 s here.
        assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
        assert_eq!(s.cpu.per_core.len(), MAX_CORES);
        assert_eq!(s.disks.len(), MAX_DISKS);
        assert_eq!(s.net.interfaces.len(), MAX_INTERFACES);
        assert!(
            b.procs.len() <= MAX_PROCESSES,
            "{} processes",
            b.procs.len()
        );
        clean_text("hostname", &s.hostname);
        assert!(
            s.hostname.starts_with("evil\u{fffd}]0;pwned"),
            "{:?}",
            s.hostname
        );
        clean_text("kernel", &s.kernel);
        for d in &s.disks {
            clean_text("mount", &d.mount);
            clean_text("fs", &d.fs);
        }
        for i in &s.net.interfaces {
            clean_text("interface", &i.name);
        }
        for p in &s.top {
            clean_text("process", &p.name);
        }
        let n = outpost_protocol::Notification::MonitorSample(Box::new(
            outpost_protocol::monitor::SampleParams {
                subscription_id: "m1".into(),
                sample: s,
            },
        ));
        let envelope = outpost_protocol::notification::NotificationEnvelope::from(n);
        let line = serde_json::to_vec(&envelope).unwrap();
        assert!(
            line.len() <= outpost_protocol::MAX_LINE_BYTES,
            "a sample line of {} bytes",
            line.len()
        );
    }

    #[test]
    fn whole_names_follow_argv0_only_when_it_extends_a_cut_name() {
        let cut = "sleep-with-a-lo";
        let w = |comm: &str, cmdline: &[u8]| whole_name(comm, cmdline);
        assert_eq!(
            w(cut, b"/tmp/x/sleep-with-a-long-name\x0030\x00").as_deref(),
            Some("sleep-with-a-long-name")
        );
        // Short names, renamed processes and empty command lines keep their name.
        assert_eq!(w("sleep", b"/bin/sleep-longer\x00"), None);
        assert_eq!(w(cut, b"/usr/bin/other-program-name\x00"), None);
        assert_eq!(w(cut, b""), None);
        assert_eq!(w(cut, b"sleep-with-a-lo\x00"), None);
        // Hostile argv[0]: control characters replaced, the name bounded.
        let evil = format!("{cut}\x1b]0;pwned\x07{}", "n".repeat(10_000));
        let got = w(cut, evil.as_bytes()).unwrap();
        assert!(
            got.starts_with("sleep-with-a-lo\u{fffd}]0;pwned"),
            "{got:?}"
        );
        clean_text("argv0", &got);
    }

    fn proc(pid: u32, name: &str) -> ProcessSample {
        ProcessSample {
            pid,
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn argv0_answers_name_only_the_processes_asked_for() {
        let mut top = vec![proc(7, "short"), proc(8, "sleep-with-a-lo"), proc(9, "x")];
        assert_eq!(argv0_request(&top).as_deref(), Some("8"));
        assert_eq!(argv0_request(&top[..1]), None);
        let long = format!("/a/sleep-with-a-lo{}", "\x1b".repeat(20_000));
        let answer = [
            "@argv0 9",
            "/x/x-but-longer-than-fifteen",
            "@argv0 8",
            "/bin/sleep-with-a-long-name",
            "/bin/sleep-with-a-lot-more-lines",
            "@argv0 junk",
            long.as_str(),
            "@end",
        ];
        apply_argv0s(&mut top, answer);
        let names: Vec<&str> = top.iter().map(|p| p.name.as_str()).collect();
        // 9's name was never cut (and not asked for); 8 takes only its section's first line.
        assert_eq!(names, ["short", "sleep-with-a-long-name", "x"]);
    }

    #[test]
    fn the_probe_loop_answers_argv0_requests_here() {
        // A real process whose name the kernel cut, asked for through the real script.
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("sleep-with-a-long-name");
        std::os::unix::fs::symlink("/bin/sleep", &long).unwrap();
        let mut sleeper = std::process::Command::new(&long).arg("30").spawn().unwrap();
        let pid = sleeper.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default()
            != "sleep-with-a-lo\n"
        {
            assert!(std::time::Instant::now() < deadline, "sleep never started");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let text = run_probe_loop(format!("{pid} 4294967295 1x\n\n").as_bytes());
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        let (answer, reading) = text.split_once("@end\n").unwrap();
        let r = parse(reading).unwrap();
        let stat_name = r.procs.get(&pid).map(|p| p.name.as_str());
        assert_eq!(
            stat_name,
            Some("sleep-with-a-lo"),
            "the stat line's cut name"
        );
        let mut top = vec![proc(pid, "sleep-with-a-lo")];
        apply_argv0s(&mut top, answer.lines());
        assert_eq!(top[0].name, "sleep-with-a-long-name", "answer: {answer:?}");
        // The missing process got an empty section; the malformed id none.
        assert!(answer.contains("@argv0 4294967295\n"), "{answer:?}");
        assert!(!answer.contains("1x"), "{answer:?}");
    }

    #[test]
    fn refuses_other_systems_and_cut_output() {
        assert_eq!(
            parse("@uname\nFreeBSD\nh\n14\n").unwrap_err(),
            ProbeError::NotLinux("FreeBSD".into())
        );
        assert!(matches!(
            parse("@uname\nLinux\nh\n6\n@uptime\n1\n"),
            Err(ProbeError::Malformed(_))
        ));
        assert!(parse("garbage").is_err());
    }
}

//! Sampling the agent's own host with `sysinfo`, within the same caps and text rules as a
//! target's samples ([`super::probe`]).

use std::collections::HashSet;
use std::time::Instant;

use outpost_protocol::monitor::{
    CpuSample, DiskSample, InterfaceSample, MemorySample, NetSample, ProcessSample, Sample,
};
use sysinfo::{Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System};

use super::probe::{
    clean_text, whole_name, COMM_BYTES, MAX_CMDLINE_BYTES, MAX_CORES, MAX_DISKS, MAX_INTERFACES,
    MAX_TOP, PSEUDO_FS,
};

/// The whole name of a process whose command name the kernel cut at [`COMM_BYTES`], from its
/// `/proc/PID/cmdline` by the rule targets follow too ([`whole_name`]); otherwise `comm`.
pub fn full_name(pid: u32, comm: &str) -> String {
    if comm.len() < COMM_BYTES {
        return comm.to_owned();
    }
    let mut raw = Vec::new();
    let read = std::fs::File::open(format!("/proc/{pid}/cmdline")).and_then(|f| {
        std::io::Read::read_to_end(
            &mut std::io::Read::take(f, MAX_CMDLINE_BYTES as u64),
            &mut raw,
        )
    });
    match read {
        Ok(_) => whole_name(comm, &raw).unwrap_or_else(|| comm.to_owned()),
        Err(_) => comm.to_owned(),
    }
}

/// Keeps `sysinfo`'s state between samples, so CPU use and rates are deltas.
pub struct LocalSampler {
    sys: System,
    networks: Networks,
    disks: Disks,
    last: Instant,
}

impl LocalSampler {
    /// A sampler. It reads CPU and process times once here, so even its first sample's CPU
    /// figures are deltas (`sysinfo`'s first reading of the global CPU is the average since
    /// boot, and of each core and process zero).
    pub fn new() -> Result<Self, String> {
        let mut sys = System::new().map_err(|e| format!("cannot read this host: {e}"))?;
        sys.refresh_cpu_usage();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_cpu(),
        );
        let networks = Networks::new_with_refreshed_list()
            .map_err(|e| format!("cannot read network interfaces: {e}"))?;
        let disks =
            Disks::new_with_refreshed_list().map_err(|e| format!("cannot read disks: {e}"))?;
        Ok(Self {
            sys,
            networks,
            disks,
            last: Instant::now(),
        })
    }

    /// Takes a sample (blocking: reads `/proc`).
    pub fn sample(&mut self) -> Sample {
        // `sysinfo` keeps the last CPU times when asked again sooner than this: wait it out
        // (a sampler's first tick comes right after `new`).
        let since = self.last.elapsed();
        if since < sysinfo::MINIMUM_CPU_UPDATE_INTERVAL {
            std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL - since);
        }
        let secs = self.last.elapsed().as_secs_f64().max(1e-3);
        self.last = Instant::now();
        let sys = &mut self.sys;
        sys.refresh_cpu_usage();
        sys.refresh_memory();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        self.networks.refresh(true);
        self.disks.refresh(true);

        let mut net = NetSample::default();
        for (name, data) in self.networks.iter() {
            if name == "lo" {
                continue;
            }
            let i = InterfaceSample {
                name: clean_text(&name.to_string_lossy()),
                rx_bytes_per_s: data.received() as f64 / secs,
                tx_bytes_per_s: data.transmitted() as f64 / secs,
                rx_bytes_total: data.total_received(),
                tx_bytes_total: data.total_transmitted(),
            };
            net.rx_bytes_per_s += i.rx_bytes_per_s;
            net.tx_bytes_per_s += i.tx_bytes_per_s;
            net.interfaces.push(i);
        }
        net.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        net.interfaces.truncate(MAX_INTERFACES);

        let mut disks: Vec<DiskSample> = Vec::new();
        let mut mounts: HashSet<String> = HashSet::new();
        for d in self.disks.iter() {
            if disks.len() == MAX_DISKS {
                break;
            }
            let fs = clean_text(&d.file_system().to_string_lossy());
            let mount = clean_text(&d.mount_point().to_string_lossy());
            if PSEUDO_FS.contains(&fs.as_str())
                || d.total_space() == 0
                || !mounts.insert(mount.clone())
            {
                continue;
            }
            // Used as `df` counts it: all blocks minus free blocks (reserved ones count as used
            // by no one, so total - available would overstate it).
            let used = nix::sys::statvfs::statvfs(d.mount_point())
                .map(|v| (v.blocks() - v.blocks_free()) * v.fragment_size())
                .unwrap_or_else(|_| d.total_space().saturating_sub(d.available_space()));
            disks.push(DiskSample {
                mount,
                fs,
                total_bytes: d.total_space(),
                used_bytes: used,
            });
        }

        let mut top: Vec<ProcessSample> = sys
            .processes()
            .values()
            .filter(|p| p.thread_kind().is_none())
            .map(|p| ProcessSample {
                pid: p.pid().as_u32(),
                name: clean_text(&p.name().to_string_lossy()),
                cpu_percent: f64::from(p.cpu_usage()),
                memory_bytes: p.memory(),
            })
            .collect();
        let processes = top.len() as u32;
        top.sort_by(|a, b| {
            b.cpu_percent
                .total_cmp(&a.cpu_percent)
                .then(b.memory_bytes.cmp(&a.memory_bytes))
        });
        top.truncate(MAX_TOP);
        for p in &mut top {
            p.name = clean_text(&full_name(p.pid, &p.name));
        }

        let load = System::load_average().unwrap_or_else(|_| sysinfo::LoadAvg::default());
        let total = sys.total_memory();
        let available = sys.available_memory();
        Sample {
            at: super::now_ms(),
            hostname: clean_text(&System::host_name().unwrap_or_default()),
            os: std::env::consts::OS.into(),
            kernel: clean_text(&System::kernel_version().unwrap_or_default()),
            uptime_s: System::uptime().unwrap_or_default(),
            load: [load.one, load.five, load.fifteen],
            cpu: CpuSample {
                percent: f64::from(sys.global_cpu_usage()).clamp(0.0, 100.0),
                per_core: sys
                    .cpus()
                    .iter()
                    .take(MAX_CORES)
                    .map(|c| f64::from(c.usage()).clamp(0.0, 100.0))
                    .collect(),
            },
            memory: MemorySample {
                total_bytes: total,
                used_bytes: total.saturating_sub(available),
                available_bytes: available,
                swap_total_bytes: sys.total_swap(),
                swap_used_bytes: sys.used_swap(),
            },
            disks,
            net,
            processes,
            top,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first sample of a new sampler (the first after an app restart, whose history comes
    /// from the journal) carries real per-core and per-process CPU figures: `sysinfo` alone
    /// would give the average since boot for the machine and zero for each core and process.
    #[test]
    fn the_first_sample_has_real_core_and_process_figures() {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let spin = std::thread::spawn(move || {
            let mut x = 0u64;
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        });
        let me = std::process::id();
        let mut samples = Vec::new();
        // Retried: on a loaded 2-core machine one 200 ms window may show no time for us.
        let ok = |s: &Sample| {
            let cores = &s.cpu.per_core;
            let mean = cores.iter().sum::<f64>() / cores.len().max(1) as f64;
            !cores.is_empty()
                && cores.iter().any(|c| *c >= 50.0)
                && (mean - s.cpu.percent).abs() <= 20.0
                && s.top.iter().any(|p| p.pid == me && p.cpu_percent >= 20.0)
        };
        while samples.len() < 4 && !samples.last().is_some_and(ok) {
            let mut sampler = LocalSampler::new().unwrap_or_else(|e| panic!("{e}"));
            samples.push(sampler.sample());
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = spin.join();
        let s = samples.last().unwrap_or_else(|| panic!("no sample"));
        assert!(
            ok(s),
            "while a thread spun, in {} first samples: cpu {} per core {:?}, top {:?}",
            samples.len(),
            s.cpu.percent,
            s.cpu.per_core,
            s.top
        );
    }
}

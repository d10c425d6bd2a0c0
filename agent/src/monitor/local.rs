//! Sampling the agent's own host with `sysinfo`, within the same caps and text rules as a
//! target's samples ([`super::probe`]).

use std::collections::HashSet;
use std::time::Instant;

use outpost_protocol::monitor::{
    CpuSample, DiskSample, InterfaceSample, MemorySample, NetSample, ProcessSample, Sample,
};
use sysinfo::{Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System};

use super::probe::{clean_text, MAX_CORES, MAX_DISKS, MAX_INTERFACES, MAX_TOP, PSEUDO_FS};

/// Keeps `sysinfo`'s state between samples, so CPU use and rates are deltas.
pub struct LocalSampler {
    sys: System,
    networks: Networks,
    disks: Disks,
    last: Instant,
}

impl LocalSampler {
    /// A sampler; its first sample's CPU figures and rates are zero.
    pub fn new() -> Result<Self, String> {
        let mut sys = System::new().map_err(|e| format!("cannot read this host: {e}"))?;
        sys.refresh_cpu_usage();
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

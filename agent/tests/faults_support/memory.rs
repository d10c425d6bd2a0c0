//! Memory figures of processes, read from `/proc`: resident set (`VmRSS` in `status`) and
//! private memory (`Private_Clean` + `Private_Dirty` in `smaps_rollup`), and a [`Peak`] that
//! follows both over a run.
//!
//! `VmRSS` counts the pages of the binary and libraries shared with every other daemon, so for
//! many daemons the private figure is what one more session really costs; the tests assert on
//! `VmRSS` (the stricter of the two) and report both.

use outpost_testkit::procfs;

/// One reading of a process's memory, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mem {
    /// Resident set size (`VmRSS`).
    pub rss_kib: u64,
    /// Private resident memory (`Private_Clean + Private_Dirty`).
    pub private_kib: u64,
}

/// Reads the memory of `pid`; `None` once the process is gone.
pub fn mem(pid: u32) -> Option<Mem> {
    Some(Mem {
        rss_kib: procfs::status(pid)?.rss_kib,
        private_kib: procfs::smaps_rollup(pid)?.private_kib(),
    })
}

/// The first, largest and last readings of one process (or the largest over several).
#[derive(Clone, Copy, Debug, Default)]
pub struct Peak {
    /// Readings taken.
    pub samples: u64,
    /// The first reading.
    pub first: Mem,
    /// The largest `VmRSS` and the largest private figure seen (not necessarily together).
    pub max: Mem,
    /// The latest reading.
    pub last: Mem,
}

impl Peak {
    /// Adds a reading.
    pub fn add(&mut self, m: Mem) {
        if self.samples == 0 {
            self.first = m;
        }
        self.samples += 1;
        self.max.rss_kib = self.max.rss_kib.max(m.rss_kib);
        self.max.private_kib = self.max.private_kib.max(m.private_kib);
        self.last = m;
    }

    /// Takes a reading of `pid` and adds it; panics if the process is gone (a crash).
    pub fn sample(&mut self, pid: u32, what: &str) -> Mem {
        let m = mem(pid).unwrap_or_else(|| panic!("{what} (pid {pid}) is gone"));
        self.add(m);
        m
    }

    /// `IDLE → MAX (PRIVATE MAX)` in MiB, for reports: `VmRSS` from the `idle` reading to this
    /// peak's largest, then the largest private figure.
    pub fn grown_from(&self, idle: Mem) -> String {
        format!(
            "{} → {} ({})",
            mib(idle.rss_kib),
            mib(self.max.rss_kib),
            mib(self.max.private_kib)
        )
    }

    /// Merges another peak's maxima into this one (for "the largest of many daemons").
    pub fn merge_max(&mut self, other: &Peak) {
        self.samples += other.samples;
        self.max.rss_kib = self.max.rss_kib.max(other.max.rss_kib);
        self.max.private_kib = self.max.private_kib.max(other.max.private_kib);
    }
}

/// KiB as MiB with one decimal, for reports.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

//! The figures each fault scenario reports: its section of the reliability document
//! ([`section`], an `outpost_testkit::report::FaultSection`) and the formatting of durations,
//! percentiles and byte counts.

use std::time::Duration;

use outpost_testkit::report::FaultSection;

/// The section of the agent fault scenario `key` (`outpost_testkit::report::FaultSection`).
pub fn section(key: &'static str, title: &str) -> FaultSection {
    FaultSection::new("cargo test -p outpost-agent --test faults", key, title)
}

/// A duration in milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The `p`-th percentile (0..=100, nearest rank) of `samples`; zero when empty.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut v = samples.to_vec();
    v.sort();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// A byte count with its binary unit.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{n} B ({:.1} MiB)", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{n} B ({:.1} KiB)", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// `text` as inline Markdown code, with a longer fence when it holds backticks itself, and with
/// any `|` escaped so it stays inside its table cell.
pub fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

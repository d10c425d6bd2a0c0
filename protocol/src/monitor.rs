//! Host monitoring: samples of the agent's host and of `ssh` sessions' targets, and the
//! `monitor.*` methods' params and results.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The shortest and longest sampling interval, in milliseconds.
pub const INTERVAL_RANGE: std::ops::RangeInclusive<u64> = 250..=60_000;

/// How much history a sampler keeps: 10 minutes.
pub const HISTORY_MS: u64 = 10 * 60 * 1000;

/// The most CPU cores a sample lists.
pub const MAX_CORES: usize = 1024;
/// The most filesystems a sample lists.
pub const MAX_DISKS: usize = 128;
/// The most network interfaces a sample lists.
pub const MAX_INTERFACES: usize = 128;
/// The most processes a sample lists in `top` (the busiest; `processes` counts them all).
pub const MAX_TOP: usize = 5;
/// The longest text (host name, kernel, mount, file system, interface or process name) a sample
/// carries, in bytes; control characters are replaced by U+FFFD.
pub const MAX_TEXT_BYTES: usize = 255;

/// What to monitor: `"agent"` (the agent's host) or `{"session_id": ...}` (an `ssh` session's
/// target, read over that session's own connection).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(type = r#""agent" | { session_id: string }"#)
)]
pub enum MonitorTarget {
    /// The agent's host.
    Agent,
    /// The target of an `ssh` session.
    Session {
        /// The session's id.
        session_id: String,
    },
}

impl Serialize for MonitorTarget {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MonitorTarget::Agent => s.serialize_str("agent"),
            MonitorTarget::Session { session_id } => {
                serde_json::json!({ "session_id": session_id }).serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for MonitorTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const USAGE: &str = "target must be \"agent\" or {\"session_id\": \"...\"}";
        // Only these two exact shapes: a string, or an object holding session_id and nothing else.
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(n) if n == "agent" => Ok(MonitorTarget::Agent),
            serde_json::Value::Object(m) => match (m.len(), m.get("session_id")) {
                (1, Some(serde_json::Value::String(id))) => Ok(MonitorTarget::Session {
                    session_id: id.clone(),
                }),
                _ => Err(serde::de::Error::custom(USAGE)),
            },
            serde_json::Value::String(n) => Err(serde::de::Error::custom(format!(
                "unknown target {n:?}: {USAGE}"
            ))),
            _ => Err(serde::de::Error::custom(USAGE)),
        }
    }
}

/// CPU usage.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuSample {
    /// All cores together, 0..=100.
    pub percent: f64,
    /// Each core, 0..=100.
    pub per_core: Vec<f64>,
}

/// Memory and swap.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemorySample {
    /// Physical memory.
    pub total_bytes: u64,
    /// In use (total minus available).
    pub used_bytes: u64,
    /// Available to new programs without swapping.
    pub available_bytes: u64,
    /// Swap size.
    pub swap_total_bytes: u64,
    /// Swap in use.
    pub swap_used_bytes: u64,
}

/// One mounted filesystem (real filesystems only).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSample {
    /// Mount point.
    pub mount: String,
    /// Filesystem type, e.g. `ext4`.
    pub fs: String,
    /// Size.
    pub total_bytes: u64,
    /// In use.
    pub used_bytes: u64,
}

/// Traffic of one network interface.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InterfaceSample {
    /// Interface name.
    pub name: String,
    /// Received bytes per second.
    pub rx_bytes_per_s: f64,
    /// Sent bytes per second.
    pub tx_bytes_per_s: f64,
    /// Received bytes since boot.
    pub rx_bytes_total: u64,
    /// Sent bytes since boot.
    pub tx_bytes_total: u64,
}

/// Network traffic (loopback excluded).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetSample {
    /// Received bytes per second, all interfaces.
    pub rx_bytes_per_s: f64,
    /// Sent bytes per second, all interfaces.
    pub tx_bytes_per_s: f64,
    /// Each interface.
    pub interfaces: Vec<InterfaceSample>,
}

/// One of the busiest processes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessSample {
    /// Process id.
    pub pid: u32,
    /// Command name.
    pub name: String,
    /// CPU use since the previous sample, in percent of one core.
    pub cpu_percent: f64,
    /// Resident memory.
    pub memory_bytes: u64,
}

/// One sample of a host.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When it was taken, Unix milliseconds.
    pub at: u64,
    /// The host's name.
    pub hostname: String,
    /// Operating system, e.g. `"linux"`.
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// Seconds since boot.
    pub uptime_s: u64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// CPU use (since the previous sample; zero in a target's first sample).
    pub cpu: CpuSample,
    /// Memory.
    pub memory: MemorySample,
    /// Real filesystems.
    pub disks: Vec<DiskSample>,
    /// Network rates.
    pub net: NetSample,
    /// Number of processes.
    pub processes: u32,
    /// The five busiest processes.
    pub top: Vec<ProcessSample>,
    /// Why this sample holds no figures (target unreachable, not Linux, probe failed); the other
    /// fields are then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `monitor.snapshot` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotParams {
    /// What to sample.
    pub target: MonitorTarget,
}

/// `monitor.snapshot` result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotResult {
    /// The sample.
    pub sample: Sample,
}

/// `monitor.subscribe` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeParams {
    /// What to sample.
    pub target: MonitorTarget,
    /// The sampling interval, 250..=60000 ms.
    pub interval_ms: u64,
}

/// `monitor.subscribe` result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscribeResult {
    /// Names the subscription in `monitor.sample` and `monitor.unsubscribe`.
    pub subscription_id: String,
    /// The samples of the last 10 minutes at this interval, oldest first.
    pub history: Vec<Sample>,
}

/// `monitor.unsubscribe` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeParams {
    /// The subscription.
    pub subscription_id: String,
}

/// `monitor.sample` notification params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleParams {
    /// The subscription.
    pub subscription_id: String,
    /// The new sample.
    pub sample: Sample,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t: MonitorTarget = serde_json::from_str("\"agent\"").unwrap();
        assert_eq!(t, MonitorTarget::Agent);
        let t: MonitorTarget = serde_json::from_str(r#"{"session_id":"ab1"}"#).unwrap();
        assert_eq!(
            t,
            MonitorTarget::Session {
                session_id: "ab1".into()
            }
        );
        assert!(serde_json::from_str::<MonitorTarget>("\"host\"").is_err());
        assert!(serde_json::from_str::<MonitorTarget>("3").is_err());
        assert!(serde_json::from_str::<MonitorTarget>(r#"{"session_id":"a","x":1}"#).is_err());
        assert!(serde_json::from_str::<MonitorTarget>(r#"["agent"]"#).is_err());
        assert!(serde_json::from_str::<MonitorTarget>(r#"{"session_id":3}"#).is_err());
        assert_eq!(
            serde_json::to_string(&MonitorTarget::Agent).unwrap(),
            "\"agent\""
        );
    }
}

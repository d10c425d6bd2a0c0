//! Host monitoring: the agent's host through `sysinfo` ([`local`]), and each `ssh` session's
//! target through a POSIX `sh` probe over the session's own ControlMaster ([`probe`],
//! [`remote`]). [`hub`] runs one sampler per target and interval, keeps its history (also on disk,
//! [`journal`], so it outlives the agent) and fans its samples out to subscriptions.

pub mod hub;
pub mod journal;
pub mod local;
pub mod probe;
pub mod remote;

/// The current time in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

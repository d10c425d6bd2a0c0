//! The names Outpost's own processes show in `ps`, `top` and the monitoring panel.
//!
//! The agent and its session daemons run from the same binary, often started through
//! `/proc/self/exe`, so the kernel would name them `outpost-agent` or `exe`. Each sets its
//! command name (`/proc/PID/comm`, 15 bytes at most) with `prctl(PR_SET_NAME)` before it starts
//! any thread, so every thread it starts inherits the name too.

use std::ffi::CStr;

/// The command name of the `serve` process (the agent).
pub const AGENT: &CStr = c"outpost-agent";

/// The command name of a session daemon.
pub const SESSION: &CStr = c"outpost-session";

/// Names the calling thread (the main thread names the process); failures are only logged,
/// since a name is cosmetic.
pub fn set(name: &CStr) {
    if let Err(e) = nix::sys::prctl::set_name(name) {
        tracing::debug!("prctl(PR_SET_NAME, {name:?}): {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_kernel_limit() {
        // TASK_COMM_LEN is 16 bytes including the terminating NUL.
        assert!(AGENT.to_bytes().len() <= 15);
        assert!(SESSION.to_bytes().len() <= 15);
    }
}

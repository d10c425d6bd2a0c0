// Generated from the Rust types by `cargo test -p outpost-desktop --lib export_bindings`
// (`OUTPOST_UPDATE_BINDINGS=1` rewrites it). Do not edit by hand.

/** The smallest terminal dimension the agent accepts, in cells. */
export const TERMINAL_SIZE_MIN = 1;

/** The largest terminal dimension the agent accepts, in cells. */
export const TERMINAL_SIZE_MAX = 1000;

/** The longest protocol line, in bytes. */
export const MAX_LINE_BYTES = 4194304;

/** The shortest monitoring interval, in milliseconds. */
export const MONITOR_INTERVAL_MIN_MS = 250;

/** The longest monitoring interval, in milliseconds. */
export const MONITOR_INTERVAL_MAX_MS = 60000;

/** How much monitoring history the agent keeps (and a subscription starts with), in milliseconds. */
export const MONITOR_HISTORY_MS = 600000;

/** The most CPU cores a sample lists. */
export const MONITOR_MAX_CORES = 1024;

/** The most filesystems a sample lists. */
export const MONITOR_MAX_DISKS = 128;

/** The most network interfaces a sample lists. */
export const MONITOR_MAX_INTERFACES = 128;

/** The most processes a sample lists as the busiest. */
export const MONITOR_MAX_TOP = 5;

/** The longest text a sample carries (host, mount, process names), in bytes. */
export const MONITOR_MAX_TEXT_BYTES = 255;

/** The documents `state_load`/`state_save` accept. */
export const STATE_KEYS = ["settings", "workspace"] as const;

/** The largest saved window document, in bytes. */
export const STATE_MAX_BYTES = 1048576;

/** The longest command `session.exec` takes, in bytes. */
export const EXEC_COMMAND_MAX_BYTES = 65536;

/** The longest `session.exec` timeout, in milliseconds. */
export const EXEC_TIMEOUT_MAX_MS = 86400000;

/** The most sessions one "Run in selected sessions" takes. */
export const RUN_SESSIONS_MAX = 512;

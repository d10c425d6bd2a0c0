// Generated from the Rust types by `cargo test -p outpost-desktop --lib export_bindings`
// (`OUTPOST_UPDATE_BINDINGS=1` rewrites it). Do not edit by hand.

/**
 * Which agent-owned forward [`agent_forward_save`] means.
 */
export type AgentForwardKey = { 
/**
 * Its id on the host, if it has one.
 */
id: string | null, 
/**
 * Its session.
 */
session_id: string | null, 
/**
 * Its destination host.
 */
dest_host: string, 
/**
 * Its destination port.
 */
dest_port: number, };

/**
 * One agent-owned forward of a host as the panel shows it.
 */
export type AgentForwardRow = { 
/**
 * Its id on the host (none: a saved port whose forward the host does not have now).
 */
id: string | null, 
/**
 * The session whose target reaches the destination (none: the host itself).
 */
session_id: string | null, 
/**
 * The destination host.
 */
dest_host: string, 
/**
 * The destination port.
 */
dest_port: number, 
/**
 * Whether the host's socket takes connections now (none: not on the host).
 */
state: ForwardState | null, 
/**
 * The Unix socket on the host.
 */
socket: string | null, 
/**
 * Its local port in this window, when open.
 */
local: AgentLocal | null, 
/**
 * Its saved local port, if any.
 */
saved: AgentSavedPort | null, };

/**
 * A host's agent-owned forwards.
 */
export type AgentForwards = { 
/**
 * The host's forwards (by id), then saved ports whose forward it does not have.
 */
forwards: Array<AgentForwardRow>, };

/**
 * An agent-owned forward's local port in this window.
 */
export type AgentLocal = { 
/**
 * The desktop address it listens on.
 */
bind: string, 
/**
 * The desktop port.
 */
port: number, 
/**
 * Its counters.
 */
counts: ForwardCounts, };

/**
 * A saved local port of an agent-owned forward.
 */
export type AgentSavedPort = { 
/**
 * The desktop address.
 */
bind: string, 
/**
 * The desktop port.
 */
port: number, };

/**
 * The app's version, configuration directory and home directory.
 */
export type AppInfo = { 
/**
 * Outpost's version.
 */
version: string, 
/**
 * Where hosts, keys and window state live.
 */
config_dir: string, 
/**
 * This computer's home directory (as OpenSSH finds it), shown as `~` in tab labels.
 */
home: string | null, };

/**
 * The facts of a certificate a server presented, as a front end shows them.
 */
export type CertificateInfo = { 
/**
 * The certificate's key id (`ssh-keygen -I`).
 */
key_id: string, 
/**
 * Its serial number (`ssh-keygen -z`). Serials above 2^53 lose precision in JavaScript;
 * they are shown, never compared.
 */
serial: number, 
/**
 * The names it is valid for (`ssh-keygen -n`); empty: every name.
 */
principals: Array<string>, 
/**
 * The signing CA key's algorithm, e.g. `ssh-ed25519`.
 */
ca_key_type: string, 
/**
 * The signing CA key's fingerprint (`SHA256:…`).
 */
ca_fingerprint: string, 
/**
 * Start of validity, in seconds since the Unix epoch (0: always valid before its end).
 */
valid_after: number, 
/**
 * End of validity (exclusive), in seconds since the Unix epoch; `None`: forever.
 */
valid_before: number | null, };

/**
 * Why a host certificate is not trusted; see the [module documentation](self) for the order.
 */
export type CertificateProblem = { "reason": "revoked", 
/**
 * The fingerprint of the revoked key.
 */
revoked_fingerprint: string, 
/**
 * True when the revoked key is the CA's (every certificate it signed is refused).
 */
ca: boolean, } | { "reason": "unknown_ca", 
/**
 * Fingerprints of the CAs trusted for this host (empty: none is).
 */
trusted_cas: Array<string>, } | { "reason": "bad_signature" } | { "reason": "not_host_certificate" } | { "reason": "not_yet_valid", 
/**
 * Start of validity, in seconds since the Unix epoch.
 */
valid_after: number, 
/**
 * The local clock when checked, in seconds since the Unix epoch.
 */
now: number, } | { "reason": "expired", 
/**
 * End of validity, in seconds since the Unix epoch.
 */
valid_before: number, 
/**
 * The local clock when checked, in seconds since the Unix epoch.
 */
now: number, } | { "reason": "wrong_principal", 
/**
 * The name that was looked for.
 */
name: string, 
/**
 * The names it is valid for.
 */
principals: Array<string>, } | { "reason": "critical_option", 
/**
 * The option's name.
 */
option: string, };

/**
 * A server whose host certificate was refused: the key and certificate it presented, and why.
 */
export type CertificateRejected = { 
/**
 * Why the certificate is not trusted.
 */
problem: CertificateProblem, 
/**
 * The host as connected to.
 */
host: string, 
/**
 * The port.
 */
port: number, 
/**
 * The host as `known_hosts` names it ([`lookup_name`]): what `ssh-keygen -R` takes.
 */
known_hosts_name: string, 
/**
 * The key's algorithm, e.g. `ssh-ed25519`.
 */
key_type: string, 
/**
 * The key's fingerprint ([`fingerprint`]).
 */
fingerprint: string, 
/**
 * The host certificate the key came in, when the server presented one (its CA and
 * principals); `key_type` and `fingerprint` are then those of the certified key.
 */
certificate: CertificateInfo | null, };

/**
 * A server presenting a key other than those on record for it ([`HostKeyStatus::Changed`]).
 */
export type ChangedKey = { 
/**
 * Fingerprints of the keys on record for this host and key type.
 */
expected_fingerprints: Array<string>, 
/**
 * The host as connected to.
 */
host: string, 
/**
 * The port.
 */
port: number, 
/**
 * The host as `known_hosts` names it ([`lookup_name`]): what `ssh-keygen -R` takes.
 */
known_hosts_name: string, 
/**
 * The key's algorithm, e.g. `ssh-ed25519`.
 */
key_type: string, 
/**
 * The key's fingerprint ([`fingerprint`]).
 */
fingerprint: string, 
/**
 * The host certificate the key came in, when the server presented one (its CA and
 * principals); `key_type` and `fingerprint` are then those of the certified key.
 */
certificate: CertificateInfo | null, };

/**
 * One concrete alias of the user's file, as the window's sidebar lists it.
 */
export type ConfigAlias = { 
/**
 * The alias.
 */
name: string, 
/**
 * Whether connecting by it asks to forward the desktop's ssh-agent: its resolved
 * `ForwardAgent` is `yes` or names a socket ([`forwards_agent`]).
 */
forwards_agent: boolean, };

/**
 * What `outpost check` reports about a connection.
 */
export type ConnectInfo = { 
/**
 * The saved host's name.
 */
host: string, 
/**
 * The host's own name.
 */
hostname: string, 
/**
 * `os-arch`.
 */
platform: string, 
/**
 * The user the agent runs as.
 */
user: string, 
/**
 * The agent's version.
 */
agent_version: string, 
/**
 * Whether the agent had to be deployed (or upgraded) for this connection.
 */
deployed: boolean, 
/**
 * Time from starting to connect to a completed handshake, in milliseconds.
 */
connect_ms: number, 
/**
 * Round trip of one request on the open connection, in milliseconds.
 */
latency_ms: number, 
/**
 * Lines the host printed before the agent spoke (shell startup files).
 */
preamble: Array<string>, };

/**
 * CPU usage.
 */
export type CpuSample = { 
/**
 * All cores together, 0..=100.
 */
percent: number, 
/**
 * Each core, 0..=100.
 */
per_core: Array<number>, };

/**
 * Why deploying the agent failed, as data: the window shows these fields, the CLI the message.
 * (SSH failures on the way are [`SshError`](crate::engine::ssh::SshError)s, and a missing
 * binary for the platform is [`NoAgentBinary`](agent_bin::NoAgentBinary).)
 */
export type DeployError = { "reason": "probe_not_run", 
/**
 * The first 200 characters the shell printed.
 */
printed: string, } | { "reason": "unknown_platform", 
/**
 * What the probe printed where `uname -sm` belongs (empty when nothing).
 */
uname: string, } | { "reason": "unsupported_platform", 
/**
 * `os-arch`, e.g. `darwin-aarch64`.
 */
platform: string, } | { "reason": "read_binary", 
/**
 * The binary.
 */
path: string, 
/**
 * Why.
 */
error: string, } | { "reason": "create_dir", 
/**
 * The directory, relative to the login directory.
 */
dir: string, 
/**
 * What the host said.
 */
stderr: string, } | { "reason": "upload_failed", 
/**
 * What the host said to `cat`.
 */
stderr: string, } | { "reason": "checksum_mismatch", 
/**
 * The SHA-256 of the binary sent.
 */
expected: string, 
/**
 * The SHA-256 the host computed, when it printed one.
 */
actual: string | null, } | { "reason": "install_failed", 
/**
 * What the host said.
 */
stderr: string, } | { "reason": "wrong_version", 
/**
 * What it printed.
 */
answer: string, 
/**
 * What it printed on stderr.
 */
stderr: string, };

/**
 * Which way a transfer goes.
 */
export type Direction = "upload" | "download";

/**
 * One mounted filesystem (real filesystems only).
 */
export type DiskSample = { 
/**
 * Mount point.
 */
mount: string, 
/**
 * Filesystem type, e.g. `ext4`.
 */
fs: string, 
/**
 * Size.
 */
total_bytes: number, 
/**
 * In use.
 */
used_bytes: number, };

/**
 * The facts of an error, tagged by `kind`.
 */
export type ErrorDetails = { "kind": "saved_host", 
/**
 * The host's name.
 */
name: string, } | { "kind": "host_key_changed" } & ChangedKey | { "kind": "host_key_revoked" } & ServerKey | { "kind": "host_key_rejected" } & ServerKey | { "kind": "host_certificate" } & CertificateRejected | { "kind": "auth_failed", 
/**
 * The host.
 */
host: string, 
/**
 * The user name sent.
 */
user: string, 
/**
 * What was tried, in order.
 */
tried: Array<string>, 
/**
 * The methods the server still accepted at the end.
 */
allowed: Array<string>, } | { "kind": "connection_refused", 
/**
 * The host.
 */
host: string, 
/**
 * The port.
 */
port: number, } | { "kind": "name_not_resolved", 
/**
 * The host name.
 */
host: string, 
/**
 * The resolver's words.
 */
reason: string, } | { "kind": "unreachable", 
/**
 * The host.
 */
host: string, 
/**
 * The port.
 */
port: number, 
/**
 * Why, in the system's or the jump host's words.
 */
reason: string, } | { "kind": "connect_timeout", 
/**
 * The host.
 */
host: string, 
/**
 * The port.
 */
port: number, 
/**
 * The limit that was exceeded, in milliseconds.
 */
after_ms: number, 
/**
 * What was under way: `connecting`, `key exchange and authentication`.
 */
stage: string, } | { "kind": "no_agent_binary", 
/**
 * `os-arch`, e.g. `linux-riscv64`.
 */
platform: string, 
/**
 * The missing file, e.g. `outpost-agent-linux-riscv64`.
 */
file_name: string, 
/**
 * Every path looked at, in order.
 */
looked: Array<string>, } | { "kind": "deploy" } & DeployError | { "kind": "rpc", 
/**
 * The JSON-RPC code (negative), as `code` names it without the sign.
 */
rpc_code: number, 
/**
 * The agent's structured detail, when it sent one.
 */
data: unknown, } | { "kind": "rpc_timeout", 
/**
 * The method asked.
 */
method: string, 
/**
 * The limit, in milliseconds.
 */
after_ms: number, } | { "kind": "no_target_session", 
/**
 * The host whose sessions were looked at.
 */
host: string, 
/**
 * The target asked for, `[user@]host[:port]`.
 */
target: string, 
/**
 * The targets of the host's running ssh sessions.
 */
open: Array<string>, } | { "kind": "invalid_pattern", 
/**
 * The pattern as given.
 */
pattern: string, 
/**
 * The regex compiler's words.
 */
reason: string, } | { "kind": "state_too_large", 
/**
 * The document's key.
 */
key: string, 
/**
 * Its size in bytes.
 */
size: number, 
/**
 * The largest size kept.
 */
limit: number, };

/**
 * A failure as a front end receives it: the rejection of every window command, and the end of
 * a tab that no reconnect can cure.
 */
export type ErrorReport = { 
/**
 * A stable, machine-readable code ([`EngineError::code`], or the window's own such as
 * `not_attached`, `clipboard`).
 */
code: string, 
/**
 * What happened, in plain words, for people (never parsed).
 */
message: string, 
/**
 * The facts as fields, when the error has any.
 */
details: ErrorDetails | null, };

/**
 * `session.exec` and `session.exec_result` result.
 */
export type ExecResult = { 
/**
 * The exec's id (see [`exec_id`]), for `session.exec_result`.
 */
exec_id: string, 
/**
 * The command's exit status; `None` while it still runs.
 */
exit_code?: number | null, 
/**
 * The command's output as text: escape sequences removed, invalid UTF-8 replaced, `\r\n`
 * as `\n`, at most `max_output` bytes (the first ones; see `truncated`).
 */
output: string, 
/**
 * The output offset where the command's output starts.
 */
output_from: number, 
/**
 * The output offset where it ends (so far, while it runs).
 */
output_to: number, 
/**
 * The output text was cut at `max_output`.
 */
truncated?: boolean, 
/**
 * Time from typing the command to its end (or to now, while it runs), in ms.
 */
duration_ms: number, 
/**
 * The timeout passed before the command ended.
 */
timed_out?: boolean, 
/**
 * The shell's working directory after the command, when the shell reported it (OSC 7).
 */
cwd?: string | null, };

/**
 * One entry of a listed directory.
 */
export type FileEntry = { 
/**
 * The name (last path component).
 */
name: string, 
/**
 * What it is.
 */
kind: FileKind, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * Permission bits (`0o7777`).
 */
mode: number, 
/**
 * Modification time, seconds since the epoch.
 */
mtime: number, };

/**
 * What an entry is.
 */
export type FileKind = "file" | "dir" | "symlink" | "other";

/**
 * Counters of a running forward.
 */
export type ForwardCounts = { 
/**
 * Connections accepted so far.
 */
accepted: number, 
/**
 * Connections open now.
 */
active: number, 
/**
 * Connections that could not be carried.
 */
failed: number, 
/**
 * Bytes sent towards the destination.
 */
bytes_out: number, 
/**
 * Bytes received from the destination.
 */
bytes_in: number, };

/**
 * Which kind of forward.
 */
export type ForwardKind = "local" | "dynamic" | "remote";

/**
 * A host's link as the window shows it.
 */
export type ForwardLink = { "state": "up" } | { "state": "reconnecting", 
/**
 * The attempt about to be made (from 1).
 */
attempt: number, 
/**
 * Why the last connection ended.
 */
reason: string, } | { "state": "failed", 
/**
 * Why.
 */
error: ErrorReport, };

/**
 * One forward of a host: running here, saved, or both.
 */
export type ForwardRow = { 
/**
 * OpenSSH's spelling with the option letter (`L127.0.0.1:8080:db:5432`), the bound port
 * filled in when it runs; the id for [`forward_close`] and [`forward_save`].
 */
id: string, 
/**
 * `-L`, `-D` or `-R`.
 */
kind: ForwardKind, 
/**
 * The address it listens on (the host's for `-R`).
 */
bind: string, 
/**
 * The port (the bound one when it runs; the host's for `-R`).
 */
port: number, 
/**
 * The destination host (`-L`, `-R`).
 */
dest_host: string | null, 
/**
 * The destination port (`-L`, `-R`).
 */
dest_port: number | null, 
/**
 * Whether this window runs it.
 */
running: boolean, 
/**
 * Whether it is saved for the host.
 */
saved: boolean, 
/**
 * Its counters, when it runs.
 */
counts: ForwardCounts | null, };

/**
 * Whether a forward's socket takes connections now.
 */
export type ForwardState = "active" | "waiting";

/**
 * How a host is reached.
 */
export type Host = { 
/**
 * The name people use (unique).
 */
name: string, 
/**
 * The address or DNS name to connect to.
 */
hostname: string, 
/**
 * The SSH port (22 when absent).
 */
port?: number | null, 
/**
 * The user (the local user when absent).
 */
user?: string | null, 
/**
 * Private key files to try, in order.
 */
identity_files?: Array<string>, 
/**
 * Hosts to jump through, in order: saved host names or `[user@]host[:port]`.
 */
proxy_jump?: Array<string>, 
/**
 * Extra options (reserved for per-host settings).
 */
options?: { [key in string]: string }, 
/**
 * Where it came from: `"manual"` or `"ssh_config"`.
 */
source?: string | null, 
/**
 * A colour to tell hosts apart (production red, staging amber …), shown on its row and tabs.
 */
color?: HostColor | null, 
/**
 * Forward the desktop's ssh-agent to this host (like `ssh -A`), whatever `ForwardAgent`
 * in `~/.ssh/config` says; off by default. Its sessions then reach further hosts with the
 * desktop's keys, and so can root on the host while the desktop is connected.
 */
forward_agent?: boolean, };

/**
 * The small palette a host's colour is picked from.
 */
export type HostColor = "red" | "orange" | "yellow" | "green" | "teal" | "blue" | "purple" | "gray";

/**
 * A host's forwards and its link.
 */
export type HostForwards = { 
/**
 * The link of the running forwards (none when none runs).
 */
link: ForwardLink | null, 
/**
 * Running ones first (by id), then saved ones not running.
 */
forwards: Array<ForwardRow>, };

/**
 * The answers to a host-key question, as the front end sends them.
 */
export type HostKeyAnswer = "reject" | "once" | "always";

/**
 * Traffic of one network interface.
 */
export type InterfaceSample = { 
/**
 * Interface name.
 */
name: string, 
/**
 * Received bytes per second.
 */
rx_bytes_per_s: number, 
/**
 * Sent bytes per second.
 */
tx_bytes_per_s: number, 
/**
 * Received bytes since boot.
 */
rx_bytes_total: number, 
/**
 * Sent bytes since boot.
 */
tx_bytes_total: number, };

/**
 * A key on record for a host: its type and fingerprint.
 */
export type KnownKey = { 
/**
 * The key's algorithm, e.g. `ecdsa-sha2-nistp256`.
 */
key_type: string, 
/**
 * The key's fingerprint ([`fingerprint`]).
 */
fingerprint: string, };

/**
 * The state of an `ssh` session's connection to its target.
 */
export type LinkState = "connecting" | "up" | "down";

/**
 * A listed directory.
 */
export type Listing = { 
/**
 * The directory, absolute (a relative request is resolved against the login directory).
 */
path: string, 
/**
 * The login directory there.
 */
home: string, 
/**
 * Its entries, sorted by name (at most [`MAX_LISTED`]).
 */
entries: Array<FileEntry>, 
/**
 * Entries left out past [`MAX_LISTED`].
 */
omitted: number, };

/**
 * Memory and swap.
 */
export type MemorySample = { 
/**
 * Physical memory.
 */
total_bytes: number, 
/**
 * In use (total minus available).
 */
used_bytes: number, 
/**
 * Available to new programs without swapping.
 */
available_bytes: number, 
/**
 * Swap size.
 */
swap_total_bytes: number, 
/**
 * Swap in use.
 */
swap_used_bytes: number, };

/**
 * What a monitoring panel is told.
 */
export type MonitorEvent = { "type": "sample", 
/**
 * The sample.
 */
sample: Sample, } | { "type": "error", 
/**
 * Why, in plain words.
 */
message: string, } | { "type": "closed" };

/**
 * What to monitor: `"agent"` (the agent's host) or `{"session_id": ...}` (an `ssh` session's
 * target, read over that session's own connection).
 */
export type MonitorTarget = "agent" | { session_id: string };

/**
 * Network traffic (loopback excluded).
 */
export type NetSample = { 
/**
 * Received bytes per second, all interfaces.
 */
rx_bytes_per_s: number, 
/**
 * Sent bytes per second, all interfaces.
 */
tx_bytes_per_s: number, 
/**
 * Each interface.
 */
interfaces: Array<InterfaceSample>, };

/**
 * An agent-owned forward as the panel's form asks for it.
 */
export type NewAgentForward = { 
/**
 * Reach the destination from this `ssh` session's target (none: from the host).
 */
session_id: string | null, 
/**
 * The destination host.
 */
dest_host: string, 
/**
 * The destination port.
 */
dest_port: number, 
/**
 * Also open it locally on this desktop port (0: any free one).
 */
local_port: number | null, 
/**
 * The desktop address for the local port (127.0.0.1 when none).
 */
bind: string | null, 
/**
 * Save the local port (needs `local_port`).
 */
save: boolean, };

/**
 * A forward as the panel's form asks for it.
 */
export type NewForward = { 
/**
 * `-L`, `-D` or `-R`.
 */
kind: ForwardKind, 
/**
 * The address to listen on: the desktop's (127.0.0.1 when none), or for `-R` the host's
 * (`localhost` when none, `*` every address).
 */
bind: string | null, 
/**
 * The port to listen on (0: any free one; for `-R` the host picks it).
 */
port: number, 
/**
 * The destination host (`-L`: as the host reaches it; `-R`: as the desktop does).
 */
dest_host: string | null, 
/**
 * The destination port (`-L`, `-R`).
 */
dest_port: number | null, 
/**
 * Also save it for the host.
 */
save: boolean, };

/**
 * One of the busiest processes.
 */
export type ProcessSample = { 
/**
 * Process id.
 */
pid: number, 
/**
 * Command name.
 */
name: string, 
/**
 * CPU use since the previous sample, in percent of one core.
 */
cpu_percent: number, 
/**
 * Resident memory.
 */
memory_bytes: number, };

/**
 * What the front end is asked to show.
 */
export type PromptRequest = { "kind": "host_key", 
/**
 * Answer with this number.
 */
id: number, 
/**
 * Host name or address.
 */
host: string, 
/**
 * Port.
 */
port: number, 
/**
 * Key type (`ssh-ed25519`, …).
 */
key_type: string, 
/**
 * `SHA256:…` fingerprint.
 */
fingerprint: string, 
/**
 * The host certificate the key came in (its CA and principals), when there was one.
 */
certificate: CertificateInfo | null, } | { "kind": "host_key_other_types", 
/**
 * Answer with this number.
 */
id: number, 
/**
 * Host name or address.
 */
host: string, 
/**
 * Port.
 */
port: number, 
/**
 * The presented key's type.
 */
key_type: string, 
/**
 * The presented key's `SHA256:…` fingerprint.
 */
fingerprint: string, 
/**
 * The keys on record for this host (other types).
 */
known: Array<KnownKey>, 
/**
 * The host certificate the key came in (its CA and principals), when there was one.
 */
certificate: CertificateInfo | null, } | { "kind": "secret", 
/**
 * Answer with this number.
 */
id: number, 
/**
 * The host asking.
 */
host: string, 
/**
 * The user logging in.
 */
user: string, 
/**
 * Which secret.
 */
secret: SecretAsked, 
/**
 * The key file, for a passphrase.
 */
key_path?: string, 
/**
 * Keyboard-interactive: the exchange's name (the server's text, controls made visible).
 */
name?: string, 
/**
 * Keyboard-interactive: instructions (the server's text, controls made visible, line
 * breaks kept).
 */
instructions?: string, 
/**
 * Keyboard-interactive: the question (the server's text, controls made visible).
 */
prompt?: string, 
/**
 * Whether the answer may be shown while typed.
 */
echo: boolean, };

/**
 * `session.record` result.
 */
export type RecordResult = { 
/**
 * The file being written now (`None` once stopped).
 */
recording?: string | null, };

/**
 * One recording file.
 */
export type RecordingInfo = { 
/**
 * The file's name; see [`valid_recording_name`].
 */
name: string, 
/**
 * The session it records.
 */
session_id: string, 
/**
 * Its size in bytes.
 */
bytes: number, 
/**
 * When it started, RFC 3339 (UTC, milliseconds).
 */
started: string, 
/**
 * The time of its last event in milliseconds, when the file's last line says it.
 */
duration_ms?: number | null, };

/**
 * One sample of a host.
 */
export type Sample = { 
/**
 * When it was taken, Unix milliseconds.
 */
at: number, 
/**
 * The host's name.
 */
hostname: string, 
/**
 * Operating system, e.g. `"linux"`.
 */
os: string, 
/**
 * Kernel release.
 */
kernel: string, 
/**
 * Seconds since boot.
 */
uptime_s: number, 
/**
 * Load averages over 1, 5 and 15 minutes.
 */
load: [number, number, number], 
/**
 * CPU use (since the previous sample; zero in a target's first sample).
 */
cpu: CpuSample, 
/**
 * Memory.
 */
memory: MemorySample, 
/**
 * Real filesystems.
 */
disks: Array<DiskSample>, 
/**
 * Network rates.
 */
net: NetSample, 
/**
 * Number of processes.
 */
processes: number, 
/**
 * The five busiest processes.
 */
top: Array<ProcessSample>, 
/**
 * Why this sample holds no figures (target unreachable, not Linux, probe failed); the other
 * fields are then empty.
 */
error?: string | null, };

/**
 * Which secret a [`PromptRequest::Secret`] asks for.
 */
export type SecretAsked = "password" | "passphrase" | "keyboard_interactive";

/**
 * A server's key as it was checked: the facts a host-key error or question carries as fields,
 * so a front end shows them without reading them back out of a message.
 */
export type ServerKey = { 
/**
 * The host as connected to.
 */
host: string, 
/**
 * The port.
 */
port: number, 
/**
 * The host as `known_hosts` names it ([`lookup_name`]): what `ssh-keygen -R` takes.
 */
known_hosts_name: string, 
/**
 * The key's algorithm, e.g. `ssh-ed25519`.
 */
key_type: string, 
/**
 * The key's fingerprint ([`fingerprint`]).
 */
fingerprint: string, 
/**
 * The host certificate the key came in, when the server presented one (its CA and
 * principals); `key_type` and `fingerprint` are then those of the certified key.
 */
certificate: CertificateInfo | null, };

/**
 * The payload of the window event `session-changed` ([`SESSION_CHANGED`]): a session's title or
 * working directory changed.
 */
export type SessionChangedEvent = { 
/**
 * The saved host's name.
 */
host: string, 
/**
 * The session.
 */
session_id: string, 
/**
 * The title the program set (OSC 0/2), cleaned and bounded by the agent.
 */
terminal_title: string | null, 
/**
 * The working directory the shell reported (OSC 7).
 */
cwd: string | null, };

/**
 * Everything a client needs to show a session.
 */
export type SessionInfo = { 
/**
 * The session's id: 1 to 32 characters of `[a-z0-9]`.
 */
session_id: string, 
/**
 * What runs inside.
 */
kind: SessionKind, 
/**
 * A title for people.
 */
title: string, 
/**
 * Running or exited.
 */
state: SessionState, 
/**
 * The exit code, once exited normally.
 */
exit_code?: number | null, 
/**
 * The signal that ended the process, once exited by a signal (e.g. `"KILL"`).
 */
exit_signal?: string | null, 
/**
 * The process id of the session's child (the shell).
 */
pid: number, 
/**
 * When the session was created, RFC 3339.
 */
created_at: string, 
/**
 * Terminal width in cells.
 */
cols: number, 
/**
 * Terminal height in cells.
 */
rows: number, 
/**
 * The oldest output offset still held.
 */
output_start: number, 
/**
 * The offset of the next output byte (total bytes produced so far).
 */
output_end: number, 
/**
 * How many clients are attached right now (across all agents).
 */
attached_clients: number, 
/**
 * The scrollback capacity in bytes.
 */
scrollback_bytes: number, 
/**
 * For `ssh` sessions: the target as asked, `[user@]host[:port]`.
 */
target?: string | null, 
/**
 * For `ssh` sessions: the state of the SSH connection, read from its ControlMaster.
 */
link?: LinkState | null, 
/**
 * The title the program set last (OSC 0 or 2): control characters removed, at most
 * [`MAX_TERMINAL_TITLE_CHARS`] characters.
 */
terminal_title?: string | null, 
/**
 * The working directory the shell reported last (OSC 7 `file://host/path`, percent-decoded):
 * control characters removed, at most [`MAX_CWD_BYTES`] bytes. For a running `shell`
 * session whose shell reports none, the foreground process's directory read from `/proc`
 * when listed (not pushed by `session.changed`).
 */
cwd?: string | null, 
/**
 * For `shell` sessions: the name of the terminal's foreground process (its process group
 * leader's `comm`) when it is not the shell itself, e.g. `"vim"`.
 */
foreground?: string | null, 
/**
 * The last non-blank line of the screen, at most [`MAX_PREVIEW_CHARS`] characters.
 */
preview?: string | null, };

/**
 * What runs inside a session.
 */
export type SessionKind = "shell" | "ssh";

/**
 * One session's outcome of [`run_in_sessions`]: `ok` with the exec's result in `data` (its
 * `exit_code` says how the command did), or not `ok` with the reason in `error`.
 */
export type SessionOutcome = { 
/**
 * The host.
 */
host: string, 
/**
 * The session.
 */
session_id: string, 
/**
 * The command ran (it may still have failed: see `data.exit_code`).
 */
ok: boolean, 
/**
 * The exec's result, when `ok`.
 */
data: ExecResult | null, 
/**
 * Why it could not run there, when not `ok`.
 */
error: ErrorReport | null, };

/**
 * Whether the session's process still runs.
 */
export type SessionState = "running" | "exited";

/**
 * One session to run in.
 */
export type SessionTarget = { 
/**
 * The saved host's name.
 */
host: string, 
/**
 * The session on it.
 */
session_id: string, };

/**
 * One literal `Host` alias and what its own `Host` blocks say about it.
 *
 * The optional fields are the first `HostName`, `User` and `Port` lines written in a block that
 * names this alias literally; values from pattern blocks (`Host *`) and `Match` blocks are not
 * applied, so `ssh` on the agent's host may still end up using other values.
 */
export type SshHost = { 
/**
 * The alias, as written after `Host`.
 */
alias: string, 
/**
 * `HostName`, as written (it may hold `%` tokens).
 */
hostname?: string | null, 
/**
 * `User`, as written.
 */
user?: string | null, 
/**
 * `Port`, when it is a number in 1..=65535.
 */
port?: number | null, };

/**
 * `ssh.hosts` result.
 */
export type SshHostsResult = { 
/**
 * Every literal alias, in file order (following `Include`), each once.
 */
hosts: Array<SshHost>, 
/**
 * The configuration file read (`$HOME/.ssh/config`), whether or not it exists.
 */
config_path: string, };

/**
 * A new feed: its id and the samples of the last 10 minutes.
 */
export type Subscribed = { 
/**
 * Pass to `monitor_unsubscribe`.
 */
subscription_id: string, 
/**
 * Oldest first.
 */
history: Array<Sample>, };

/**
 * What a tab is told besides its output bytes.
 */
export type TabEvent = { "type": "connected", 
/**
 * The offset of the first byte that follows.
 */
replay_from: number, } | { "type": "reconnecting", 
/**
 * Attempts so far.
 */
attempt: number, 
/**
 * Wait before the next attempt, in milliseconds.
 */
retry_in_ms: number, 
/**
 * Why.
 */
reason: string, } | { "type": "gap", 
/**
 * First lost offset.
 */
from: number, 
/**
 * Offset after the last lost byte.
 */
to: number, } | { "type": "snapshot", 
/**
 * The snapshot's length in bytes.
 */
bytes: number, 
/**
 * The output offset it stands for.
 */
offset: number, } | { "type": "changed", 
/**
 * The title, cleaned and bounded by the agent.
 */
terminal_title: string | null, 
/**
 * The working directory.
 */
cwd: string | null, } | { "type": "exited", 
/**
 * Its exit code, when it exited normally.
 */
code: number | null, 
/**
 * The signal that ended it.
 */
signal: string | null, } | { "type": "error" } & ErrorReport | { "type": "detached" };

/**
 * A transfer's progress, pushed as the `transfer` event.
 */
export type TransferEvent = { 
/**
 * The transfer.
 */
id: string, 
/**
 * Where it is.
 */
state: TransferState, 
/**
 * The file being copied (the last one, once finished).
 */
file: string, 
/**
 * Bytes of that file in place.
 */
file_done: number, 
/**
 * Its size.
 */
file_size: number, 
/**
 * Bytes in place over every file of the transfer.
 */
bytes: number, 
/**
 * Files complete.
 */
files: number, 
/**
 * Why it failed (the engine's codes: `not_found`, `permission_denied`, `no_space`, …).
 */
error: ErrorReport | null, };

/**
 * A transfer as it starts.
 */
export type TransferStarted = { 
/**
 * Its id, in its events and for [`transfer_cancel`].
 */
id: string, 
/**
 * Which way.
 */
direction: Direction, 
/**
 * What is copied (a local path, or `HOST:path`).
 */
source: string, 
/**
 * Where to (a local folder, or `HOST:dir`).
 */
dest: string, };

/**
 * Where a transfer is.
 */
export type TransferState = "running" | "done" | "failed" | "cancelled";

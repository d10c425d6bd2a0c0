// Types of everything the Rust side sends and receives, as in the command contract and the
// protocol (docs/protocol.md); field names stay snake_case exactly as on the wire.

/** Where a saved host came from. */
export type HostSource = "builtin" | "manual" | "ssh_config";

/** A saved host; `local` (source "builtin") is this computer. */
export interface Host {
  name: string;
  hostname: string;
  port?: number | null;
  user?: string | null;
  identity_files: string[];
  proxy_jump: string[];
  source: HostSource;
}

/** What `host_test` learned about a host. */
export interface ConnectInfo {
  host: string;
  hostname: string;
  platform: string;
  user: string;
  agent_version: string;
  deployed: boolean;
  connect_ms: number;
  latency_ms: number;
  preamble: string[];
}

/** The kinds of sessions an agent can run. */
export type SessionKind = "shell" | "ssh";

/** A session as the agent lists it (protocol `SessionInfo`). */
export interface SessionInfo {
  session_id: string;
  kind: SessionKind;
  title: string;
  target?: string | null;
  link?: string | null;
  state: string;
  pid: number;
  cols: number;
  rows: number;
  created_at: string;
  output_start: number;
  output_end: number;
  attached_clients: number;
  scrollback_bytes: number;
  exit_code?: number | null;
  exit_signal?: string | null;
}

/** One alias from a host's own `~/.ssh/config`. */
export interface SshAlias {
  alias: string;
  hostname?: string | null;
  user?: string | null;
  port?: number | null;
}

/** `ssh_hosts` result. */
export interface SshHosts {
  hosts: SshAlias[];
  config_path: string;
}

/** Events of one attachment (tab pane), tagged by `type`. */
export type TabEvent =
  | { type: "connected"; replay_from: number }
  | { type: "reconnecting"; attempt: number; retry_in_ms: number; reason: string }
  | { type: "gap"; from: number; to: number }
  | { type: "exited"; code: number | null; signal: string | null }
  | { type: "error"; code: string; message: string }
  | { type: "detached" };

/** A monitoring target: the agent's host, or an `ssh` session's target. */
export type MonitorTarget = "agent" | { session_id: string };

/** CPU figures of a sample. */
export interface CpuSample {
  percent: number;
  per_core: number[];
}

/** Memory figures of a sample. */
export interface MemorySample {
  total_bytes: number;
  used_bytes: number;
  available_bytes: number;
  swap_total_bytes: number;
  swap_used_bytes: number;
}

/** One filesystem of a sample. */
export interface DiskSample {
  mount: string;
  fs: string;
  total_bytes: number;
  used_bytes: number;
}

/** One network interface of a sample. */
export interface InterfaceSample {
  name: string;
  rx_bytes_per_s: number;
  tx_bytes_per_s: number;
  rx_bytes_total: number;
  tx_bytes_total: number;
}

/** Network figures of a sample. */
export interface NetSample {
  rx_bytes_per_s: number;
  tx_bytes_per_s: number;
  interfaces: InterfaceSample[];
}

/** One of the busiest processes. */
export interface ProcessSample {
  pid: number;
  name: string;
  cpu_percent: number;
  memory_bytes: number;
}

/** One monitoring sample (protocol `Sample`); `error` set means it holds no figures. */
export interface Sample {
  at: number;
  hostname: string;
  os: string;
  kernel: string;
  uptime_s: number;
  load: [number, number, number];
  cpu: CpuSample;
  memory: MemorySample;
  disks: DiskSample[];
  net: NetSample;
  processes: number;
  top: ProcessSample[];
  error?: string | null;
}

/** Events of one monitoring subscription. */
export type MonitorEvent =
  | { type: "sample"; sample: Sample }
  | { type: "error"; message: string }
  | { type: "closed" };

/** `monitor_subscribe` result. */
export interface Subscription {
  subscription_id: string;
  history: Sample[];
}

/** A question about an unknown host key. */
export interface HostKeyPrompt {
  id: number;
  kind: "host_key";
  host: string;
  port: number;
  key_type: string;
  fingerprint: string;
}

/** A request for a password, a key's passphrase or a keyboard-interactive answer. */
export interface SecretPrompt {
  id: number;
  kind: "secret";
  host: string;
  user: string;
  secret: "password" | "passphrase" | "keyboard_interactive";
  key_path?: string | null;
  name?: string | null;
  instructions?: string | null;
  prompt?: string | null;
  echo: boolean;
}

/** Anything the backend asks the user. */
export type Prompt = HostKeyPrompt | SecretPrompt;

/** The answer to a host-key question. */
export type HostKeyAnswer = "reject" | "once" | "always";

/** What every command rejects with. */
export interface ApiError {
  code: string;
  message: string;
}

/** `app_info` result. */
export interface AppInfo {
  version: string;
  config_dir: string;
}

/** The keys `state_load`/`state_save` accept. */
export type StateKey = "settings" | "workspace";

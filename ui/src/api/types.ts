// Types of everything the Rust side sends and receives. Those with a Rust type are generated from
// it into ./generated/types.ts (`cargo test -p outpost-desktop --lib export_bindings`) and only
// re-exported or narrowed here; field names stay snake_case exactly as on the wire.
import type { PromptRequest, Host as SavedHost } from "./generated/types";
import type { STATE_KEYS } from "./generated/limits";

export type {
  AppInfo,
  ChangedKey,
  ConfigAlias,
  ConnectInfo,
  DeployError,
  ErrorDetails,
  ErrorReport,
  ExecResult,
  HostColor,
  HostKeyAnswer,
  LinkState,
  MonitorEvent,
  MonitorTarget,
  PromptRequest,
  RecordingInfo,
  RecordResult,
  Sample,
  SecretAsked,
  ServerKey,
  SessionChangedEvent,
  SessionInfo,
  SessionKind,
  SessionOutcome,
  SessionState,
  SessionTarget,
  SshHost,
  SshHostsResult,
  Subscribed,
  TabEvent,
} from "./generated/types";

/** What every command rejects with: `{code, message, details}` (the engine's `ErrorReport`). */
export type { ErrorReport as ApiError } from "./generated/types";

/** Where a saved host came from (the engine keeps it as a free string). */
export type HostSource = "builtin" | "manual" | "ssh_config";

/** A saved host with every field present (`normaliseHost` fills in what the engine leaves out);
 * `local` (source "builtin") is this computer. */
export type Host = Required<Omit<SavedHost, "source" | "options">> &
  Pick<SavedHost, "options"> & { source: HostSource };

/** The keys `state_load`/`state_save` accept. */
export type StateKey = (typeof STATE_KEYS)[number];

/** An unknown host key: trust it? */
export type HostKeyPrompt = Extract<PromptRequest, { kind: "host_key" }>;

/** A request for a password, a key's passphrase or a keyboard-interactive answer. */
export type SecretPrompt = Extract<PromptRequest, { kind: "secret" }>;

/** Anything the backend asks the user. */
export type Prompt = PromptRequest;

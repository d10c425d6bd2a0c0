// The one place that talks to Tauri: typed wrappers over `invoke`, `Channel` and `listen` for
// every command of the contract. Arguments are passed with snake_case keys, as the Rust side
// expects; every rejection is normalised to an `ApiError` before it leaves this module.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { toApiError } from "./errors";
import { normaliseHost } from "./normalise";
import type { PolicyFile, PolicyProblem, PolicyShown } from "../dialogs/settings/policy";
import type {
  AppInfo,
  ConfigAlias,
  ConnectInfo,
  Host,
  HostKeyAnswer,
  MonitorEvent,
  MonitorTarget,
  Prompt,
  RecordingInfo,
  RecordResult,
  SessionChangedEvent,
  SessionInfo,
  SessionKind,
  SessionOutcome,
  SessionTarget,
  SshHostsResult,
  StateKey,
  Subscribed,
  TabEvent,
} from "./types";

/** True when the page runs inside the Tauri shell (its IPC bridge is present). */
export function isTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

// The invoke boundary: the only place where untyped results become typed ones (trusting the
// contract that the Rust side implements).
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** Saved hosts, `local` first (lists the engine leaves out when empty are filled in). */
export const hostsList = async (): Promise<Host[]> =>
  (await call<Partial<Host>[]>("hosts_list")).map(normaliseHost);
/** Adds a host, or replaces (and possibly renames) `original_name`. */
export const hostSave = (host: Host, original_name: string | null): Promise<void> =>
  call("host_save", { host, original_name });
/** Removes a saved host. */
export const hostRemove = (name: string): Promise<void> => call("host_remove", { name });
/** Imports `~/.ssh/config` aliases; returns the names imported. */
export const hostsImportSshConfig = (): Promise<string[]> => call("hosts_import_ssh_config");
/** Connects to a host (deploying its agent when needed) and reports what it found. */
export const hostTest = async (name: string): Promise<ConnectInfo> => {
  const info = await call<ConnectInfo>("host_test", { name });
  return { ...info, preamble: Array.isArray(info.preamble) ? info.preamble : [] };
};

/** Connects with a host form's unsaved values and reports what it found; saves nothing. */
export const hostTestUnsaved = async (host: Host): Promise<ConnectInfo> => {
  const info = await call<ConnectInfo>("host_test_unsaved", { host });
  return { ...info, preamble: Array.isArray(info.preamble) ? info.preamble : [] };
};

/** The live sessions of a host's agent. */
export const sessionsList = (host: string): Promise<SessionInfo[]> => call("sessions_list", { host });
/** The aliases of the host's own `~/.ssh/config`. */
export const sshHosts = (host: string): Promise<SshHostsResult> => call("ssh_hosts", { host });

/** What `session_new` needs. */
export interface NewSession {
  host: string;
  kind: SessionKind;
  target: string | null;
  title: string | null;
  cols: number;
  rows: number;
}
/** Starts a session on a host. */
export const sessionNew = (s: NewSession): Promise<SessionInfo> =>
  call("session_new", {
    host: s.host,
    kind: s.kind,
    target: s.target,
    title: s.title,
    cols: s.cols,
    rows: s.rows,
  });
/** Ends a session (its processes stop). */
export const sessionClose = (host: string, session_id: string): Promise<void> =>
  call("session_close", { host, session_id });

/** A command for "Run in selected sessions". */
export interface RunInSessions {
  targets: SessionTarget[];
  command: string;
  /** Blank: the agent's default. */
  timeout_ms: number | null;
  /** Interrupt the command at the timeout (else it goes on and its output so far is returned). */
  interrupt_on_timeout: boolean;
}

/** Runs a command in each session's shell (`session.exec`): one outcome per session, errors as data. */
export const runInSessions = (r: RunInSessions): Promise<SessionOutcome[]> => call("run_in_sessions", { ...r });

/** A host's recordings (of one session when given), oldest first. */
export const recordingsList = (host: string, session_id: string | null): Promise<RecordingInfo[]> =>
  call("recordings_list", { host, session_id });
/** One recording's asciicast text. */
export const recordingLoad = (host: string, name: string): Promise<string> => call("recording_load", { host, name });
/** Starts or stops recording a session; the file being written. */
export const sessionRecord = (host: string, session_id: string, on: boolean): Promise<RecordResult> =>
  call("session_record", { host, session_id, on });

/** Handlers of one attachment's two channels. */
export interface AttachHandlers {
  /** Raw output bytes, in order, exactly once. */
  onOutput: (bytes: Uint8Array) => void;
  /** State changes of the attachment. */
  onEvent: (event: TabEvent) => void;
}

/** A started attachment: its id, and a way to stop delivering channel messages. */
export interface Attachment {
  attachment_id: string;
  /** Stops calling the handlers (the channels stay registered until the backend ends them). */
  mute: () => void;
}

function toBytes(message: unknown): Uint8Array {
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (ArrayBuffer.isView(message)) {
    return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  }
  if (Array.isArray(message)) return Uint8Array.from(message as number[]);
  return new Uint8Array(0);
}

/**
 * Attaches to a session. Output and events may arrive before the promise resolves; `mute()` on
 * the returned handle (or calling `muteEarly` before it resolves) silences them.
 */
export function attach(
  args: { host: string; session_id: string; cols: number; rows: number; from_offset: number | null },
  handlers: AttachHandlers,
): { promise: Promise<Attachment>; muteEarly: () => void } {
  let muted = false;
  const output = new Channel<unknown>((m) => {
    if (!muted) handlers.onOutput(toBytes(m));
  });
  const events = new Channel<TabEvent>((e) => {
    if (!muted) handlers.onEvent(e);
  });
  const mute = () => {
    muted = true;
  };
  const promise = call<string>("attach", { ...args, output, events }).then((attachment_id) => ({
    attachment_id,
    mute,
  }));
  return { promise, muteEarly: mute };
}

/** Tells the backend that `bytes` of output have been processed by the terminal. */
export const attachmentAck = (attachment_id: string, bytes: number): Promise<void> =>
  call("attachment_ack", { attachment_id, bytes });
/** Sends typed text. */
export const input = (attachment_id: string, data: string): Promise<void> =>
  call("input", { attachment_id, data });
/** Sends raw bytes (xterm's binary input). */
export const inputBytes = (attachment_id: string, data: number[]): Promise<void> =>
  call("input_bytes", { attachment_id, data });
/** Changes the terminal size of an attachment's session. */
export const resize = (attachment_id: string, cols: number, rows: number): Promise<void> =>
  call("resize", { attachment_id, cols, rows });
/** Detaches; the session keeps running. */
export const detach = (attachment_id: string): Promise<void> => call("detach", { attachment_id });

/** A started monitoring subscription. */
export interface MonitorSubscription extends Subscribed {
  /** Stops calling the handler. */
  mute: () => void;
}

/** Subscribes to samples of a host or an ssh session's target. */
export function monitorSubscribe(
  host: string,
  target: MonitorTarget,
  interval_ms: number,
  onEvent: (event: MonitorEvent) => void,
): { promise: Promise<MonitorSubscription>; muteEarly: () => void } {
  let muted = false;
  const samples = new Channel<MonitorEvent>((e) => {
    if (!muted) onEvent(e);
  });
  const mute = () => {
    muted = true;
  };
  const promise = call<Subscribed>("monitor_subscribe", { host, target, interval_ms, samples }).then(
    (s) => ({ ...s, mute }),
  );
  return { promise, muteEarly: mute };
}
/** Ends a monitoring subscription. */
export const monitorUnsubscribe = (subscription_id: string): Promise<void> =>
  call("monitor_unsubscribe", { subscription_id });

/** The concrete `~/.ssh/config` aliases (connectable by name without saving), each with whether it forwards the agent. */
export const sshConfigAliases = (): Promise<ConfigAlias[]> => call("ssh_config_aliases");

/** Calls `handler` with the aliases whenever `~/.ssh/config` changes; resolves to a function that stops. */
export async function onSshConfigAliases(handler: (aliases: ConfigAlias[]) => void): Promise<() => void> {
  try {
    return await listen<ConfigAlias[]>("ssh-config-aliases", (event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}

/** Calls `handler` for every prompt the backend raises; resolves to a function that stops. */
export async function onPrompt(handler: (prompt: Prompt) => void): Promise<() => void> {
  try {
    return await listen<Prompt>("prompt", (event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}
/**
 * Calls `handler` whenever a shown session's title or working directory changes (the window
 * event `session-changed`); resolves to a function that stops.
 */
export async function onSessionChanged(handler: (change: SessionChangedEvent) => void): Promise<() => void> {
  try {
    return await listen<SessionChangedEvent>("session-changed", (event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}

/** Answers a host-key question. */
export const answerHostKey = (id: number, answer: HostKeyAnswer): Promise<void> =>
  call("prompt_answer", { id, answer });
/** Answers a secret prompt; `null` cancels. */
export const answerSecret = (id: number, answer: string | null): Promise<void> =>
  call("prompt_answer", { id, answer });

/** Reads a stored value (null when none). */
export const stateLoad = (key: StateKey): Promise<unknown> => call("state_load", { key });
/** Stores a value. */
export const stateSave = (key: StateKey, value: unknown): Promise<void> => call("state_save", { key, value });

/** Opens an http, https or mailto link in the system browser (the backend checks the address). */
export const linkOpen = (url: string): Promise<void> => call("link_open", { url });

/** The app's version and configuration directory. */
export const appInfo = (): Promise<AppInfo> => call("app_info");

/** Writes text to the system clipboard (the webview's clipboard first, then the backend's). */
export async function clipboardWrite(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    await call<void>("clipboard_write", { text });
  }
}

/**
 * The desktop's PRIMARY selection (what another app, or this one, selected last): null when it
 * holds no text or the platform has none. Hostile data: paste it through the paste guard.
 */
export const primaryRead = (): Promise<string | null> => call("primary_read");
/** Makes `text` the desktop's PRIMARY selection, for other apps' middle-click paste. */
export const primaryWrite = (text: string): Promise<void> => call("primary_write", { text });

/** Reads text from the system clipboard (the webview's clipboard first, then the backend's). */
export async function clipboardRead(): Promise<string> {
  try {
    return await navigator.clipboard.readText();
  } catch {
    return await call<string>("clipboard_read");
  }
}

/** The MCP policy file (`policy.json`) as the settings dialog shows it. */
export const policyGet = (): Promise<PolicyShown> => call("policy_get");
/** Checks and saves the MCP policy; the problem when it is not valid (nothing is written then). */
export const policySet = (policy: PolicyFile): Promise<PolicyProblem | null> => call("policy_set", { policy });

// The file panel (`files_*`, `transfer_cancel`) and the forwards panel (`forward*`).
import type {
  ForwardRow,
  HostForwards,
  NewForward,
  Listing,
  TransferEvent,
  TransferStarted,
} from "./generated/types";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { DragDrop } from "../files/drop";

/** Where the file panel is: a host, or the target of one of its `ssh` sessions. */
export interface FilePlace {
  host: string;
  session: string | null;
}

/** Lists directory `path` (`.` is the login directory). */
export const filesList = (at: FilePlace, path: string): Promise<Listing> => call("files_list", { ...at, path });
/** Creates a directory. */
export const filesMkdir = (at: FilePlace, path: string): Promise<void> => call("files_mkdir", { ...at, path });
/** Renames, never replacing what is there. */
export const filesRename = (at: FilePlace, from: string, to: string): Promise<void> => call("files_rename", { ...at, from, to });
/** Removes a file or a directory with its contents; how many entries went. */
export const filesRemove = (at: FilePlace, path: string): Promise<number> => call("files_remove", { ...at, path });
/** Closes the panel's connection. */
export const filesClose = (at: FilePlace): Promise<void> => call("files_close", { ...at });
/** `~/Downloads` of this computer. */
export const filesDownloadsDir = (): Promise<string> => call("files_downloads_dir");
/** Uploads local paths into remote directory `dir`; one transfer each. */
export const filesUpload = (at: FilePlace, sources: string[], dir: string): Promise<TransferStarted[]> =>
  call("files_upload", { ...at, sources, dir });
/** Downloads remote paths into local folder `dir`; one transfer each. */
export const filesDownload = (at: FilePlace, paths: string[], dir: string): Promise<TransferStarted[]> =>
  call("files_download", { ...at, paths, dir });
/** Cancels a transfer; false when it had ended. */
export const transferCancel = (id: string): Promise<boolean> => call("transfer_cancel", { id });

/** Calls `handler` with every transfer's progress; resolves to a function that stops. */
export async function onTransfer(handler: (ev: TransferEvent) => void): Promise<() => void> {
  try {
    return await listen<TransferEvent>("transfer", (event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}

/** Calls `handler` for files dragged over or dropped on the window; resolves to a function that stops. */
export async function onDragDrop(handler: (ev: DragDrop) => void): Promise<() => void> {
  try {
    return await getCurrentWebview().onDragDropEvent((event) => handler(event.payload));
  } catch (e) {
    throw toApiError(e);
  }
}

/** The window's and the saved forwards of a host. */
export const forwardsList = (host: string): Promise<HostForwards> => call("forwards_list", { host });

/** Starts a forward through `host` (binding it and checking its destination first). */
export const forwardAdd = (host: string, forward: NewForward): Promise<ForwardRow> => call("forward_add", { host, forward });
/** Closes a running forward; its port is free when this resolves. */
export const forwardClose = (host: string, id: string): Promise<boolean> => call("forward_close", { host, id });
/** Saves or forgets a forward. */
export const forwardSave = (host: string, id: string, on: boolean): Promise<void> => call("forward_save", { host, id, on });

// The forwards panel's agent-owned forwards (`agent_forward*`): kept by the host's agent.
import type { AgentForwardKey, AgentForwardRow, AgentForwards, NewAgentForward } from "./generated/types";

/** The forwards `host`'s agent keeps, with their local and saved ports here. */
export const agentForwardsList = (host: string): Promise<AgentForwards> => call("agent_forwards_list", { host });
/** Has `host`'s agent open a forward (optionally with a local port here, saved or not). */
export const agentForwardAdd = (host: string, forward: NewAgentForward): Promise<AgentForwardRow> => call("agent_forward_add", { host, forward });
/** Opens agent-owned forward `id` locally on `port` (0: any free one). */
export const agentForwardOpenLocal = (host: string, id: string, bind: string | null, port: number, save: boolean): Promise<AgentForwardRow> =>
  call("agent_forward_open_local", { host, id, bind, port, save });
/** Closes the local port of agent-owned forward `id` (the forward stays on the host). */
export const agentForwardCloseLocal = (host: string, id: string): Promise<boolean> => call("agent_forward_close_local", { host, id });
/** Saves (the open local port) or forgets the saved local port of an agent-owned forward. */
export const agentForwardSave = (host: string, forward: AgentForwardKey, on: boolean): Promise<void> =>
  call("agent_forward_save", { host, forward, on });
/** Closes agent-owned forward `id` on the host, with its local and saved ports. */
export const agentForwardClose = (host: string, id: string): Promise<void> => call("agent_forward_close", { host, id });

// The app's shared state as Preact signals: hosts, tabs (through the layout reducer), pane
// statuses, the sessions last listed, settings, prompts, dialogs and notices. Components read signals; changes go
// through the small functions here or in actions.ts.
import { computed, signal } from "@preact/signals";
import { toApiError } from "../api/errors";
import type { ApiError, Host, Prompt, SessionInfo } from "../api/types";
import type { PaneStatus } from "../terminal/status";
import { activeTab, EMPTY_LAYOUT, focusedPane, type Layout, type LayoutAction, layoutReducer } from "./layout";
import { DEFAULT_SETTINGS, type Settings } from "./settings";

/** Saved hosts, as last listed. */
export const hosts = signal<Host[]>([]);
/** True once the first hosts_list has answered (or failed). */
export const hostsLoaded = signal(false);

/** Tabs and panes. */
export const layout = signal<Layout>(EMPTY_LAYOUT);

/** Applies a layout change. */
export function dispatch(action: LayoutAction): void {
  layout.value = layoutReducer(layout.value, action);
}

/** The active tab. */
export const currentTab = computed(() => activeTab(layout.value));
/** The focused pane of the active tab. */
export const currentPane = computed(() => {
  const t = currentTab.value;
  return t === null ? null : focusedPane(t);
});

/** Each pane's attachment status, by pane id. */
export const paneStatus = signal<Record<string, PaneStatus>>({});

/** Records a pane's status. */
export function setPaneStatus(pane_id: string, status: PaneStatus): void {
  paneStatus.value = { ...paneStatus.value, [pane_id]: status };
}

/** Forgets the statuses of panes that are gone. */
export function prunePaneStatus(live: Set<string>): void {
  const next: Record<string, PaneStatus> = {};
  let changed = false;
  for (const [k, v] of Object.entries(paneStatus.peek())) {
    if (live.has(k)) next[k] = v;
    else changed = true;
  }
  if (changed) paneStatus.value = next;
}

/** The sessions last listed (or pushed), by `host/session_id`. */
export const sessionInfo = signal<Record<string, SessionInfo>>({});

/** The key of a session in `sessionInfo`. */
export function sessionKey(host: string, session_id: string): string {
  return `${host}/${session_id}`;
}

/** This computer's home directory (labels show it as "~"), once the backend has told it. */
export const localHome = signal<string | null>(null);

/** Updates what is known of one listed session (a pushed title or directory change). */
export function patchSession(host: string, session_id: string, patch: Partial<SessionInfo>): void {
  const key = sessionKey(host, session_id);
  const was = sessionInfo.peek()[key];
  if (was === undefined) return;
  sessionInfo.value = { ...sessionInfo.peek(), [key]: { ...was, ...patch } };
}

/** Records a host's sessions as just listed (forgetting its sessions that are gone). */
export function setHostSessions(host: string, list: readonly SessionInfo[]): void {
  const next: Record<string, SessionInfo> = {};
  const prefix = `${host}/`;
  for (const [k, v] of Object.entries(sessionInfo.peek())) if (!k.startsWith(prefix)) next[k] = v;
  for (const s of list) next[sessionKey(host, s.session_id)] = s;
  sessionInfo.value = next;
}

/**
 * What a pane's terminal reports for its tab: the title a program set (OSC 0/2, null until one
 * does), a bell, and output that arrived while the pane was not on screen. `bell` and
 * `activity` clear when the pane is shown again; replayed history never sets them.
 */
export interface PaneMarks {
  title: string | null;
  bell: boolean;
  activity: boolean;
}

/** Each pane's marks, by pane id (absent: nothing reported yet). */
export const paneMarks = signal<Record<string, PaneMarks>>({});

/** Updates a pane's marks; null forgets them (the pane is gone). */
export function setPaneMarks(pane_id: string, patch: Partial<PaneMarks> | null): void {
  const all = paneMarks.peek();
  if (patch === null) {
    if (!(pane_id in all)) return;
    const { [pane_id]: _gone, ...rest } = all;
    paneMarks.value = rest;
    return;
  }
  const was = all[pane_id] ?? { title: null, bell: false, activity: false };
  const next = { ...was, ...patch };
  if (next.title === was.title && next.bell === was.bell && next.activity === was.activity && pane_id in all) return;
  paneMarks.value = { ...all, [pane_id]: next };
}

/** User settings. */
export const settings = signal<Settings>({ ...DEFAULT_SETTINGS });

/** Prompts waiting for an answer, oldest first. */
export const prompts = signal<Prompt[]>([]);

/** A changed host key being shown (from any command's `host_key_changed` error). */
export const changedKey = signal<ApiError | null>(null);

/** A notice in the corner: an error with advice, or information. */
export interface Notice {
  id: number;
  kind: "error" | "info";
  error?: ApiError;
  text?: string;
  /** What was being done ("Starting a shell on db"). */
  context?: string;
}

/** Notices shown, newest last. */
export const notices = signal<Notice[]>([]);
let noticeSeq = 0;

/** Shows an info notice that goes away by itself. */
export function notify(text: string): void {
  const id = ++noticeSeq;
  notices.value = [...notices.value, { id, kind: "info", text }];
  setTimeout(() => dismissNotice(id), 4000);
}

/** Removes a notice. */
export function dismissNotice(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

/**
 * Shows an error: a changed host key opens its blocking dialog, anything else a notice with
 * advice. Returns the normalised error.
 */
export function reportError(e: unknown, context?: string): ApiError {
  const error = toApiError(e);
  if (error.code === "host_key_changed") {
    changedKey.value = error;
    return error;
  }
  const id = ++noticeSeq;
  notices.value = [...notices.value.slice(-4), { id, kind: "error", error, ...(context ? { context } : {}) }];
  return error;
}

/** A question waiting for Yes/No. */
export interface Confirm {
  title: string;
  body: string;
  confirmLabel: string;
  danger: boolean;
  resolve: (yes: boolean) => void;
}

/** The confirmation being asked. */
export const confirmState = signal<Confirm | null>(null);

/** Asks the user to confirm; resolves to their answer. */
export function confirm(title: string, body: string, confirmLabel = "OK", danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    confirmState.value?.resolve(false);
    confirmState.value = { title, body, confirmLabel, danger, resolve };
  });
}

/** Bumped after anything that changes a host's sessions, so open lists refresh. */
export const sessionsEpoch = signal(0);

/** Asks every expanded session list to refresh. */
export function refreshSessions(): void {
  sessionsEpoch.value++;
}

/** Which dialog is open (besides prompts and confirmations). */
export type OpenDialog =
  | { kind: "host_form"; host: Host | null }
  | { kind: "new_ssh"; host: string }
  | { kind: "settings" }
  | { kind: "palette" }
  | null;

/** The open dialog. */
export const dialog = signal<OpenDialog>(null);

/** True while Settings records a new shortcut (the app's own shortcuts then stand aside). */
export const recordingShortcut = signal(false);

/** The tab whose name is being edited in the tab strip. */
export const renamingTab = signal<string | null>(null);

/** The pane whose search bar is open. */
export const searchPane = signal<string | null>(null);

let idSeq = 0;
/** A fresh id for tabs and panes. */
export function newId(prefix: string): string {
  idSeq++;
  return `${prefix}${Date.now().toString(36)}${idSeq.toString(36)}`;
}

// The app's shared state as Preact signals: hosts, tabs (through the layout reducer), pane
// statuses, settings, prompts, dialogs and notices. Components read signals; changes go
// through the small functions here or in actions.ts.
import { computed, signal } from "@preact/signals";
import { toApiError } from "../api/errors";
import type { ApiError, Host, Prompt } from "../api/types";
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
  | null;

/** The open dialog. */
export const dialog = signal<OpenDialog>(null);

/** The pane whose search bar is open. */
export const searchPane = signal<string | null>(null);

let idSeq = 0;
/** A fresh id for tabs and panes. */
export function newId(prefix: string): string {
  idSeq++;
  return `${prefix}${Date.now().toString(36)}${idSeq.toString(36)}`;
}

// What the recordings UI shows: the dialog listing one session's recordings, and the replay
// tabs (in the tab strip after the session tabs; at most one of them or one session tab is the
// active tab). Set from the session row's menu, the dialog and the tab strip.
import { effect, signal } from "@preact/signals";
import { layout } from "../state/store";

/** The session whose recordings the dialog lists. */
export interface RecordingsOf {
  host: string;
  session_id: string;
  title: string;
}

/** A replay tab: one recording of a session on a host. */
export interface ReplayTab {
  /** "replay:HOST/NAME": one tab per recording. */
  id: string;
  host: string;
  name: string;
  /** The recorded session's title when the replay was opened (the tab's label). */
  title: string;
}

/** The open recordings dialog, if any. */
export const recordingsOf = signal<RecordingsOf | null>(null);

/** The replay tabs, in strip order. */
export const replayTabs = signal<ReplayTab[]>([]);

/** The replay tab shown instead of the active session tab, if any. */
export const activeReplay = signal<string | null>(null);

/** Opens the recordings dialog of a session. */
export function openRecordings(host: string, session_id: string, title: string): void {
  recordingsOf.value = { host, session_id, title };
}

/** Opens (or, when open, shows) the replay tab of recording `name` on `host`. */
export function openReplay(host: string, name: string, title: string): void {
  const id = `replay:${host}/${name}`;
  if (!replayTabs.peek().some((t) => t.id === id)) replayTabs.value = [...replayTabs.peek(), { id, host, name, title }];
  activeReplay.value = id;
}

/** Closes a replay tab; when it was shown, the session tab that was active shows again. */
export function closeReplay(id: string): void {
  replayTabs.value = replayTabs.peek().filter((t) => t.id !== id);
  if (activeReplay.peek() === id) activeReplay.value = null;
}

/** Closes the shown replay tab, if one is shown (the "Close tab" shortcut); true when it did. */
export function closeShownReplay(): boolean {
  const id = activeReplay.peek();
  if (id === null) return false;
  closeReplay(id);
  return true;
}

/** Shows the session tabs' active tab again (a session tab was picked). */
export function leaveReplay(): void {
  activeReplay.value = null;
}

// Any change of the active session tab (a click, Ctrl+Tab, a new shell) shows that tab.
let lastActive: string | null = layout.peek().active;
effect(() => {
  const active = layout.value.active;
  if (active !== lastActive) {
    lastActive = active;
    activeReplay.value = null;
  }
});

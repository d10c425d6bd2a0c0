// What the user can do, as functions over the api and the store: load hosts, open, split and
// close tabs, start and end sessions, copy and paste, and persist settings and the workspace.
import { effect } from "@preact/signals";
import { uiError } from "./api/errors";
import * as api from "./api/tauri";
import type { SessionInfo, SessionKind } from "./api/types";
import { allPanes, focusedPane, type PaneRef, singleTab, type SplitDirection } from "./state/layout";
import { readSettings, type Settings, stepFont } from "./state/settings";
import {
  confirm,
  currentPane,
  currentTab,
  dispatch,
  hosts,
  hostsLoaded,
  layout,
  newId,
  notify,
  prunePaneStatus,
  refreshSessions,
  reportError,
  searchPane,
  settings,
} from "./state/store";
import { deserialiseWorkspace, serialiseWorkspace } from "./state/workspace";
import { estimateGrid, type Grid } from "./terminal/grid";
import { controllerOf } from "./terminal/registry";

/** How a host is shown: "This computer" for `local`. */
export function hostLabel(name: string): string {
  return name === "local" ? "This computer" : name;
}

/** Reloads the host list. */
export async function loadHosts(): Promise<void> {
  try {
    hosts.value = await api.hostsList();
  } catch (e) {
    reportError(e, "Listing hosts");
  } finally {
    hostsLoaded.value = true;
  }
}

/** A first guess of the terminal size for a new session, from the terminal area's size. */
export function defaultGrid(): Grid {
  const current = currentPane.value;
  const c = current ? controllerOf(current.pane_id) : undefined;
  if (c !== undefined && currentTab.value?.panes.length === 1) return { cols: c.term.cols, rows: c.term.rows };
  const area = document.querySelector(".tab-content");
  const rect = area?.getBoundingClientRect();
  return estimateGrid((rect?.width ?? 0) - 16, (rect?.height ?? 0) - 16, settings.value.font_size);
}

function paneFor(host: string, info: { session_id: string; title?: string | null; kind?: SessionKind | null; target?: string | null }): PaneRef {
  const title = info.title || info.target || info.session_id;
  return { pane_id: newId("p"), host, session_id: info.session_id, title, kind: info.kind ?? null };
}

/** Opens a tab attached to a session. */
export function openSessionTab(host: string, info: Pick<SessionInfo, "session_id" | "title" | "kind"> & { target?: string | null }): void {
  dispatch({ type: "open", tab: singleTab(newId("t"), paneFor(host, info)) });
}

/** Starts a session and returns it (errors are reported and give null). */
async function startSession(host: string, kind: SessionKind, target: string | null, grid: Grid): Promise<SessionInfo | null> {
  try {
    const info = await api.sessionNew({ host, kind, target, title: null, cols: grid.cols, rows: grid.rows });
    refreshSessions();
    return info;
  } catch (e) {
    reportError(e, kind === "ssh" ? `Starting SSH to ${target ?? "?"} via ${hostLabel(host)}` : `Starting a shell on ${hostLabel(host)}`);
    return null;
  }
}

/** Starts a shell on a host in a new tab. */
export async function newShell(host: string): Promise<boolean> {
  const info = await startSession(host, "shell", null, defaultGrid());
  if (info !== null) openSessionTab(host, info);
  return info !== null;
}

/** Starts `ssh target` on a host in a new tab. */
export async function newSsh(host: string, target: string): Promise<boolean> {
  const info = await startSession(host, "ssh", target, defaultGrid());
  if (info !== null) openSessionTab(host, info);
  return info !== null;
}

/** Splits the active tab: a new session like the focused pane's (same host; same ssh target). */
export async function splitActive(direction: SplitDirection): Promise<void> {
  const tab = currentTab.value;
  const pane = tab ? focusedPane(tab) : null;
  if (tab === null || pane === null) return;
  if (tab.panes.length >= 2) {
    notify("This tab is already split in two. Close one pane first.");
    return;
  }
  let kind: SessionKind = "shell";
  let target: string | null = null;
  if (pane.kind === "ssh") {
    try {
      const found = (await api.sessionsList(pane.host)).find((s) => s.session_id === pane.session_id);
      if (found?.kind === "ssh" && found.target) {
        kind = "ssh";
        target = found.target;
      }
    } catch {
      // Fall back to a shell on the same host.
    }
  }
  const c = controllerOf(pane.pane_id);
  const base = c ? { cols: c.term.cols, rows: c.term.rows } : defaultGrid();
  const grid = direction === "row" ? { cols: Math.max(20, Math.floor(base.cols / 2) - 1), rows: base.rows } : { cols: base.cols, rows: Math.max(5, Math.floor(base.rows / 2) - 1) };
  const info = await startSession(pane.host, kind, target, grid);
  if (info === null) return;
  dispatch({ type: "split", tab_id: tab.tab_id, direction, pane: paneFor(pane.host, info) });
}

/** Closes a tab: its panes detach, their sessions keep running. */
export function closeTab(tab_id: string): void {
  dispatch({ type: "close", tab_id });
}

/** Closes one pane of a tab (detaching it). */
export function closePane(tab_id: string, pane_id: string): void {
  dispatch({ type: "close_pane", tab_id, pane_id });
}

/** Ends a session after asking; closes the panes that showed it. */
export async function endSession(host: string, session_id: string, title: string): Promise<void> {
  const yes = await confirm(
    "End this session?",
    `“${title}” on ${hostLabel(host)} will be ended: its programs are stopped and its output is discarded. This cannot be undone.`,
    "End session",
    true,
  );
  if (!yes) return;
  try {
    await api.sessionClose(host, session_id);
  } catch (e) {
    reportError(e, `Ending “${title}”`);
    return;
  } finally {
    refreshSessions();
  }
  for (const tab of layout.value.tabs) {
    for (const p of tab.panes) {
      if (p.host === host && p.session_id === session_id) closePane(tab.tab_id, p.pane_id);
    }
  }
}

/** Imports ~/.ssh/config aliases as hosts. */
export async function importSshConfig(): Promise<void> {
  try {
    const names = await api.hostsImportSshConfig();
    notify(names.length === 0 ? "No new hosts found in ~/.ssh/config." : `Imported ${names.length} host${names.length === 1 ? "" : "s"}: ${names.join(", ")}`);
    await loadHosts();
  } catch (e) {
    reportError(e, "Importing ~/.ssh/config");
  }
}

/** Copies the focused pane's selection. */
export async function copySelection(): Promise<void> {
  const p = currentPane.value;
  const text = p ? controllerOf(p.pane_id)?.selection() ?? "" : "";
  if (text.length === 0) return;
  try {
    await api.clipboardWrite(text);
  } catch (e) {
    reportError(uiError("clipboard", reportable(e)), "Copying");
  }
}

/** Pastes the clipboard into the focused pane. */
export async function pasteClipboard(): Promise<void> {
  const p = currentPane.value;
  if (p === null) return;
  try {
    const text = await api.clipboardRead();
    controllerOf(p.pane_id)?.paste(text);
  } catch (e) {
    reportError(uiError("clipboard", reportable(e)), "Pasting");
  }
}

function reportable(e: unknown): string {
  return typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e);
}

/** Opens the search bar of the focused pane. */
export function openSearch(): void {
  const p = currentPane.value;
  if (p !== null) searchPane.value = p.pane_id;
}

/** Gives keyboard focus to the focused pane's terminal. */
export function focusCurrent(): void {
  const p = currentPane.value;
  if (p !== null) controllerOf(p.pane_id)?.focus();
}

let settingsTimer: ReturnType<typeof setTimeout> | null = null;

/** Changes settings and saves them (shortly after, coalescing quick changes). */
export function updateSettings(patch: Partial<Settings>): void {
  settings.value = readSettings({ ...settings.value, ...patch });
  if (settingsTimer !== null) clearTimeout(settingsTimer);
  settingsTimer = setTimeout(() => {
    settingsTimer = null;
    api.stateSave("settings", settings.value).catch((e: unknown) => reportError(e, "Saving settings"));
  }, 300);
}

/** Changes the font size by one step (or back to the default). */
export function stepFontSize(step: 1 | -1 | 0): void {
  updateSettings({ font_size: stepFont(settings.value.font_size, step) });
}

/** Loads saved settings. */
export async function loadSettings(): Promise<void> {
  try {
    settings.value = readSettings(await api.stateLoad("settings"));
  } catch (e) {
    reportError(e, "Loading settings");
  }
}

/**
 * Restores the saved tabs (each re-attaches with from_offset null, replaying what the agent
 * holds), then saves the workspace on every tab change from then on.
 */
export async function restoreWorkspace(): Promise<void> {
  try {
    const saved = await api.stateLoad("workspace");
    dispatch({ type: "restore", layout: deserialiseWorkspace(saved, () => newId("r")) });
  } catch (e) {
    reportError(e, "Restoring tabs");
  }
  let last = JSON.stringify(serialiseWorkspace(layout.value));
  effect(() => {
    const l = layout.value;
    prunePaneStatus(new Set(allPanes(l).map((p) => p.pane_id)));
    const stored = serialiseWorkspace(l);
    const text = JSON.stringify(stored);
    if (text === last) return;
    last = text;
    api.stateSave("workspace", stored).catch((e: unknown) => reportError(e, "Saving tabs"));
  });
}

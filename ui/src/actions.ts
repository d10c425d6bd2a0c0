// What the user can do, as functions over the api and the store: load hosts, open (or focus),
// split and close tabs and panes, rename tabs, start and end sessions (and end the ones that exit,
// per the close-on-exit setting), copy and paste, persist settings and the workspace; and the one
// registry of named actions (`ACTIONS`) that feeds the menus, the command palette and the shortcuts.
import { effect } from "@preact/signals";
import { toApiError, uiError } from "./api/errors";
import { broadcastChooser, broadcastToAll, broadcastToHost, broadcasting, inBroadcast, openRunDialog, stopBroadcast, toggleBroadcastTab } from "./automation/state";
import * as api from "./api/tauri";
import { activeReplay, closeShownReplay } from "./recordings/state";
import type { SessionInfo, SessionKind } from "./api/types";
import { allPanes, findSession, focusedPane, type PaneRef, singleTab, type SplitDirection, tabPanes } from "./state/layout";
import { closesOnExit, readSettings, type Settings, stepFont } from "./state/settings";
import {
  confirm,
  currentPane,
  currentTab,
  dialog,
  dispatch,
  hosts,
  hostsLoaded,
  layout,
  newId,
  notify,
  paneStatus,
  prunePaneStatus,
  refreshSessions,
  renamingTab,
  reportError,
  searchPane,
  sessionKey,
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
  const tab = currentTab.value;
  if (c !== undefined && tab !== null && tabPanes(tab).length === 1) return { cols: c.term.cols, rows: c.term.rows };
  const area = document.querySelector(".tab-content");
  const rect = area?.getBoundingClientRect();
  return estimateGrid((rect?.width ?? 0) - 16, (rect?.height ?? 0) - 16, settings.value.font_size);
}

function paneFor(host: string, info: { session_id: string; title?: string | null; kind?: SessionKind | null; target?: string | null }): PaneRef {
  const title = info.title || info.target || info.session_id;
  return { pane_id: newId("p"), host, session_id: info.session_id, title, kind: info.kind ?? null };
}

/** Shows a pane: activates its tab and focuses it. */
function showPane(tab_id: string, pane_id: string): void {
  dispatch({ type: "activate", tab_id });
  dispatch({ type: "focus_pane", tab_id, pane_id });
  requestAnimationFrame(() => controllerOf(pane_id)?.focus());
}

/**
 * Shows a session: focuses the tab that already shows it, or opens a tab attached to it. With
 * `another`, always opens a new tab (a second view of the same session).
 */
export function openSessionTab(
  host: string,
  info: Pick<SessionInfo, "session_id" | "title" | "kind"> & { target?: string | null },
  another = false,
): void {
  const shown = another ? null : findSession(layout.value, host, info.session_id);
  if (shown !== null) {
    showPane(shown.tab.tab_id, shown.pane.pane_id);
    return;
  }
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
  if (info !== null) openSessionTab(host, info, true);
  return info !== null;
}

/** Starts `ssh target` on a host in a new tab. */
export async function newSsh(host: string, target: string): Promise<boolean> {
  const info = await startSession(host, "ssh", target, defaultGrid());
  if (info !== null) openSessionTab(host, info, true);
  return info !== null;
}

/** Splits a pane of a tab: a new session like that pane's (same host; same ssh target) beside or below it. */
export async function splitPane(tab_id: string, pane_id: string, direction: SplitDirection): Promise<void> {
  const tab = layout.value.tabs.find((t) => t.tab_id === tab_id);
  const pane = tab ? tabPanes(tab).find((p) => p.pane_id === pane_id) : undefined;
  if (tab === undefined || pane === undefined) return;
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
  dispatch({ type: "split", tab_id, pane_id, direction, pane: paneFor(pane.host, info) });
}

/** Splits the focused pane of the active tab. */
export async function splitActive(direction: SplitDirection): Promise<void> {
  const tab = currentTab.value;
  const pane = tab ? focusedPane(tab) : null;
  if (tab !== null && pane !== null) await splitPane(tab.tab_id, pane.pane_id, direction);
}

/** Closes a tab: its panes detach, their sessions keep running. */
export function closeTab(tab_id: string): void {
  dispatch({ type: "close", tab_id });
  refreshSessionsSoon();
}

/** Closes one pane of a tab (detaching it). */
export function closePane(tab_id: string, pane_id: string): void {
  dispatch({ type: "close_pane", tab_id, pane_id });
  refreshSessionsSoon();
}

/** Closes every pane showing a session. */
function closePanesOf(host: string, session_id: string): void {
  for (const tab of layout.value.tabs) {
    for (const p of tabPanes(tab)) {
      if (p.host === host && p.session_id === session_id) closePane(tab.tab_id, p.pane_id);
    }
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;

/** Refreshes the session lists once a detach has had time to reach the agent. */
function refreshSessionsSoon(): void {
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshSessions();
  }, 500);
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
  closePanesOf(host, session_id);
}

/** Sessions already being closed because they exited (so each is ended once). */
const closingExited = new Set<string>();

/**
 * Close on exit: when a pane's session exits in a way the setting closes, its panes close and
 * the exited session is ended on the agent (so no list keeps showing it).
 */
export function watchExits(): void {
  effect(() => {
    const statuses = paneStatus.value;
    const setting = settings.value.close_on_exit;
    for (const p of allPanes(layout.peek())) {
      const st = statuses[p.pane_id];
      if (st?.state !== "exited" || !closesOnExit(setting, st.exit_code, st.exit_signal)) continue;
      const key = sessionKey(p.host, p.session_id);
      if (closingExited.has(key)) continue;
      closingExited.add(key);
      queueMicrotask(() => {
        closePanesOf(p.host, p.session_id);
        api
          .sessionClose(p.host, p.session_id)
          .catch((e: unknown) => {
            // A session another window already ended is fine; anything else is shown.
            if (toApiError(e).code !== "rpc_32001") reportError(e, `Ending the exited “${p.title}”`);
          })
          .finally(() => {
            closingExited.delete(key);
            refreshSessions();
          });
      });
    }
  });
}

/** Starts editing a tab's name in the strip. */
export function startRename(tab_id: string): void {
  dispatch({ type: "activate", tab_id });
  renamingTab.value = tab_id;
}

/** Names a tab (null or blank: follow the session's title again). */
export function renameTab(tab_id: string, name: string | null): void {
  dispatch({ type: "rename", tab_id, name });
}

/** Shows or hides the hosts sidebar. */
export function toggleSidebar(): void {
  updateSettings({ sidebar_open: !settings.value.sidebar_open });
}

/** Shows or hides the monitoring panel. */
export function toggleMonitor(): void {
  updateSettings({ monitor_open: !settings.value.monitor_open });
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

/** Scrolls the focused pane to its previous (`-1`) or next (`1`) shell prompt. */
export function jumpPrompt(dir: -1 | 1): void {
  const p = currentPane.value;
  if (p !== null) controllerOf(p.pane_id)?.jumpPrompt(dir);
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

/** The shortest time between two saves of the workspace, in milliseconds. */
const SAVE_EVERY_MS = 250;

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
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastSaved = 0;
  const save = () => {
    const stored = serialiseWorkspace(layout.peek());
    const text = JSON.stringify(stored);
    if (text === last) return;
    last = text;
    lastSaved = Date.now();
    api.stateSave("workspace", stored).catch((e: unknown) => reportError(e, "Saving tabs"));
  };
  effect(() => {
    const l = layout.value;
    prunePaneStatus(new Set(allPanes(l).map((p) => p.pane_id)));
    // Every change (re)schedules one save of the layout as it then is: at once after a quiet
    // spell, at most one per SAVE_EVERY_MS during a quick run (a divider being dragged), and
    // always one after the last change of the run.
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = null;
        save();
      },
      Math.max(0, lastSaved + SAVE_EVERY_MS - Date.now()),
    );
  });
}

/** A named thing the user can do: in the command palette, in menus and bound to shortcuts. */
export interface Action {
  /** Stable id (also the key of its shortcuts in shortcuts.ts and in the settings). */
  id: string;
  /** What the palette and the settings show. */
  label: string;
  run: () => void;
  /** False when it does not apply now (the palette greys it out, its shortcut passes through). */
  enabled?: () => boolean;
  /** Whether its shortcut also acts while a text field has focus (copy and paste do not). */
  inField?: boolean;
}

const hasTab = () => currentTab.value !== null;
const hasSplit = () => {
  const t = currentTab.value;
  return t !== null && tabPanes(t).length > 1;
};
const focusDir = (dir: "left" | "right" | "up" | "down") => () => {
  const t = currentTab.value;
  if (t !== null) dispatch({ type: "focus_dir", tab_id: t.tab_id, dir });
};
const goTo = (index: number): Action => ({
  id: `tab_${index + 1}`,
  label: index === 8 ? "Go to the last tab" : `Go to tab ${index + 1}`,
  run: () => dispatch({ type: "nth", index }),
  enabled: () => layout.value.tabs.length > (index === 8 ? 0 : index),
  inField: true,
});

/** Every action, in the order the palette lists them. */
export const ACTIONS: readonly Action[] = [
  { id: "new_shell", label: "New shell on the current host", run: () => void newShell(currentPane.value?.host ?? "local"), inField: true },
  { id: "new_ssh", label: "New SSH session on the current host…", run: () => (dialog.value = { kind: "new_ssh", host: currentPane.value?.host ?? "local" }), inField: true },
  { id: "split_row", label: "Split right", run: () => void splitActive("row"), enabled: hasTab, inField: true },
  { id: "split_column", label: "Split down", run: () => void splitActive("column"), enabled: hasTab, inField: true },
  {
    id: "close_pane",
    label: "Close pane (session keeps running)",
    run: () => {
      const t = currentTab.value;
      const p = currentPane.value;
      if (t !== null && p !== null) closePane(t.tab_id, p.pane_id);
    },
    enabled: hasTab,
    inField: true,
  },
  {
    id: "zoom_pane",
    label: "Zoom pane (toggle)",
    run: () => {
      const t = currentTab.value;
      if (t !== null) dispatch({ type: "zoom", tab_id: t.tab_id });
    },
    enabled: hasSplit,
    inField: true,
  },
  { id: "focus_left", label: "Focus the pane on the left", run: focusDir("left"), enabled: hasSplit, inField: true },
  { id: "focus_right", label: "Focus the pane on the right", run: focusDir("right"), enabled: hasSplit, inField: true },
  { id: "focus_up", label: "Focus the pane above", run: focusDir("up"), enabled: hasSplit, inField: true },
  { id: "focus_down", label: "Focus the pane below", run: focusDir("down"), enabled: hasSplit, inField: true },
  { id: "next_tab", label: "Next tab", run: () => dispatch({ type: "cycle", step: 1 }), enabled: hasTab, inField: true },
  { id: "prev_tab", label: "Previous tab", run: () => dispatch({ type: "cycle", step: -1 }), enabled: hasTab, inField: true },
  ...Array.from({ length: 9 }, (_, i) => goTo(i)),
  {
    id: "rename_tab",
    label: "Rename tab…",
    run: () => {
      const t = currentTab.value;
      if (t !== null) startRename(t.tab_id);
    },
    enabled: hasTab,
    inField: true,
  },
  {
    id: "close_tab",
    label: "Close tab (session keeps running)",
    run: () => {
      // A shown replay tab closes like any tab.
      if (closeShownReplay()) return;
      const t = currentTab.value;
      if (t !== null) closeTab(t.tab_id);
    },
    enabled: () => hasTab() || activeReplay.value !== null,
    inField: true,
  },
  {
    id: "end_session",
    label: "End this session…",
    run: () => {
      const p = currentPane.value;
      if (p !== null) void endSession(p.host, p.session_id, p.title);
    },
    enabled: hasTab,
    inField: true,
  },
  { id: "find", label: "Find in scrollback", run: openSearch, enabled: hasTab, inField: true },
  { id: "prev_prompt", label: "Previous prompt", run: () => jumpPrompt(-1), enabled: hasTab },
  { id: "next_prompt", label: "Next prompt", run: () => jumpPrompt(1), enabled: hasTab },
  {
    id: "broadcast_tab",
    label: "Broadcast typing: add or remove this tab",
    run: () => toggleBroadcastTab(),
    enabled: hasTab,
    inField: true,
  },
  { id: "broadcast_host", label: "Broadcast typing to all tabs of this host", run: broadcastToHost, enabled: hasTab, inField: true },
  { id: "broadcast_all", label: "Broadcast typing to all tabs", run: broadcastToAll, enabled: hasTab, inField: true },
  { id: "broadcast_choose", label: "Broadcast typing to…", run: () => (broadcastChooser.value = true), enabled: hasTab, inField: true },
  {
    id: "broadcast_off",
    label: "Stop broadcasting typing",
    run: stopBroadcast,
    enabled: () => broadcasting.value || (currentTab.value !== null && inBroadcast(currentTab.value.tab_id)),
    inField: true,
  },
  { id: "run_in_sessions", label: "Run in selected sessions…", run: openRunDialog, enabled: hasTab, inField: true },
  { id: "copy", label: "Copy selection", run: () => void copySelection(), enabled: hasTab },
  { id: "paste", label: "Paste", run: () => void pasteClipboard(), enabled: hasTab },
  { id: "font_bigger", label: "Bigger font", run: () => stepFontSize(1), inField: true },
  { id: "font_smaller", label: "Smaller font", run: () => stepFontSize(-1), inField: true },
  { id: "font_reset", label: "Default font size", run: () => stepFontSize(0), inField: true },
  { id: "toggle_sidebar", label: "Show or hide the sidebar", run: toggleSidebar, inField: true },
  { id: "toggle_monitor", label: "Show or hide monitoring", run: toggleMonitor, inField: true },
  { id: "add_host", label: "Add host…", run: () => (dialog.value = { kind: "host_form", host: null }), inField: true },
  { id: "import_ssh_config", label: "Import hosts from ~/.ssh/config", run: () => void importSshConfig(), inField: true },
  { id: "settings", label: "Settings…", run: () => (dialog.value = { kind: "settings" }), inField: true },
  { id: "palette", label: "Command palette", run: () => (dialog.value = { kind: "palette" }), inField: true },
];

/** An action by id. */
export function actionById(id: string): Action | undefined {
  return ACTIONS.find((a) => a.id === id);
}

/** Runs an action if it applies now; returns whether it ran. */
export function runAction(id: string, inField = false): boolean {
  const a = actionById(id);
  if (a === undefined || (inField && a.inField !== true) || (a.enabled !== undefined && !a.enabled())) return false;
  a.run();
  return true;
}

// The app's root: layout (sidebar, tabs, monitoring panel), dialogs, the theme, and the one
// window-level key handler that runs the shortcuts of shortcuts.ts.
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import {
  closeTab,
  copySelection,
  focusCurrent,
  newShell,
  openSearch,
  pasteClipboard,
  splitActive,
  stepFontSize,
  updateSettings,
} from "./actions";
import { ConfirmDialog } from "./dialogs/ConfirmDialog";
import { HostKeyChangedDialog } from "./dialogs/HostKeyChangedDialog";
import { Notices } from "./dialogs/Notices";
import { PromptDialogs } from "./dialogs/PromptDialogs";
import { SettingsDialog } from "./dialogs/SettingsDialog";
import { MonitorPanel } from "./monitor/MonitorPanel";
import { matchShortcut, type ShortcutAction } from "./shortcuts";
import { HostForm } from "./sidebar/HostForm";
import { NewSshDialog } from "./sidebar/NewSshDialog";
import { Sidebar } from "./sidebar/Sidebar";
import { currentPane, currentTab, dialog, dispatch, hostsLoaded, settings } from "./state/store";
import { TabArea } from "./tabs/TabArea";
import { TabBar } from "./tabs/TabBar";

/** True when the key event comes from a text field other than a terminal's own. */
function inTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.classList.contains("xterm-helper-textarea")) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}

/** Runs a shortcut; returns false when it does not apply here. */
function runShortcut(action: ShortcutAction, inField: boolean): boolean {
  switch (action) {
    case "copy":
      if (inField) return false;
      void copySelection();
      return true;
    case "paste":
      if (inField) return false;
      void pasteClipboard();
      return true;
    case "find":
      openSearch();
      return true;
    case "font_bigger":
      stepFontSize(1);
      return true;
    case "font_smaller":
      stepFontSize(-1);
      return true;
    case "font_reset":
      stepFontSize(0);
      return true;
    case "new_shell":
      void newShell(currentPane.value?.host ?? "local");
      return true;
    case "close_tab": {
      const t = currentTab.value;
      if (t !== null) closeTab(t.tab_id);
      return true;
    }
    case "next_tab":
      dispatch({ type: "cycle", step: 1 });
      return true;
    case "prev_tab":
      dispatch({ type: "cycle", step: -1 });
      return true;
    case "split_row":
      void splitActive("row");
      return true;
    case "split_column":
      void splitActive("column");
      return true;
    case "toggle_monitor":
      updateSettings({ monitor_open: !settings.value.monitor_open });
      return true;
  }
}

function OpenDialog(): JSX.Element | null {
  const d = dialog.value;
  if (d === null) return null;
  switch (d.kind) {
    case "host_form":
      return <HostForm host={d.host} />;
    case "new_ssh":
      return <NewSshDialog host={d.host} />;
    case "settings":
      return <SettingsDialog />;
  }
}

/** The whole app. */
export function App(): JSX.Element {
  const theme = settings.value.theme;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = matchShortcut(e);
      if (action === null) return;
      if (runShortcut(action, inTextField(e.target))) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  // When a dialog closes, typing goes back to the terminal.
  const open = dialog.value !== null;
  useEffect(() => {
    if (!open) focusCurrent();
  }, [open]);

  // The end-to-end tests wait for this: the first host list has been rendered.
  const loaded = hostsLoaded.value;
  useEffect(() => {
    if (loaded) requestAnimationFrame(() => (document.body.dataset.ready = "true"));
  }, [loaded]);

  const monitorOpen = settings.value.monitor_open;
  return (
    <div class={`app ${monitorOpen ? "with-monitor" : ""}`}>
      <Sidebar />
      <main class="main">
        <TabBar />
        <TabArea />
      </main>
      {monitorOpen ? <MonitorPanel /> : null}
      <OpenDialog />
      <ConfirmDialog />
      <HostKeyChangedDialog />
      <PromptDialogs />
      <Notices />
    </div>
  );
}

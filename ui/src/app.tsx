// The app's root: layout (sidebar or its rail, tabs, monitoring panel, the side panels' widths
// and their draggable dividers), dialogs, the theme, and the one window-level key handler that
// runs the actions bound in shortcuts.ts.
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { focusCurrent, runAction, toggleSidebar } from "./actions";
import { ConfirmDialog } from "./dialogs/ConfirmDialog";
import { HostKeyChangedDialog } from "./dialogs/HostKeyChangedDialog";
import { Notices } from "./dialogs/Notices";
import { PromptDialogs } from "./dialogs/PromptDialogs";
import { SettingsDialog } from "./dialogs/SettingsDialog";
import { Icon } from "./icons";
import { MonitorPanel } from "./monitor/MonitorPanel";
import { Files } from "./files/Files";
import { Forwards } from "./forwards/Forwards";
import { PanelDivider } from "./panels/PanelDivider";
import { Palette } from "./palette/Palette";
import { Recordings } from "./recordings/Recordings";
import { effectiveKeys, matchShortcut, setKeymap, shortcutLabel } from "./shortcuts";
import { HostForm } from "./sidebar/HostForm";
import { NewSshDialog } from "./sidebar/NewSshDialog";
import { Sidebar } from "./sidebar/Sidebar";
import { isLight } from "./state/settings";
import { dialog, hostsLoaded, recordingShortcut, settings } from "./state/store";
import { TabArea } from "./tabs/TabArea";
import { TabBar } from "./tabs/TabBar";

/** True when the key event comes from a text field other than a terminal's own. */
function inTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.classList.contains("xterm-helper-textarea")) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}

/** The thin strip shown instead of the sidebar while it is hidden. */
function SidebarRail(): JSX.Element {
  return (
    <div class="sidebar-rail">
      <button
        class="icon-button"
        data-testid="sidebar-show"
        title={`Show the sidebar (${shortcutLabel("toggle_sidebar")})`}
        aria-label="Show the sidebar"
        onClick={toggleSidebar}
      >
        <Icon name="chevron" />
      </button>
    </div>
  );
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
    case "palette":
      return <Palette />;
  }
}

/** The whole app. */
export function App(): JSX.Element {
  const theme = settings.value.theme;
  useEffect(() => {
    document.documentElement.dataset.theme = isLight(theme) ? "light" : "dark";
    document.documentElement.dataset.scheme = theme;
  }, [theme]);

  const keybindings = settings.value.keybindings;
  useEffect(() => setKeymap(effectiveKeys(keybindings)), [keybindings]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (recordingShortcut.peek()) return;
      const action = matchShortcut(e);
      if (action === null) return;
      if (runAction(action, inTextField(e.target))) {
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
  const sidebarOpen = settings.value.sidebar_open;
  const { sidebar_width, monitor_width } = settings.value;
  const widths: Record<string, string> = {};
  if (sidebar_width !== null) widths["--sidebar-width"] = `${sidebar_width}px`;
  if (monitor_width !== null) widths["--monitor-width"] = `${monitor_width}px`;
  return (
    <div class={`app ${monitorOpen ? "with-monitor" : ""} ${sidebarOpen ? "" : "no-sidebar"}`} style={widths}>
      {sidebarOpen ? <Sidebar /> : <SidebarRail />}
      {sidebarOpen ? <PanelDivider panel="sidebar" /> : null}
      {monitorOpen ? <PanelDivider panel="monitor" /> : null}
      <main class="main">
        <TabBar />
        <TabArea />
      </main>
      {monitorOpen ? <MonitorPanel /> : null}
      <OpenDialog />
      <Files />
      <Forwards />
      <ConfirmDialog />
      <HostKeyChangedDialog />
      <PromptDialogs />
      <Notices />
      <Recordings />
    </div>
  );
}

// The tab strip: one tab per terminal tab with its state (connecting, connected, reconnecting
// with a live countdown, exited, error), a close button that detaches, and a context menu with
// split, detach and "End session…". Toolbar buttons on the right act on the focused pane.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { closeTab, endSession, hostLabel, newShell, openSearch, splitActive, updateSettings } from "../actions";
import { Icon } from "../icons";
import { focusedPane, type Tab } from "../state/layout";
import { currentPane, dispatch, layout, paneStatus, settings } from "../state/store";
import { shortcutLabel } from "../shortcuts";
import { countdownText, type PaneStatus, statusLabel } from "../terminal/status";
import { useNow } from "./useNow";

interface Menu {
  tab: Tab;
  x: number;
  y: number;
}

function TabItem({ tab, active, now, onMenu }: { tab: Tab; active: boolean; now: number; onMenu: (m: Menu) => void }): JSX.Element {
  const first = tab.panes[0];
  const focused = focusedPane(tab) ?? first;
  const statuses = paneStatus.value;
  const status: PaneStatus = (first && statuses[first.pane_id]) || { state: "connecting" };
  const title = tab.panes.map((p) => p.title).join(" │ ");
  const label = statusLabel(status, now);
  return (
    <div
      class={`tab ${active ? "active" : ""} state-${status.state}`}
      data-testid="tab"
      data-session-id={first?.session_id ?? ""}
      data-host={first?.host ?? ""}
      data-state={status.state}
      data-active={active ? "true" : "false"}
      role="tab"
      aria-selected={active}
      title={`${title} — ${hostLabel(focused?.host ?? "")} — ${label}`}
      onMouseDown={(e) => {
        if (e.button === 1) {
          e.preventDefault();
          closeTab(tab.tab_id);
        }
      }}
      onClick={() => dispatch({ type: "activate", tab_id: tab.tab_id })}
      onContextMenu={(e) => {
        e.preventDefault();
        dispatch({ type: "activate", tab_id: tab.tab_id });
        onMenu({ tab, x: e.clientX, y: e.clientY });
      }}
    >
      <span class={`dot state-${status.state}`} />
      <span class="tab-title">{title}</span>
      {focused && focused.host !== "local" ? <span class="tab-host">{focused.host}</span> : null}
      {status.state === "reconnecting" && status.retry_at !== undefined ? (
        <span class="tab-badge warn">{countdownText(status.retry_at, now, status.attempt).replace("Reconnecting ", "")}</span>
      ) : null}
      {status.state === "exited" ? (
        <span class="tab-badge" data-testid="tab-exit">
          {status.exit_signal ? status.exit_signal : status.exit_code !== null && status.exit_code !== undefined ? `exit ${status.exit_code}` : "ended"}
        </span>
      ) : null}
      {tab.panes.length > 1 ? <Icon name={tab.direction === "row" ? "splitRow" : "splitColumn"} /> : null}
      <button
        class="tab-close"
        data-testid="tab-close"
        title="Close tab (the session keeps running)"
        aria-label="Close tab"
        onClick={(e) => {
          e.stopPropagation();
          closeTab(tab.tab_id);
        }}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}

function TabMenu({ menu, onClose }: { menu: Menu; onClose: () => void }): JSX.Element {
  useEffect(() => {
    const close = () => onClose();
    window.addEventListener("click", close);
    window.addEventListener("blur", close);
    return () => {
      window.removeEventListener("click", close);
      window.removeEventListener("blur", close);
    };
  }, [onClose]);
  const pane = focusedPane(menu.tab);
  const full = menu.tab.panes.length >= 2;
  const item = (label: string, hint: string, action: () => void, opts: { disabled?: boolean; danger?: boolean; testid?: string } = {}) => (
    <button
      class={`menu-item ${opts.danger ? "danger" : ""}`}
      role="menuitem"
      data-testid={opts.testid}
      disabled={opts.disabled}
      onClick={() => {
        onClose();
        action();
      }}
    >
      <span>{label}</span>
      <span class="menu-hint">{hint}</span>
    </button>
  );
  return (
    <div class="menu" role="menu" style={{ left: `${menu.x}px`, top: `${menu.y}px` }} data-testid="tab-menu">
      {item("Split right", shortcutLabel("split_row"), () => void splitActive("row"), { disabled: full, testid: "tab-menu-split-row" })}
      {item("Split down", shortcutLabel("split_column"), () => void splitActive("column"), { disabled: full, testid: "tab-menu-split-column" })}
      {item("Find…", shortcutLabel("find"), openSearch)}
      <div class="menu-sep" />
      {item("Close tab (keep session running)", shortcutLabel("close_tab"), () => closeTab(menu.tab.tab_id), { testid: "tab-menu-detach" })}
      {pane
        ? item("End session…", "", () => void endSession(pane.host, pane.session_id, pane.title), { danger: true, testid: "tab-menu-end-session" })
        : null}
    </div>
  );
}

/** The tab strip and toolbar. */
export function TabBar(): JSX.Element {
  const l = layout.value;
  const [menu, setMenu] = useState<Menu | null>(null);
  const statuses = paneStatus.value;
  const anyCounting = Object.values(statuses).some((s) => s.state === "reconnecting");
  const now = useNow(anyCounting);
  const pane = currentPane.value;
  const tab = l.tabs.find((t) => t.tab_id === l.active) ?? null;
  const monitorOpen = settings.value.monitor_open;
  return (
    <div class="tabbar">
      <div class="tabs" role="tablist">
        {l.tabs.map((t) => (
          <TabItem key={t.tab_id} tab={t} active={t.tab_id === l.active} now={now} onMenu={setMenu} />
        ))}
        <button
          class="icon-button new-tab"
          title={`New shell on ${hostLabel(pane?.host ?? "local")} (${shortcutLabel("new_shell")})`}
          aria-label="New shell"
          data-testid="new-tab"
          onClick={() => void newShell(pane?.host ?? "local")}
        >
          <Icon name="plus" />
        </button>
      </div>
      <div class="toolbar">
        <button class="icon-button" title={`Split right (${shortcutLabel("split_row")})`} aria-label="Split right" data-testid="split-row" disabled={!tab || tab.panes.length >= 2} onClick={() => void splitActive("row")}>
          <Icon name="splitRow" />
        </button>
        <button class="icon-button" title={`Split down (${shortcutLabel("split_column")})`} aria-label="Split down" data-testid="split-column" disabled={!tab || tab.panes.length >= 2} onClick={() => void splitActive("column")}>
          <Icon name="splitColumn" />
        </button>
        <button class="icon-button" title={`Find in scrollback (${shortcutLabel("find")})`} aria-label="Find" data-testid="open-search" disabled={!pane} onClick={openSearch}>
          <Icon name="search" />
        </button>
        <button
          class="icon-button danger-hover"
          title="End this session…"
          aria-label="End session"
          data-testid="end-session"
          disabled={!pane}
          onClick={() => pane && void endSession(pane.host, pane.session_id, pane.title)}
        >
          <Icon name="stop" />
        </button>
        <button
          class={`icon-button ${monitorOpen ? "toggled" : ""}`}
          title={`${monitorOpen ? "Hide" : "Show"} monitoring (${shortcutLabel("toggle_monitor")})`}
          aria-label="Toggle monitoring"
          aria-pressed={monitorOpen}
          data-testid="monitor-toggle"
          onClick={() => updateSettings({ monitor_open: !monitorOpen })}
        >
          <Icon name="monitor" />
        </button>
      </div>
      {menu ? <TabMenu menu={menu} onClose={() => setMenu(null)} /> : null}
    </div>
  );
}

// The tab strip: one tab per terminal tab, labelled with its name or its session's title, a mark in
// its host's colour and its state (connecting, connected, reconnecting with a live countdown,
// exited, error); double-click renames in place; drag reorders; the strip scrolls the active tab
// into view (useKeepActiveInView.ts) and a menu lists every tab. The context menu and the toolbar run actions of the
// registry in actions.ts. Replay tabs (ReplayTabItem.tsx) follow the session tabs.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { actionById, closeTab, hostLabel, newShell, renameTab, runAction, startRename, toggleSidebar } from "../actions";
import { BroadcastChooser, BroadcastPill, TabBroadcastMark } from "../automation/Broadcast";
import { RunDialog } from "../automation/RunDialog";
import { inBroadcast } from "../automation/state";
import { Icon } from "../icons";
import { activeReplay, leaveReplay, replayTabs } from "../recordings/state";
import { focusedPane, type Tab, tabPanes } from "../state/layout";
import { attention, hostColor, paneLabel } from "../state/paneMeta";
import { currentPane, dispatch, layout, paneStatus, renamingTab, settings } from "../state/store";
import { distinctLabels, tabLabel } from "../state/titles";
import { shortcutLabel } from "../shortcuts";
import { countdownText, type PaneStatus, statusLabel } from "../terminal/status";
import { useDismiss } from "./useDismiss";
import { useKeepActiveInView } from "./useKeepActiveInView";
import { useNow } from "./useNow";
import { ReplayTabItem } from "./ReplayTabItem";

interface Menu {
  tab: Tab;
  x: number;
  y: number;
}

/** A tab's name, else its focused pane's title. */
function ownLabel(tab: Tab): string {
  const p = focusedPane(tab);
  return tabLabel(tab.name, p ? paneLabel(p) : "");
}

/** The label a tab shows: its own, with " (2)", " (3)" when earlier tabs read the same. */
export function labelOf(tab: Tab): string {
  const tabs = layout.value.tabs;
  const i = tabs.findIndex((t) => t.tab_id === tab.tab_id);
  return i < 0 ? ownLabel(tab) : (distinctLabels(tabs.map(ownLabel))[i] ?? ownLabel(tab));
}

function RenameInput({ tab }: { tab: Tab }): JSX.Element {
  const ref = useRef<HTMLInputElement>(null);
  // Uncontrolled: a re-render of the tab (a status or title change) must not undo typing.
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    el.value = tab.name ?? ownLabel(tab);
    el.focus();
    el.select();
  }, []);
  const done = (save: boolean) => {
    if (renamingTab.peek() !== tab.tab_id) return;
    if (save) renameTab(tab.tab_id, ref.current?.value ?? null);
    renamingTab.value = null;
  };
  return (
    <input
      ref={ref}
      class="tab-rename"
      data-testid="tab-rename-input"
      aria-label="Tab name (empty follows the session's title)"
      maxLength={200}
      onClick={(e) => e.stopPropagation()}
      onMouseDown={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Enter") done(true);
        if (e.key === "Escape") done(false);
      }}
      onBlur={() => done(true)}
    />
  );
}

/** Where a dragged tab would land: the index of the first tab whose middle is right of `x`. */
function dropIndex(strip: HTMLElement, x: number, from: number): number {
  const tabs = Array.from(strip.querySelectorAll<HTMLElement>('[data-testid="tab"]'));
  let to = tabs.length - 1;
  for (let i = 0; i < tabs.length; i++) {
    const r = tabs[i]?.getBoundingClientRect();
    if (r !== undefined && x < r.left + r.width / 2) {
      to = i;
      break;
    }
  }
  return to > from ? to - 1 : to;
}

function TabItem({ tab, index, active, now, onMenu }: { tab: Tab; index: number; active: boolean; now: number; onMenu: (m: Menu) => void }): JSX.Element {
  const panes = tabPanes(tab);
  const first = panes[0];
  const focused = focusedPane(tab) ?? first;
  const statuses = paneStatus.value;
  const status: PaneStatus = (focused && statuses[focused.pane_id]) || { state: "connecting" };
  const label = labelOf(tab);
  const state = statusLabel(status, now);
  const colour = focused ? hostColor(focused.host) : null;
  const renaming = renamingTab.value === tab.tab_id;
  const marks = attention(panes);
  const ref = useRef<HTMLDivElement>(null);

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0 || renaming) return;
    const el = ref.current;
    const strip = el?.parentElement;
    if (!el || !strip) return;
    const startX = e.clientX;
    let dragging = false;
    const move = (ev: PointerEvent) => {
      if (!dragging && Math.abs(ev.clientX - startX) < 6) return;
      if (!dragging) {
        dragging = true;
        el.setPointerCapture(ev.pointerId);
        el.classList.add("dragging");
      }
      el.style.transform = `translateX(${ev.clientX - startX}px)`;
    };
    const up = (ev: PointerEvent) => {
      el.removeEventListener("pointermove", move);
      el.removeEventListener("pointerup", up);
      el.removeEventListener("pointercancel", up);
      if (!dragging) return;
      el.classList.remove("dragging");
      el.style.transform = "";
      dispatch({ type: "move", tab_id: tab.tab_id, to: dropIndex(strip, ev.clientX, index) });
    };
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", up);
    el.addEventListener("pointercancel", up);
  };

  return (
    <div
      ref={ref}
      class={`tab ${active ? "active" : ""} state-${status.state}`}
      data-testid="tab"
      data-tab-id={tab.tab_id}
      data-session-id={focused?.session_id ?? ""}
      data-host={focused?.host ?? ""}
      data-state={status.state}
      data-active={active ? "true" : "false"}
      data-label={label}
      data-panes={panes.length}
      data-bell={marks.bell ? "true" : "false"}
      data-activity={marks.activity ? "true" : "false"}
      data-broadcast={inBroadcast(tab.tab_id) ? "true" : "false"}
      role="tab"
      aria-selected={active}
      title={`${label} — ${hostLabel(focused?.host ?? "")} — ${state}\nDouble-click to rename; drag to move.`}
      style={colour ? { "--host-colour": colour } : undefined}
      onPointerDown={onPointerDown}
      onMouseDown={(e) => {
        if (e.button === 1) {
          e.preventDefault();
          closeTab(tab.tab_id);
        }
      }}
      onClick={() => {
        leaveReplay();
        dispatch({ type: "activate", tab_id: tab.tab_id });
      }}
      onDblClick={(e) => {
        e.preventDefault();
        startRename(tab.tab_id);
      }}
      onContextMenu={(e) => {
        e.preventDefault();
        leaveReplay();
        dispatch({ type: "activate", tab_id: tab.tab_id });
        onMenu({ tab, x: e.clientX, y: e.clientY });
      }}
    >
      {colour ? <span class="tab-colour" data-testid="tab-colour" /> : null}
      <span class={`dot state-${status.state}`} />
      {renaming ? <RenameInput tab={tab} /> : <span class="tab-title" data-testid="tab-title">{label}</span>}
      {focused && focused.host !== "local" ? <span class="tab-host">{focused.host}</span> : null}
      <TabBroadcastMark tab={tab} active={active} />
      {marks.bell ? (
        <span class="tab-badge warn" data-testid="tab-bell" title="The bell rang while this tab was in the background">
          bell
        </span>
      ) : marks.activity ? (
        <span class="tab-activity" data-testid="tab-activity" title="New output while this tab was in the background" aria-label="New output" />
      ) : null}
      {status.state === "reconnecting" && status.retry_at !== undefined ? (
        <span class="tab-badge warn">{countdownText(status.retry_at, now, status.attempt).replace("Reconnecting ", "")}</span>
      ) : null}
      {status.state === "exited" ? (
        <span class="tab-badge" data-testid="tab-exit">
          {status.exit_signal ? status.exit_signal : status.exit_code !== null && status.exit_code !== undefined ? `exit ${status.exit_code}` : "ended"}
        </span>
      ) : null}
      {panes.length > 1 ? (
        <span class="tab-panes-count" title={`${panes.length} panes${tab.zoomed ? " (one zoomed)" : ""}`}>
          <Icon name="splitRow" />
          {panes.length}
        </span>
      ) : null}
      <button
        class="tab-close"
        data-testid="tab-close"
        title="Close tab (the session keeps running)"
        aria-label="Close tab"
        onPointerDown={(e) => e.stopPropagation()}
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

function MenuItem({ id, onClose, danger, label }: { id: string; onClose: () => void; danger?: boolean; label?: string }): JSX.Element | null {
  const a = actionById(id);
  if (a === undefined) return null;
  return (
    <button
      class={`menu-item ${danger ? "danger" : ""}`}
      role="menuitem"
      data-testid={`tab-menu-${id}`}
      disabled={a.enabled !== undefined && !a.enabled()}
      onClick={() => {
        onClose();
        runAction(id);
      }}
    >
      <span>{label ?? a.label}</span>
      <span class="menu-hint">{shortcutLabel(id)}</span>
    </button>
  );
}

function TabMenu({ menu, onClose }: { menu: Menu; onClose: () => void }): JSX.Element {
  useDismiss(onClose);
  return (
    <div class="menu" role="menu" style={{ left: `${menu.x}px`, top: `${menu.y}px` }} data-testid="tab-menu">
      <MenuItem id="rename_tab" onClose={onClose} />
      <div class="menu-sep" />
      <MenuItem id="split_row" onClose={onClose} />
      <MenuItem id="split_column" onClose={onClose} />
      <MenuItem id="zoom_pane" onClose={onClose} />
      <MenuItem id="find" onClose={onClose} label="Find…" />
      <div class="menu-sep" />
      <MenuItem id="broadcast_tab" onClose={onClose} label={inBroadcast(menu.tab.tab_id) ? "Stop broadcasting typing to this tab" : "Broadcast typing to this tab"} />
      <MenuItem id="broadcast_host" onClose={onClose} />
      <MenuItem id="broadcast_choose" onClose={onClose} />
      <MenuItem id="run_in_sessions" onClose={onClose} />
      <div class="menu-sep" />
      <MenuItem id="close_tab" onClose={onClose} />
      <MenuItem id="end_session" onClose={onClose} danger />
    </div>
  );
}

function OverflowMenu({ onClose }: { onClose: () => void }): JSX.Element {
  useDismiss(onClose);
  const l = layout.value;
  return (
    <div class="menu tab-list-menu" role="menu" data-testid="tab-overflow-menu">
      {l.tabs.map((t, i) => {
        const p = focusedPane(t);
        const colour = p ? hostColor(p.host) : null;
        const key = i < 8 ? shortcutLabel(`tab_${i + 1}`) : i === l.tabs.length - 1 ? shortcutLabel("tab_9") : "";
        return (
          <button
            key={t.tab_id}
            class={`menu-item ${t.tab_id === l.active ? "current" : ""}`}
            role="menuitem"
            data-testid="tab-overflow-item"
            data-tab-id={t.tab_id}
            onClick={() => {
              onClose();
              leaveReplay();
              dispatch({ type: "activate", tab_id: t.tab_id });
            }}
          >
            <span class="tab-list-label">
              <span class="tab-colour inline" style={colour ? { "--host-colour": colour } : undefined} />
              {labelOf(t)}
            </span>
            <span class="menu-hint">
              {p ? hostLabel(p.host) : ""}
              {key ? ` · ${key}` : ""}
            </span>
          </button>
        );
      })}
    </div>
  );
}

/** The tab strip and toolbar. */
export function TabBar(): JSX.Element {
  const l = layout.value;
  const [menu, setMenu] = useState<Menu | null>(null);
  const [listOpen, setListOpen] = useState(false);
  const statuses = paneStatus.value;
  const anyCounting = Object.values(statuses).some((s) => s.state === "reconnecting");
  const now = useNow(anyCounting);
  const pane = currentPane.value;
  const s = settings.value;
  const replaying = activeReplay.value;
  const strip = useRef<HTMLDivElement>(null);
  useKeepActiveInView(strip);
  const tool = (id: string, icon: Parameters<typeof Icon>[0]["name"], testid: string, extra: { pressed?: boolean; label?: string } = {}) => {
    const a = actionById(id);
    const key = shortcutLabel(id);
    const label = extra.label ?? a?.label ?? id;
    return (
      <button
        class={`icon-button ${extra.pressed ? "toggled" : ""}`}
        title={key ? `${label} (${key})` : label}
        aria-label={label}
        aria-pressed={extra.pressed}
        data-testid={testid}
        disabled={a?.enabled !== undefined && !a.enabled()}
        onClick={() => runAction(id)}
      >
        <Icon name={icon} />
      </button>
    );
  };
  return (
    <div class="tabbar">
      {s.sidebar_open ? (
        <button class="icon-button sidebar-toggle" data-testid="sidebar-hide" title={`Hide the sidebar (${shortcutLabel("toggle_sidebar")})`} aria-label="Hide the sidebar" onClick={toggleSidebar}>
          <Icon name="chevron" />
        </button>
      ) : null}
      <div class="tabs" role="tablist" data-testid="tab-strip" ref={strip}>
        {l.tabs.map((t, i) => (
          <TabItem key={t.tab_id} tab={t} index={i} active={t.tab_id === l.active && replaying === null} now={now} onMenu={setMenu} />
        ))}
        {replayTabs.value.map((r) => (
          <ReplayTabItem key={r.id} tab={r} active={r.id === replaying} />
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
      {l.tabs.length > 0 ? (
        <button
          class="icon-button tab-list-button"
          data-testid="tab-overflow"
          title={`All ${l.tabs.length} tabs`}
          aria-label="List all tabs"
          aria-haspopup="menu"
          onClick={() => setListOpen(!listOpen)}
        >
          <Icon name="down" />
          <span class="tab-count">{l.tabs.length}</span>
        </button>
      ) : null}
      <BroadcastPill />
      <div class="toolbar">
        {tool("split_row", "splitRow", "split-row")}
        {tool("split_column", "splitColumn", "split-column")}
        {tool("find", "search", "open-search")}
        {tool("end_session", "stop", "end-session")}
        {tool("palette", "more", "open-palette")}
        {tool("toggle_monitor", "monitor", "monitor-toggle", { pressed: s.monitor_open, label: s.monitor_open ? "Hide monitoring" : "Show monitoring" })}
      </div>
      {menu ? <TabMenu menu={menu} onClose={() => setMenu(null)} /> : null}
      {listOpen ? <OverflowMenu onClose={() => setListOpen(false)} /> : null}
      <BroadcastChooser />
      <RunDialog />
    </div>
  );
}

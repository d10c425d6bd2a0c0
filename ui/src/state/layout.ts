// Tabs and split panes as plain data, changed only through `layoutReducer` (pure). A tab holds
// one pane, or two side by side ("row") or stacked ("column"); each pane is its own attachment.
import type { SessionKind } from "../api/types";

/** How a split tab arranges its two panes: "row" side by side, "column" one above the other. */
export type SplitDirection = "row" | "column";

/** One terminal pane: a session on a host. */
export interface PaneRef {
  pane_id: string;
  host: string;
  session_id: string;
  title: string;
  /** The session's kind, when known (ssh sessions are monitored on their own). */
  kind: SessionKind | null;
}

/** A tab: one or two panes. */
export interface Tab {
  tab_id: string;
  panes: PaneRef[];
  direction: SplitDirection;
  /** Index of the pane that has focus. */
  focused: number;
}

/** All tabs and the active one. */
export interface Layout {
  tabs: Tab[];
  active: string | null;
}

/** The most panes a tab holds. */
export const MAX_PANES = 2;

/** An empty layout. */
export const EMPTY_LAYOUT: Layout = { tabs: [], active: null };

/** Everything that changes tabs. */
export type LayoutAction =
  | { type: "open"; tab: Tab }
  | { type: "close"; tab_id: string }
  | { type: "activate"; tab_id: string }
  | { type: "split"; tab_id: string; direction: SplitDirection; pane: PaneRef }
  | { type: "close_pane"; tab_id: string; pane_id: string }
  | { type: "focus_pane"; tab_id: string; pane_id: string }
  | { type: "retitle"; pane_id: string; title: string }
  | { type: "set_kind"; pane_id: string; kind: SessionKind }
  | { type: "cycle"; step: 1 | -1 }
  | { type: "restore"; layout: Layout };

/** A tab of one pane. */
export function singleTab(tab_id: string, pane: PaneRef): Tab {
  return { tab_id, panes: [pane], direction: "row", focused: 0 };
}

/** The active tab, if any. */
export function activeTab(layout: Layout): Tab | null {
  return layout.tabs.find((t) => t.tab_id === layout.active) ?? null;
}

/** The focused pane of a tab. */
export function focusedPane(tab: Tab): PaneRef | null {
  return tab.panes[tab.focused] ?? tab.panes[0] ?? null;
}

function withoutTab(layout: Layout, tab_id: string): Layout {
  const i = layout.tabs.findIndex((t) => t.tab_id === tab_id);
  if (i < 0) return layout;
  const tabs = layout.tabs.filter((t) => t.tab_id !== tab_id);
  let active = layout.active;
  if (active === tab_id) {
    const next = tabs[i] ?? tabs[i - 1] ?? null;
    active = next?.tab_id ?? null;
  }
  return { tabs, active };
}

function mapTab(layout: Layout, tab_id: string, f: (t: Tab) => Tab): Layout {
  let changed = false;
  const tabs = layout.tabs.map((t) => {
    if (t.tab_id !== tab_id) return t;
    const n = f(t);
    if (n !== t) changed = true;
    return n;
  });
  return changed ? { ...layout, tabs } : layout;
}

function mapPanes(layout: Layout, pane_id: string, f: (p: PaneRef) => PaneRef): Layout {
  let changed = false;
  const tabs = layout.tabs.map((t) => {
    const i = t.panes.findIndex((p) => p.pane_id === pane_id);
    const old = t.panes[i];
    if (old === undefined) return t;
    const next = f(old);
    if (next === old) return t;
    changed = true;
    return { ...t, panes: t.panes.map((p) => (p === old ? next : p)) };
  });
  return changed ? { ...layout, tabs } : layout;
}

/** Applies one change; returns the same object when nothing changed. */
export function layoutReducer(layout: Layout, action: LayoutAction): Layout {
  switch (action.type) {
    case "open":
      if (layout.tabs.some((t) => t.tab_id === action.tab.tab_id)) return layout;
      return { tabs: [...layout.tabs, action.tab], active: action.tab.tab_id };
    case "close":
      return withoutTab(layout, action.tab_id);
    case "activate":
      if (layout.active === action.tab_id || !layout.tabs.some((t) => t.tab_id === action.tab_id)) return layout;
      return { ...layout, active: action.tab_id };
    case "split":
      return mapTab(layout, action.tab_id, (t) =>
        t.panes.length >= MAX_PANES
          ? t
          : { ...t, panes: [...t.panes, action.pane], direction: action.direction, focused: t.panes.length },
      );
    case "close_pane": {
      const tab = layout.tabs.find((t) => t.tab_id === action.tab_id);
      if (tab === undefined || !tab.panes.some((p) => p.pane_id === action.pane_id)) return layout;
      if (tab.panes.length === 1) return withoutTab(layout, action.tab_id);
      return mapTab(layout, action.tab_id, (t) => ({
        ...t,
        panes: t.panes.filter((p) => p.pane_id !== action.pane_id),
        focused: 0,
      }));
    }
    case "focus_pane":
      return mapTab(layout, action.tab_id, (t) => {
        const i = t.panes.findIndex((p) => p.pane_id === action.pane_id);
        return i < 0 || i === t.focused ? t : { ...t, focused: i };
      });
    case "retitle":
      return mapPanes(layout, action.pane_id, (p) => (p.title === action.title ? p : { ...p, title: action.title }));
    case "set_kind":
      return mapPanes(layout, action.pane_id, (p) => (p.kind === action.kind ? p : { ...p, kind: action.kind }));
    case "cycle": {
      const n = layout.tabs.length;
      if (n < 2) return layout;
      const i = Math.max(0, layout.tabs.findIndex((t) => t.tab_id === layout.active));
      const next = layout.tabs[(i + action.step + n) % n];
      return next === undefined ? layout : { ...layout, active: next.tab_id };
    }
    case "restore":
      return action.layout;
  }
}

/** Every pane of every tab. */
export function allPanes(layout: Layout): PaneRef[] {
  return layout.tabs.flatMap((t) => t.panes);
}

// Tabs and their panes as plain data, changed only through `layoutReducer` (pure). A tab holds a
// tree: a leaf is one pane (one attachment); a split lays its children side by side ("row") or
// stacked ("column") with a share of the space each. Geometry (each pane's rectangle as fractions
// of the tab, the dividers, the neighbour in a direction) is computed here too, so the view only
// positions boxes.
import type { SessionKind } from "../api/types";

/** How a split arranges its children: "row" side by side, "column" one above the other. */
export type SplitDirection = "row" | "column";

/** One terminal pane: a session on a host. */
export interface PaneRef {
  pane_id: string;
  host: string;
  session_id: string;
  /** The session's title when the pane was opened (the fallback label). */
  title: string;
  /** The session's kind, when known (ssh sessions are monitored on their own). */
  kind: SessionKind | null;
}

/** A node of a tab's pane tree. */
export type PaneNode =
  | { type: "pane"; pane: PaneRef }
  | { type: "split"; direction: SplitDirection; children: PaneNode[]; sizes: number[] };

/** A tab: a tree of panes, the focused one, zoom, and the name the user gave it. */
export interface Tab {
  tab_id: string;
  root: PaneNode;
  /** The pane that has focus. */
  focused: string;
  /** True while the focused pane fills the tab. */
  zoomed: boolean;
  /** The user's name for the tab (rename); null follows the session's title. */
  name: string | null;
}

/** All tabs, in strip order, and the active one. */
export interface Layout {
  tabs: Tab[];
  active: string | null;
}

/** Where a pane moves focus to. */
export type Direction = "left" | "right" | "up" | "down";

/** The smallest share of a split one child keeps when a divider is dragged. */
export const MIN_SHARE = 0.05;

/** The longest tab name kept, in characters. */
export const MAX_NAME = 200;

/** An empty layout. */
export const EMPTY_LAYOUT: Layout = { tabs: [], active: null };

/** Everything that changes tabs. */
export type LayoutAction =
  | { type: "open"; tab: Tab }
  | { type: "close"; tab_id: string }
  | { type: "activate"; tab_id: string }
  | { type: "split"; tab_id: string; pane_id: string; direction: SplitDirection; pane: PaneRef }
  | { type: "close_pane"; tab_id: string; pane_id: string }
  | { type: "focus_pane"; tab_id: string; pane_id: string }
  | { type: "focus_dir"; tab_id: string; dir: Direction }
  | { type: "resize"; tab_id: string; path: number[]; sizes: number[] }
  | { type: "zoom"; tab_id: string }
  | { type: "rename"; tab_id: string; name: string | null }
  | { type: "move"; tab_id: string; to: number }
  | { type: "set_kind"; pane_id: string; kind: SessionKind }
  | { type: "cycle"; step: 1 | -1 }
  | { type: "nth"; index: number }
  | { type: "restore"; layout: Layout };

/** A tab of one pane. */
export function singleTab(tab_id: string, pane: PaneRef): Tab {
  return { tab_id, root: { type: "pane", pane }, focused: pane.pane_id, zoomed: false, name: null };
}

/** The active tab, if any. */
export function activeTab(layout: Layout): Tab | null {
  return layout.tabs.find((t) => t.tab_id === layout.active) ?? null;
}

/** A tree's panes, in reading order (depth first). */
export function nodePanes(node: PaneNode): PaneRef[] {
  return node.type === "pane" ? [node.pane] : node.children.flatMap(nodePanes);
}

/** A tab's panes, in reading order. */
export function tabPanes(tab: Tab): PaneRef[] {
  return nodePanes(tab.root);
}

/** The focused pane of a tab. */
export function focusedPane(tab: Tab): PaneRef | null {
  const panes = tabPanes(tab);
  return panes.find((p) => p.pane_id === tab.focused) ?? panes[0] ?? null;
}

/** Every pane of every tab. */
export function allPanes(layout: Layout): PaneRef[] {
  return layout.tabs.flatMap(tabPanes);
}

/** The tab and pane showing a session, if one does. */
export function findSession(layout: Layout, host: string, session_id: string): { tab: Tab; pane: PaneRef } | null {
  for (const tab of layout.tabs) {
    const pane = tabPanes(tab).find((p) => p.host === host && p.session_id === session_id);
    if (pane !== undefined) return { tab, pane };
  }
  return null;
}

/** Equal shares for `n` children. */
function equal(n: number): number[] {
  return Array.from({ length: n }, () => 1 / n);
}

/** Shares that are positive and sum to 1 (equal ones when `sizes` does not fit `n`). */
export function normaliseSizes(sizes: readonly number[], n: number): number[] {
  if (sizes.length !== n || sizes.some((s) => !Number.isFinite(s) || s <= 0)) return equal(n);
  const sum = sizes.reduce((a, b) => a + b, 0);
  return sizes.map((s) => s / sum);
}

/** The tree with pane `pane_id` replaced by `f(leaf)` (null removes it); splits left with one child collapse. */
function mapLeaf(node: PaneNode, pane_id: string, f: (leaf: PaneNode & { type: "pane" }) => PaneNode | null): PaneNode | null {
  if (node.type === "pane") return node.pane.pane_id === pane_id ? f(node) : node;
  let changed = false;
  const children: PaneNode[] = [];
  const sizes: number[] = [];
  node.children.forEach((c, i) => {
    const n = mapLeaf(c, pane_id, f);
    if (n !== c) changed = true;
    if (n === null) return;
    // A child split the same way as its parent merges into it.
    if (n.type === "split" && n.direction === node.direction && n !== c) {
      const share = node.sizes[i] ?? 0;
      n.children.forEach((g, j) => {
        children.push(g);
        sizes.push(share * (n.sizes[j] ?? 0));
      });
    } else {
      children.push(n);
      sizes.push(node.sizes[i] ?? 0);
    }
  });
  if (!changed) return node;
  if (children.length === 0) return null;
  if (children.length === 1) return children[0] ?? null;
  return { ...node, children, sizes: normaliseSizes(sizes, children.length) };
}

function splitLeaf(root: PaneNode, pane_id: string, direction: SplitDirection, pane: PaneRef): PaneNode {
  return (
    mapLeaf(root, pane_id, (leaf) => ({
      type: "split",
      direction,
      children: [leaf, { type: "pane", pane }],
      sizes: [0.5, 0.5],
    })) ?? root
  );
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

function mapPaneRefs(node: PaneNode, f: (p: PaneRef) => PaneRef): PaneNode {
  if (node.type === "pane") {
    const p = f(node.pane);
    return p === node.pane ? node : { type: "pane", pane: p };
  }
  const children = node.children.map((c) => mapPaneRefs(c, f));
  return children.every((c, i) => c === node.children[i]) ? node : { ...node, children };
}

/** The split node at `path` (child indexes from the root), if that is a split. */
export function nodeAt(root: PaneNode, path: readonly number[]): PaneNode | null {
  let node: PaneNode | undefined = root;
  for (const i of path) {
    if (node?.type !== "split") return null;
    node = node.children[i];
  }
  return node ?? null;
}

function resizeAt(node: PaneNode, path: readonly number[], sizes: number[]): PaneNode {
  if (node.type !== "split") return node;
  if (path.length === 0) {
    if (sizes.length !== node.children.length || sizes.some((s) => !Number.isFinite(s) || s < MIN_SHARE / 2)) return node;
    return { ...node, sizes: normaliseSizes(sizes, sizes.length) };
  }
  const [i, ...rest] = path as [number, ...number[]];
  const child = node.children[i];
  if (child === undefined) return node;
  const n = resizeAt(child, rest, sizes);
  return n === child ? node : { ...node, children: node.children.map((c, j) => (j === i ? n : c)) };
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
      return mapTab(layout, action.tab_id, (t) => {
        if (!tabPanes(t).some((p) => p.pane_id === action.pane_id)) return t;
        return { ...t, root: splitLeaf(t.root, action.pane_id, action.direction, action.pane), focused: action.pane.pane_id, zoomed: false };
      });
    case "close_pane": {
      const tab = layout.tabs.find((t) => t.tab_id === action.tab_id);
      if (tab === undefined) return layout;
      const panes = tabPanes(tab);
      const i = panes.findIndex((p) => p.pane_id === action.pane_id);
      if (i < 0) return layout;
      const root = mapLeaf(tab.root, action.pane_id, () => null);
      if (root === null) return withoutTab(layout, action.tab_id);
      const left = nodePanes(root);
      const focused = tab.focused === action.pane_id ? (left[Math.max(0, i - 1)] ?? left[0])?.pane_id ?? "" : tab.focused;
      return mapTab(layout, action.tab_id, (t) => ({ ...t, root, focused, zoomed: t.zoomed && tab.focused !== action.pane_id }));
    }
    case "focus_pane":
      return mapTab(layout, action.tab_id, (t) =>
        t.focused === action.pane_id || !tabPanes(t).some((p) => p.pane_id === action.pane_id) ? t : { ...t, focused: action.pane_id },
      );
    case "focus_dir":
      return mapTab(layout, action.tab_id, (t) => {
        const next = neighbour(t.root, t.focused, action.dir);
        return next === null ? t : { ...t, focused: next, zoomed: false };
      });
    case "resize":
      return mapTab(layout, action.tab_id, (t) => {
        const root = resizeAt(t.root, action.path, action.sizes);
        return root === t.root ? t : { ...t, root };
      });
    case "zoom":
      return mapTab(layout, action.tab_id, (t) => (tabPanes(t).length < 2 && !t.zoomed ? t : { ...t, zoomed: !t.zoomed }));
    case "rename": {
      const name = action.name === null ? null : action.name.trim().slice(0, MAX_NAME) || null;
      return mapTab(layout, action.tab_id, (t) => (t.name === name ? t : { ...t, name }));
    }
    case "move": {
      const from = layout.tabs.findIndex((t) => t.tab_id === action.tab_id);
      const to = Math.max(0, Math.min(layout.tabs.length - 1, Math.floor(action.to)));
      if (from < 0 || from === to || !Number.isFinite(action.to)) return layout;
      const tabs = [...layout.tabs];
      const [moved] = tabs.splice(from, 1);
      if (moved === undefined) return layout;
      tabs.splice(to, 0, moved);
      return { ...layout, tabs };
    }
    case "set_kind": {
      let changed = false;
      const tabs = layout.tabs.map((t) => {
        const root = mapPaneRefs(t.root, (p) => (p.pane_id === action.pane_id && p.kind !== action.kind ? { ...p, kind: action.kind } : p));
        if (root === t.root) return t;
        changed = true;
        return { ...t, root };
      });
      return changed ? { ...layout, tabs } : layout;
    }
    case "cycle": {
      const n = layout.tabs.length;
      if (n < 2) return layout;
      const i = Math.max(0, layout.tabs.findIndex((t) => t.tab_id === layout.active));
      const next = layout.tabs[(i + action.step + n) % n];
      return next === undefined ? layout : { ...layout, active: next.tab_id };
    }
    case "nth": {
      // Like browsers: the ninth goes to the last tab.
      const t = action.index >= 8 ? layout.tabs[layout.tabs.length - 1] : layout.tabs[action.index];
      return t === undefined || t.tab_id === layout.active ? layout : { ...layout, active: t.tab_id };
    }
    case "restore":
      return action.layout;
  }
}

/** A rectangle as fractions of the tab (0..1). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A divider between children `index` and `index + 1` of the split at `path`. */
export interface Divider {
  path: number[];
  index: number;
  direction: SplitDirection;
  /** The split's own rectangle (a drag maps the pointer into it). */
  area: Rect;
  /** Where the divider sits, as a fraction of the tab along the split's direction. */
  at: number;
}

/** Every pane's rectangle and every divider of a tree. */
export function geometry(root: PaneNode): { panes: Map<string, Rect>; dividers: Divider[] } {
  const panes = new Map<string, Rect>();
  const dividers: Divider[] = [];
  const walk = (node: PaneNode, r: Rect, path: number[]) => {
    if (node.type === "pane") {
      panes.set(node.pane.pane_id, r);
      return;
    }
    const sizes = normaliseSizes(node.sizes, node.children.length);
    let offset = 0;
    node.children.forEach((c, i) => {
      const share = sizes[i] ?? 0;
      const cr = node.direction === "row" ? { x: r.x + offset * r.w, y: r.y, w: share * r.w, h: r.h } : { x: r.x, y: r.y + offset * r.h, w: r.w, h: share * r.h };
      walk(c, cr, [...path, i]);
      offset += share;
      if (i < node.children.length - 1) {
        dividers.push({ path, index: i, direction: node.direction, area: r, at: node.direction === "row" ? r.x + offset * r.w : r.y + offset * r.h });
      }
    });
  };
  walk(root, { x: 0, y: 0, w: 1, h: 1 }, []);
  return { panes, dividers };
}

/** The new shares of a split when its divider `index` is dragged to `pos` (0..1 within the split). */
export function dragSizes(sizes: readonly number[], index: number, pos: number): number[] {
  const s = normaliseSizes(sizes, sizes.length);
  const before = s.slice(0, index).reduce((a, b) => a + b, 0);
  const pair = (s[index] ?? 0) + (s[index + 1] ?? 0);
  const first = Math.min(pair - MIN_SHARE, Math.max(MIN_SHARE, pos - before));
  if (!(first > 0) || !(pair - first > 0)) return s;
  return s.map((v, i) => (i === index ? first : i === index + 1 ? pair - first : v));
}

const EPS = 1e-6;

/** The pane next to `pane_id` in direction `dir` (the closest one that overlaps it most), or null. */
export function neighbour(root: PaneNode, pane_id: string, dir: Direction): string | null {
  const { panes } = geometry(root);
  const me = panes.get(pane_id);
  if (me === undefined) return null;
  let best: { id: string; gap: number; overlap: number } | null = null;
  for (const [id, r] of panes) {
    if (id === pane_id) continue;
    let gap: number;
    let overlap: number;
    if (dir === "left" || dir === "right") {
      gap = dir === "left" ? me.x - (r.x + r.w) : r.x - (me.x + me.w);
      overlap = Math.min(me.y + me.h, r.y + r.h) - Math.max(me.y, r.y);
    } else {
      gap = dir === "up" ? me.y - (r.y + r.h) : r.y - (me.y + me.h);
      overlap = Math.min(me.x + me.w, r.x + r.w) - Math.max(me.x, r.x);
    }
    if (gap < -EPS || overlap <= EPS) continue;
    if (best === null || gap < best.gap - EPS || (Math.abs(gap - best.gap) <= EPS && overlap > best.overlap)) best = { id, gap, overlap };
  }
  return best?.id ?? null;
}

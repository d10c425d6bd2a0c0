// The workspace as stored with state_save("workspace"): the open tabs in strip order (each a tree
// of panes with their host, session, title and shares, the tab's name and focused pane) and which
// one is active. Pure (de)serialisation with validation: anything malformed is dropped rather than
// trusted, so a damaged file never breaks start-up. Version 1 (a tab of one pane plus an optional
// second one) still loads.
import type { SessionKind } from "../api/types";
import { type Layout, MAX_NAME, nodePanes, normaliseSizes, type PaneNode, type PaneRef, type SplitDirection, type Tab, tabPanes } from "./layout";

/** The stored format's version. */
export const WORKSPACE_VERSION = 2;

/** The deepest pane tree read back (deeper parts are dropped). */
const MAX_DEPTH = 16;

/** The most panes one tab keeps when read back. */
const MAX_PANES = 64;

/** One stored pane. */
export interface StoredPane {
  host: string;
  session_id: string;
  title: string;
  kind?: SessionKind | null;
}

/** A stored pane tree. */
export type StoredNode = { pane: StoredPane } | { direction: SplitDirection; children: StoredNode[]; sizes: number[] };

/** One stored tab. */
export interface StoredTab {
  root: StoredNode;
  /** The focused pane's index in reading order. */
  focused: number;
  zoomed: boolean;
  name: string | null;
}

/** The stored workspace. */
export interface StoredWorkspace {
  version: number;
  active: number;
  tabs: StoredTab[];
}

function storePane(p: PaneRef): StoredPane {
  return { host: p.host, session_id: p.session_id, title: p.title, kind: p.kind };
}

function storeNode(n: PaneNode): StoredNode {
  return n.type === "pane" ? { pane: storePane(n.pane) } : { direction: n.direction, children: n.children.map(storeNode), sizes: n.sizes };
}

/** The layout as stored. */
export function serialiseWorkspace(layout: Layout): StoredWorkspace {
  const tabs = layout.tabs.map(
    (t): StoredTab => ({
      root: storeNode(t.root),
      focused: Math.max(0, tabPanes(t).findIndex((p) => p.pane_id === t.focused)),
      zoomed: t.zoomed,
      name: t.name,
    }),
  );
  const active = Math.max(0, layout.tabs.findIndex((t) => t.tab_id === layout.active));
  return { version: WORKSPACE_VERSION, active: Math.min(active, Math.max(0, tabs.length - 1)), tabs };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonEmpty(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= 1024;
}

function readPane(v: unknown, newId: () => string): PaneRef | null {
  if (!isRecord(v) || !nonEmpty(v.host) || !nonEmpty(v.session_id)) return null;
  const title = typeof v.title === "string" && v.title.length > 0 ? v.title.slice(0, 1024) : v.session_id;
  const kind = v.kind === "shell" || v.kind === "ssh" ? v.kind : null;
  return { pane_id: newId(), host: v.host, session_id: v.session_id, title, kind };
}

function readNode(v: unknown, newId: () => string, depth: number, budget: { panes: number }): PaneNode | null {
  if (!isRecord(v) || depth > MAX_DEPTH) return null;
  if ("pane" in v) {
    if (budget.panes <= 0) return null;
    const pane = readPane(v.pane, newId);
    if (pane === null) return null;
    budget.panes--;
    return { type: "pane", pane };
  }
  if (!Array.isArray(v.children)) return null;
  const direction: SplitDirection = v.direction === "column" ? "column" : "row";
  const rawSizes = Array.isArray(v.sizes) ? v.sizes : [];
  const children: PaneNode[] = [];
  const sizes: number[] = [];
  v.children.forEach((c: unknown, i: number) => {
    const n = readNode(c, newId, depth + 1, budget);
    if (n === null) return;
    children.push(n);
    const s: unknown = rawSizes[i];
    sizes.push(typeof s === "number" ? s : Number.NaN);
  });
  if (children.length === 0) return null;
  if (children.length === 1) return children[0] ?? null;
  return { type: "split", direction, children, sizes: normaliseSizes(sizes, children.length) };
}

/** A version 1 tab: its first pane, and the second one when split. */
function readTabV1(raw: unknown, newId: () => string): PaneNode | null {
  const first = readPane(raw, newId);
  if (first === null || !isRecord(raw)) return null;
  const split = raw.split;
  const second = isRecord(split) ? readPane(split, newId) : null;
  if (second === null || !isRecord(split)) return { type: "pane", pane: first };
  return {
    type: "split",
    direction: split.direction === "column" ? "column" : "row",
    children: [
      { type: "pane", pane: first },
      { type: "pane", pane: second },
    ],
    sizes: [0.5, 0.5],
  };
}

function readTab(raw: unknown, version: number, newId: () => string): Tab | null {
  if (!isRecord(raw)) return null;
  const root = version === 1 ? readTabV1(raw, newId) : readNode(raw.root, newId, 0, { panes: MAX_PANES });
  if (root === null) return null;
  const panes = nodePanes(root);
  const index = version === 1 ? 0 : typeof raw.focused === "number" ? raw.focused : 0;
  const focused = (panes[index] ?? panes[0])?.pane_id ?? "";
  const name = typeof raw.name === "string" && raw.name.trim().length > 0 ? raw.name.trim().slice(0, MAX_NAME) : null;
  return { tab_id: newId(), root, focused, zoomed: raw.zoomed === true && panes.length > 1, name };
}

/** The layout from a stored value; unknown versions and malformed entries give fewer tabs. */
export function deserialiseWorkspace(value: unknown, newId: () => string): Layout {
  if (!isRecord(value) || (value.version !== 1 && value.version !== WORKSPACE_VERSION) || !Array.isArray(value.tabs)) {
    return { tabs: [], active: null };
  }
  const version = value.version;
  const tabs: Tab[] = [];
  let activeId: string | null = null;
  value.tabs.forEach((raw: unknown, index: number) => {
    const tab = readTab(raw, version, newId);
    if (tab === null) return;
    tabs.push(tab);
    if (index === value.active) activeId = tab.tab_id;
  });
  return { tabs, active: activeId ?? tabs[0]?.tab_id ?? null };
}

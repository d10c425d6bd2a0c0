// The workspace as stored with state_save("workspace"): the open tabs (host, session, title and
// split layout) and which one is active. Pure (de)serialisation with validation: anything
// malformed is dropped rather than trusted, so a damaged file never breaks start-up.
import type { SessionKind } from "../api/types";
import type { Layout, PaneRef, SplitDirection, Tab } from "./layout";

/** The stored format's version. */
export const WORKSPACE_VERSION = 1;

/** One stored pane. */
export interface StoredPane {
  host: string;
  session_id: string;
  title: string;
  kind?: SessionKind | null;
}

/** One stored tab: its first pane, and the second one when split. */
export interface StoredTab extends StoredPane {
  split: (StoredPane & { direction: SplitDirection }) | null;
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

/** The layout as stored. */
export function serialiseWorkspace(layout: Layout): StoredWorkspace {
  const tabs = layout.tabs
    .filter((t) => t.panes.length > 0)
    .map((t): StoredTab => {
      const [first, second] = t.panes as [PaneRef, PaneRef | undefined];
      return {
        ...storePane(first),
        split: second === undefined ? null : { ...storePane(second), direction: t.direction },
      };
    });
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
  const title = typeof v.title === "string" && v.title.length > 0 ? v.title : v.session_id;
  const kind = v.kind === "shell" || v.kind === "ssh" ? v.kind : null;
  return { pane_id: newId(), host: v.host, session_id: v.session_id, title, kind };
}

/** The layout from a stored value; unknown versions and malformed entries give fewer tabs. */
export function deserialiseWorkspace(value: unknown, newId: () => string): Layout {
  if (!isRecord(value) || value.version !== WORKSPACE_VERSION || !Array.isArray(value.tabs)) {
    return { tabs: [], active: null };
  }
  const tabs: Tab[] = [];
  let activeId: string | null = null;
  value.tabs.forEach((raw: unknown, index: number) => {
    const first = readPane(raw, newId);
    if (first === null || !isRecord(raw)) return;
    const panes = [first];
    let direction: SplitDirection = "row";
    const split = raw.split;
    if (isRecord(split)) {
      const second = readPane(split, newId);
      if (second !== null) {
        panes.push(second);
        direction = split.direction === "column" ? "column" : "row";
      }
    }
    const tab: Tab = { tab_id: newId(), panes, direction, focused: 0 };
    tabs.push(tab);
    if (index === value.active) activeId = tab.tab_id;
  });
  return { tabs, active: activeId ?? tabs[0]?.tab_id ?? null };
}

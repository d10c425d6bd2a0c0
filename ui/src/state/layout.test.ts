// Tests for the tab layout reducer: tabs, the pane tree, geometry, focus moves, zoom, rename and order.
import { describe, expect, it } from "vitest";
import {
  activeTab,
  dragSizes,
  EMPTY_LAYOUT,
  findSession,
  focusedPane,
  geometry,
  layoutReducer,
  type Layout,
  neighbour,
  type PaneRef,
  singleTab,
  tabPanes,
} from "./layout";

const pane = (id: string, host = "local"): PaneRef => ({ pane_id: id, host, session_id: `s-${id}`, title: id, kind: "shell" });

function opened(...ids: string[]): Layout {
  return ids.reduce((l, id) => layoutReducer(l, { type: "open", tab: singleTab(`t-${id}`, pane(id)) }), EMPTY_LAYOUT);
}

const ids = (l: Layout, i = 0) => tabPanes(l.tabs[i]!).map((p) => p.pane_id);

/** Tab t-a as a: | b over c | (b split down into c). */
function threePanes(): Layout {
  let l = opened("a");
  l = layoutReducer(l, { type: "split", tab_id: "t-a", pane_id: "a", direction: "row", pane: pane("b") });
  return layoutReducer(l, { type: "split", tab_id: "t-a", pane_id: "b", direction: "column", pane: pane("c") });
}

describe("tabs", () => {
  it("opens tabs and activates the new one", () => {
    const l = opened("a", "b");
    expect(l.tabs.map((t) => t.tab_id)).toEqual(["t-a", "t-b"]);
    expect(l.active).toBe("t-b");
    expect(layoutReducer(l, { type: "open", tab: singleTab("t-a", pane("x")) })).toBe(l);
  });

  it("closing the active tab activates its right neighbour, else the left one", () => {
    let l = opened("a", "b", "c");
    l = layoutReducer(l, { type: "activate", tab_id: "t-b" });
    l = layoutReducer(l, { type: "close", tab_id: "t-b" });
    expect(l.active).toBe("t-c");
    l = layoutReducer(l, { type: "close", tab_id: "t-c" });
    expect(l.active).toBe("t-a");
    l = layoutReducer(l, { type: "close", tab_id: "t-a" });
    expect(l).toEqual(EMPTY_LAYOUT);
  });

  it("cycles, wraps and goes to the nth tab (the ninth is the last)", () => {
    let l = opened("a", "b", "c");
    l = layoutReducer(l, { type: "cycle", step: 1 });
    expect(l.active).toBe("t-a");
    l = layoutReducer(l, { type: "cycle", step: -1 });
    expect(l.active).toBe("t-c");
    l = layoutReducer(l, { type: "nth", index: 1 });
    expect(l.active).toBe("t-b");
    l = layoutReducer(l, { type: "nth", index: 8 });
    expect(l.active).toBe("t-c");
    expect(layoutReducer(l, { type: "nth", index: 5 })).toBe(l);
  });

  it("moves a tab to another place in the strip, keeping the active one", () => {
    let l = opened("a", "b", "c", "d");
    l = layoutReducer(l, { type: "move", tab_id: "t-d", to: 0 });
    expect(l.tabs.map((t) => t.tab_id)).toEqual(["t-d", "t-a", "t-b", "t-c"]);
    l = layoutReducer(l, { type: "move", tab_id: "t-a", to: 99 });
    expect(l.tabs.map((t) => t.tab_id)).toEqual(["t-d", "t-b", "t-c", "t-a"]);
    expect(l.active).toBe("t-d");
    expect(layoutReducer(l, { type: "move", tab_id: "t-d", to: 0 })).toBe(l);
    expect(layoutReducer(l, { type: "move", tab_id: "nope", to: 1 })).toBe(l);
  });

  it("renames a tab, trims and bounds the name, and clears it", () => {
    let l = opened("a");
    l = layoutReducer(l, { type: "rename", tab_id: "t-a", name: "  prod db  " });
    expect(l.tabs[0]?.name).toBe("prod db");
    expect(layoutReducer(l, { type: "rename", tab_id: "t-a", name: "prod db" })).toBe(l);
    l = layoutReducer(l, { type: "rename", tab_id: "t-a", name: "x".repeat(500) });
    expect(l.tabs[0]?.name?.length).toBe(200);
    l = layoutReducer(l, { type: "rename", tab_id: "t-a", name: "   " });
    expect(l.tabs[0]?.name).toBeNull();
  });

  it("finds the tab showing a session", () => {
    const l = threePanes();
    expect(findSession(l, "local", "s-c")?.pane.pane_id).toBe("c");
    expect(findSession(l, "other", "s-c")).toBeNull();
  });

  it("ignores unknown ids", () => {
    const l = opened("a");
    expect(layoutReducer(l, { type: "activate", tab_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "close", tab_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "split", tab_id: "t-a", pane_id: "nope", direction: "row", pane: pane("x") })).toBe(l);
    expect(layoutReducer(l, { type: "focus_pane", tab_id: "t-a", pane_id: "nope" })).toBe(l);
  });
});

describe("pane tree", () => {
  it("splits any pane, nested, and focuses the new one", () => {
    const l = threePanes();
    expect(ids(l)).toEqual(["a", "b", "c"]);
    const t = activeTab(l)!;
    expect(focusedPane(t)?.pane_id).toBe("c");
    expect(t.root).toMatchObject({ type: "split", direction: "row", children: [{ type: "pane" }, { type: "split", direction: "column" }] });
  });

  it("a split in the same direction as its parent adds a sibling", () => {
    let l = opened("a");
    for (const id of ["b", "c", "d"]) l = layoutReducer(l, { type: "split", tab_id: "t-a", pane_id: "a", direction: "row", pane: pane(id) });
    const root = activeTab(l)!.root;
    expect(root.type === "split" && root.children.length).toBe(4);
    expect(ids(l)).toEqual(["a", "d", "c", "b"]);
  });

  it("closing a pane collapses its split and focuses a neighbour; the last pane closes the tab", () => {
    let l = threePanes();
    l = layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "c" });
    expect(ids(l)).toEqual(["a", "b"]);
    expect(activeTab(l)?.focused).toBe("b");
    expect(activeTab(l)?.root).toMatchObject({ type: "split", direction: "row", sizes: [0.5, 0.5] });
    l = layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "a" });
    expect(activeTab(l)?.root).toEqual({ type: "pane", pane: pane("b") });
    l = layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "b" });
    expect(l.tabs).toEqual([]);
  });

  it("lays panes out as fractions of the tab, with a divider per gap", () => {
    const { panes, dividers } = geometry(activeTab(threePanes())!.root);
    expect(panes.get("a")).toEqual({ x: 0, y: 0, w: 0.5, h: 1 });
    expect(panes.get("b")).toEqual({ x: 0.5, y: 0, w: 0.5, h: 0.5 });
    expect(panes.get("c")).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    expect(dividers.map((d) => [d.path, d.index, d.direction, d.at])).toEqual([
      [[], 0, "row", 0.5],
      [[1], 0, "column", 0.5],
    ]);
  });

  it("moves focus to the pane in a direction", () => {
    const root = activeTab(threePanes())!.root;
    expect(neighbour(root, "a", "right")).toBe("b");
    expect(neighbour(root, "c", "left")).toBe("a");
    expect(neighbour(root, "c", "up")).toBe("b");
    expect(neighbour(root, "b", "down")).toBe("c");
    expect(neighbour(root, "a", "left")).toBeNull();
    expect(neighbour(root, "a", "up")).toBeNull();
    let l = threePanes();
    l = layoutReducer(l, { type: "focus_dir", tab_id: "t-a", dir: "left" });
    expect(activeTab(l)?.focused).toBe("a");
    expect(layoutReducer(l, { type: "focus_dir", tab_id: "t-a", dir: "left" })).toBe(l);
  });

  it("drags a divider within bounds and stores the shares", () => {
    expect(dragSizes([0.5, 0.5], 0, 0.3)).toEqual([0.3, 0.7]);
    expect(dragSizes([0.5, 0.5], 0, -4)).toEqual([0.05, 0.95]);
    const s = dragSizes([0.25, 0.25, 0.5], 1, 0.75);
    expect(s[0]).toBeCloseTo(0.25);
    expect(s[1]).toBeCloseTo(0.5);
    expect(s[2]).toBeCloseTo(0.25);
    let l = threePanes();
    l = layoutReducer(l, { type: "resize", tab_id: "t-a", path: [], sizes: [0.3, 0.7] });
    expect(geometry(activeTab(l)!.root).panes.get("b")?.x).toBeCloseTo(0.3);
    expect(layoutReducer(l, { type: "resize", tab_id: "t-a", path: [], sizes: [1] })).toBe(l);
    expect(layoutReducer(l, { type: "resize", tab_id: "t-a", path: [0], sizes: [0.5, 0.5] })).toBe(l);
  });

  it("zooms a tab of several panes; a split or focus move ends the zoom", () => {
    let l = opened("a");
    expect(layoutReducer(l, { type: "zoom", tab_id: "t-a" })).toBe(l);
    l = threePanes();
    l = layoutReducer(l, { type: "zoom", tab_id: "t-a" });
    expect(activeTab(l)?.zoomed).toBe(true);
    l = layoutReducer(l, { type: "focus_dir", tab_id: "t-a", dir: "up" });
    expect(activeTab(l)?.zoomed).toBe(false);
  });

  it("sets a pane's kind", () => {
    let l = threePanes();
    l = layoutReducer(l, { type: "set_kind", pane_id: "b", kind: "ssh" });
    expect(tabPanes(l.tabs[0]!)[1]?.kind).toBe("ssh");
    expect(layoutReducer(l, { type: "set_kind", pane_id: "b", kind: "ssh" })).toBe(l);
  });
});

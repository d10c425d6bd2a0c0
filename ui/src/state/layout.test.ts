// Tests for the tab and split layout reducer.
import { describe, expect, it } from "vitest";
import { activeTab, EMPTY_LAYOUT, focusedPane, layoutReducer, type Layout, type PaneRef, singleTab } from "./layout";

const pane = (id: string, host = "local"): PaneRef => ({ pane_id: id, host, session_id: `s-${id}`, title: id, kind: "shell" });

function opened(...ids: string[]): Layout {
  return ids.reduce((l, id) => layoutReducer(l, { type: "open", tab: singleTab(`t-${id}`, pane(id)) }), EMPTY_LAYOUT);
}

describe("layoutReducer", () => {
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

  it("closing an inactive tab keeps the active one", () => {
    let l = opened("a", "b");
    l = layoutReducer(l, { type: "close", tab_id: "t-a" });
    expect(l.active).toBe("t-b");
  });

  it("splits into at most two panes and focuses the new one", () => {
    let l = opened("a");
    l = layoutReducer(l, { type: "split", tab_id: "t-a", direction: "column", pane: pane("b") });
    const t = activeTab(l);
    expect(t?.panes.map((p) => p.pane_id)).toEqual(["a", "b"]);
    expect(t?.direction).toBe("column");
    expect(t && focusedPane(t)?.pane_id).toBe("b");
    const again = layoutReducer(l, { type: "split", tab_id: "t-a", direction: "row", pane: pane("c") });
    expect(again).toBe(l);
  });

  it("closing one pane of a split keeps the other; closing the last closes the tab", () => {
    let l = opened("a");
    l = layoutReducer(l, { type: "split", tab_id: "t-a", direction: "row", pane: pane("b") });
    l = layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "a" });
    expect(activeTab(l)?.panes.map((p) => p.pane_id)).toEqual(["b"]);
    expect(activeTab(l)?.focused).toBe(0);
    l = layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "b" });
    expect(l.tabs).toEqual([]);
  });

  it("focuses panes, retitles and cycles", () => {
    let l = opened("a", "b");
    l = layoutReducer(l, { type: "split", tab_id: "t-b", direction: "row", pane: pane("c") });
    l = layoutReducer(l, { type: "focus_pane", tab_id: "t-b", pane_id: "b" });
    expect(activeTab(l)?.focused).toBe(0);
    l = layoutReducer(l, { type: "retitle", pane_id: "c", title: "logs" });
    expect(l.tabs[1]?.panes[1]?.title).toBe("logs");
    expect(layoutReducer(l, { type: "retitle", pane_id: "c", title: "logs" })).toBe(l);
    l = layoutReducer(l, { type: "cycle", step: 1 });
    expect(l.active).toBe("t-a");
    l = layoutReducer(l, { type: "cycle", step: -1 });
    expect(l.active).toBe("t-b");
  });

  it("ignores unknown ids", () => {
    const l = opened("a");
    expect(layoutReducer(l, { type: "activate", tab_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "close", tab_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "close_pane", tab_id: "t-a", pane_id: "nope" })).toBe(l);
    expect(layoutReducer(l, { type: "retitle", pane_id: "nope", title: "x" })).toBe(l);
  });
});

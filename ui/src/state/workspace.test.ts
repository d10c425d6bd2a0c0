// Tests for workspace (de)serialisation, including version 1 files.
import { describe, expect, it } from "vitest";
import { type Layout, tabPanes } from "./layout";
import { deserialiseWorkspace, serialiseWorkspace, WORKSPACE_VERSION } from "./workspace";

function ids() {
  let n = 0;
  return () => `id${n++}`;
}

const p1 = { pane_id: "p1", host: "local", session_id: "aa1", title: "build", kind: "shell" as const };
const p2 = { pane_id: "p2", host: "jump", session_id: "bb2", title: "ssh db", kind: "ssh" as const };
const p3 = { pane_id: "p3", host: "jump", session_id: "cc3", title: "logs", kind: null };
const p4 = { pane_id: "p4", host: "jump", session_id: "dd4", title: "top", kind: null };

const layout: Layout = {
  tabs: [
    { tab_id: "t1", root: { type: "pane", pane: p1 }, focused: "p1", zoomed: false, name: "builds" },
    {
      tab_id: "t2",
      root: {
        type: "split",
        direction: "row",
        sizes: [0.3, 0.7],
        children: [
          { type: "pane", pane: p2 },
          {
            type: "split",
            direction: "column",
            sizes: [0.5, 0.5],
            children: [
              { type: "pane", pane: p3 },
              { type: "pane", pane: p4 },
            ],
          },
        ],
      },
      focused: "p3",
      zoomed: true,
      name: null,
    },
  ],
  active: "t2",
};

const summary = (l: Layout) => l.tabs.map((t) => tabPanes(t).map((p) => [p.host, p.session_id, p.title, p.kind]));

describe("workspace", () => {
  it("stores the pane tree, shares, name, focus and zoom", () => {
    const s = serialiseWorkspace(layout);
    expect(s.version).toBe(WORKSPACE_VERSION);
    expect(s.active).toBe(1);
    expect(s.tabs[0]).toEqual({ root: { pane: { host: "local", session_id: "aa1", title: "build", kind: "shell" } }, focused: 0, zoomed: false, name: "builds" });
    expect(s.tabs[1]).toMatchObject({ focused: 1, zoomed: true, name: null, root: { direction: "row", sizes: [0.3, 0.7] } });
  });

  it("round-trips through JSON", () => {
    const back = deserialiseWorkspace(JSON.parse(JSON.stringify(serialiseWorkspace(layout))), ids());
    expect(summary(back)).toEqual(summary(layout));
    const t2 = back.tabs[1]!;
    expect(t2.root).toMatchObject({ type: "split", direction: "row", sizes: [0.3, 0.7], children: [{}, { type: "split", direction: "column" }] });
    expect(tabPanes(t2).findIndex((p) => p.pane_id === t2.focused)).toBe(1);
    expect(t2.zoomed).toBe(true);
    expect(back.tabs[0]?.name).toBe("builds");
    expect(back.active).toBe(t2.tab_id);
  });

  it("loads version 1 files (one pane plus an optional second one)", () => {
    const v1 = {
      version: 1,
      active: 1,
      tabs: [
        { host: "local", session_id: "aa1", title: "build", kind: "shell", split: null },
        { host: "jump", session_id: "bb2", title: "ssh db", kind: "ssh", split: { host: "jump", session_id: "cc3", title: "logs", kind: null, direction: "column" } },
      ],
    };
    const l = deserialiseWorkspace(v1, ids());
    expect(summary(l)).toEqual([
      [["local", "aa1", "build", "shell"]],
      [
        ["jump", "bb2", "ssh db", "ssh"],
        ["jump", "cc3", "logs", null],
      ],
    ]);
    expect(l.tabs[1]?.root).toMatchObject({ type: "split", direction: "column", sizes: [0.5, 0.5] });
    expect(l.tabs[1]?.name).toBeNull();
    expect(l.active).toBe(l.tabs[1]?.tab_id);
  });

  it("gives an empty layout for nothing, junk or another version", () => {
    for (const v of [null, undefined, 3, "x", [], {}, { version: 99, tabs: [] }, { version: 2, tabs: "no" }]) {
      expect(deserialiseWorkspace(v, ids())).toEqual({ tabs: [], active: null });
    }
  });

  it("drops malformed tabs and panes, keeping the rest", () => {
    const v = {
      version: 2,
      active: 7,
      tabs: [
        { root: { pane: { host: "", session_id: "x" } } },
        { root: { direction: "up", children: [{ pane: { host: "local", session_id: "ok1", title: 5 } }, { pane: { host: "local" } }, "junk"], sizes: ["a"] } },
        "junk",
        { root: { direction: "column", children: [{ pane: { host: "h", session_id: "s1" } }, { pane: { host: "h", session_id: "s2", kind: "weird" } }], sizes: [-1, 2] }, focused: 9, name: 4 },
      ],
    };
    const l = deserialiseWorkspace(v, ids());
    expect(l.tabs.length).toBe(2);
    expect(l.tabs[0]?.root).toMatchObject({ type: "pane", pane: { title: "ok1" } });
    expect(l.tabs[1]?.root).toMatchObject({ type: "split", direction: "column", sizes: [0.5, 0.5] });
    expect(tabPanes(l.tabs[1]!)[1]?.kind).toBeNull();
    expect(l.tabs[1]?.focused).toBe(tabPanes(l.tabs[1]!)[0]?.pane_id);
    expect(l.tabs[1]?.name).toBeNull();
    expect(l.active).toBe(l.tabs[0]?.tab_id);
  });

  it("bounds how deep a stored tree is read", () => {
    let node: unknown = { pane: { host: "h", session_id: "deep" } };
    for (let i = 0; i < 40; i++) node = { direction: "row", children: [{ pane: { host: "h", session_id: `s${i}` } }, node] };
    const l = deserialiseWorkspace({ version: 2, active: 0, tabs: [{ root: node }] }, ids());
    const panes = tabPanes(l.tabs[0]!);
    expect(panes.length).toBeLessThanOrEqual(18);
    expect(panes.some((p) => p.session_id === "deep")).toBe(false);
  });

  it("stores an empty workspace", () => {
    expect(serialiseWorkspace({ tabs: [], active: null })).toEqual({ version: WORKSPACE_VERSION, active: 0, tabs: [] });
  });
});

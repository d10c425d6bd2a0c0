// Tests for workspace (de)serialisation.
import { describe, expect, it } from "vitest";
import type { Layout } from "./layout";
import { deserialiseWorkspace, serialiseWorkspace, WORKSPACE_VERSION } from "./workspace";

function ids() {
  let n = 0;
  return () => `id${n++}`;
}

const layout: Layout = {
  tabs: [
    {
      tab_id: "t1",
      panes: [{ pane_id: "p1", host: "local", session_id: "aa1", title: "build", kind: "shell" }],
      direction: "row",
      focused: 0,
    },
    {
      tab_id: "t2",
      panes: [
        { pane_id: "p2", host: "jump", session_id: "bb2", title: "ssh db", kind: "ssh" },
        { pane_id: "p3", host: "jump", session_id: "cc3", title: "logs", kind: null },
      ],
      direction: "column",
      focused: 1,
    },
  ],
  active: "t2",
};

describe("workspace", () => {
  it("stores tabs with host, session, title and split", () => {
    const s = serialiseWorkspace(layout);
    expect(s).toEqual({
      version: WORKSPACE_VERSION,
      active: 1,
      tabs: [
        { host: "local", session_id: "aa1", title: "build", kind: "shell", split: null },
        {
          host: "jump",
          session_id: "bb2",
          title: "ssh db",
          kind: "ssh",
          split: { host: "jump", session_id: "cc3", title: "logs", kind: null, direction: "column" },
        },
      ],
    });
  });

  it("round-trips through JSON", () => {
    const back = deserialiseWorkspace(JSON.parse(JSON.stringify(serialiseWorkspace(layout))), ids());
    expect(back.tabs.map((t) => t.panes.map((p) => [p.host, p.session_id, p.title, p.kind]))).toEqual([
      [["local", "aa1", "build", "shell"]],
      [
        ["jump", "bb2", "ssh db", "ssh"],
        ["jump", "cc3", "logs", null],
      ],
    ]);
    expect(back.tabs[1]?.direction).toBe("column");
    expect(back.active).toBe(back.tabs[1]?.tab_id);
  });

  it("gives an empty layout for nothing, junk or another version", () => {
    for (const v of [null, undefined, 3, "x", [], {}, { version: 99, tabs: [] }, { version: 1, tabs: "no" }]) {
      expect(deserialiseWorkspace(v, ids())).toEqual({ tabs: [], active: null });
    }
  });

  it("drops malformed tabs and splits, keeping the rest", () => {
    const v = {
      version: 1,
      active: 7,
      tabs: [
        { host: "", session_id: "x" },
        { host: "local", session_id: "ok1", title: 5, split: { host: "local" } },
        "junk",
        { host: "local", session_id: "ok2", title: "t", kind: "weird", split: { host: "h", session_id: "s", direction: "up" } },
      ],
    };
    const l = deserialiseWorkspace(v, ids());
    expect(l.tabs.length).toBe(2);
    expect(l.tabs[0]?.panes.map((p) => p.title)).toEqual(["ok1"]);
    expect(l.tabs[1]?.panes.length).toBe(2);
    expect(l.tabs[1]?.panes[0]?.kind).toBeNull();
    expect(l.tabs[1]?.direction).toBe("row");
    expect(l.active).toBe(l.tabs[0]?.tab_id);
  });

  it("stores an empty workspace", () => {
    expect(serialiseWorkspace({ tabs: [], active: null })).toEqual({ version: 1, active: 0, tabs: [] });
  });
});

// Tests of the broadcast set and where typed input goes: each other session of the set once,
// never the source's own session, nothing from a tab outside the set; closed tabs drop out; and
// mouse and focus reports are told from typing.
import { describe, expect, it } from "vitest";
import { type Layout, type PaneRef, singleTab, type Tab } from "../state/layout";
import { broadcastTargets, everyTab, hostTabs, isTerminalReport, liveMembers, tabOfPane, toggleMember } from "./broadcast";

const pane = (pane_id: string, host: string, session_id: string): PaneRef => ({ pane_id, host, session_id, title: session_id, kind: "shell" });

/** A tab of two panes side by side. */
function splitTab(tab_id: string, a: PaneRef, b: PaneRef): Tab {
  return {
    tab_id,
    root: { type: "split", direction: "row", sizes: [0.5, 0.5], children: [{ type: "pane", pane: a }, { type: "pane", pane: b }] },
    focused: a.pane_id,
    zoomed: false,
    name: null,
  };
}

// t1: local/s1; t2: local/s2; t3: db/s3 and local/s1 again (a second view); t4: db/s4.
const LAYOUT: Layout = {
  tabs: [
    singleTab("t1", pane("p1", "local", "s1")),
    singleTab("t2", pane("p2", "local", "s2")),
    splitTab("t3", pane("p3", "db", "s3"), pane("p5", "local", "s1")),
    singleTab("t4", pane("p4", "db", "s4")),
  ],
  active: "t1",
};

const ids = (ps: PaneRef[]) => ps.map((p) => p.pane_id);

describe("broadcast targets", () => {
  it("sends typing in one tab of the set to every other session of the set, once each", () => {
    const set = new Set(["t1", "t2", "t3"]);
    expect(ids(broadcastTargets(LAYOUT, set, "p1"))).toEqual(["p2", "p3"]);
    // Typing in the second view of s1 reaches the same sessions, never s1 itself.
    expect(ids(broadcastTargets(LAYOUT, set, "p5"))).toEqual(["p2", "p3"]);
    expect(ids(broadcastTargets(LAYOUT, set, "p2"))).toEqual(["p1", "p3"]);
  });

  it("sends nothing from a tab outside the set, or from a pane that is gone", () => {
    const set = new Set(["t1", "t2"]);
    expect(broadcastTargets(LAYOUT, set, "p4")).toEqual([]);
    expect(broadcastTargets(LAYOUT, set, "gone")).toEqual([]);
  });

  it("leaves out tabs that closed", () => {
    const closed: Layout = { ...LAYOUT, tabs: LAYOUT.tabs.filter((t) => t.tab_id !== "t2") };
    const set = new Set(["t1", "t2", "t4"]);
    expect(ids(broadcastTargets(closed, set, "p1"))).toEqual(["p4"]);
    expect(liveMembers(closed, set)).toEqual(["t1", "t4"]);
  });
});

describe("choosing the set", () => {
  it("toggles one tab, takes every tab of a host, or every tab", () => {
    expect([...toggleMember(new Set(["t1"]), "t2")].sort()).toEqual(["t1", "t2"]);
    expect([...toggleMember(new Set(["t1", "t2"]), "t2")]).toEqual(["t1"]);
    expect([...hostTabs(LAYOUT, "db")].sort()).toEqual(["t3", "t4"]);
    expect([...hostTabs(LAYOUT, "local")].sort()).toEqual(["t1", "t2", "t3"]);
    expect([...everyTab(LAYOUT)]).toEqual(["t1", "t2", "t3", "t4"]);
    expect(tabOfPane(LAYOUT, "p5")).toBe("t3");
  });
});

describe("terminal reports", () => {
  it("tells mouse and focus reports from typing", () => {
    for (const r of ["\x1b[<0;12;5M", "\x1b[<0;12;5m", "\x1b[32;12;5M", "\x1b[M !!", "\x1b[I", "\x1b[O"]) expect(isTerminalReport(r), JSON.stringify(r)).toBe(true);
    for (const k of ["a", "ls\r", "\x1b[A", "\x1bOP", "\x03", "\x1b[1;5R", "\x1b[200~x\x1b[201~", "I", "\x1b[<"]) expect(isTerminalReport(k), JSON.stringify(k)).toBe(false);
  });
});

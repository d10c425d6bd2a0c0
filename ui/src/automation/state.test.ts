// Tests of mirroring typed input to the broadcast set through fake receivers: keys and pastes
// reach every other session of the set, in order; a paste delivered into a target does not echo
// back; panes without a live terminal and tabs that closed are skipped; off means nothing goes.
import { afterEach, describe, expect, it } from "vitest";
import { type PaneRef, singleTab } from "../state/layout";
import { layout } from "../state/store";
import { broadcastSet, broadcastTabs, broadcastToAll, broadcasting, mirrorInput, type Receiver, stopBroadcast, toggleBroadcastTab } from "./state";

const pane = (pane_id: string, session_id: string): PaneRef => ({ pane_id, host: "local", session_id, title: session_id, kind: "shell" });

function setup() {
  layout.value = {
    tabs: [singleTab("t1", pane("p1", "s1")), singleTab("t2", pane("p2", "s2")), singleTab("t3", pane("p3", "s3"))],
    active: "t1",
  };
  const got: Record<string, string[]> = { p1: [], p2: [], p3: [] };
  const receivers: Record<string, Receiver> = {};
  for (const id of ["p1", "p2", "p3"]) {
    receivers[id] = {
      inject: (d) => got[id]?.push(`key:${d}`),
      // A real pane's paste comes back through its own onData: it must not be mirrored again.
      injectPaste: (t) => {
        got[id]?.push(`paste:${t}`);
        mirrorInput(id, { kind: "paste", data: t }, (p) => receivers[p]);
      },
    };
  }
  return { got, lookup: (p: string) => receivers[p] };
}

afterEach(() => stopBroadcast());

describe("mirroring typed input", () => {
  it("types into every other tab of the set, keys and pastes, in order", () => {
    const { got, lookup } = setup();
    broadcastToAll();
    expect(broadcasting.value).toBe(true);
    mirrorInput("p1", { kind: "text", data: "l" }, lookup);
    mirrorInput("p1", { kind: "text", data: "s\r" }, lookup);
    mirrorInput("p1", { kind: "paste", data: "echo a\recho b\r" }, lookup);
    expect(got.p1).toEqual([]);
    expect(got.p2).toEqual(["key:l", "key:s\r", "paste:echo a\recho b\r"]);
    expect(got.p3).toEqual(got.p2);
  });

  it("sends nothing when off or from outside the set, and skips panes without a terminal", () => {
    const { got, lookup } = setup();
    mirrorInput("p1", { kind: "text", data: "x" }, lookup);
    expect(got.p2).toEqual([]);
    toggleBroadcastTab("t1");
    expect(broadcasting.value).toBe(false);
    toggleBroadcastTab("t2");
    expect(broadcastTabs.value).toEqual(["t1", "t2"]);
    mirrorInput("p3", { kind: "text", data: "y" }, lookup);
    expect(got.p1).toEqual([]);
    const sent = mirrorInput("p2", { kind: "text", data: "z" }, (p) => (p === "p1" ? undefined : lookup(p)));
    expect(sent.map((p) => p.pane_id)).toEqual(["p1"]);
    expect(got.p1).toEqual([]);
  });

  it("forgets tabs that closed", () => {
    const { got, lookup } = setup();
    broadcastToAll();
    layout.value = { ...layout.value, tabs: layout.value.tabs.filter((t) => t.tab_id !== "t3") };
    expect(broadcastTabs.value).toEqual(["t1", "t2"]);
    mirrorInput("p1", { kind: "text", data: "q" }, lookup);
    expect(got.p2).toEqual(["key:q"]);
    expect(got.p3).toEqual([]);
    // Toggling after a close keeps only tabs that exist.
    toggleBroadcastTab("t2");
    expect([...broadcastSet.value]).toEqual(["t1"]);
  });
});

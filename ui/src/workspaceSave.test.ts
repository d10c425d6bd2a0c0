// Tests for saving the workspace while it changes: a quick run of changes (a divider being
// dragged) is saved at most once per 250 ms, and its last change is always saved.
import { describe, expect, it, vi } from "vitest";
vi.mock("./api/tauri", () => ({
  stateLoad: vi.fn(async () => null),
  stateSave: vi.fn(async () => {}),
}));
import * as api from "./api/tauri";
import { restoreWorkspace } from "./actions";
import { singleTab } from "./state/layout";
import { dispatch } from "./state/store";

/** The root split sizes of the first tab in every save so far. */
function savedSizes(): (number[] | undefined)[] {
  const calls = (api.stateSave as unknown as { mock: { calls: unknown[][] } }).mock.calls;
  return calls.map((c) => (c[1] as { tabs: { root: { sizes?: number[] } }[] }).tabs[0]?.root.sizes);
}

describe("workspace saving", () => {
  it("saves the last change of a drag, at most every 250 ms", async () => {
    vi.useFakeTimers();
    await restoreWorkspace();
    const pane = (id: string) => ({ pane_id: id, host: "local", session_id: id, title: id, kind: "shell" as const });
    dispatch({ type: "open", tab: singleTab("t1", pane("a")) });
    dispatch({ type: "split", tab_id: "t1", pane_id: "a", direction: "row", pane: pane("b") });
    vi.advanceTimersByTime(1000);
    const before = savedSizes().length;
    for (const x of [0.54, 0.58, 0.62, 0.65]) {
      dispatch({ type: "resize", tab_id: "t1", path: [], sizes: [x, 1 - x] });
      vi.advanceTimersByTime(60);
    }
    const during = savedSizes().length - before;
    vi.advanceTimersByTime(1000);
    const saves = savedSizes().slice(before);
    expect(during).toBeLessThanOrEqual(1);
    expect(saves.length).toBeLessThanOrEqual(2);
    expect(saves[saves.length - 1]).toEqual([0.65, 0.35]);
    vi.useRealTimers();
  });
});

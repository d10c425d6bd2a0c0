// Tests for the action registry: one entry per action, each with a shortcut slot, and no action
// bound to a chord outside the registry.
import { describe, expect, it } from "vitest";
import { ACTIONS, actionById } from "./actions";
import { DEFAULT_KEYS } from "./shortcuts";

describe("action registry", () => {
  it("names each action once, with a label", () => {
    const ids = ACTIONS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of ACTIONS) expect(a.label.length, a.id).toBeGreaterThan(0);
    expect(actionById("palette")?.label).toBe("Command palette");
  });
  it("every action can be bound, and every binding is an action", () => {
    expect(Object.keys(DEFAULT_KEYS).sort()).toEqual(ACTIONS.map((a) => a.id).sort());
  });
});

// Tests for the command palette's fuzzy filter.
import { describe, expect, it } from "vitest";
import { filterItems, fuzzyScore } from "./filter";

const items = [
  { id: "split_row", label: "Split right" },
  { id: "split_column", label: "Split down" },
  { id: "next_tab", label: "Next tab" },
  { id: "new_shell", label: "New shell on the current host" },
  { id: "settings", label: "Settings…" },
];
const ids = (q: string) => filterItems(items, q).map((m) => m.item.id);

describe("palette filter", () => {
  it("lists everything, in order, for an empty query", () => {
    expect(ids("")).toEqual(items.map((i) => i.id));
    expect(ids("   ")).toEqual(items.map((i) => i.id));
  });
  it("matches characters in order, case-insensitively", () => {
    expect(ids("spd")).toEqual(["split_column"]);
    expect(ids("SPLIT")).toEqual(["split_row", "split_column"]);
    expect(ids("zzz")).toEqual([]);
  });
  it("ranks a word-start substring above a scattered match", () => {
    expect(ids("tab")[0]).toBe("next_tab");
    expect(ids("set")[0]).toBe("settings");
    expect(ids("sh")[0]).toBe("new_shell");
  });
  it("reports the matched positions", () => {
    expect(fuzzyScore("nt", "Next tab")?.positions).toEqual([0, 3]);
    expect(fuzzyScore("tab", "Next tab")?.positions).toEqual([5, 6, 7]);
    expect(fuzzyScore("x", "abc")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { bounded, clipped } from "./bounded";
import { MONITOR_MAX_CORES, MONITOR_MAX_DISKS, MONITOR_MAX_TEXT_BYTES } from "../api/generated/limits";

describe("bounded", () => {
  it("keeps a list within the bound as it is", () => {
    const list = [1, 2, 3];
    expect(bounded(list, 3)).toEqual({ shown: [1, 2, 3], more: 0 });
  });

  it("cuts a hostile list to the bound and counts the rest", () => {
    const cores = Array.from({ length: 50_000 }, (_, i) => i);
    const { shown, more } = bounded(cores, MONITOR_MAX_CORES);
    expect(shown.length).toBe(1024);
    expect(shown[1023]).toBe(1023);
    expect(more).toBe(50_000 - 1024);
    expect(bounded(Array(5000).fill("disk"), MONITOR_MAX_DISKS).shown.length).toBe(128);
  });
});

describe("clipped", () => {
  it("leaves short text alone and cuts long text with an ellipsis", () => {
    expect(clipped("bash", MONITOR_MAX_TEXT_BYTES)).toBe("bash");
    const long = clipped("x".repeat(1024 * 1024), MONITOR_MAX_TEXT_BYTES);
    expect(long.length).toBe(255);
    expect(long.endsWith("…")).toBe(true);
  });
});

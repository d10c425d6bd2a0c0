// Tests for usage levels.
import { describe, expect, it } from "vitest";
import { levelOf, percentOf } from "./thresholds";

describe("levelOf", () => {
  it("switches exactly at 70 and 90", () => {
    expect(levelOf(0)).toBe("ok");
    expect(levelOf(69.99)).toBe("ok");
    expect(levelOf(70)).toBe("warn");
    expect(levelOf(89.9)).toBe("warn");
    expect(levelOf(90)).toBe("crit");
    expect(levelOf(100)).toBe("crit");
    expect(levelOf(Number.NaN)).toBe("ok");
  });
});

describe("percentOf", () => {
  it("handles zero totals and clamps", () => {
    expect(percentOf(5, 0)).toBe(0);
    expect(percentOf(1, 4)).toBe(25);
    expect(percentOf(5, 4)).toBe(100);
  });
});

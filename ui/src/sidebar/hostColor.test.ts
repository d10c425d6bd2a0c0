// Tests for the host colour palette.
import { describe, expect, it } from "vitest";
import { HOST_COLOR_ORDER, HOST_COLORS, hostColorCss, isHostColor } from "./hostColor";

describe("host colours", () => {
  it("has a small palette of distinct, named colours", () => {
    expect(HOST_COLOR_ORDER.length).toBeGreaterThanOrEqual(6);
    expect(HOST_COLOR_ORDER.length).toBeLessThanOrEqual(10);
    const css = HOST_COLOR_ORDER.map((c) => HOST_COLORS[c].css);
    expect(new Set(css).size).toBe(css.length);
    for (const c of css) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(HOST_COLOR_ORDER).toContain("red");
    expect(HOST_COLOR_ORDER).toContain("yellow");
  });
  it("gives a host's colour or none", () => {
    expect(hostColorCss({ color: "red" })).toBe(HOST_COLORS.red.css);
    expect(hostColorCss({ color: null })).toBeNull();
    expect(hostColorCss(null)).toBeNull();
    expect(isHostColor("blue")).toBe(true);
    expect(isHostColor("toString")).toBe(false);
    expect(isHostColor("")).toBe(false);
  });
});

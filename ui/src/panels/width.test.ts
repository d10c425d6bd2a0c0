import { describe, expect, it } from "vitest";
import { dragWidth, MIN_TERMINAL_PX, PANEL_LIMITS, readWidth } from "./width";

describe("panel widths", () => {
  it("reads a stored width within limits, or the default", () => {
    expect(readWidth("sidebar", 300.4)).toBe(300);
    expect(readWidth("sidebar", 10)).toBe(PANEL_LIMITS.sidebar.min);
    expect(readWidth("monitor", 5000)).toBe(PANEL_LIMITS.monitor.max);
    expect(readWidth("monitor", "300")).toBeNull();
    expect(readWidth("monitor", Number.NaN)).toBeNull();
    expect(readWidth("sidebar", null)).toBeNull();
  });
  it("follows the divider: the sidebar from the left edge, the monitor from the right", () => {
    expect(dragWidth("sidebar", 350, 1440, 340)).toBe(350);
    expect(dragWidth("monitor", 1000, 1440, 292)).toBe(440);
  });
  it("stays within limits and leaves the terminal its room", () => {
    expect(dragWidth("sidebar", 20, 1440, 340)).toBe(PANEL_LIMITS.sidebar.min);
    expect(dragWidth("sidebar", 2000, 1440, 340)).toBe(PANEL_LIMITS.sidebar.max);
    expect(dragWidth("sidebar", 580, 1000, 340)).toBe(1000 - 340 - MIN_TERMINAL_PX);
    expect(dragWidth("monitor", 0, 1000, 292)).toBe(1000 - 292 - MIN_TERMINAL_PX);
  });
});

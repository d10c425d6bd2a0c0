// Tests for figure formatting.
import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatLoad,
  formatPercent,
  formatRate,
  formatUptime,
  labelledLoad,
  machinePercent,
} from "./format";

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(8589934592)).toBe("8.0 GiB");
    expect(formatBytes(107374182400)).toBe("100 GiB");
    expect(formatBytes(-1)).toBe("–");
  });
  it("formats rates", () => {
    expect(formatRate(2048)).toBe("2.0 KiB/s");
    expect(formatRate(Number.NaN)).toBe("–");
  });
});

describe("other figures", () => {
  it("percent and load", () => {
    expect(formatPercent(12.5)).toBe("12.5%");
    expect(formatLoad([0.5, 0.25, 0.125])).toBe("0.50 0.25 0.13");
  });
  it("uptime", () => {
    expect(formatUptime(864000)).toBe("10d 0h");
    expect(formatUptime(3 * 3600 + 5 * 60 + 9)).toBe("3h 5m");
    expect(formatUptime(42 * 60)).toBe("42m");
    expect(formatUptime(12)).toBe("12s");
  });
});

describe("labelled figures", () => {
  it("names the span of each load average", () => {
    expect(labelledLoad([0.5, 0.25, 0.125])).toEqual([
      ["1 min", "0.50"],
      ["5 min", "0.25"],
      ["15 min", "0.13"],
    ]);
    expect(labelledLoad([])).toEqual([
      ["1 min", "–"],
      ["5 min", "–"],
      ["15 min", "–"],
    ]);
  });
  it("turns a share of one core into a share of the machine", () => {
    expect(machinePercent(100, 4)).toBe(25);
    expect(machinePercent(400, 4)).toBe(100);
    expect(machinePercent(50, 0)).toBe(50);
    expect(machinePercent(Number.NaN, 2)).toBeNaN();
  });
});

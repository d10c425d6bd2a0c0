// Tests for chart axes and the hover readout.
import { describe, expect, it } from "vitest";
import {
  binaryCeil,
  clock,
  clockSeconds,
  EDGE_PX,
  formatRateStep,
  MIN_LABEL_GAP_PX,
  rateAxis,
  readout,
  timeSplits,
} from "./axes";
import type { Columns } from "./history";

/** A time on a whole local minute. */
function wholeMinute(): number {
  const d = new Date(2026, 11, 4, 15, 0, 0);
  return d.getTime() / 1000;
}

describe("timeSplits", () => {
  const end = wholeMinute() + 37;
  const start = end - 600;

  it("labels whole minutes, each once, never at the edges", () => {
    for (const width of [120, 200, 280, 330, 600, 1200]) {
      const splits = timeSplits(start, end, width);
      expect(splits.length).toBeGreaterThan(0);
      const labels = splits.map(clock);
      expect(new Set(labels).size).toBe(labels.length);
      for (const t of splits) {
        expect(new Date(t * 1000).getSeconds()).toBe(0);
        const x = ((t - start) / 600) * width;
        expect(x).toBeGreaterThanOrEqual(EDGE_PX);
        expect(x).toBeLessThanOrEqual(width - EDGE_PX);
      }
      for (let i = 1; i < splits.length; i++) {
        const gap = (((splits[i] as number) - (splits[i - 1] as number)) / 600) * width;
        expect(gap).toBeGreaterThanOrEqual(MIN_LABEL_GAP_PX);
      }
    }
  });

  it("steps by 1, 2, 5 … minutes with the width", () => {
    const step = (w: number, from = start) => {
      const s = timeSplits(from, end, w);
      return ((s[1] as number) - (s[0] as number)) / 60;
    };
    expect(step(1200)).toBe(1);
    expect(step(250)).toBe(2);
    expect(step(300, end - 1800)).toBe(5);
  });

  it("gives nothing for an empty range", () => {
    expect(timeSplits(10, 10, 300)).toEqual([]);
    expect(timeSplits(0, 600, 0)).toEqual([]);
  });
});

describe("binary rate steps", () => {
  it("rounds up to a power of two, at least 1 KiB/s", () => {
    expect(binaryCeil(0)).toBe(1024);
    expect(binaryCeil(1000)).toBe(1024);
    expect(binaryCeil(1025)).toBe(2048);
    expect(binaryCeil(1_000_000)).toBe(1024 * 1024);
    expect(binaryCeil(1_100_000)).toBe(2 * 1024 * 1024);
  });

  it("labels every split as a whole binary unit", () => {
    for (const max of [0, 1, 700, 1000, 5000, 999_999, 1_000_000, 3e7, 5e9]) {
      const { range, splits } = rateAxis(max);
      expect(range[1]).toBeGreaterThanOrEqual(max);
      for (const v of splits) expect(formatRateStep(v)).toMatch(/^(0|\d+ (B|KiB|MiB|GiB)\/s)$/);
    }
    expect(rateAxis(1_000_000).splits.map(formatRateStep)).toEqual(["0", "512 KiB/s", "1 MiB/s"]);
    expect(rateAxis(700).splits.map(formatRateStep)).toEqual(["0", "512 B/s", "1 KiB/s"]);
    expect(formatRateStep(1_000_000)).not.toBe("977 KiB/s");
  });
});

describe("readout", () => {
  const t0 = wholeMinute();
  const data: Columns = [
    [t0, t0 + 2, t0 + 4],
    [1, 2, 3],
    [10, Number.NaN, 30],
  ];

  it("gives the hovered time and each series' value", () => {
    const r = readout(data, 1, ["Received", "Sent"], (v) => `${v} x`);
    expect(r).toEqual({
      time: clockSeconds(t0 + 2),
      values: [
        { label: "Received", text: "2 x" },
        { label: "Sent", text: "–" },
      ],
    });
    expect(r?.time).toMatch(/^15:00:02$/);
  });

  it("gives nothing outside the data", () => {
    expect(readout(data, null, ["a"], String)).toBeNull();
    expect(readout(data, 3, ["a"], String)).toBeNull();
    expect(readout(data, -1, ["a"], String)).toBeNull();
  });
});

// Tests for chart history windowing.
import { describe, expect, it } from "vitest";
import type { Sample } from "../api/types";
import { appendSample, fromHistory, timeRange, toColumns, trimWindow, WINDOW_MS } from "./history";

function sample(at: number, cpu = 1, error?: string): Sample {
  return {
    at,
    hostname: "h",
    os: "linux",
    kernel: "6",
    uptime_s: 1,
    load: [0, 0, 0],
    cpu: { percent: cpu, per_core: [] },
    memory: { total_bytes: 1, used_bytes: 0, available_bytes: 1, swap_total_bytes: 0, swap_used_bytes: 0 },
    disks: [],
    net: { rx_bytes_per_s: 0, tx_bytes_per_s: 0, interfaces: [] },
    processes: 1,
    top: [],
    ...(error !== undefined ? { error } : {}),
  };
}

describe("history", () => {
  it("keeps exactly the last 10 minutes", () => {
    const s = [0, 1000, WINDOW_MS, WINDOW_MS + 1000].map((t) => sample(t));
    expect(trimWindow(s).map((x) => x.at)).toEqual([1000, WINDOW_MS, WINDOW_MS + 1000]);
    expect(trimWindow([])).toEqual([]);
  });
  it("sorts history, drops duplicates and error samples", () => {
    const h = [sample(3000), sample(1000), sample(2000, 1, "down"), sample(3000)];
    expect(fromHistory(h).map((x) => x.at)).toEqual([1000, 3000]);
  });
  it("appends only newer samples with figures, sliding the window", () => {
    let s = fromHistory([sample(0), sample(1000)]);
    s = appendSample(s, sample(1000));
    expect(s.length).toBe(2);
    s = appendSample(s, sample(2000, 1, "link down"));
    expect(s.length).toBe(2);
    s = appendSample(s, sample(WINDOW_MS + 500));
    expect(s.map((x) => x.at)).toEqual([1000, WINDOW_MS + 500]);
  });
  it("builds uPlot columns in seconds", () => {
    const cols = toColumns([sample(1000, 5), sample(2000, 7)], [(x) => x.cpu.percent]);
    expect(cols).toEqual([[1, 2], [5, 7]]);
  });
});

describe("timeRange", () => {
  it("is the whole window ending at the newest sample", () => {
    expect(timeRange(1000, 5000)).toEqual([1000 - WINDOW_MS / 1000, 1000]);
    expect(WINDOW_MS).toBe(600_000);
  });
  it("uses now when there is no data", () => {
    expect(timeRange(null, 5000)).toEqual([4400, 5000]);
  });
});

import { describe, expect, it } from "vitest";
import type { TransferEvent } from "../api/generated/types";
import { anyRunning, applyEvent, clearFinished, fraction, secondsLeft, startedRow, type TransferRow } from "./transfers";

function one(rows: TransferRow[]): TransferRow {
  const r = rows[0];
  if (r === undefined) throw new Error("no row");
  return r;
}

const MiB = 1024 * 1024;
const ev = (over: Partial<TransferEvent>): TransferEvent => ({
  id: "t1",
  state: "running",
  file: "/tmp/a",
  file_done: 0,
  file_size: 10 * MiB,
  bytes: 0,
  files: 0,
  error: null,
  ...over,
});

describe("transfer rows", () => {
  const start = startedRow({ id: "t1", direction: "upload", source: "/tmp/a", dest: "h:/home/u" }, 0);

  it("follow progress with a rate and the time left", () => {
    let rows = applyEvent([start], ev({ file_done: 2 * MiB, bytes: 2 * MiB }), 1000);
    expect(one(rows).rate).toBe(2 * MiB);
    expect(fraction(one(rows))).toBeCloseTo(0.2);
    expect(secondsLeft(one(rows))).toBeCloseTo(4);
    rows = applyEvent(rows, ev({ file_done: 6 * MiB, bytes: 6 * MiB }), 2000);
    // Smoothed: 2 + 0.4 × (4 − 2) MiB/s.
    expect(one(rows).rate).toBeCloseTo(2.8 * MiB);
    expect(anyRunning(rows)).toBe(true);
  });

  it("keep their end state and error", () => {
    const failed = applyEvent(
      [start],
      ev({ state: "failed", error: { code: "no_space", message: "h:/x: no space left on the device", details: null } }),
      500,
    );
    expect(one(failed).state).toBe("failed");
    expect(one(failed).error?.code).toBe("no_space");
    // A late progress event after the end changes nothing.
    expect(applyEvent(failed, ev({ bytes: 5 }), 900)).toEqual(failed);
    expect(clearFinished(failed)).toEqual([]);
  });

  it("ignore other transfers' events and count a done one as whole", () => {
    const other = applyEvent([start], ev({ id: "t2", bytes: 9 }), 100);
    expect(one(other)).toBe(start);
    const done = applyEvent([start], ev({ state: "done", file_done: 0, file_size: 0, files: 1 }), 100);
    expect(fraction(one(done))).toBe(1);
    expect(secondsLeft(one(done))).toBeNull();
  });
});

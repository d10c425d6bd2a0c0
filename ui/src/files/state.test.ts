import { describe, expect, it } from "vitest";
import type { TransferEvent } from "../api/generated/types";
import { addTransfers, transferEvent, transfers } from "./state";
import { EarlyEvents, MAX_EARLY } from "./transfers";

const ev = (id: string, over: Partial<TransferEvent> = {}): TransferEvent => ({
  id,
  state: "running",
  file: "/tmp/a",
  file_done: 0,
  file_size: 10,
  bytes: 0,
  files: 0,
  error: null,
  ...over,
});

describe("events before their transfer's row", () => {
  it("a transfer that failed before its start was answered shows failed, not running", () => {
    transfers.value = [];
    const error = { code: "not_found", message: "/nope: no such file", details: null };
    transferEvent(ev("t9", { state: "failed", error }));
    expect(transfers.value).toEqual([]);
    addTransfers([{ id: "t9", direction: "upload", source: "/nope", dest: "h:/home/u" }]);
    expect(transfers.value).toHaveLength(1);
    expect(transfers.value[0]?.state).toBe("failed");
    expect(transfers.value[0]?.error).toEqual(error);
  });

  it("keep the latest event per id, and at most MAX_EARLY ids", () => {
    const early = new EarlyEvents();
    early.keep(ev("a", { bytes: 1 }));
    early.keep(ev("a", { bytes: 5 }));
    expect(early.take("a")?.bytes).toBe(5);
    expect(early.take("a")).toBeUndefined();
    for (let i = 0; i < MAX_EARLY + 10; i++) early.keep(ev(`t${i}`));
    expect(early.size).toBe(MAX_EARLY);
    expect(early.take("t0")).toBeUndefined();
    expect(early.take(`t${MAX_EARLY + 9}`)).toBeDefined();
  });
});

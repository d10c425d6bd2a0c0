// Tests for pacing the output of hidden panes.
import { describe, expect, it } from "vitest";
import { OutputPacer, type PacerClock } from "./pacer";

function setup() {
  const written: string[] = [];
  const acked: number[] = [];
  const timers: (() => void)[] = [];
  const clock: PacerClock = {
    schedule: (f) => {
      timers.push(f);
      return timers.length;
    },
    cancel: (h) => {
      timers[(h as number) - 1] = () => {};
    },
  };
  const sink = (d: Uint8Array | string, done: ((n: number) => void) | null) => {
    written.push(typeof d === "string" ? d : new TextDecoder().decode(d));
    done?.(d.length);
  };
  const pacer = new OutputPacer(sink, clock, { sliceBytes: 4, intervalMs: 100 });
  const tick = () => {
    const f = timers.shift();
    f?.();
  };
  const bytes = (s: string) => new TextEncoder().encode(s);
  const ack = (n: number) => acked.push(n);
  return { pacer, written, acked, timers, tick, bytes, ack };
}

describe("OutputPacer", () => {
  it("writes at once while visible", () => {
    const t = setup();
    t.pacer.push(t.bytes("hello world"), t.ack);
    expect(t.written).toEqual(["hello world"]);
    expect(t.acked).toEqual([11]);
    expect(t.timers.length).toBe(0);
  });

  it("paces a hidden pane and acknowledges only what was written", () => {
    const t = setup();
    t.pacer.setVisible(false);
    t.pacer.push(t.bytes("abcdefghij"), t.ack);
    expect(t.written).toEqual([]);
    t.tick();
    expect(t.written).toEqual(["abcd"]);
    expect(t.acked).toEqual([4]);
    t.tick();
    expect(t.written).toEqual(["abcd", "efgh"]);
    expect(t.pacer.pending()).toBe(2);
  });

  it("keeps markers in order and flushes everything when shown again", () => {
    const t = setup();
    t.pacer.setVisible(false);
    t.pacer.push(t.bytes("abcdef"), t.ack);
    t.pacer.push("[gap]", null);
    t.pacer.push(t.bytes("xy"), t.ack);
    t.tick();
    t.pacer.setVisible(true);
    expect(t.written.join("")).toBe("abcdef[gap]xy");
    expect(t.acked.reduce((a, b) => a + b, 0)).toBe(8);
    t.pacer.push(t.bytes("z"), t.ack);
    expect(t.written[t.written.length - 1]).toBe("z");
  });

  it("runs a step in order with the output, at once when nothing waits", () => {
    const t = setup();
    const steps: string[] = [];
    t.pacer.then(() => steps.push(`at ${t.written.length}`));
    expect(steps).toEqual(["at 0"]);
    t.pacer.setVisible(false);
    t.pacer.push(t.bytes("abcdef"), t.ack);
    t.pacer.then(() => steps.push(`at ${t.written.join("")}`));
    t.pacer.push(t.bytes("gh"), t.ack);
    expect(steps).toEqual(["at 0"]);
    t.tick();
    expect(steps).toEqual(["at 0"]);
    t.tick();
    expect(steps).toEqual(["at 0", "at abcdef"]);
    expect(t.written.join("")).toBe("abcdefgh");
  });

  it("drops the queue on clear without acknowledging it", () => {
    const t = setup();
    t.pacer.setVisible(false);
    t.pacer.push(t.bytes("abcdef"), t.ack);
    t.pacer.clear();
    t.pacer.setVisible(true);
    expect(t.written).toEqual([]);
    expect(t.acked).toEqual([]);
  });
});

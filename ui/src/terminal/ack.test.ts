// Tests for ack coalescing with a fake timer.
import { describe, expect, it } from "vitest";
import { ACK_BYTES, ACK_DELAY_MS, AckCoalescer, type Schedule } from "./ack";

function fakeTimer() {
  const timers: { fn: () => void; ms: number; live: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const t = { fn, ms, live: true };
    timers.push(t);
    return () => {
      t.live = false;
    };
  };
  const fire = () => {
    for (const t of timers.splice(0)) if (t.live) t.fn();
  };
  const live = () => timers.filter((t) => t.live).length;
  return { schedule, fire, live, timers };
}

describe("AckCoalescer", () => {
  it("holds acks until ready, then sends them as one", () => {
    const sent: number[] = [];
    const t = fakeTimer();
    const a = new AckCoalescer((n) => sent.push(n), t.schedule);
    a.add(100);
    a.add(50);
    expect(sent).toEqual([]);
    expect(t.live()).toBe(0);
    a.setReady();
    expect(sent).toEqual([150]);
  });

  it("coalesces small acks into one per delay", () => {
    const sent: number[] = [];
    const t = fakeTimer();
    const a = new AckCoalescer((n) => sent.push(n), t.schedule);
    a.setReady();
    a.add(10);
    a.add(20);
    a.add(30);
    expect(sent).toEqual([]);
    expect(t.live()).toBe(1);
    expect(t.timers[0]?.ms).toBe(ACK_DELAY_MS);
    t.fire();
    expect(sent).toEqual([60]);
    a.add(5);
    t.fire();
    expect(sent).toEqual([60, 5]);
  });

  it("sends at once when 256 KiB are waiting", () => {
    const sent: number[] = [];
    const t = fakeTimer();
    const a = new AckCoalescer((n) => sent.push(n), t.schedule);
    a.setReady();
    a.add(ACK_BYTES - 1);
    expect(sent).toEqual([]);
    a.add(1);
    expect(sent).toEqual([ACK_BYTES]);
    expect(t.live()).toBe(0);
    expect(a.waiting).toBe(0);
  });

  it("sends nothing after close", () => {
    const sent: number[] = [];
    const t = fakeTimer();
    const a = new AckCoalescer((n) => sent.push(n), t.schedule);
    a.setReady();
    a.add(10);
    a.close();
    t.fire();
    a.add(ACK_BYTES * 2);
    expect(sent).toEqual([]);
  });

  it("never loses bytes: the total sent equals the total added", () => {
    const sent: number[] = [];
    const t = fakeTimer();
    const a = new AckCoalescer((n) => sent.push(n), t.schedule);
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      const n = (i * 7919) % 70000;
      total += n;
      a.add(n);
      if (i === 10) a.setReady();
      if (i % 13 === 0) t.fire();
    }
    a.flush();
    expect(sent.reduce((x, y) => x + y, 0)).toBe(total);
  });
});

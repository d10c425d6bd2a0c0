import { describe, expect, it } from "vitest";
import { dueUntil, frameAt, parseCast, parseSize, PlayClock, remap, schedule } from "./cast";

const FILE = [
  '{"version":2,"width":100,"height":30,"timestamp":1,"env":{"TERM":"xterm-256color"}}',
  '[0.5,"o","caf"]',
  '[0.8,"o","é\\r\\n"]',
  '[1.0,"r","120x40"]',
  '[9.0,"i","ls\\n"]',
  '[9.5,"o","done"',
  "",
].join("\n");

describe("parseCast", () => {
  it("reads the header and the events, skipping a torn line", () => {
    const c = parseCast(FILE);
    expect([c.width, c.height]).toEqual([100, 30]);
    expect(c.events.map((e) => e.code)).toEqual(["o", "o", "r", "i"]);
    expect(c.events[1]?.data).toBe("é\r\n");
    expect(c.skipped).toBe(1);
  });

  it("refuses what is not asciicast v2", () => {
    expect(() => parseCast("hello")).toThrow(/not an asciicast/);
    expect(() => parseCast('{"version":1}')).toThrow(/v2/);
  });

  it("parses sizes", () => {
    expect(parseSize("120x40")).toEqual({ cols: 120, rows: 40 });
    expect(parseSize("0x4")).toBeNull();
    expect(parseSize("x")).toBeNull();
  });
});

const ev = (t: number, data = "x", code = "o") => ({ t, code, data });

describe("the schedule", () => {
  it("keeps the recorded times without skipping", () => {
    const events = [ev(0.5), ev(0.8), ev(1.0), ev(9.0)];
    expect(schedule(events, null)).toEqual([0.5, 0.8, 1.0, 9.0]);
  });

  it("shortens every idle gap to the limit, and only those", () => {
    const events = [ev(3), ev(3.5), ev(10), ev(10.25), ev(70)];
    expect(schedule(events, 1)).toEqual([1, 1.5, 2.5, 2.75, 3.75]);
  });

  it("never goes back when times do", () => {
    expect(schedule([ev(2), ev(1), ev(2.5)], null)).toEqual([2, 2, 2.5]);
  });

  it("finds the events due", () => {
    const times = [0.5, 0.8, 1.0, 3.0];
    expect(dueUntil(times, 0, 0.4)).toBe(0);
    expect(dueUntil(times, 0, 0.8)).toBe(2);
    expect(dueUntil(times, 0, 0.9)).toBe(2);
    expect(dueUntil(times, 2, 10)).toBe(4);
    expect(dueUntil(times, 3, 0)).toBe(3);
  });
});

describe("seeking", () => {
  const cast = parseCast(
    [
      '{"version":2,"width":80,"height":24}',
      '[1,"o","one\\r\\n"]',
      '[2,"r","100x30"]',
      '[3,"i","typed"]',
      '[4,"o","two\\r\\n"]',
      '[5,"r","90x20"]',
      '[6,"o","three"]',
    ].join("\n"),
  );
  const times = schedule(cast.events, null);

  it("gives the output up to the position and the size in force", () => {
    expect(frameAt(cast, times, 0)).toEqual({ output: "", size: { cols: 80, rows: 24 }, next: 0 });
    expect(frameAt(cast, times, 4.5)).toEqual({ output: "one\r\ntwo\r\n", size: { cols: 100, rows: 30 }, next: 4 });
    expect(frameAt(cast, times, 99)).toEqual({ output: "one\r\ntwo\r\nthree", size: { cols: 90, rows: 20 }, next: 6 });
  });

  it("moves a position between schedules keeping the same events due", () => {
    const real = [1, 2, 30, 31];
    const skip = [1, 2, 3, 4];
    expect(remap(real, skip, 16)).toBeCloseTo(2.5);
    expect(remap(skip, real, 2.5)).toBeCloseTo(16);
    expect(remap(real, skip, 0.5)).toBeCloseTo(0.5);
    expect(remap(real, skip, 40)).toBeCloseTo(13);
    for (const pos of [0, 0.9, 1, 1.5, 2, 29.99, 30, 31, 50]) {
      expect(dueUntil(skip, 0, remap(real, skip, pos))).toBe(dueUntil(real, 0, pos));
    }
  });
});

describe("the clock", () => {
  it("keeps its position across speed changes, pauses and seeks", () => {
    let now = 0;
    const c = new PlayClock(() => now);
    c.play();
    now = 1000;
    expect(c.position()).toBe(1);
    c.setSpeed(4);
    now = 1500;
    expect(c.position()).toBe(3);
    c.pause();
    now = 9000;
    expect(c.position()).toBe(3);
    c.seek(0.5);
    expect(c.position()).toBe(0.5);
    c.play();
    now = 9250;
    expect(c.position()).toBe(1.5);
    c.seek(10);
    now = 9500;
    expect(c.position()).toBe(11);
  });
});

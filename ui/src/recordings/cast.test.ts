import { describe, expect, it } from "vitest";
import { dueUntil, parseCast, parseSize, PlayClock, playTimes } from "./cast";

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
});

describe("the player", () => {
  it("shortens long pauses", () => {
    const c = parseCast(FILE);
    expect(playTimes(c.events, 2)).toEqual([0.5, 0.8, 1.0, 3.0]);
  });

  it("finds the events due", () => {
    const times = [0.5, 0.8, 1.0, 3.0];
    expect(dueUntil(times, 0, 0.4)).toBe(0);
    expect(dueUntil(times, 0, 0.9)).toBe(2);
    expect(dueUntil(times, 2, 10)).toBe(4);
  });

  it("keeps its position across speed changes and pauses", () => {
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
    c.reset();
    expect(c.position()).toBe(0);
  });

  it("parses sizes", () => {
    expect(parseSize("120x40")).toEqual({ cols: 120, rows: 40 });
    expect(parseSize("0x4")).toBeNull();
    expect(parseSize("x")).toBeNull();
  });
});

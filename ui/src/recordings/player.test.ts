import { describe, expect, it } from "vitest";
import { parseCast } from "./cast";
import { MAX_TICK_MS, Player, type ReplaySink } from "./player";

/** A sink that keeps what a terminal would have been told. */
class Screen implements ReplaySink {
  text = "";
  size = "";
  resets = 0;
  write(data: string): void {
    this.text += data;
  }
  resize(cols: number, rows: number): void {
    this.size = `${cols}x${rows}`;
  }
  reset(): void {
    this.text = "";
    this.resets++;
  }
}

// One line at 1 s, a 60 s idle gap, a resize, another line at 62 s.
const CAST = parseCast(
  [
    '{"version":2,"width":80,"height":24}',
    '[1.0,"o","first\\r\\n"]',
    '[61.0,"r","100x30"]',
    '[61.5,"i","x"]',
    '[62.0,"o","second\\r\\n"]',
  ].join("\n"),
);

/** Plays with a fake clock, following the waits `tick` asks for; the wall times of each write. */
function run(p: Player, clock: { now: number }, screen: Screen, limitMs = 200_000): number[] {
  const writes: number[] = [];
  p.play();
  let seen = screen.text.length;
  for (let wait = p.tick(); wait !== null && clock.now < limitMs; wait = p.tick()) {
    if (screen.text.length !== seen) writes.push(clock.now);
    seen = screen.text.length;
    expect(wait).toBeLessThanOrEqual(MAX_TICK_MS);
    clock.now += Math.max(wait, 1);
  }
  if (screen.text.length !== seen) writes.push(clock.now);
  return writes;
}

describe("the player", () => {
  it("plays at 4x with idle gaps skipped: every output, in time", () => {
    const clock = { now: 0 };
    const screen = new Screen();
    const p = new Player(CAST, screen, () => clock.now, true);
    expect(screen.size).toBe("80x24");
    p.setSpeed(4);
    const writes = run(p, clock, screen);
    expect(screen.text).toBe("first\r\nsecond\r\n");
    expect(screen.size).toBe("100x30");
    // Played times 1 s and 1 + 1 + 1 = 3 s (the 60 s gap is 1 s), at 4x: 250 ms and 750 ms.
    expect(writes).toEqual([250, 750]);
    expect(p.ended() && !p.playing()).toBe(true);
    expect(p.position()).toBe(3);
  });

  it("keeps the real gaps when not skipping", () => {
    const clock = { now: 0 };
    const screen = new Screen();
    const p = new Player(CAST, screen, () => clock.now, false);
    p.setSpeed(2);
    expect(p.duration()).toBe(62);
    expect(run(p, clock, screen)).toEqual([500, 31_000]);
  });

  it("seeks back and forth: the screen is rebuilt as it was there", () => {
    const clock = { now: 0 };
    const screen = new Screen();
    const p = new Player(CAST, screen, () => clock.now, true);
    p.seek(2.5);
    expect([screen.text, screen.size]).toEqual(["first\r\n", "100x30"]);
    p.seek(0.5);
    expect([screen.text, screen.size]).toEqual(["", "80x24"]);
    p.seek(99);
    expect(screen.text).toBe("first\r\nsecond\r\n");
    expect(p.position()).toBe(3);
    // Play after the end starts again.
    const writes = run(p, clock, screen);
    expect(screen.text).toBe("first\r\nsecond\r\n");
    expect(writes.length).toBe(2);
  });

  it("keeps what is shown when skipping is turned on or off mid-gap", () => {
    const clock = { now: 0 };
    const screen = new Screen();
    const p = new Player(CAST, screen, () => clock.now, false);
    p.seek(31);
    p.setSkipIdle(true);
    expect(p.position()).toBeCloseTo(1.5);
    p.tick();
    expect(screen.text).toBe("first\r\n");
    p.setSkipIdle(false);
    expect(p.position()).toBeCloseTo(31);
  });

  it("pauses: nothing is written while paused, and it resumes where it was", () => {
    const clock = { now: 0 };
    const screen = new Screen();
    const p = new Player(CAST, screen, () => clock.now, true);
    p.play();
    clock.now = 500;
    p.pause();
    expect(p.tick()).toBeNull();
    clock.now = 100_000;
    p.tick();
    expect(screen.text).toBe("");
    expect(p.position()).toBe(0.5);
    p.play();
    clock.now += 500;
    p.tick();
    expect(screen.text).toBe("first\r\n");
  });
});

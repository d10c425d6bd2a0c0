// Plays one recording into a terminal-like sink on a clock: play, pause, speed, skipping idle
// gaps and seeking, with no timers and no DOM of its own. Whoever drives it calls `tick()` and
// waits the milliseconds it returns (ReplayView.tsx with xterm.js; the tests with a fake clock).
import { type Cast, dueUntil, frameAt, IDLE_LIMIT_S, parseSize, PlayClock, remap, schedule } from "./cast";

/** Where a replay is shown: a terminal's writes, resizes and reset. */
export interface ReplaySink {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  reset(): void;
}

/** The longest a driver waits between ticks while playing, in milliseconds (the position shown
 * moves at least this often). */
export const MAX_TICK_MS = 250;

/** One recording being played into a sink. Starts paused at the start, the sink reset to the
 * recording's size. */
export class Player {
  private times: number[];
  private next = 0;
  private idle: boolean;
  private readonly clock: PlayClock;

  /** `now` gives wall time in milliseconds; `skipIdle` shortens every gap to [`IDLE_LIMIT_S`]. */
  constructor(
    private readonly cast: Cast,
    private readonly sink: ReplaySink,
    now: () => number,
    skipIdle = true,
  ) {
    this.clock = new PlayClock(now);
    this.idle = skipIdle;
    this.times = schedule(cast.events, skipIdle ? IDLE_LIMIT_S : null);
    this.seek(0);
  }

  /** The length at 1× under the current schedule, in seconds. */
  duration(): number {
    return this.times[this.times.length - 1] ?? 0;
  }

  /** The play position in seconds (of the current schedule at 1×). */
  position(): number {
    return Math.min(this.clock.position(), this.duration());
  }

  playing(): boolean {
    return this.clock.playing();
  }

  /** True once every event has been played. */
  ended(): boolean {
    return this.next >= this.times.length;
  }

  speed(): number {
    return this.clock.rate();
  }

  skipsIdle(): boolean {
    return this.idle;
  }

  /** Plays on (from the start again when it had ended). */
  play(): void {
    if (this.ended()) this.seek(0);
    this.clock.play();
  }

  pause(): void {
    this.clock.pause();
  }

  setSpeed(speed: number): void {
    this.clock.setSpeed(speed);
  }

  /** Turns skipping idle gaps on or off, keeping what is shown (the same events stay played). */
  setSkipIdle(on: boolean): void {
    if (on === this.idle) return;
    const times = schedule(this.cast.events, on ? IDLE_LIMIT_S : null);
    const pos = remap(this.times, times, this.clock.position());
    this.times = times;
    this.idle = on;
    this.clock.seek(pos);
  }

  /** Shows the recording as it was at play time `pos`: the sink is reset, resized to the size
   * in force there and given every output up to there in one write. */
  seek(pos: number): void {
    const at = Math.min(Math.max(pos, 0), this.duration());
    const f = frameAt(this.cast, this.times, at);
    this.sink.reset();
    this.sink.resize(f.size.cols, f.size.rows);
    if (f.output !== "") this.sink.write(f.output);
    this.next = f.next;
    this.clock.seek(at);
  }

  /** Writes what is due now (output; resizes), stops at the end; returns how many milliseconds
   * of wall time until something is due next (at most [`MAX_TICK_MS`]), or null when paused or
   * ended. */
  tick(): number | null {
    const now = this.clock.position();
    const until = dueUntil(this.times, this.next, now);
    let out = "";
    for (; this.next < until; this.next++) {
      const e = this.cast.events[this.next];
      if (e === undefined) break;
      if (e.code === "o") out += e.data;
      else if (e.code === "r") {
        const size = parseSize(e.data);
        if (size) {
          if (out !== "") this.sink.write(out);
          out = "";
          this.sink.resize(size.cols, size.rows);
        }
      }
    }
    if (out !== "") this.sink.write(out);
    if (this.ended()) {
      this.clock.pause();
      this.clock.seek(this.duration());
      return null;
    }
    if (!this.clock.playing()) return null;
    const due = this.times[this.next] ?? now;
    const ms = ((due - now) / this.clock.rate()) * 1000;
    return Math.min(Math.max(Math.ceil(ms), 0), MAX_TICK_MS);
  }
}

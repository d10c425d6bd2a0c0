// Asciicast v2, pure: parsing a recording's text into its header and events, and the player's
// clock (which events are due after some wall time at some speed, long pauses shortened). The
// replay view (ReplayView.tsx) drives an xterm.js terminal with it.

/** One event of a recording. */
export interface CastEvent {
  /** Seconds since the file's start. */
  t: number;
  /** "o" output, "i" input, "r" resize ("COLSxROWS"), "m" marker. */
  code: string;
  data: string;
}

/** A parsed recording. */
export interface Cast {
  width: number;
  height: number;
  events: CastEvent[];
  /** Lines that were not events (skipped), e.g. a torn last line of a file being written. */
  skipped: number;
}

/** The speeds the replay offers. */
export const SPEEDS = [0.5, 1, 2, 4, 8, 16] as const;

/** The longest pause replayed, in seconds of the recording: longer idle times are shortened. */
export const MAX_PAUSE_S = 2;

/** Parses asciicast v2 text. Throws when the header is not a version 2 header. */
export function parseCast(text: string): Cast {
  const lines = text.split("\n");
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? "");
  } catch {
    throw new Error("not an asciicast file: the first line is not JSON");
  }
  const h = header as { version?: unknown; width?: unknown; height?: unknown };
  if (typeof h !== "object" || h === null || h.version !== 2) throw new Error("not an asciicast v2 file");
  const width = typeof h.width === "number" && h.width > 0 ? h.width : 80;
  const height = typeof h.height === "number" && h.height > 0 ? h.height : 24;
  const events: CastEvent[] = [];
  let skipped = 0;
  for (const line of lines.slice(1)) {
    if (line.trim() === "") continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (Array.isArray(e) && typeof e[0] === "number" && typeof e[1] === "string" && typeof e[2] === "string") {
        events.push({ t: e[0], code: e[1], data: e[2] });
        continue;
      }
    } catch {
      // Counted below.
    }
    skipped++;
  }
  return { width, height, events, skipped };
}

/** The play times of the events: their recorded times with pauses over `maxPause` shortened. */
export function playTimes(events: readonly CastEvent[], maxPause = MAX_PAUSE_S): number[] {
  const out: number[] = [];
  let prev = 0;
  let at = 0;
  for (const e of events) {
    at += Math.min(Math.max(e.t - prev, 0), maxPause);
    prev = Math.max(prev, e.t);
    out.push(at);
  }
  return out;
}

/** A "COLSxROWS" resize, or null. */
export function parseSize(data: string): { cols: number; rows: number } | null {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(data);
  if (!m) return null;
  const cols = Number(m[1]);
  const rows = Number(m[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : null;
}

/** The index of the first event not yet due at play time `now`, starting from `from`. */
export function dueUntil(times: readonly number[], from: number, now: number): number {
  let i = from;
  while (i < times.length && (times[i] ?? Infinity) <= now) i++;
  return i;
}

/** The player's clock: play time advances with wall time times the speed; changing the speed
 * keeps the position. */
export class PlayClock {
  private base = 0;
  private since: number | null = null;
  private speed = 1;

  constructor(private readonly now: () => number) {}

  /** The play position in seconds. */
  position(): number {
    return this.since === null ? this.base : this.base + ((this.now() - this.since) / 1000) * this.speed;
  }

  play(): void {
    if (this.since === null) this.since = this.now();
  }

  pause(): void {
    this.base = this.position();
    this.since = null;
  }

  playing(): boolean {
    return this.since !== null;
  }

  setSpeed(speed: number): void {
    const was = this.playing();
    this.pause();
    this.speed = speed;
    if (was) this.play();
  }

  /** Back to the start, paused. */
  reset(): void {
    this.base = 0;
    this.since = null;
  }
}

// Asciicast v2, pure: parsing a recording's text into its header and events, the schedule of
// its events (recorded times, idle gaps optionally shortened), what a terminal shows at a
// position (for seeking), and the player's clock at a speed. player.ts plays a recording
// with them; ReplayView.tsx puts that in a tab.

/** One event of a recording. */
export interface CastEvent {
  /** Seconds since the file's start. */
  t: number;
  /** "o" output, "i" input, "r" resize ("COLSxROWS"), "m" marker. */
  code: string;
  data: string;
}

/** A terminal size. */
export interface Size {
  cols: number;
  rows: number;
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
export const SPEEDS = [0.5, 1, 2, 4] as const;

/** With "skip idle gaps", the longest pause replayed, in seconds of the recording. */
export const IDLE_LIMIT_S = 1;

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

/**
 * The play times of the events at 1×, in seconds: their recorded times, never going back, with
 * every gap longer than `idleLimit` shortened to it (null keeps the real gaps).
 */
export function schedule(events: readonly CastEvent[], idleLimit: number | null): number[] {
  const out: number[] = [];
  let prev = 0;
  let at = 0;
  for (const e of events) {
    const gap = Math.max(e.t - prev, 0);
    at += idleLimit === null ? gap : Math.min(gap, idleLimit);
    prev = Math.max(prev, e.t);
    out.push(at);
  }
  return out;
}

/** A "COLSxROWS" resize, or null. */
export function parseSize(data: string): Size | null {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(data);
  if (!m) return null;
  const cols = Number(m[1]);
  const rows = Number(m[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : null;
}

/** The index of the first event not yet due at play time `now` (the events from `from` on are
 * looked at; those before are taken as due). */
export function dueUntil(times: readonly number[], from: number, now: number): number {
  let lo = Math.max(from, 0);
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] ?? Infinity) <= now) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a terminal shows at a play position: every output up to it, in one piece, the size in
 * force there, and the index of the next event. */
export interface Frame {
  output: string;
  size: Size;
  next: number;
}

/** The frame at play time `pos` under `times` (a schedule of `cast`'s events): output written
 * after the last resize before `pos` only, since a terminal is reset and resized first. */
export function frameAt(cast: Cast, times: readonly number[], pos: number): Frame {
  const next = dueUntil(times, 0, pos);
  let size: Size = { cols: cast.width, rows: cast.height };
  const parts: string[] = [];
  for (let i = 0; i < next; i++) {
    const e = cast.events[i];
    if (e === undefined) break;
    if (e.code === "o") parts.push(e.data);
    else if (e.code === "r") size = parseSize(e.data) ?? size;
  }
  return { output: parts.join(""), size, next };
}

/** Play time `pos` under schedule `from`, moved to schedule `to` of the same events: the same
 * share of the way between the same two events, so exactly the same events are due. */
export function remap(from: readonly number[], to: readonly number[], pos: number): number {
  const next = dueUntil(from, 0, pos);
  const a = next > 0 ? (from[next - 1] ?? 0) : 0;
  const a2 = next > 0 ? (to[next - 1] ?? 0) : 0;
  if (next >= from.length) return a2 + Math.max(pos - a, 0);
  const b = from[next] ?? a;
  const b2 = to[next] ?? a2;
  const share = b > a ? (pos - a) / (b - a) : 0;
  return a2 + Math.min(Math.max(share, 0), 1) * (b2 - a2);
}

/** The player's clock: play time advances with wall time times the speed; changing the speed
 * keeps the position. */
export class PlayClock {
  private base = 0;
  private since: number | null = null;
  private speed = 1;

  /** `now` gives wall time in milliseconds. */
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

  /** The speed, a factor of recorded time. */
  rate(): number {
    return this.speed;
  }

  setSpeed(speed: number): void {
    const was = this.playing();
    this.pause();
    this.speed = speed;
    if (was) this.play();
  }

  /** Moves to play time `pos`, playing on if it was playing. */
  seek(pos: number): void {
    this.base = Math.max(pos, 0);
    if (this.since !== null) this.since = this.now();
  }
}

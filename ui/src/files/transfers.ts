// The transfers list as data: rows made from what `files_upload`/`files_download` return and
// updated by each `transfer` event, with a smoothed rate and the time left. Pure (the clock is a
// parameter), so the list's arithmetic is tested without a window.
import type { ApiError } from "../api/types";
import type { Direction, TransferEvent, TransferStarted, TransferState } from "../api/generated/types";

/** One transfer in the list. */
export interface TransferRow {
  id: string;
  direction: Direction;
  source: string;
  dest: string;
  state: TransferState;
  /** The file being copied. */
  file: string;
  fileDone: number;
  fileSize: number;
  /** Bytes in place over all files. */
  bytes: number;
  files: number;
  /** Bytes per second, smoothed; null until two samples. */
  rate: number | null;
  error: ApiError | null;
  /** When the last sample was taken (ms) and its byte count, for the rate. */
  sampledAt: number;
  sampledBytes: number;
}

/** How much a new rate sample counts against the smoothed one. */
const SMOOTHING = 0.4;

/** A new row for a transfer that just started at `now` (ms). */
export function startedRow(t: TransferStarted, now: number): TransferRow {
  return {
    id: t.id,
    direction: t.direction,
    source: t.source,
    dest: t.dest,
    state: "running",
    file: t.source,
    fileDone: 0,
    fileSize: 0,
    bytes: 0,
    files: 0,
    rate: null,
    error: null,
    sampledAt: now,
    sampledBytes: 0,
  };
}

/** `rows` with event `ev` (received at `now`, ms) applied; a finished row keeps its end state. */
export function applyEvent(rows: readonly TransferRow[], ev: TransferEvent, now: number): TransferRow[] {
  return rows.map((r) => {
    if (r.id !== ev.id || r.state !== "running") return r;
    const dt = (now - r.sampledAt) / 1000;
    let rate = r.rate;
    if (ev.state === "running" && dt > 0.05 && ev.bytes >= r.sampledBytes) {
      const sample = (ev.bytes - r.sampledBytes) / dt;
      rate = rate === null ? sample : rate + SMOOTHING * (sample - rate);
    }
    const moved = ev.state === "running" && dt > 0.05;
    return {
      ...r,
      state: ev.state,
      file: ev.file,
      fileDone: ev.file_done,
      fileSize: ev.file_size,
      bytes: ev.bytes,
      files: ev.files,
      rate: ev.state === "running" ? rate : r.rate,
      error: ev.error,
      sampledAt: moved ? now : r.sampledAt,
      sampledBytes: moved ? ev.bytes : r.sampledBytes,
    };
  });
}

/** At most this many events are kept for transfers the list does not show yet. */
export const MAX_EARLY = 256;

/**
 * Events that came before their transfer's row: a transfer can end before the command that
 * started it has answered (a missing source fails at once). The latest event per id is kept
 * (each carries the whole tally), the oldest ids dropped beyond [`MAX_EARLY`].
 */
export class EarlyEvents {
  private readonly byId = new Map<string, TransferEvent>();

  /** Keeps `ev` until its row is added. */
  keep(ev: TransferEvent): void {
    this.byId.delete(ev.id);
    this.byId.set(ev.id, ev);
    for (const id of this.byId.keys()) {
      if (this.byId.size <= MAX_EARLY) break;
      this.byId.delete(id);
    }
  }

  /** The event kept for `id`, if any, forgetting it. */
  take(id: string): TransferEvent | undefined {
    const ev = this.byId.get(id);
    this.byId.delete(id);
    return ev;
  }

  /** How many ids are waiting. */
  get size(): number {
    return this.byId.size;
  }
}

/** The current file's share done, 0..1 (1 when it is empty and done). */
export function fraction(r: TransferRow): number {
  if (r.state === "done") return 1;
  if (r.fileSize <= 0) return 0;
  return Math.min(1, r.fileDone / r.fileSize);
}

/** Seconds left for the current file at the current rate, or null. */
export function secondsLeft(r: TransferRow): number | null {
  if (r.state !== "running" || r.rate === null || r.rate <= 0 || r.fileSize <= 0) return null;
  return (r.fileSize - r.fileDone) / r.rate;
}

/** Rows without the finished ones (done, failed, cancelled). */
export function clearFinished(rows: readonly TransferRow[]): TransferRow[] {
  return rows.filter((r) => r.state === "running");
}

/** Whether any transfer is still running. */
export function anyRunning(rows: readonly TransferRow[]): boolean {
  return rows.some((r) => r.state === "running");
}

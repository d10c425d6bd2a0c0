// Chart axes and the hover readout, as pure functions: whole-minute time labels that never
// repeat and never sit on the chart's edges, binary rate steps (1, 2, 4 … KiB/s, MiB/s), and the
// values of the hovered time.
import type { Columns } from "./history";

/** "14:05". */
export function clock(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** "14:05:09". */
export function clockSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${clock(seconds)}:${String(d.getSeconds()).padStart(2, "0")}`;
}

/** Minute steps a time axis may use. */
const MINUTE_STEPS = [1, 2, 5, 10, 15, 30, 60];

/** The least room, in CSS pixels, between two time labels ("14:05" at 10 px is about 28 px wide). */
export const MIN_LABEL_GAP_PX = 40;

/** How close to either end of the axis a label's centre may be before it would be clipped. */
export const EDGE_PX = 16;

/**
 * Time axis splits (seconds) for the range `min`..`max` drawn `widthPx` wide: whole minutes of
 * the local clock, at the smallest step of 1, 2, 5, 10 … minutes that leaves
 * {@link MIN_LABEL_GAP_PX} between labels, leaving out those too near either edge.
 */
export function timeSplits(min: number, max: number, widthPx: number): number[] {
  const span = max - min;
  if (!(span > 0) || !(widthPx > 0)) return [];
  const pxPerS = widthPx / span;
  const step = (MINUTE_STEPS.find((m) => m * 60 * pxPerS >= MIN_LABEL_GAP_PX) ?? 60) * 60;
  // Whole minutes of the local clock: the offset from UTC is whole minutes everywhere.
  const offset = -new Date(min * 1000).getTimezoneOffset() * 60;
  const first = Math.ceil((min + offset) / step) * step - offset;
  const out: number[] = [];
  for (let t = first; t <= max; t += step) {
    const x = (t - min) * pxPerS;
    if (x >= EDGE_PX && x <= widthPx - EDGE_PX) out.push(t);
  }
  return out;
}

const RATE_UNITS = ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"];

/** The smallest rate that is a power of two of bytes per second and at least `max` (1 KiB/s at least). */
export function binaryCeil(max: number): number {
  let top = 1024;
  while (top < max && top < 2 ** 50) top *= 2;
  return top;
}

/** A y range and splits for rates up to `max`: 0, half and the binary ceiling. */
export function rateAxis(max: number): { range: [number, number]; splits: number[] } {
  const top = binaryCeil(Number.isFinite(max) ? max : 0);
  return { range: [0, top], splits: [0, top / 2, top] };
}

/** An axis label for a binary step: "0", "512 B/s", "1 KiB/s", "256 MiB/s". */
export function formatRateStep(v: number): string {
  if (v === 0) return "0";
  let x = v;
  let u = 0;
  while (x >= 1024 && u < RATE_UNITS.length - 1) {
    x /= 1024;
    u++;
  }
  const n = Number.isInteger(x) ? String(x) : x.toFixed(1);
  return `${n} ${RATE_UNITS[u]}`;
}

/** One series' value at the hovered time. */
export interface ReadoutValue {
  label: string;
  text: string;
}

/** What the hover readout says. */
export interface Readout {
  time: string;
  values: ReadoutValue[];
}

/**
 * The readout of column `idx`: its time and each series' value, formatted; null when `idx` is
 * outside the data.
 */
export function readout(
  data: Columns,
  idx: number | null | undefined,
  labels: readonly string[],
  format: (v: number) => string,
): Readout | null {
  const xs = data[0];
  if (idx === null || idx === undefined || idx < 0 || idx >= xs.length) return null;
  const t = xs[idx] as number;
  return {
    time: clockSeconds(t),
    values: labels.map((label, i) => {
      const v = data[i + 1]?.[idx];
      return { label, text: v === undefined || v === null || !Number.isFinite(v) ? "–" : format(v) };
    }),
  };
}

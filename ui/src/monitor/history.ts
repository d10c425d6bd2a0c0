// A host's sample history for charts: keeps the last 10 minutes, in time order, without
// duplicates; samples carrying `error` are not figures and are left out of charts.
import { MONITOR_HISTORY_MS } from "../api/generated/limits";
import type { Sample } from "../api/types";

/** How much history the charts show: what the agent keeps. */
export const WINDOW_MS = MONITOR_HISTORY_MS;

/** The samples within `windowMs` of the newest, oldest first. */
export function trimWindow(samples: readonly Sample[], windowMs: number = WINDOW_MS): Sample[] {
  const last = samples[samples.length - 1];
  if (last === undefined) return [];
  const from = last.at - windowMs;
  let i = 0;
  while (i < samples.length && (samples[i] as Sample).at < from) i++;
  return samples.slice(i);
}

/** True when a sample holds figures. */
export function hasFigures(s: Sample): boolean {
  return s.error === undefined || s.error === null;
}

/** The history of a subscription: `history` (oldest first), figures only, windowed. */
export function fromHistory(history: readonly Sample[], windowMs: number = WINDOW_MS): Sample[] {
  const sorted = history.filter(hasFigures).sort((a, b) => a.at - b.at);
  const unique: Sample[] = [];
  for (const s of sorted) if (unique.length === 0 || (unique[unique.length - 1] as Sample).at < s.at) unique.push(s);
  return trimWindow(unique, windowMs);
}

/** `samples` plus `next` (ignored when it holds no figures or is not newer), windowed. */
export function appendSample(samples: readonly Sample[], next: Sample, windowMs: number = WINDOW_MS): Sample[] {
  const last = samples[samples.length - 1];
  if (!hasFigures(next) || (last !== undefined && next.at <= last.at)) return samples as Sample[];
  return trimWindow([...samples, next], windowMs);
}

/** uPlot's columns: times in seconds, then one column per picked series. */
export type Columns = [number[], ...number[][]];

/** Chart columns from samples: x in seconds, one series per picker. */
export function toColumns(samples: readonly Sample[], pickers: readonly ((s: Sample) => number)[]): Columns {
  const xs = samples.map((s) => s.at / 1000);
  const ys = pickers.map((pick) => samples.map(pick));
  return [xs, ...ys];
}

/** The time span every chart's x axis shows, in seconds: the whole window. */
export const SPAN_S = WINDOW_MS / 1000;

/**
 * The x range (seconds) for data ending at `max`: always the whole window, ending at the newest
 * sample (or now when there is none), so every chart has the same 10-minute axis however few
 * samples it holds.
 */
export function timeRange(max: number | null, nowS: number): [number, number] {
  const end = max ?? nowS;
  return [end - SPAN_S, end];
}

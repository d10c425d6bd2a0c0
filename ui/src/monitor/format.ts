// Human-readable figures: bytes (binary units), rates, percentages, load and uptime.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** "0 B", "512 B", "1.5 KiB", "8.0 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

/** "2.0 KiB/s". */
export function formatRate(bytesPerSecond: number): string {
  const b = formatBytes(bytesPerSecond);
  return b === "–" ? b : `${b}/s`;
}

/** "12.5%" (one decimal). */
export function formatPercent(percent: number): string {
  if (!Number.isFinite(percent)) return "–";
  return `${percent.toFixed(1)}%`;
}

/** "0.50 0.25 0.13". */
export function formatLoad(load: readonly number[]): string {
  return load.map((l) => (Number.isFinite(l) ? l.toFixed(2) : "–")).join(" ");
}

/** What each of the three load averages spans. */
export const LOAD_SPANS = ["1 min", "5 min", "15 min"] as const;

/** The load averages with their spans: [["1 min", "0.50"], ["5 min", "0.25"], ["15 min", "0.13"]]. */
export function labelledLoad(load: readonly number[]): [string, string][] {
  return LOAD_SPANS.map((span, i) => {
    const l = load[i];
    return [span, l !== undefined && Number.isFinite(l) ? l.toFixed(2) : "–"];
  });
}

/**
 * A process's CPU use as a share of the whole machine: the agent reports it in percent of one
 * core (a busy thread on a 4-core host is 100 %, i.e. 25 % of the machine).
 */
export function machinePercent(percentOfOneCore: number, cores: number): number {
  if (!Number.isFinite(percentOfOneCore)) return Number.NaN;
  return cores > 0 ? percentOfOneCore / cores : percentOfOneCore;
}

/** "10d 2h", "3h 5m", "42m", "12s". */
export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

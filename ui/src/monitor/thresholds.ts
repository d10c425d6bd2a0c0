// Usage levels for colouring figures: amber at 70 % or more, red at 90 % or more.

/** How worrying a percentage is. */
export type Level = "ok" | "warn" | "crit";

/** From this percentage on, a figure is amber. */
export const WARN_PERCENT = 70;
/** From this percentage on, a figure is red. */
export const CRIT_PERCENT = 90;

/** The level of a percentage (0..100); NaN counts as "ok". */
export function levelOf(percent: number): Level {
  if (percent >= CRIT_PERCENT) return "crit";
  if (percent >= WARN_PERCENT) return "warn";
  return "ok";
}

/** `used` of `total` as a percentage (0 when `total` is 0), clamped to 0..100. */
export function percentOf(used: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

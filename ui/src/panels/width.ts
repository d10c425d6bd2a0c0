// The widths of the side panels (hosts sidebar, monitoring panel) as their dividers are dragged
// (pure): each within its own limits, and never so wide that the terminal between them gets
// less than MIN_TERMINAL_PX. A stored width of null means the stylesheet's default.

/** A side panel with a draggable width. */
export type Panel = "sidebar" | "monitor";

/** Each panel's limits, in CSS pixels. */
export const PANEL_LIMITS: Record<Panel, { min: number; max: number }> = {
  sidebar: { min: 180, max: 600 },
  monitor: { min: 240, max: 720 },
};

/** The narrowest the terminal area may get while a panel is dragged wider. */
export const MIN_TERMINAL_PX = 320;

/** A stored width: within the panel's limits (whole pixels), or null (the default). */
export function readWidth(panel: Panel, v: unknown): number | null {
  if (typeof v !== "number" || !Number.isFinite(v)) return null;
  const { min, max } = PANEL_LIMITS[panel];
  return Math.min(max, Math.max(min, Math.round(v)));
}

/**
 * The width a panel gets when its divider is at `x` (a client x coordinate) in a window
 * `viewport` wide whose other panel takes `other` pixels: the sidebar grows rightwards from the
 * left edge, the monitoring panel leftwards from the right edge.
 */
export function dragWidth(panel: Panel, x: number, viewport: number, other: number): number {
  const { min, max } = PANEL_LIMITS[panel];
  const wanted = panel === "sidebar" ? x : viewport - x;
  const room = viewport - other - MIN_TERMINAL_PX;
  return Math.round(Math.max(min, Math.min(max, room, wanted)));
}

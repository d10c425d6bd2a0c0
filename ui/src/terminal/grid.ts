// A first guess of a terminal's columns and rows from the space it will get, used when a session
// is created before its pane exists (the pane's fit corrects it right after attaching).
import { TERMINAL_SIZE_MAX } from "../api/generated/limits";

/** Columns and rows. */
export interface Grid {
  cols: number;
  rows: number;
}

/** The usual size when nothing better is known. */
export const DEFAULT_GRID: Grid = { cols: 120, rows: 32 };

/**
 * Estimates the grid for a box of `width`×`height` CSS pixels at `fontSize` (monospace cells are
 * about 0.6 em wide and 1.2 em high), within the protocol's sizes and at least 20×5.
 */
export function estimateGrid(width: number, height: number, fontSize: number): Grid {
  if (!(width > 0) || !(height > 0) || !(fontSize > 0)) return DEFAULT_GRID;
  const cols = Math.floor(width / (fontSize * 0.6));
  const rows = Math.floor(height / (fontSize * 1.2));
  return {
    cols: Math.min(TERMINAL_SIZE_MAX, Math.max(20, cols)),
    rows: Math.min(TERMINAL_SIZE_MAX, Math.max(5, rows)),
  };
}

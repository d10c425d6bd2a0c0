// Tests for the grid estimate.
import { describe, expect, it } from "vitest";
import { DEFAULT_GRID, estimateGrid } from "./grid";

describe("estimateGrid", () => {
  it("divides the box by the cell size", () => {
    expect(estimateGrid(840, 672, 14)).toEqual({ cols: 100, rows: 40 });
  });
  it("falls back or clamps", () => {
    expect(estimateGrid(0, 100, 14)).toEqual(DEFAULT_GRID);
    expect(estimateGrid(10, 10, 14)).toEqual({ cols: 20, rows: 5 });
    expect(estimateGrid(1e6, 1e6, 1)).toEqual({ cols: 1000, rows: 1000 });
  });
});

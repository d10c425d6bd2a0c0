// Tests of where the terminal's context menu goes.
import { describe, expect, it } from "vitest";
import { menuPosition } from "./position";

const view = { width: 800, height: 600 };
const menu = { width: 200, height: 300 };

describe("menuPosition", () => {
  it("opens at the pointer when it fits", () => {
    expect(menuPosition({ x: 100, y: 50 }, menu, view)).toEqual({ x: 100, y: 50 });
  });

  it("moves left and up to stay inside the window", () => {
    expect(menuPosition({ x: 790, y: 590 }, menu, view)).toEqual({ x: 596, y: 296 });
  });

  it("keeps the top-left corner inside a window smaller than the menu", () => {
    expect(menuPosition({ x: 50, y: 50 }, menu, { width: 100, height: 100 })).toEqual({ x: 4, y: 4 });
  });
});

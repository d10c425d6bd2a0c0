// Where a context menu goes (pure): at the pointer, moved left or up so it stays inside the
// window, never above or left of its top-left corner.

/** A width and height in CSS pixels. */
export interface Size {
  width: number;
  height: number;
}

/** The gap kept between the menu and the window's edge. */
const MARGIN = 4;

/** The menu's top-left corner for a click at `at`. */
export function menuPosition(at: { x: number; y: number }, menu: Size, view: Size): { x: number; y: number } {
  const x = Math.min(at.x, view.width - menu.width - MARGIN);
  const y = Math.min(at.y, view.height - menu.height - MARGIN);
  return { x: Math.max(MARGIN, Math.floor(x)), y: Math.max(MARGIN, Math.floor(y)) };
}

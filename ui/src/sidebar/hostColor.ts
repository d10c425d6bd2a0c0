// The host colour palette: a few distinct colours to tell hosts apart (production red, staging
// yellow …), as CSS colours for the row's mark (and the tabs of the host's sessions). Typed by the
// generated `HostColor` union, so a colour added on the Rust side fails the build until it has a
// swatch here. Pure.
import type { Host, HostColor } from "../api/types";

/** Each colour's swatch and its name in the form. */
export const HOST_COLORS: Record<HostColor, { css: string; label: string }> = {
  red: { css: "#e5484d", label: "Red" },
  orange: { css: "#f76b15", label: "Orange" },
  yellow: { css: "#e2b203", label: "Yellow" },
  green: { css: "#30a46c", label: "Green" },
  teal: { css: "#12a594", label: "Teal" },
  blue: { css: "#3e63dd", label: "Blue" },
  purple: { css: "#8e4ec6", label: "Purple" },
  gray: { css: "#8b8d98", label: "Grey" },
};

/** The colours in the order the form offers them. */
export const HOST_COLOR_ORDER = Object.keys(HOST_COLORS) as HostColor[];

/** True for a colour of the palette (e.g. a value read from a form control). */
export function isHostColor(v: unknown): v is HostColor {
  return typeof v === "string" && Object.prototype.hasOwnProperty.call(HOST_COLORS, v);
}

/** The CSS colour of a host, or null when it has none. */
export function hostColorCss(host: Pick<Host, "color"> | null | undefined): string | null {
  const c = host?.color;
  return c !== null && c !== undefined && isHostColor(c) ? HOST_COLORS[c].css : null;
}

// User settings (theme, font size, copy on select, confirm multi-line paste, monitoring panel), their defaults, and
// validation of what state_load("settings") returns. Pure.

/** The app's colour theme. */
export type Theme = "dark" | "light";

/** Everything the settings dialog changes. */
export interface Settings {
  theme: Theme;
  font_size: number;
  copy_on_select: boolean;
  /** Ask before pasting text with a line break (it may run commands). */
  confirm_multiline_paste: boolean;
  monitor_open: boolean;
}

/** Font size limits and default, in CSS pixels. */
export const FONT_MIN = 8;
export const FONT_MAX = 32;
export const FONT_DEFAULT = 14;

/** The settings of a fresh install. */
export const DEFAULT_SETTINGS: Settings = {
  theme: "dark",
  font_size: FONT_DEFAULT,
  copy_on_select: false,
  confirm_multiline_paste: true,
  monitor_open: true,
};

/** A font size within limits (whole pixels). */
export function clampFont(size: number): number {
  if (!Number.isFinite(size)) return FONT_DEFAULT;
  return Math.min(FONT_MAX, Math.max(FONT_MIN, Math.round(size)));
}

/** The font size one step bigger (+1), smaller (-1) or back to the default (0). */
export function stepFont(size: number, step: 1 | -1 | 0): number {
  return step === 0 ? FONT_DEFAULT : clampFont(size + step);
}

/** Settings from a stored value: known fields of the right type, defaults for the rest. */
export function readSettings(value: unknown): Settings {
  if (typeof value !== "object" || value === null) return { ...DEFAULT_SETTINGS };
  const v = value as Record<string, unknown>;
  return {
    theme: v.theme === "light" || v.theme === "dark" ? v.theme : DEFAULT_SETTINGS.theme,
    font_size: typeof v.font_size === "number" ? clampFont(v.font_size) : DEFAULT_SETTINGS.font_size,
    copy_on_select: typeof v.copy_on_select === "boolean" ? v.copy_on_select : DEFAULT_SETTINGS.copy_on_select,
    confirm_multiline_paste:
      typeof v.confirm_multiline_paste === "boolean" ? v.confirm_multiline_paste : DEFAULT_SETTINGS.confirm_multiline_paste,
    monitor_open: typeof v.monitor_open === "boolean" ? v.monitor_open : DEFAULT_SETTINGS.monitor_open,
  };
}

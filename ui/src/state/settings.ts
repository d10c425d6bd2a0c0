// User settings (colour scheme, terminal font, cursor, scrollback, copy on select, confirm multi-line
// paste, close on exit, which side panels are open and how wide, rebound shortcuts, whether ssh_config's
// `Match exec` may run its command), their defaults, and
// validation of what state_load("settings") returns. Pure.
import { readWidth } from "../panels/width";

/** The colour schemes (the app's chrome follows the scheme's light or dark base). */
export const SCHEMES = ["dark", "light", "solarized-dark", "solarized-light"] as const;

/** A colour scheme. */
export type Theme = (typeof SCHEMES)[number];

/** The terminal cursor's shape. */
export type CursorStyle = "block" | "underline" | "bar";

/**
 * What happens to a tab when its session exits: "clean" closes it (and ends the session) on exit
 * code 0, "always" on any exit, "never" keeps it showing the exit state.
 */
export type CloseOnExit = "clean" | "always" | "never";

/** Everything the settings dialog changes. */
export interface Settings {
  theme: Theme;
  font_size: number;
  /** The terminal font (a CSS font family list); empty uses the built-in stack. */
  font_family: string;
  cursor_style: CursorStyle;
  /** Lines of scrollback each terminal keeps. */
  scrollback: number;
  copy_on_select: boolean;
  /** Ask before pasting text with a line break (it may run commands). */
  confirm_multiline_paste: boolean;
  close_on_exit: CloseOnExit;
  monitor_open: boolean;
  sidebar_open: boolean;
  /** The sidebar's width in CSS pixels as dragged (null: the default). */
  sidebar_width: number | null;
  /** The monitoring panel's width in CSS pixels as dragged (null: the default). */
  monitor_width: number | null;
  /** Rebound shortcuts: action id → its chords ("Ctrl+Shift+T"); missing actions keep their defaults. */
  keybindings: Record<string, string[]>;
  /**
   * Whether reading ssh_config may run the commands of its `Match exec` lines (the engine reads
   * this key of the stored settings, `MATCH_EXEC_SETTING` in engine/store/ssh_config.rs).
   */
  ssh_match_exec: boolean;
}

/** Font size limits and default, in CSS pixels. */
export const FONT_MIN = 8;
export const FONT_MAX = 32;
export const FONT_DEFAULT = 14;

/** Scrollback limits and default, in lines. */
export const SCROLLBACK_MIN = 100;
export const SCROLLBACK_MAX = 200_000;
export const SCROLLBACK_DEFAULT = 10_000;

/** The longest font family setting, in characters. */
export const FONT_FAMILY_MAX = 200;

/** The most rebound actions and chords per action kept. */
const MAX_BOUND_ACTIONS = 200;
const MAX_CHORDS = 4;
const MAX_CHORD_LEN = 40;

/** The settings of a fresh install. */
export const DEFAULT_SETTINGS: Settings = {
  theme: "dark",
  font_size: FONT_DEFAULT,
  font_family: "",
  cursor_style: "block",
  scrollback: SCROLLBACK_DEFAULT,
  copy_on_select: false,
  confirm_multiline_paste: true,
  close_on_exit: "clean",
  monitor_open: true,
  sidebar_open: true,
  sidebar_width: null,
  monitor_width: null,
  keybindings: {},
  ssh_match_exec: false,
};

/** Whether a scheme is light (the app's chrome uses its light look). */
export function isLight(theme: Theme): boolean {
  return theme === "light" || theme === "solarized-light";
}

/** A font size within limits (whole pixels). */
export function clampFont(size: number): number {
  if (!Number.isFinite(size)) return FONT_DEFAULT;
  return Math.min(FONT_MAX, Math.max(FONT_MIN, Math.round(size)));
}

/** A scrollback length within limits (whole lines). */
export function clampScrollback(lines: number): number {
  if (!Number.isFinite(lines)) return SCROLLBACK_DEFAULT;
  return Math.min(SCROLLBACK_MAX, Math.max(SCROLLBACK_MIN, Math.round(lines)));
}

/** The font size one step bigger (+1), smaller (-1) or back to the default (0). */
export function stepFont(size: number, step: 1 | -1 | 0): number {
  return step === 0 ? FONT_DEFAULT : clampFont(size + step);
}

function readKeybindings(v: unknown): Record<string, string[]> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return {};
  const out: Record<string, string[]> = {};
  for (const [action, chords] of Object.entries(v).slice(0, MAX_BOUND_ACTIONS)) {
    if (action.length === 0 || action.length > 64 || !Array.isArray(chords)) continue;
    out[action] = chords.filter((c): c is string => typeof c === "string" && c.length > 0 && c.length <= MAX_CHORD_LEN).slice(0, MAX_CHORDS);
  }
  return out;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === "string" && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === "boolean" ? v : fallback;
}

/** Settings from a stored value: known fields of the right type, defaults for the rest. */
export function readSettings(value: unknown): Settings {
  if (typeof value !== "object" || value === null) return { ...DEFAULT_SETTINGS };
  const v = value as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  return {
    theme: oneOf(v.theme, SCHEMES, d.theme),
    font_size: typeof v.font_size === "number" ? clampFont(v.font_size) : d.font_size,
    font_family: typeof v.font_family === "string" ? v.font_family.trim().slice(0, FONT_FAMILY_MAX) : d.font_family,
    cursor_style: oneOf(v.cursor_style, ["block", "underline", "bar"] as const, d.cursor_style),
    scrollback: typeof v.scrollback === "number" ? clampScrollback(v.scrollback) : d.scrollback,
    copy_on_select: bool(v.copy_on_select, d.copy_on_select),
    confirm_multiline_paste: bool(v.confirm_multiline_paste, d.confirm_multiline_paste),
    close_on_exit: oneOf(v.close_on_exit, ["clean", "always", "never"] as const, d.close_on_exit),
    monitor_open: bool(v.monitor_open, d.monitor_open),
    sidebar_open: bool(v.sidebar_open, d.sidebar_open),
    sidebar_width: readWidth("sidebar", v.sidebar_width),
    monitor_width: readWidth("monitor", v.monitor_width),
    keybindings: readKeybindings(v.keybindings),
    ssh_match_exec: bool(v.ssh_match_exec, d.ssh_match_exec),
  };
}

/** Whether a tab closes (and its session ends) when the session exits this way. */
export function closesOnExit(setting: CloseOnExit, exit_code: number | null | undefined, exit_signal: string | null | undefined): boolean {
  if (setting === "always") return true;
  return setting === "clean" && exit_code === 0 && !exit_signal;
}

// Terminal colour schemes (each on the app's dark or light base), the search highlight colours,
// and the appearance settings (font family, cursor style, scrollback, contrast) applied to a
// terminal. Light schemes keep "white" and "bright white" text readable: those two colours are
// greys there, and xterm raises any colour that would fall below a minimum contrast.
import type { ITheme } from "@xterm/xterm";
import { isLight, type Settings, type Theme } from "../state/settings";
import type { TerminalController } from "./controller";

/** The terminal font stack (no web fonts: everything works offline). */
export const TERMINAL_FONT = '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", monospace';

const DARK: ITheme = {
  background: "#14161b",
  foreground: "#d8dee9",
  cursor: "#e5c07b",
  cursorAccent: "#14161b",
  selectionBackground: "#3a4456",
  selectionInactiveBackground: "#2c3341",
  black: "#1d2027",
  red: "#e06c75",
  green: "#98c379",
  yellow: "#e5c07b",
  blue: "#61afef",
  magenta: "#c678dd",
  cyan: "#56b6c2",
  white: "#c8ccd4",
  brightBlack: "#5c6370",
  brightRed: "#ef7d86",
  brightGreen: "#a9d48a",
  brightYellow: "#f0cf8c",
  brightBlue: "#72c0ff",
  brightMagenta: "#d789ee",
  brightCyan: "#67c7d3",
  brightWhite: "#eceff4",
};

const LIGHT: ITheme = {
  background: "#fbfbfa",
  foreground: "#2e3440",
  cursor: "#3b6ea8",
  cursorAccent: "#fbfbfa",
  selectionBackground: "#cfdcf0",
  selectionInactiveBackground: "#e1e7f0",
  black: "#2e3440",
  red: "#c0392b",
  green: "#3c7d22",
  yellow: "#9a6a00",
  blue: "#2f6db5",
  magenta: "#8e44ad",
  cyan: "#1b7f8c",
  // Programs print "white" meaning "bright text on a dark screen": dark greys stay readable here.
  white: "#5c6370",
  brightBlack: "#6b7280",
  brightRed: "#d9534f",
  brightGreen: "#4f9a30",
  brightYellow: "#b58105",
  brightBlue: "#3d82d1",
  brightMagenta: "#a45bc2",
  brightCyan: "#23939f",
  brightWhite: "#3b4252",
};

const SOLARIZED_BASE = {
  black: "#073642",
  red: "#dc322f",
  green: "#859900",
  yellow: "#b58900",
  blue: "#268bd2",
  magenta: "#d33682",
  cyan: "#2aa198",
  brightRed: "#cb4b16",
  brightMagenta: "#6c71c4",
};

const SOLARIZED_DARK: ITheme = {
  ...SOLARIZED_BASE,
  background: "#002b36",
  foreground: "#93a1a1",
  cursor: "#93a1a1",
  cursorAccent: "#002b36",
  selectionBackground: "#194754",
  selectionInactiveBackground: "#0f3a45",
  white: "#eee8d5",
  brightBlack: "#586e75",
  brightGreen: "#93a83a",
  brightYellow: "#c9a227",
  brightBlue: "#4aa0e0",
  brightCyan: "#4ab8ae",
  brightWhite: "#fdf6e3",
};

const SOLARIZED_LIGHT: ITheme = {
  ...SOLARIZED_BASE,
  background: "#fdf6e3",
  foreground: "#586e75",
  cursor: "#586e75",
  cursorAccent: "#fdf6e3",
  selectionBackground: "#e6dfc8",
  selectionInactiveBackground: "#eee8d5",
  white: "#657b83",
  brightBlack: "#839496",
  brightGreen: "#6b7a00",
  brightYellow: "#957000",
  brightBlue: "#1f6fa8",
  brightCyan: "#1f7f78",
  brightWhite: "#073642",
};

const SCHEMES: Record<Theme, ITheme> = {
  dark: DARK,
  light: LIGHT,
  "solarized-dark": SOLARIZED_DARK,
  "solarized-light": SOLARIZED_LIGHT,
};

/** How each scheme is named in the settings. */
export const SCHEME_NAMES: Record<Theme, string> = {
  dark: "Dark",
  light: "Light",
  "solarized-dark": "Solarized dark",
  "solarized-light": "Solarized light",
};

/** The smallest contrast ratio xterm keeps between text and its background on light schemes (WCAG AA). */
export const LIGHT_MIN_CONTRAST = 4.5;

/** The terminal palette of a scheme. */
export function terminalTheme(theme: Theme): ITheme {
  return SCHEMES[theme] ?? DARK;
}

/** The terminal's font stack: the chosen family first, the built-in stack as fallback. */
export function fontStack(family: string): string {
  const f = family.trim();
  if (f.length === 0) return TERMINAL_FONT;
  // A bare name with spaces is quoted; a list is taken as written.
  const first = f.includes(",") || /^["']/.test(f) ? f : /\s/.test(f) ? `"${f.replace(/"/g, "")}"` : f;
  return `${first}, ${TERMINAL_FONT}`;
}

/** Applies the appearance settings to a terminal (refitting when the cell size may change). */
export function applyAppearance(c: TerminalController, s: Settings): void {
  const o = c.term.options;
  const font = fontStack(s.font_family);
  const contrast = isLight(s.theme) ? LIGHT_MIN_CONTRAST : 1;
  if (o.cursorStyle !== s.cursor_style) o.cursorStyle = s.cursor_style;
  if (o.scrollback !== s.scrollback) o.scrollback = s.scrollback;
  if (o.minimumContrastRatio !== contrast) o.minimumContrastRatio = contrast;
  if (o.fontFamily !== font) {
    o.fontFamily = font;
    c.fit();
  }
}

/** Search match colours (the addon needs #RRGGBB). */
export function searchColours(theme: Theme) {
  return isLight(theme)
    ? {
        matchBackground: "#fff2a8",
        matchOverviewRuler: "#d4b106",
        activeMatchBackground: "#ffb340",
        activeMatchColorOverviewRuler: "#ff8c00",
      }
    : {
        matchBackground: "#4b4020",
        matchOverviewRuler: "#d4b106",
        activeMatchBackground: "#8a5a00",
        activeMatchColorOverviewRuler: "#ff8c00",
      };
}

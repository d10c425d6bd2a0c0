// Terminal colour schemes for the dark and light app themes, plus the search highlight colours.
import type { ITheme } from "@xterm/xterm";
import type { Theme } from "../state/settings";

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
  white: "#d8dadf",
  brightBlack: "#6b7280",
  brightRed: "#d9534f",
  brightGreen: "#4f9a30",
  brightYellow: "#b58105",
  brightBlue: "#3d82d1",
  brightMagenta: "#a45bc2",
  brightCyan: "#23939f",
  brightWhite: "#ffffff",
};

/** The terminal palette for an app theme. */
export function terminalTheme(theme: Theme): ITheme {
  return theme === "light" ? LIGHT : DARK;
}

/** Search match colours (the addon needs #RRGGBB). */
export function searchColours(theme: Theme) {
  return theme === "light"
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

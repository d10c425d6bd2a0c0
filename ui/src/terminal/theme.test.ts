// Tests for the colour schemes (light ones keep white text readable) and the font stack.
import { describe, expect, it } from "vitest";
import { SCHEMES } from "../state/settings";
import { fontStack, LIGHT_MIN_CONTRAST, SCHEME_NAMES, TERMINAL_FONT, terminalTheme } from "./theme";

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (c[0] ?? 0) + 0.7152 * (c[1] ?? 0) + 0.0722 * (c[2] ?? 0);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe("schemes", () => {
  it("every scheme has a name and a full palette", () => {
    for (const s of SCHEMES) {
      expect(SCHEME_NAMES[s]).toBeTruthy();
      const t = terminalTheme(s);
      for (const k of ["background", "foreground", "white", "brightWhite", "black", "brightBlack"] as const) expect(t[k], `${s}.${k}`).toMatch(/^#[0-9a-f]{6}$/i);
    }
  });
  it("text, white and bright white stay readable on every background", () => {
    for (const s of SCHEMES) {
      const t = terminalTheme(s);
      for (const k of ["foreground", "white", "brightWhite"] as const) {
        expect(contrast(t[k] as string, t.background as string), `${s}.${k}`).toBeGreaterThanOrEqual(3);
      }
    }
    expect(LIGHT_MIN_CONTRAST).toBeGreaterThanOrEqual(4.5);
  });
});

describe("fontStack", () => {
  it("puts the chosen family first and keeps the built-in stack as fallback", () => {
    expect(fontStack("")).toBe(TERMINAL_FONT);
    expect(fontStack("Fira Code")).toBe(`"Fira Code", ${TERMINAL_FONT}`);
    expect(fontStack("monospace")).toBe(`monospace, ${TERMINAL_FONT}`);
    expect(fontStack('"A", B')).toBe(`"A", B, ${TERMINAL_FONT}`);
    expect(fontStack('Evil" Font')).toBe(`"Evil Font", ${TERMINAL_FONT}`);
  });
});

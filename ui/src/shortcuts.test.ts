// Tests for the shortcut matcher.
import { describe, expect, it } from "vitest";
import { matchShortcut, SHORTCUTS, shortcutLabel } from "./shortcuts";

const k = (key: string, mods: { shift?: boolean; alt?: boolean; meta?: boolean; ctrl?: boolean } = {}, code?: string) => ({
  key,
  code,
  ctrlKey: mods.ctrl ?? true,
  shiftKey: mods.shift ?? false,
  altKey: mods.alt ?? false,
  metaKey: mods.meta ?? false,
});

describe("matchShortcut", () => {
  it("maps the documented keys", () => {
    expect(matchShortcut(k("C", { shift: true }))).toBe("copy");
    expect(matchShortcut(k("V", { shift: true }))).toBe("paste");
    expect(matchShortcut(k("F", { shift: true }))).toBe("find");
    expect(matchShortcut(k("="))).toBe("font_bigger");
    expect(matchShortcut(k("+", { shift: true }))).toBe("font_bigger");
    expect(matchShortcut(k("-"))).toBe("font_smaller");
    expect(matchShortcut(k("0"))).toBe("font_reset");
    expect(matchShortcut(k("à", {}, "Digit0"))).toBe("font_reset");
    expect(matchShortcut(k("PageDown"))).toBe("next_tab");
  });
  it("leaves plain Ctrl+letters to the terminal", () => {
    expect(matchShortcut(k("c"))).toBeNull();
    expect(matchShortcut(k("v"))).toBeNull();
    expect(matchShortcut(k("f"))).toBeNull();
    expect(matchShortcut(k("w"))).toBeNull();
  });
  it("needs Ctrl and refuses Alt or Meta", () => {
    expect(matchShortcut(k("C", { shift: true, ctrl: false }))).toBeNull();
    expect(matchShortcut(k("C", { shift: true, alt: true }))).toBeNull();
    expect(matchShortcut(k("C", { shift: true, meta: true }))).toBeNull();
  });
  it("binds every action once and labels it", () => {
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
    expect(shortcutLabel("find")).toBe("Ctrl+Shift+F");
  });
});

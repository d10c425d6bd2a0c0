// Tests for chords, the shortcut matcher, rebinding and conflict detection.
import { afterEach, describe, expect, it } from "vitest";
import { chordOf, chordProblem, conflicts, DEFAULT_KEYS, effectiveKeys, matchShortcut, setKeymap, shortcutLabel } from "./shortcuts";

const k = (key: string, mods: { shift?: boolean; alt?: boolean; meta?: boolean; ctrl?: boolean } = {}, code?: string) => ({
  key,
  code,
  ctrlKey: mods.ctrl ?? true,
  shiftKey: mods.shift ?? false,
  altKey: mods.alt ?? false,
  metaKey: mods.meta ?? false,
});

afterEach(() => setKeymap(DEFAULT_KEYS));

describe("chordOf", () => {
  it("names modifiers in a fixed order and the key", () => {
    expect(chordOf(k("T", { shift: true }))).toBe("Ctrl+Shift+T");
    expect(chordOf(k("t", { shift: true, alt: true }))).toBe("Ctrl+Alt+Shift+T");
    expect(chordOf(k("ArrowLeft", { ctrl: false, alt: true }))).toBe("Alt+ArrowLeft");
    expect(chordOf(k("Tab", { shift: true }))).toBe("Ctrl+Shift+Tab");
    expect(chordOf(k(" "))).toBe("Ctrl+Space");
  });
  it("reads digits and letters by position where the layout gives other characters", () => {
    expect(chordOf(k("à", {}, "Digit0"))).toBe("Ctrl+0");
    expect(chordOf(k("&", {}, "Digit1"))).toBe("Ctrl+1");
    expect(chordOf(k("с", { shift: true }, "KeyC"))).toBe("Ctrl+Shift+C");
    expect(chordOf(k("+", {}, "NumpadAdd"))).toBe("Ctrl+NumpadAdd");
  });
  it("gives nothing for a lone modifier", () => {
    expect(chordOf(k("Control"))).toBeNull();
    expect(chordOf(k("Shift", { shift: true }))).toBeNull();
  });
});

describe("matchShortcut", () => {
  it("maps the documented keys", () => {
    expect(matchShortcut(k("C", { shift: true }))).toBe("copy");
    expect(matchShortcut(k("V", { shift: true }))).toBe("paste");
    expect(matchShortcut(k("F", { shift: true }))).toBe("find");
    expect(matchShortcut(k("=", {}, "Equal"))).toBe("font_bigger");
    expect(matchShortcut(k("+", { shift: true }, "Equal"))).toBe("font_bigger");
    expect(matchShortcut(k("-"))).toBe("font_smaller");
    expect(matchShortcut(k("0", {}, "Digit0"))).toBe("font_reset");
    expect(matchShortcut(k("Tab"))).toBe("next_tab");
    expect(matchShortcut(k("Tab", { shift: true }))).toBe("prev_tab");
    expect(matchShortcut(k("PageDown"))).toBe("next_tab");
    expect(matchShortcut(k("3", {}, "Digit3"))).toBe("tab_3");
    expect(matchShortcut(k("P", { shift: true }))).toBe("palette");
    expect(matchShortcut(k("ArrowUp", { ctrl: false, alt: true }))).toBe("focus_up");
  });
  it("leaves plain Ctrl+letters and typing to the terminal", () => {
    for (const key of ["c", "v", "f", "w", "t"]) expect(matchShortcut(k(key))).toBeNull();
    expect(matchShortcut(k("a", { ctrl: false }))).toBeNull();
    expect(matchShortcut(k("C", { shift: true, meta: true }))).toBeNull();
  });
  it("follows rebindings and labels the first chord", () => {
    expect(shortcutLabel("find")).toBe("Ctrl+Shift+F");
    setKeymap(effectiveKeys({ find: ["Alt+F"], palette: [] }));
    expect(matchShortcut(k("F", { shift: true }))).toBeNull();
    expect(matchShortcut(k("f", { ctrl: false, alt: true }))).toBe("find");
    expect(matchShortcut(k("P", { shift: true }))).toBeNull();
    expect(shortcutLabel("find")).toBe("Alt+F");
    expect(shortcutLabel("palette")).toBe("");
  });
});

describe("rebinding", () => {
  it("the defaults have no conflicts and every chord is allowed", () => {
    expect(conflicts(DEFAULT_KEYS)).toEqual([]);
    for (const chords of Object.values(DEFAULT_KEYS)) for (const c of chords) expect(chordProblem(c), c).toBeNull();
  });
  it("finds chords bound twice", () => {
    const keys = effectiveKeys({ find: ["Ctrl+Shift+T"] });
    expect(conflicts(keys)).toEqual([{ chord: "Ctrl+Shift+T", actions: ["find", "new_shell"] }]);
  });
  it("refuses chords the terminal needs and drops unknown actions", () => {
    expect(chordProblem("Ctrl+C")).not.toBeNull();
    expect(chordProblem("A")).not.toBeNull();
    expect(chordProblem("Hyper+A")).not.toBeNull();
    expect(chordProblem("F5")).toBeNull();
    expect(chordProblem("Ctrl++")).toBeNull();
    const keys = effectiveKeys({ find: ["Ctrl+C", "Alt+F"], nonsense: ["Alt+N"] });
    expect(keys.find).toEqual(["Alt+F"]);
    expect("nonsense" in keys).toBe(false);
  });
});

// Tests for settings validation and font steps.
import { describe, expect, it } from "vitest";
import { clampFont, clampScrollback, closesOnExit, DEFAULT_SETTINGS, FONT_DEFAULT, FONT_MAX, FONT_MIN, isLight, readSettings, SCROLLBACK_MAX, stepFont } from "./settings";

describe("settings", () => {
  it("defaults when nothing or junk is stored", () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings("x")).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ theme: "pink", font_size: "big", copy_on_select: 1 })).toEqual(DEFAULT_SETTINGS);
  });
  it("keeps valid fields and clamps the font", () => {
    expect(readSettings({ theme: "light", font_size: 99, copy_on_select: true, monitor_open: false })).toEqual({
      ...DEFAULT_SETTINGS,
      theme: "light",
      font_size: FONT_MAX,
      copy_on_select: true,
      monitor_open: false,
    });
  });
  it("reads the appearance, exit and panel settings within limits", () => {
    const s = readSettings({
      theme: "solarized-light",
      font_family: "  Fira Code, monospace ",
      cursor_style: "bar",
      scrollback: 10_000_000,
      close_on_exit: "never",
      sidebar_open: false,
    });
    expect(s).toMatchObject({ theme: "solarized-light", font_family: "Fira Code, monospace", cursor_style: "bar", scrollback: SCROLLBACK_MAX, close_on_exit: "never", sidebar_open: false });
    expect(readSettings({ cursor_style: "blink", scrollback: -5, close_on_exit: 0 })).toMatchObject({ cursor_style: "block", scrollback: 100, close_on_exit: "clean" });
    expect(readSettings({ font_family: "x".repeat(999) }).font_family.length).toBe(200);
    expect(clampScrollback(Number.NaN)).toBe(10_000);
    expect(isLight("solarized-light") && isLight("light") && !isLight("dark")).toBe(true);
  });
  it("keeps rebound shortcuts as strings, bounded", () => {
    const s = readSettings({ keybindings: { find: ["Alt+F", 5, "x".repeat(99)], palette: "Ctrl+K", "": ["Alt+A"] } });
    expect(s.keybindings).toEqual({ find: ["Alt+F"] });
    expect(readSettings({ keybindings: [1] }).keybindings).toEqual({});
  });
  it("confirms multi-line pastes unless turned off", () => {
    expect(DEFAULT_SETTINGS.confirm_multiline_paste).toBe(true);
    expect(readSettings({}).confirm_multiline_paste).toBe(true);
    expect(readSettings({ confirm_multiline_paste: "no" }).confirm_multiline_paste).toBe(true);
    expect(readSettings({ confirm_multiline_paste: false }).confirm_multiline_paste).toBe(false);
  });
  it("lets ssh_config run Match exec commands only when turned on", () => {
    expect(DEFAULT_SETTINGS.ssh_match_exec).toBe(false);
    expect(readSettings({}).ssh_match_exec).toBe(false);
    expect(readSettings({ ssh_match_exec: "true" }).ssh_match_exec).toBe(false);
    expect(readSettings({ ssh_match_exec: 1 }).ssh_match_exec).toBe(false);
    expect(readSettings({ ssh_match_exec: true }).ssh_match_exec).toBe(true);
  });
  it("steps the font within limits", () => {
    expect(stepFont(14, 1)).toBe(15);
    expect(stepFont(FONT_MIN, -1)).toBe(FONT_MIN);
    expect(stepFont(FONT_MAX, 1)).toBe(FONT_MAX);
    expect(stepFont(20, 0)).toBe(FONT_DEFAULT);
    expect(clampFont(Number.NaN)).toBe(FONT_DEFAULT);
    expect(clampFont(12.6)).toBe(13);
  });
  it("closes on a clean exit by default, never on a failed one unless asked", () => {
    expect(DEFAULT_SETTINGS.close_on_exit).toBe("clean");
    expect(closesOnExit("clean", 0, null)).toBe(true);
    expect(closesOnExit("clean", 1, null)).toBe(false);
    expect(closesOnExit("clean", null, "KILL")).toBe(false);
    expect(closesOnExit("clean", undefined, undefined)).toBe(false);
    expect(closesOnExit("always", 2, null)).toBe(true);
    expect(closesOnExit("never", 0, null)).toBe(false);
  });
});

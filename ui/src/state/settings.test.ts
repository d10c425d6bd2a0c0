// Tests for settings validation and font steps.
import { describe, expect, it } from "vitest";
import { clampFont, DEFAULT_SETTINGS, FONT_DEFAULT, FONT_MAX, FONT_MIN, readSettings, stepFont } from "./settings";

describe("settings", () => {
  it("defaults when nothing or junk is stored", () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings("x")).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ theme: "pink", font_size: "big", copy_on_select: 1 })).toEqual(DEFAULT_SETTINGS);
  });
  it("keeps valid fields and clamps the font", () => {
    expect(readSettings({ theme: "light", font_size: 99, copy_on_select: true, monitor_open: false })).toEqual({
      theme: "light",
      font_size: FONT_MAX,
      copy_on_select: true,
      confirm_multiline_paste: true,
      monitor_open: false,
    });
  });
  it("confirms multi-line pastes unless turned off", () => {
    expect(DEFAULT_SETTINGS.confirm_multiline_paste).toBe(true);
    expect(readSettings({}).confirm_multiline_paste).toBe(true);
    expect(readSettings({ confirm_multiline_paste: "no" }).confirm_multiline_paste).toBe(true);
    expect(readSettings({ confirm_multiline_paste: false }).confirm_multiline_paste).toBe(false);
  });
  it("steps the font within limits", () => {
    expect(stepFont(14, 1)).toBe(15);
    expect(stepFont(FONT_MIN, -1)).toBe(FONT_MIN);
    expect(stepFont(FONT_MAX, 1)).toBe(FONT_MAX);
    expect(stepFont(20, 0)).toBe(FONT_DEFAULT);
    expect(clampFont(Number.NaN)).toBe(FONT_DEFAULT);
    expect(clampFont(12.6)).toBe(13);
  });
});

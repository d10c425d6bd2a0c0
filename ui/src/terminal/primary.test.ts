import { beforeEach, describe, expect, it } from "vitest";
import { middleClickText, primaryText, selected } from "./primary";

describe("primary selection", () => {
  beforeEach(() => selected("own"));

  it("keeps the last non-empty terminal selection", () => {
    selected("first");
    selected("");
    expect(primaryText()).toBe("first");
  });

  it("pastes the desktop's PRIMARY when it holds text", async () => {
    expect(await middleClickText(async () => "from another app")).toBe("from another app");
  });

  it("falls back to the window's own selection when PRIMARY is empty, absent or unreadable", async () => {
    expect(await middleClickText(async () => null)).toBe("own");
    expect(await middleClickText(async () => "")).toBe("own");
    expect(
      await middleClickText(async () => {
        throw new Error("no answer");
      }),
    ).toBe("own");
  });
});

import { describe, expect, it } from "vitest";
import { durationText, sizeText } from "./format";

describe("recording labels", () => {
  it("writes sizes", () => {
    expect(sizeText(512)).toBe("512 B");
    expect(sizeText(1536)).toBe("1.5 KiB");
    expect(sizeText(64 * 1024 * 1024)).toBe("64.0 MiB");
  });

  it("writes durations", () => {
    expect(durationText(null)).toBe("–");
    expect(durationText(65_400)).toBe("1:05");
    expect(durationText(3_600_250)).toBe("1:00:00");
  });
});

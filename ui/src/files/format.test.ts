import { describe, expect, it } from "vitest";
import { entrySize, etaText, modeText, mtimeText, rateText } from "./format";

describe("file panel formats", () => {
  it("writes modes as ls does", () => {
    expect(modeText("dir", 0o755)).toBe("drwxr-xr-x");
    expect(modeText("file", 0o640)).toBe("-rw-r-----");
    expect(modeText("file", 0o4755)).toBe("-rwsr-xr-x");
    expect(modeText("dir", 0o1777)).toBe("drwxrwxrwt");
    expect(modeText("file", 0o2644)).toBe("-rw-r-Sr--");
    expect(modeText("symlink", 0o777)).toBe("lrwxrwxrwx");
  });
  it("writes local times", () => {
    const t = new Date(2026, 11, 5, 1, 2).getTime() / 1000;
    expect(mtimeText(t)).toBe("2026-12-05 01:02");
  });
  it("leaves directories' sizes out", () => {
    expect(entrySize({ name: "d", kind: "dir", size: 4096, mode: 0o755, mtime: 0 })).toBe("");
    expect(entrySize({ name: "f", kind: "file", size: 2048, mode: 0o644, mtime: 0 })).toBe("2.0 KiB");
  });
  it("writes rates and time left", () => {
    expect(rateText(3 * 1024 * 1024)).toBe("3.0 MiB/s");
    expect(rateText(null)).toBe("");
    expect(etaText(65)).toBe("1:05");
    expect(etaText(3725)).toBe("1:02:05");
    expect(etaText(Infinity)).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import { safeLocale } from "./locale";

describe("safeLocale", () => {
  it("keeps valid tags", () => {
    expect(safeLocale("de-DE")).toBe("de-DE");
    expect(safeLocale("en")).toBe("en");
  });
  it("replaces the POSIX locale and empty values", () => {
    expect(safeLocale("C")).toBe("en-US");
    expect(safeLocale("")).toBe("en-US");
    expect(safeLocale(undefined)).toBe("en-US");
    expect(() => new Intl.NumberFormat(safeLocale("C"))).not.toThrow();
  });
});

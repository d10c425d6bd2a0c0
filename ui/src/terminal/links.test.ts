// Tests of when a link click opens and what is asked first.
import { describe, expect, it } from "vitest";
import { linkQuestion, opensLink } from "./links";

describe("opensLink", () => {
  it("needs Ctrl (Cmd on macOS); a plain click never opens", () => {
    expect(opensLink({ ctrlKey: false, metaKey: false }, false)).toBe(false);
    expect(opensLink({ ctrlKey: true, metaKey: false }, false)).toBe(true);
    expect(opensLink({ ctrlKey: false, metaKey: true }, false)).toBe(false);
    expect(opensLink({ ctrlKey: false, metaKey: true }, true)).toBe(true);
    expect(opensLink({ ctrlKey: true, metaKey: false }, true)).toBe(false);
  });
});

describe("linkQuestion", () => {
  it("opens a URL found in the text at once", () => {
    expect(linkQuestion("https://example.com/a", "https://example.com/a", "text")).toBeNull();
  });

  it("always asks for an OSC 8 link, showing the address", () => {
    const q = linkQuestion("https://example.com/a", "https://example.com/a", "osc8");
    expect(q?.body).toContain("https://example.com/a");
    expect(q?.body).not.toContain("reads");
  });

  it("shows both when the text differs from the address", () => {
    const q = linkQuestion("https://evil.example/x", "https://bank.example", "osc8");
    expect(q?.body).toContain("“https://bank.example”");
    expect(q?.body).toContain("https://evil.example/x");
    expect(linkQuestion("https://a.example", "a.example", "text")).not.toBeNull();
  });

  it("quotes the text without control characters and bounded", () => {
    const q = linkQuestion("https://x.example", `click\x1b[31m here${"!".repeat(500)}`, "osc8");
    expect(q?.body).not.toContain("\x1b");
    expect(q?.body).toContain("…");
    expect(q !== null && q.body.length < 600).toBe(true);
  });
});

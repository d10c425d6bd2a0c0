// Tests of which view of a session answers the terminal's questions.
import { describe, expect, it } from "vitest";
import { Responders } from "./responder";

describe("Responders", () => {
  it("lets one view per session answer: the first to ask, then the last focused", () => {
    const r = new Responders<string>();
    expect(r.answers("local/a", "one")).toBe(true);
    expect(r.answers("local/a", "two")).toBe(false);
    expect(r.answers("local/b", "two")).toBe(true);
    r.focus("local/a", "two");
    expect(r.answers("local/a", "one")).toBe(false);
    expect(r.answers("local/a", "two")).toBe(true);
  });

  it("hands over when the answering view leaves", () => {
    const r = new Responders<string>();
    r.focus("local/a", "one");
    r.leave("local/a", "two");
    expect(r.answers("local/a", "two")).toBe(false);
    r.leave("local/a", "one");
    expect(r.answers("local/a", "two")).toBe(true);
  });
});

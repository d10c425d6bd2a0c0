// Tests for countdown, exit and marker texts.
import { describe, expect, it } from "vitest";
import { countdownText, exitMarker, exitText, gapMarker, secondsLeft, statusLabel } from "./status";

describe("countdown", () => {
  it("rounds up and stops at zero", () => {
    expect(secondsLeft(10_000, 8_001)).toBe(2);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 12_000)).toBe(0);
  });
  it("reads naturally", () => {
    expect(countdownText(5_000, 1_000, 2)).toBe("Reconnecting in 4 s (attempt 2)");
    expect(countdownText(5_000, 6_000, 3)).toBe("Reconnecting now (attempt 3)");
    expect(countdownText(1_500, 1_000)).toBe("Reconnecting in 1 s");
  });
});

describe("exit and gap text", () => {
  it("names the code or signal", () => {
    expect(exitText(0, null)).toBe("exited with code 0");
    expect(exitText(null, "KILL")).toBe("killed by signal KILL");
    expect(exitText(null, null)).toBe("ended");
    expect(exitMarker(1, null)).toContain("exited with code 1");
  });
  it("marks gaps with the byte count on its own dim line", () => {
    const m = gapMarker(100, 1_100);
    expect(m).toContain("1,000 bytes");
    expect(m.startsWith("\r\n\x1b[2m")).toBe(true);
    expect(m.endsWith("\x1b[0m\r\n")).toBe(true);
    expect(gapMarker(5, 6)).toContain("1 byte ");
  });
  it("labels every state", () => {
    expect(statusLabel({ state: "connected" }, 0)).toBe("Connected");
    expect(statusLabel({ state: "reconnecting", retry_at: 3_000, attempt: 1 }, 0)).toBe(
      "Reconnecting in 3 s (attempt 1)",
    );
    expect(statusLabel({ state: "error", error: { code: "x", message: "gone", details: null } }, 0)).toBe("gone");
    expect(statusLabel({ state: "exited", exit_code: 2 }, 0)).toBe("Session exited with code 2");
  });
});

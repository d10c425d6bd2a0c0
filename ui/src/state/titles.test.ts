// Tests for title choice and session row texts.
import { describe, expect, it } from "vitest";
import type { SessionInfo } from "../api/types";
import { ageText, cwdText, MAX_LABEL, paneTitle, runningText, stateText, tabLabel } from "./titles";

const info = (over: Partial<SessionInfo> & Record<string, unknown> = {}): SessionInfo => ({
  session_id: "abc",
  kind: "shell",
  title: "bash",
  state: "running",
  pid: 1,
  created_at: "2026-01-01T00:00:00Z",
  cols: 80,
  rows: 24,
  output_start: 0,
  output_end: 0,
  attached_clients: 0,
  scrollback_bytes: 0,
  ...over,
});

describe("titles", () => {
  it("prefers the terminal's title, then the agent's, then the session's", () => {
    expect(paneTitle("vim notes.txt", "agent", "bash")).toBe("vim notes.txt");
    expect(paneTitle(null, "user@db: ~", "bash")).toBe("user@db: ~");
    expect(paneTitle("  ", undefined, "bash")).toBe("bash");
    expect(paneTitle("", "", "")).toBe("session");
  });
  it("strips control characters and bounds the length", () => {
    expect(paneTitle("a\u001b[31mb\u0007", null, "x")).toBe("a [31mb");
    const long = paneTitle("x".repeat(500), null, "s");
    expect(long.length).toBe(MAX_LABEL);
    expect(long.endsWith("…")).toBe(true);
  });
  it("a tab's own name wins over its pane's title", () => {
    expect(tabLabel("prod", "bash")).toBe("prod");
    expect(tabLabel(null, "bash")).toBe("bash");
    expect(tabLabel(" ", "bash")).toBe("bash");
  });
});

describe("session rows", () => {
  it("tells the age in the largest whole unit", () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    expect(ageText("2026-01-01T00:00:00Z", t0 + 30_000)).toBe("just now");
    expect(ageText("2026-01-01T00:00:00Z", t0 + 5 * 60_000)).toBe("5 min");
    expect(ageText("2026-01-01T00:00:00Z", t0 + 3 * 3_600_000 + 5)).toBe("3 h");
    expect(ageText("2026-01-01T00:00:00Z", t0 + 50 * 3_600_000)).toBe("2 d");
    expect(ageText("soon", t0)).toBe("");
  });
  it("names what runs: the foreground command when the agent knows it", () => {
    expect(runningText(info())).toBe("shell");
    expect(runningText(info({ kind: "ssh", target: "db" }))).toBe("ssh db");
    expect(runningText(info({ foreground: "top -d 1" }))).toBe("top -d 1");
  });
  it("describes the state without claiming attachments that are gone", () => {
    expect(stateText(info())).toBe("running");
    expect(stateText(info({ attached_clients: 2 }))).toBe("running · 2 attached");
    expect(stateText(info({ state: "exited", exit_code: 0 }))).toBe("exited (0)");
    expect(stateText(info({ state: "exited", exit_signal: "KILL" }))).toBe("killed (KILL)");
    expect(stateText(info({ kind: "ssh", link: "down" } as Partial<SessionInfo>))).toBe("link down");
  });
  it("shortens the working directory under home", () => {
    expect(cwdText("/home/ann/src", "/home/ann")).toBe("~/src");
    expect(cwdText("/home/annex", "/home/ann")).toBe("/home/annex");
    expect(cwdText(null)).toBe("");
  });
});

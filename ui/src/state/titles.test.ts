// Tests for title choice and session row texts.
import { describe, expect, it } from "vitest";
import type { SessionInfo } from "../api/types";
import { ageText, cwdText, dirText, distinctLabels, homeOf, MAX_DIR, MAX_LABEL, paneTitle, runningText, stateText, tabLabel } from "./titles";

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

describe("labels without a title", () => {
  const home = "/home/ana";
  it("read the program and the directory, the home as ~", () => {
    expect(paneTitle(null, null, "bash", { cwd: "/home/ana/src/outpost", home })).toBe("bash — ~/src/outpost");
    expect(paneTitle(null, null, "bash", { cwd: home, home })).toBe("bash — ~");
    expect(paneTitle(null, null, "bash", { cwd: "/home/anabel/x", home })).toBe("bash — /home/anabel/x");
    expect(paneTitle(null, null, "bash", { cwd: "/etc", home })).toBe("bash — /etc");
    expect(paneTitle(null, null, "bash", { cwd: "/srv" })).toBe("bash — /srv");
  });
  it("name the foreground program when it is not the shell", () => {
    expect(paneTitle(null, null, "bash", { foreground: "vim", cwd: "/home/ana/notes", home })).toBe("vim — ~/notes");
    expect(paneTitle(null, null, "bash", { foreground: "top" })).toBe("top");
  });
  it("stay the session's title when nothing is known", () => {
    expect(paneTitle(null, null, "bash", {})).toBe("bash");
    expect(paneTitle(null, null, "bash", { cwd: "", foreground: " " })).toBe("bash");
  });
  it("give way to a title the program set", () => {
    expect(paneTitle("ana@db: ~", null, "bash", { cwd: "/tmp", foreground: "vim" })).toBe("ana@db: ~");
    expect(paneTitle(null, "agent title", "bash", { cwd: "/tmp" })).toBe("agent title");
  });
  it("carry no control characters from a hostile directory", () => {
    expect(paneTitle(null, null, "bash", { cwd: "/tmp/\u001b]0;x\u0007evil" })).toBe("bash — /tmp/ ]0;x evil");
  });
  it("keep the end of a long directory, where paths differ", () => {
    const deep = "/var/lib/some/very/deep/directory/tree/with/many/levels/alpha";
    const d = dirText(deep);
    expect(d.length).toBeLessThanOrEqual(MAX_DIR);
    expect(d.startsWith("…/")).toBe(true);
    expect(d.endsWith("/many/levels/alpha")).toBe(true);
    expect(dirText(deep.replace("alpha", "beta"))).not.toBe(d);
    const one = `/${"x".repeat(100)}end`;
    expect(dirText(one).length).toBe(MAX_DIR);
    expect(dirText(one).endsWith("end")).toBe(true);
  });
  it("know the home of the host's user", () => {
    expect(homeOf("local", null, "/home/me")).toBe("/home/me");
    expect(homeOf("local", "root", null)).toBeUndefined();
    expect(homeOf("db", "root", "/home/me")).toBe("/root");
    expect(homeOf("db", "deploy", "/home/me")).toBe("/home/deploy");
    expect(homeOf("db", null, "/home/me")).toBeUndefined();
  });
  it("number repeated labels so tabs stay distinct", () => {
    expect(distinctLabels(["bash", "vim", "bash", "bash"])).toEqual(["bash", "vim", "bash (2)", "bash (3)"]);
    expect(distinctLabels([])).toEqual([]);
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

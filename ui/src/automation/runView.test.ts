// Tests of "Run in selected sessions" as data: one choice per session, the preselection from
// tabs, the request checks, the timeout field, and outcomes as rows (exit codes, errors such as
// a busy shell kept as their code) with a summary.
import { describe, expect, it } from "vitest";
import type { SessionOutcome } from "../api/types";
import { type Layout, type PaneRef, singleTab } from "../state/layout";
import { durationText, keysOfTabs, requestProblem, resultRows, sessionChoices, summary, timeoutMs } from "./runView";

const pane = (pane_id: string, host: string, session_id: string): PaneRef => ({ pane_id, host, session_id, title: `T-${session_id}`, kind: "shell" });
const LAYOUT: Layout = {
  tabs: [singleTab("t1", pane("p1", "local", "s1")), singleTab("t2", pane("p2", "db", "s2")), singleTab("t3", pane("p3", "local", "s1"))],
  active: "t1",
};

const exec = (exit_code: number | undefined, output: string, duration_ms: number) => ({
  exec_id: "s.1",
  exit_code,
  output,
  output_from: 0,
  output_to: output.length,
  duration_ms,
});

describe("run in selected sessions", () => {
  it("offers each session once and preselects the sessions of the given tabs", () => {
    const c = sessionChoices(LAYOUT, (p) => p.title);
    expect(c.map((x) => x.key)).toEqual(["local/s1", "db/s2"]);
    expect(c[0]?.title).toBe("T-s1");
    expect(keysOfTabs(LAYOUT, ["t3", "t1"])).toEqual(["local/s1"]);
    expect(keysOfTabs(LAYOUT, ["t2"])).toEqual(["db/s2"]);
  });

  it("checks the request before sending it", () => {
    expect(requestProblem("  ", 1, 100, 5)).toMatch(/command/);
    expect(requestProblem("é".repeat(60), 1, 100, 5)).toMatch(/100 bytes/);
    expect(requestProblem("ls", 0, 100, 5)).toMatch(/at least one/);
    expect(requestProblem("ls", 6, 100, 5)).toMatch(/at most 5/);
    expect(requestProblem("ls", 2, 100, 5)).toBeNull();
    expect(timeoutMs("", 10_000)).toBeNull();
    expect(timeoutMs("2.5", 10_000)).toBe(2500);
    expect(timeoutMs("11", 10_000)).toBe("invalid");
    expect(timeoutMs("-1", 10_000)).toBe("invalid");
    expect(timeoutMs("0", 10_000)).toBe("invalid");
  });

  it("turns outcomes into rows: exit codes, still running, and errors as data", () => {
    const outcomes = [
      { host: "local", session_id: "s1", ok: true, data: exec(3, "hi\n", 12), error: null },
      { host: "db", session_id: "s2", ok: true, data: exec(0, "", 1500), error: null },
      { host: "db", session_id: "s9", ok: false, data: null, error: { code: "session_busy", message: "the shell is not at its prompt", details: null } },
      { host: "local", session_id: "s4", ok: true, data: { ...exec(undefined, "partial", 5000), timed_out: true }, error: null },
    ] as unknown as SessionOutcome[];
    const rows = resultRows(outcomes, new Map([["local/s1", "build"]]));
    expect(rows.map((r) => [r.key, r.title, r.state, r.exit_code])).toEqual([
      ["local/s1", "build", "failed", 3],
      ["db/s2", "s2", "ok", 0],
      ["db/s9", "s9", "error", null],
      ["local/s4", "s4", "running", null],
    ]);
    expect(rows[0]?.output).toBe("hi\n");
    expect(rows[2]?.error?.code).toBe("session_busy");
    expect(rows[3]?.timed_out).toBe(true);
    expect(summary(rows)).toBe("1 succeeded · 1 failed · 1 still running · 1 not run");
    expect(durationText(850)).toBe("850 ms");
    expect(durationText(2400)).toBe("2.4 s");
    expect(durationText(185_000)).toBe("3 min 5 s");
    expect(durationText(null)).toBe("—");
  });
});

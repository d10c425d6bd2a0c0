// "Run in selected sessions", as pure functions: the sessions the window shows (one choice per
// session, however many panes show it), which are preselected, the request's checks, and each
// session's outcome as a row of the results view (host, title, exit code or error code,
// duration, output) with a summary line. Errors are data: a row carries the error's code and
// message, never prose made from them.
import type { ErrorReport, ExecResult, SessionOutcome } from "../api/types";
import { type Layout, type PaneRef, tabPanes } from "../state/layout";

/** A session that can be chosen. */
export interface SessionChoice {
  /** `host/session_id`. */
  key: string;
  host: string;
  session_id: string;
  title: string;
  /** The first tab showing it. */
  tab_id: string;
}

/** Every session shown in a tab, once each, in strip order; `titleOf` names a pane. */
export function sessionChoices(layout: Layout, titleOf: (p: PaneRef) => string): SessionChoice[] {
  const seen = new Set<string>();
  const out: SessionChoice[] = [];
  for (const t of layout.tabs) {
    for (const p of tabPanes(t)) {
      const key = `${p.host}/${p.session_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ key, host: p.host, session_id: p.session_id, title: titleOf(p), tab_id: t.tab_id });
    }
  }
  return out;
}

/** The keys of the sessions shown in tabs `tab_ids`. */
export function keysOfTabs(layout: Layout, tab_ids: readonly string[]): string[] {
  const want = new Set(tab_ids);
  const keys: string[] = [];
  for (const t of layout.tabs) {
    if (!want.has(t.tab_id)) continue;
    for (const p of tabPanes(t)) {
      const key = `${p.host}/${p.session_id}`;
      if (!keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

/** Why the request cannot be sent (shown under the form), or null. */
export function requestProblem(command: string, chosen: number, maxBytes: number, maxSessions: number): string | null {
  if (command.trim().length === 0) return "Enter a command.";
  if (new TextEncoder().encode(command).length > maxBytes) return `The command is longer than ${maxBytes} bytes.`;
  if (chosen === 0) return "Choose at least one session.";
  if (chosen > maxSessions) return `Choose at most ${maxSessions} sessions.`;
  return null;
}

/** Parses the timeout field (seconds; blank: the agent's default) into milliseconds. */
export function timeoutMs(text: string, maxMs: number): number | null | "invalid" {
  const t = text.trim();
  if (t.length === 0) return null;
  if (!/^\d+(\.\d+)?$/.test(t)) return "invalid";
  const ms = Math.round(Number(t) * 1000);
  return ms >= 1 && ms <= maxMs ? ms : "invalid";
}

/** How a row reads: finished with a code, still running at the timeout, or failed to run. */
export type RowState = "ok" | "failed" | "running" | "error";

/** One session's outcome, as the results view shows it. */
export interface ResultRow {
  key: string;
  host: string;
  session_id: string;
  title: string;
  state: RowState;
  /** The exit code (null: none, still running or not run). */
  exit_code: number | null;
  duration_ms: number | null;
  output: string;
  truncated: boolean;
  timed_out: boolean;
  /** Why it did not run (busy, gone, unreachable), as data. */
  error: ErrorReport | null;
}

function stateOf(result: ExecResult | null, error: ErrorReport | null): RowState {
  if (error !== null || result === null) return "error";
  if (result.exit_code === undefined || result.exit_code === null) return "running";
  return result.exit_code === 0 ? "ok" : "failed";
}

/** The rows of `outcomes`, titled by `titles` (`host/session_id` → title; else the id). */
export function resultRows(outcomes: readonly SessionOutcome[], titles: ReadonlyMap<string, string>): ResultRow[] {
  return outcomes.map((o) => {
    const key = `${o.host}/${o.session_id}`;
    const r = o.ok ? (o.data ?? null) : null;
    const error = o.error ?? null;
    return {
      key,
      host: o.host,
      session_id: o.session_id,
      title: titles.get(key) ?? o.session_id,
      state: stateOf(r, error),
      exit_code: r?.exit_code ?? null,
      duration_ms: r?.duration_ms ?? null,
      output: r?.output ?? "",
      truncated: r?.truncated ?? false,
      timed_out: r?.timed_out ?? false,
      error,
    };
  });
}

/** "3 succeeded · 1 failed · 1 not run" (parts with a count of zero left out). */
export function summary(rows: readonly ResultRow[]): string {
  const n = (s: RowState) => rows.filter((r) => r.state === s).length;
  const parts = [
    [n("ok"), "succeeded"],
    [n("failed"), "failed"],
    [n("running"), "still running"],
    [n("error"), "not run"],
  ] as const;
  return parts
    .filter(([c]) => c > 0)
    .map(([c, w]) => `${c} ${w}`)
    .join(" · ");
}

/** A duration for the table: "850 ms", "2.4 s", "3 min 5 s". */
export function durationText(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

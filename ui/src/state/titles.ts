// What tabs and session rows are called, chosen from what is known (pure): the user's name for a
// tab, the title the terminal set (OSC 0/2), the title the agent tracks, then the session's own
// title; and the short texts of a session row (what runs, its state, its age).
import type { SessionInfo } from "../api/types";

/** The longest label shown, in characters (longer ones end with "…"). */
export const MAX_LABEL = 80;

/** The session metadata newer agents send; older ones leave it out. */
export interface SessionExtras {
  terminal_title?: string | null;
  cwd?: string | null;
  foreground?: string | null;
  preview?: string | null;
}

/** The optional metadata of a listed session. */
export function extras(s: SessionInfo): SessionExtras {
  return s as SessionInfo & SessionExtras;
}

function clean(text: string | null | undefined): string {
  // Control characters never reach a label; runs of white space read as one.
  const t = (text ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").replace(/\s+/g, " ").trim();
  return t.length > MAX_LABEL ? `${t.slice(0, MAX_LABEL - 1)}…` : t;
}

/** A pane's title: the terminal's (OSC 0/2), else the agent's record of it, else the session's. */
export function paneTitle(terminal: string | null | undefined, agent: string | null | undefined, session: string): string {
  return clean(terminal) || clean(agent) || clean(session) || "session";
}

/** A tab's label: the name the user gave it, else its focused pane's title. */
export function tabLabel(name: string | null, focusedTitle: string): string {
  return clean(name) || focusedTitle;
}

/** "just now", "5 min", "3 h", "2 d": how long ago `iso` was. */
export function ageText(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** What runs in a session: the foreground command when known, else "shell" or "ssh target". */
export function runningText(s: SessionInfo): string {
  const fg = clean(extras(s).foreground);
  if (fg) return fg;
  return s.kind === "ssh" ? clean(`ssh ${s.target ?? ""}`) : "shell";
}

/** A session's state: "running", "exited (0)", "killed (KILL)", "link down", with attached clients. */
export function stateText(s: SessionInfo): string {
  const state =
    s.state === "exited"
      ? s.exit_signal
        ? `killed (${s.exit_signal})`
        : s.exit_code !== null && s.exit_code !== undefined
          ? `exited (${s.exit_code})`
          : "exited"
      : s.kind === "ssh" && s.link && s.link !== "up"
        ? `link ${s.link}`
        : s.state;
  return s.attached_clients > 0 ? `${state} · ${s.attached_clients} attached` : state;
}

/** A home-relative working directory ("~/src") when it lies under `home`. */
export function cwdText(cwd: string | null | undefined, home?: string): string {
  const c = clean(cwd);
  if (home && (c === home || c.startsWith(`${home}/`))) return `~${c.slice(home.length)}`;
  return c;
}

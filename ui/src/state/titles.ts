// What tabs and session rows are called, chosen from what is known (pure): the user's name for a
// tab, the title the terminal set (OSC 0/2), the title the agent tracks, then — as good terminals
// do for a shell that sets no title — the foreground program and the working directory ("bash —
// ~/src/outpost", home as "~", a long path cut at its start); tabs whose labels still agree get
// " (2)", " (3)"; and the short texts of a session row (what runs, its state, its age).
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

function clean(text: string | null | undefined, max = MAX_LABEL): string {
  // Control characters never reach a label; runs of white space read as one.
  const t = (text ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The longest directory a label shows, in characters (a longer one keeps its end: "…/a/b"). */
export const MAX_DIR = 40;

/** Where a session runs, for a label without a title: its foreground program and directory. */
export interface Place {
  /** The foreground program when it is not the shell (the agent's `foreground`). */
  foreground?: string | null;
  /** The working directory the shell reported (OSC 7). */
  cwd?: string | null;
  /** The home directory on the session's host, shown as "~". */
  home?: string | null;
}

/**
 * A pane's title: the terminal's (OSC 0/2), else the agent's record of it, else "program —
 * directory" (the foreground program, else the session's title; the directory when known).
 */
export function paneTitle(
  terminal: string | null | undefined,
  agent: string | null | undefined,
  session: string,
  place: Place = {},
): string {
  const title = clean(terminal) || clean(agent);
  if (title) return title;
  const program = clean(place.foreground) || clean(session) || "session";
  const dir = dirText(place.cwd, place.home ?? undefined);
  return dir ? clean(`${program} — ${dir}`) : program;
}

/** A directory for a label: home-relative ("~/src"), a long one cut at its start ("…/deep/dir"). */
export function dirText(cwd: string | null | undefined, home?: string): string {
  const d = homeRelative(clean(cwd, Number.MAX_SAFE_INTEGER), home);
  if (d.length <= MAX_DIR) return d;
  // Whole trailing components that fit; a single longer one keeps its end.
  const parts = d.split("/");
  let tail = parts.pop() ?? "";
  while (parts.length > 0 && tail.length + parts[parts.length - 1]!.length + 1 <= MAX_DIR - 2) tail = `${parts.pop()}/${tail}`;
  return tail.length <= MAX_DIR - 2 ? `…/${tail}` : `…${tail.slice(tail.length - (MAX_DIR - 1))}`;
}

/**
 * The home directory of a session's host for labels: this computer's for "local", else the
 * usual one of the host's user ("/root" for root, "/home/USER" otherwise); unknown without a user.
 */
export function homeOf(host: string, user: string | null | undefined, localHome: string | null | undefined): string | undefined {
  if (host === "local") return localHome || undefined;
  if (!user) return undefined;
  return user === "root" ? "/root" : `/home/${user}`;
}

/** Labels made distinct: the second and later copies of a label get " (2)", " (3)", … in order. */
export function distinctLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
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
  return homeRelative(clean(cwd), home);
}

function homeRelative(c: string, home?: string): string {
  if (home && (c === home || c.startsWith(`${home}/`))) return `~${c.slice(home.length)}`;
  return c;
}

// Pure text for a pane's state: the reconnect countdown, the exit line, the gap marker written
// into the terminal, and the tab's one-line status.
import type { ApiError } from "../api/types";

/** A pane's connection state, as shown on its tab (`data-state`). */
export type PaneState = "connecting" | "connected" | "reconnecting" | "exited" | "error";

/** Everything the UI shows about a pane's attachment. */
export interface PaneStatus {
  state: PaneState;
  /** Reconnecting: when the next attempt starts (ms since epoch) and which attempt it is. */
  retry_at?: number;
  attempt?: number;
  reason?: string;
  /** Exited: the code or signal. */
  exit_code?: number | null;
  exit_signal?: string | null;
  /** Error: what went wrong. */
  error?: ApiError;
}

/** Seconds left until `deadline`, rounded up, never negative. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** "Reconnecting in 4 s (attempt 2)", or "Reconnecting now (attempt 2)" once the time is up. */
export function countdownText(deadline: number, now: number, attempt?: number): string {
  const s = secondsLeft(deadline, now);
  const when = s > 0 ? `in ${s} s` : "now";
  return attempt !== undefined && attempt > 0 ? `Reconnecting ${when} (attempt ${attempt})` : `Reconnecting ${when}`;
}

/** How an exit reads: "exited with code 0", "killed by signal KILL", "ended". */
export function exitText(code: number | null | undefined, signal: string | null | undefined): string {
  if (signal) return `killed by signal ${signal}`;
  if (code !== null && code !== undefined) return `exited with code ${code}`;
  return "ended";
}

const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/** A dim line marking output that was lost between offsets `from` and `to`. */
export function gapMarker(from: number, to: number): string {
  const lost = Math.max(0, to - from);
  const amount = lost === 1 ? "1 byte" : `${lost.toLocaleString("en-US")} bytes`;
  return `\r\n${DIM}[outpost] ${amount} of output lost here${RESET}\r\n`;
}

/** A dim line written when the session's process ends. */
export function exitMarker(code: number | null | undefined, signal: string | null | undefined): string {
  return `\r\n${DIM}[outpost] the session ${exitText(code, signal)}${RESET}\r\n`;
}

/** A short label for the tab's tooltip/status line. */
export function statusLabel(status: PaneStatus, now: number): string {
  switch (status.state) {
    case "connecting":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return status.retry_at !== undefined ? countdownText(status.retry_at, now, status.attempt) : "Reconnecting";
    case "exited":
      return `Session ${exitText(status.exit_code, status.exit_signal)}`;
    case "error":
      return status.error?.message ?? "Error";
  }
}

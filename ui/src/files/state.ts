// What the file panel shows: the place it is open on (a host, or a session's target through
// it) and every transfer started from it, kept while the panel is closed. Set from the sidebar;
// rendered by Files.tsx.
import { signal } from "@preact/signals";
import type { TransferEvent, TransferStarted } from "../api/generated/types";
import { applyEvent, EarlyEvents, startedRow, type TransferRow } from "./transfers";

/** The place the panel is open on. */
export interface FilesOf {
  host: string;
  session: string | null;
  /** How the place is named in the title ("jump", "db via jump"). */
  title: string;
}

/** The open file panel, if any. */
export const filesOf = signal<FilesOf | null>(null);

/** The transfers, newest last. */
export const transfers = signal<TransferRow[]>([]);

/** Opens the file panel on `host` (or on the target of its session `session`). */
export function openFiles(host: string, session: string | null, title: string): void {
  filesOf.value = { host, session, title };
}

/** Events of transfers whose start has not been answered yet. */
const early = new EarlyEvents();

/** Adds transfers that just started, with what they already reported. */
export function addTransfers(started: TransferStarted[]): void {
  const now = Date.now();
  let rows = [...transfers.value, ...started.map((t) => startedRow(t, now))];
  for (const t of started) {
    const ev = early.take(t.id);
    if (ev !== undefined) rows = applyEvent(rows, ev, now);
  }
  transfers.value = rows;
}

/** Applies a `transfer` event (kept for later when its row is not there yet). */
export function transferEvent(ev: TransferEvent): void {
  if (!transfers.value.some((r) => r.id === ev.id)) {
    early.keep(ev);
    return;
  }
  transfers.value = applyEvent(transfers.value, ev, Date.now());
}

// What the recordings UI shows: the dialog listing one session's recordings, and the replay
// open over the tabs. Set from the session row's menu and the dialog; rendered by Recordings.tsx.
import { signal } from "@preact/signals";

/** The session whose recordings the dialog lists. */
export interface RecordingsOf {
  host: string;
  session_id: string;
  title: string;
}

/** The recording being replayed. */
export interface Replaying {
  host: string;
  name: string;
}

/** The open recordings dialog, if any. */
export const recordingsOf = signal<RecordingsOf | null>(null);

/** The open replay, if any. */
export const replaying = signal<Replaying | null>(null);

/** Opens the recordings dialog of a session. */
export function openRecordings(host: string, session_id: string, title: string): void {
  recordingsOf.value = { host, session_id, title };
}

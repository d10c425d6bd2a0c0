// Where the recordings dialog is mounted (once, in the app), when open. Replays are tabs: see
// tabs/TabArea.tsx and tabs/ReplayTabItem.tsx.
import type { JSX } from "preact";
import { RecordingsDialog } from "./RecordingsDialog";
import { recordingsOf } from "./state";

/** The open recordings dialog. */
export function Recordings(): JSX.Element | null {
  const of = recordingsOf.value;
  return of ? <RecordingsDialog of={of} /> : null;
}

// Where the recordings UI is mounted (once, in the app): the dialog of a session's recordings
// and the replay, each when open.
import type { JSX } from "preact";
import { RecordingsDialog } from "./RecordingsDialog";
import { ReplayView } from "./ReplayView";
import { recordingsOf, replaying } from "./state";

/** The open recordings dialog and replay. */
export function Recordings(): JSX.Element {
  const of = recordingsOf.value;
  const r = replaying.value;
  return (
    <>
      {of ? <RecordingsDialog of={of} /> : null}
      {r ? <ReplayView key={`${r.host}/${r.name}`} r={r} /> : null}
    </>
  );
}

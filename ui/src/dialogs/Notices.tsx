// The notice stack in the bottom-right corner: errors with advice (dismissed by hand) and short
// information messages (they fade by themselves).
import type { JSX } from "preact";
import { dismissNotice, notices } from "../state/store";
import { ErrorBox } from "./ErrorBox";

/** All current notices. */
export function Notices(): JSX.Element {
  return (
    <div class="notices" aria-live="polite">
      {notices.value.map((n) =>
        n.kind === "error" && n.error ? (
          <ErrorBox key={n.id} error={n.error} context={n.context} onClose={() => dismissNotice(n.id)} />
        ) : (
          <div key={n.id} class="info-box" role="status" onClick={() => dismissNotice(n.id)}>
            {n.text}
          </div>
        ),
      )}
    </div>
  );
}

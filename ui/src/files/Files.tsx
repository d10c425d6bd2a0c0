// Where the file panel is mounted (once, in the app), and the one subscription to the
// `transfer` events that keeps the transfers list current while the panel is closed.
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import * as api from "../api/tauri";
import { FilesPanel } from "./FilesPanel";
import { filesOf, transferEvent } from "./state";

/** The open file panel. */
export function Files(): JSX.Element | null {
  useEffect(() => {
    if (!api.isTauri()) return;
    let stop: (() => void) | null = null;
    let gone = false;
    api
      .onTransfer(transferEvent)
      .then((s) => (gone ? s() : (stop = s)))
      .catch(() => undefined);
    return () => {
      gone = true;
      stop?.();
    };
  }, []);
  const of = filesOf.value;
  return of ? <FilesPanel key={`${of.host}/${of.session ?? ""}`} of={of} /> : null;
}

// The yes/no confirmation (e.g. before ending a session).
import type { JSX } from "preact";
import { confirmState } from "../state/store";
import { Modal } from "./Modal";

/** The pending confirmation, if any. */
export function ConfirmDialog(): JSX.Element | null {
  const c = confirmState.value;
  if (c === null) return null;
  const answer = (yes: boolean) => {
    confirmState.value = null;
    c.resolve(yes);
  };
  return (
    <Modal title={c.title} testid="dialog-confirm" onCancel={() => answer(false)} tone={c.danger ? "danger" : "normal"}>
      <p class="modal-text">{c.body}</p>
      <div class="modal-actions">
        <button data-testid="confirm-cancel" data-autofocus={c.danger ? true : undefined} onClick={() => answer(false)}>
          Cancel
        </button>
        <button data-testid="confirm-ok" class={c.danger ? "danger" : "primary"} data-autofocus={c.danger ? undefined : true} onClick={() => answer(true)}>
          {c.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

// An error in plain words: headline, the engine's whole message (wrapped and selectable, never
// cut; a leading path or host is kept exactly as written), and what to do next for its cause.
import type { JSX } from "preact";
import type { ApiError } from "../api/types";
import { adviceFor, messageText } from "./advice";

/** Shows one error with advice. */
export function ErrorBox({ error, context, onClose, compact }: { error: ApiError; context?: string; onClose?: () => void; compact?: boolean }): JSX.Element {
  const a = adviceFor(error);
  return (
    <div class={`error-box ${compact ? "compact" : ""}`} data-testid="error-box" data-code={error.code} role="alert">
      <div class="error-head">
        <strong data-testid="error-title">{a.title}</strong>
        {onClose ? (
          <button class="icon-button small" title="Dismiss" aria-label="Dismiss" data-testid="error-dismiss" onClick={onClose}>
            ×
          </button>
        ) : null}
      </div>
      {context ? <div class="error-context">{context}</div> : null}
      <div class="error-message error-message-full" data-testid="error-message">
        {messageText(a.message)}
      </div>
      {a.next ? (
        <div class="error-next" data-testid="error-next">
          {a.next}
        </div>
      ) : null}
    </div>
  );
}

// An error in plain words: headline, the engine's message, and what to do next.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ApiError } from "../api/types";
import { adviceFor } from "./advice";

/** Shows one error with advice. */
export function ErrorBox({ error, context, onClose, compact }: { error: ApiError; context?: string; onClose?: () => void; compact?: boolean }): JSX.Element {
  const a = adviceFor(error);
  const [open, setOpen] = useState(false);
  return (
    <div class={`error-box ${compact ? "compact" : ""} ${open ? "open" : ""}`} data-testid="error-box" data-code={error.code} role="alert">
      <div class="error-head">
        <strong>{a.title}</strong>
        {onClose ? (
          <button class="icon-button small" title="Dismiss" aria-label="Dismiss" onClick={onClose}>
            ×
          </button>
        ) : null}
      </div>
      {context ? <div class="error-context">{context}</div> : null}
      <div class="error-message" title={compact && !open ? "Show all" : undefined} onClick={() => setOpen(true)}>
        {capitalise(a.message)}
      </div>
      {a.next ? <div class="error-next">{a.next}</div> : null}
    </div>
  );
}

function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]?.toUpperCase() + s.slice(1);
}

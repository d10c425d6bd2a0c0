// The transfers list: each transfer's source and destination, a progress bar for the current
// file, bytes, rate and time left, its end state or error (with the engine's code), and Cancel.
import type { JSX } from "preact";
import * as api from "../api/tauri";
import { ErrorBox } from "../dialogs/ErrorBox";
import { sizeText } from "../recordings/format";
import { reportError } from "../state/store";
import { etaText, rateText } from "./format";
import { transfers } from "./state";
import { clearFinished, fraction, secondsLeft, type TransferRow } from "./transfers";

const STATE_TEXT: Record<TransferRow["state"], string> = {
  running: "",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

function Row({ t }: { t: TransferRow }): JSX.Element {
  const pct = Math.round(fraction(t) * 100);
  const cancel = () => api.transferCancel(t.id).catch((e: unknown) => reportError(e, "Cancelling the transfer"));
  return (
    <li class={`transfer ${t.state}`} data-testid={`transfer-${t.id}`} data-state={t.state}>
      <div class="transfer-head">
        <span class="transfer-dir">{t.direction === "upload" ? "↑" : "↓"}</span>
        <span class="transfer-what" title={`${t.source} → ${t.dest}`}>
          {t.source} → {t.dest}
        </span>
        {t.state === "running" ? (
          <button class="small" data-testid={`transfer-cancel-${t.id}`} onClick={() => void cancel()}>
            Cancel
          </button>
        ) : (
          <span class="transfer-state" data-testid="transfer-state">
            {STATE_TEXT[t.state]}
          </span>
        )}
      </div>
      <progress max={100} value={pct} aria-label={`${pct}%`} />
      <div class="transfer-figures muted" data-testid="transfer-figures">
        {sizeText(t.bytes)}
        {t.files > 1 ? ` · ${t.files} files` : ""}
        {t.state === "running" && t.rate !== null ? ` · ${rateText(t.rate)}` : ""}
        {t.state === "running" && secondsLeft(t) !== null ? ` · ${etaText(secondsLeft(t))} left` : ""}
      </div>
      {t.error ? <ErrorBox error={t.error} compact /> : null}
    </li>
  );
}

/** The list, newest first. */
export function Transfers(): JSX.Element | null {
  const rows = transfers.value;
  if (rows.length === 0) return null;
  const finished = rows.some((r) => r.state !== "running");
  return (
    <section class="transfers" data-testid="transfers">
      <div class="transfers-head">
        <h3>Transfers</h3>
        {finished ? (
          <button class="small" data-testid="transfers-clear" onClick={() => (transfers.value = clearFinished(transfers.value))}>
            Clear finished
          </button>
        ) : null}
      </div>
      <ul>
        {[...rows].reverse().map((t) => (
          <Row key={t.id} t={t} />
        ))}
      </ul>
    </section>
  );
}

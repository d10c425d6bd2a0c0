// A host's forwards: each one this window runs (`-L` to a destination, `-D` SOCKS5, `-R` a port
// on the host to a destination this computer reaches) with its
// address, connections and bytes each way, beside the saved ones; the link's state; Close,
// Start (a saved one) and a Saved toggle per forward; and the form that adds one, each field
// checked with its own message before the engine checks it again; then the forwards the host's
// agent keeps ([AgentForwards]).
import type { JSX } from "preact";
import * as api from "../api/tauri";
import type { ForwardRow, HostForwards } from "../api/generated/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { sizeText } from "../recordings/format";
import { AgentForwards } from "./AgentForwards";
import { AddForm, useCheckedForm } from "./ForwardFields";
import { ForwardsTable } from "./ForwardsTable";
import { forwardsOf } from "./state";
import { usePolled } from "./usePolled";
import { checkForward, EMPTY_FORM } from "./validate";

/** How often the panel refreshes the counters. */
const REFRESH_MS = 1000;

function linkText(h: HostForwards): string {
  const l = h.link;
  if (l === null) return "No forwards run in this window.";
  if (l.state === "up") return "Connected.";
  if (l.state === "reconnecting") return `Reconnecting (attempt ${l.attempt}): ${l.reason}`;
  return `The link ended: ${l.error.message}`;
}

function spelling(f: ForwardRow, host: string): string {
  const listen = f.bind.includes(":") ? `[${f.bind}]:${f.port}` : `${f.bind}:${f.port}`;
  const dest = `${f.dest_host ?? ""}:${f.dest_port ?? ""}`;
  if (f.kind === "remote") return `${host} ${listen} → ${dest} (from this computer)`;
  return f.kind === "local" ? `${listen} → ${dest}` : `${listen} (SOCKS5)`;
}

/** The panel. */
export function ForwardsPanel({ host }: { host: string }): JSX.Element {
  const { data: list, error, setError, busy, act } = usePolled(() => api.forwardsList(host), REFRESH_MS, host);
  const { form, setForm, submit, field } = useCheckedForm("forward", EMPTY_FORM, checkForward);
  const close = () => (forwardsOf.value = null);

  const add = () =>
    submit((ok) => {
      void act(async () => {
        await api.forwardAdd(host, ok);
        setForm({ ...EMPTY_FORM, kind: form.kind });
      });
    });

  const start = (f: ForwardRow) =>
    act(() =>
      api.forwardAdd(host, { kind: f.kind, bind: f.bind, port: f.port, dest_host: f.dest_host, dest_port: f.dest_port, save: false }),
    );

  const rows = list?.forwards ?? [];
  return (
    <Modal title={`Forwards through ${host}`} testid="forwards-panel" onCancel={close} wide>
      {list ? (
        <p class="muted" data-testid="forwards-link" data-state={list.link?.state ?? "none"}>
          {linkText(list)}
        </p>
      ) : null}
      {error ? <ErrorBox error={error} compact onClose={() => setError(null)} /> : null}
      <ForwardsTable
        prefix="forwards"
        heads={["Forward", "State", "Connections", "Sent", "Received", "Saved"]}
        count={rows.length}
        empty="No forwards yet: add one below."
      >
        {rows.map((f) => (
          <tr key={f.id} data-testid="forward-row" data-id={f.id} data-running={String(f.running)}>
            <td class="mono" title={f.id}>
              {spelling(f, host)}
            </td>
            <td>{f.running ? "Listening" : "Stopped"}</td>
            <td class="num" data-testid="forward-connections">
              {f.counts ? `${f.counts.active} open · ${f.counts.accepted} total${f.counts.failed ? ` · ${f.counts.failed} failed` : ""}` : ""}
            </td>
            <td class="num" data-testid="forward-bytes-out">
              {f.counts ? sizeText(f.counts.bytes_out) : ""}
            </td>
            <td class="num" data-testid="forward-bytes-in" data-bytes={f.counts?.bytes_in ?? 0}>
              {f.counts ? sizeText(f.counts.bytes_in) : ""}
            </td>
            <td>
              <input
                type="checkbox"
                data-testid="forward-saved"
                aria-label="Saved"
                checked={f.saved}
                disabled={busy}
                onChange={(e) => void act(() => api.forwardSave(host, f.id, e.currentTarget.checked))}
              />
            </td>
            <td>
              {f.running ? (
                <button class="small" data-testid="forward-close" disabled={busy} onClick={() => void act(() => api.forwardClose(host, f.id))}>
                  Close
                </button>
              ) : (
                <button class="small" data-testid="forward-start" disabled={busy} onClick={() => void start(f)}>
                  Start
                </button>
              )}
            </td>
          </tr>
        ))}
      </ForwardsTable>
      <AddForm prefix="forward" busy={busy} label="Add forward" onSubmit={add}>
        <div class="forward-kinds" role="radiogroup" aria-label="Kind">
          <label>
            <input type="radio" name="kind" data-testid="forward-kind-local" checked={form.kind === "local"} onChange={() => setForm({ ...form, kind: "local" })} />
            Local (-L): a port here to a destination
          </label>
          <label>
            <input
              type="radio"
              name="kind"
              data-testid="forward-kind-dynamic"
              checked={form.kind === "dynamic"}
              onChange={() => setForm({ ...form, kind: "dynamic" })}
            />
            Dynamic (-D): a SOCKS5 proxy here
          </label>
          <label>
            <input type="radio" name="kind" data-testid="forward-kind-remote" checked={form.kind === "remote"} onChange={() => setForm({ ...form, kind: "remote" })} />
            Remote (-R): a port on {host} to a destination here
          </label>
        </div>
        <div class="forward-fields">
          {form.kind === "remote" ? field("bind", `Listen on ${host}`, "localhost (default), * for all") : field("bind", "Listen on", "127.0.0.1 (default)")}
          {field("port", form.kind === "remote" ? `Port on ${host}` : "Port", "e.g. 8080 (0: any)")}
          {form.kind === "local" ? field("destHost", "Destination host", "as the jump host reaches it") : null}
          {form.kind === "remote" ? field("destHost", "Destination host", "as this computer reaches it") : null}
          {form.kind !== "dynamic" ? field("destPort", "Destination port", "e.g. 5432") : null}
        </div>
        <label class="forward-save">
          <input type="checkbox" data-testid="forward-save-new" checked={form.save} onChange={(e) => setForm({ ...form, save: e.currentTarget.checked })} />
          Save for {host} (brought back by “outpost forward up {host}”)
        </label>
      </AddForm>
      <AgentForwards host={host} />
      <div class="modal-actions">
        <button type="button" class="primary" data-testid="forwards-close" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

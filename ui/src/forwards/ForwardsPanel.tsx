// A host's forwards: each one this window runs (`-L` to a destination, `-D` SOCKS5, `-R` a port
// on the host to a destination this computer reaches) with its
// address, connections and bytes each way, beside the saved ones; the link's state; Close,
// Start (a saved one) and a Saved toggle per forward; and the form that adds one, each field
// checked with its own message before the engine checks it again; then the forwards the host's
// agent keeps ([AgentForwards]).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import * as api from "../api/tauri";
import type { ForwardRow, HostForwards } from "../api/generated/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { sizeText } from "../recordings/format";
import { AgentForwards } from "./AgentForwards";
import { forwardsOf } from "./state";
import { usePolled } from "./usePolled";
import { checkForward, EMPTY_FORM, type ForwardField, type ForwardForm } from "./validate";

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
  const [form, setForm] = useState<ForwardForm>(EMPTY_FORM);
  const [problems, setProblems] = useState<Partial<Record<ForwardField, string>>>({});
  const close = () => (forwardsOf.value = null);

  const add = () => {
    const r = checkForward(form);
    if ("problems" in r) {
      setProblems(r.problems);
      return;
    }
    setProblems({});
    void act(async () => {
      await api.forwardAdd(host, r.ok);
      setForm({ ...EMPTY_FORM, kind: form.kind });
    });
  };

  const start = (f: ForwardRow) =>
    act(() =>
      api.forwardAdd(host, { kind: f.kind, bind: f.bind, port: f.port, dest_host: f.dest_host, dest_port: f.dest_port, save: false }),
    );

  const field = (k: ForwardField, label: string, placeholder: string) => (
    <label class={`forward-field ${problems[k] ? "invalid" : ""}`}>
      {label}
      <input
        data-testid={`forward-${k}`}
        value={form[k]}
        placeholder={placeholder}
        aria-invalid={problems[k] ? true : undefined}
        onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })}
      />
      {problems[k] ? (
        <span class="field-error" data-testid={`forward-problem-${k}`}>
          {problems[k]}
        </span>
      ) : null}
    </label>
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
      {rows.length === 0 ? (
        <p class="muted" data-testid="forwards-empty">
          No forwards yet: add one below.
        </p>
      ) : (
        <table class="forwards-table" data-testid="forwards-list">
          <thead>
            <tr>
              <th>Forward</th>
              <th>State</th>
              <th>Connections</th>
              <th>Sent</th>
              <th>Received</th>
              <th>Saved</th>
              <th />
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      )}
      <form
        class="forward-form"
        data-testid="forward-form"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
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
        <div class="modal-actions">
          <button type="submit" data-testid="forward-add" disabled={busy}>
            {busy ? "Working…" : "Add forward"}
          </button>
        </div>
      </form>
      <AgentForwards host={host} />
      <div class="modal-actions">
        <button type="button" class="primary" data-testid="forwards-close" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

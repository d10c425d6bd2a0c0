// The forwards panel's section for the forwards the host's agent keeps on the jump host (they
// survive this window): each with its destination, where it is reached from, the host socket's
// state, and its local port here; Open locally / Close local port, a Saved toggle for the local
// port, Close (confirmed: the forward goes from the host); and the form that adds one, reached
// from the jump host or from one of its ssh sessions' targets.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import * as api from "../api/tauri";
import type { AgentForwardRow, SessionInfo } from "../api/generated/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { sizeText } from "../recordings/format";
import { confirm } from "../state/store";
import { AddForm, useCheckedForm } from "./ForwardFields";
import { ForwardsTable } from "./ForwardsTable";
import { usePolled } from "./usePolled";
import { checkAgentForward, destText, EMPTY_AGENT_FORM, fromText, keyOf, localText, openPort, restoreOf, stateText } from "./agent";

/** How often the section asks the agent for its forwards (each a `forward.list` call). */
const REFRESH_MS = 3000;

/** The section. */
export function AgentForwards({ host }: { host: string }): JSX.Element {
  const { data: list, error, setError, busy, act } = usePolled(() => api.agentForwardsList(host), REFRESH_MS, host);
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const { form, setForm, problems, submit, field } = useCheckedForm("agent-forward", EMPTY_AGENT_FORM, checkAgentForward);

  useEffect(() => {
    let alive = true;
    api
      .sessionsList(host)
      .then((s) => alive && setSessions(s.filter((x) => x.kind === "ssh" && x.state === "running")))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [host]);

  const add = () =>
    submit((ok) => {
      void act(async () => {
        await api.agentForwardAdd(host, ok);
        setForm({ ...EMPTY_AGENT_FORM, from: form.from });
      });
    });

  const closeOnHost = async (f: AgentForwardRow, id: string) => {
    const yes = await confirm(
      "Close the agent-owned forward?",
      `${host}'s agent stops keeping ${destText(f)} (reached from ${fromText(f, host)}) and removes its socket on ${host}. Other windows and commands using it lose it too.`,
      "Close forward",
      true,
    );
    if (yes) await act(() => api.agentForwardClose(host, id));
  };

  const rows = list?.forwards ?? [];
  return (
    <section class="agent-forwards" data-testid="agent-forwards">
      <h3>Kept by {host}'s agent</h3>
      <p class="muted agent-forwards-note" data-testid="agent-forwards-note">
        These forwards live on the jump host and survive this window: its agent keeps each destination as a private socket on {host}. Open one
        locally to reach it from this computer.
      </p>
      {error ? <ErrorBox error={error} compact onClose={() => setError(null)} /> : null}
      {list === null ? null : (
        <ForwardsTable
          prefix="agent-forwards"
          heads={["Destination", "From", "On the host", "Local port", "Received", "Saved"]}
          count={rows.length}
          empty={<>{host}'s agent keeps no forwards.</>}
        >
          {rows.map((f) => (
            <tr
              key={f.id ?? `saved-${f.session_id ?? ""}-${destText(f)}`}
              data-testid="agent-forward-row"
              data-id={f.id ?? ""}
              data-state={f.state ?? "none"}
              data-local-port={f.local?.port ?? 0}
              data-saved-port={f.saved?.port ?? 0}
            >
              <td class="mono" title={f.socket ?? ""}>
                <span class="agent-badge" title="Lives on the jump host; survives this window">
                  on {host}
                </span>{" "}
                {destText(f)}
              </td>
              <td>{fromText(f, host)}</td>
              <td data-testid="agent-forward-state">{stateText(f)}</td>
              <td class="mono" data-testid="agent-forward-local">
                {localText(f)}
              </td>
              <td class="num" data-testid="agent-forward-bytes-in" data-bytes={f.local?.counts.bytes_in ?? 0}>
                {f.local ? sizeText(f.local.counts.bytes_in) : ""}
              </td>
              <td>
                <input
                  type="checkbox"
                  data-testid="agent-forward-saved"
                  aria-label="Save the local port"
                  checked={f.saved !== null}
                  disabled={busy || (f.saved === null && f.local === null)}
                  onChange={(e) => void act(() => api.agentForwardSave(host, keyOf(f), e.currentTarget.checked))}
                />
              </td>
              <td class="agent-forward-actions">
                {f.id === null ? (
                  <button class="small" data-testid="agent-forward-restore" disabled={busy} onClick={() => void act(() => api.agentForwardAdd(host, restoreOf(f)))}>
                    Open again
                  </button>
                ) : f.local ? (
                  <button class="small" data-testid="agent-forward-close-local" disabled={busy} onClick={() => void act(() => api.agentForwardCloseLocal(host, f.id ?? ""))}>
                    Close port
                  </button>
                ) : (
                  <button
                    class="small"
                    data-testid="agent-forward-open-local"
                    disabled={busy}
                    onClick={() => {
                      const at = openPort(f);
                      void act(() => api.agentForwardOpenLocal(host, f.id ?? "", at.bind, at.port, false));
                    }}
                  >
                    Open locally
                  </button>
                )}
                {f.id === null ? null : (
                  <button class="small danger" data-testid="agent-forward-close" disabled={busy} onClick={() => void closeOnHost(f, f.id ?? "")}>
                    Close
                  </button>
                )}
              </td>
            </tr>
          ))}
        </ForwardsTable>
      )}
      <AddForm prefix="agent-forward" busy={busy} label="Add agent-owned forward" onSubmit={add}>
        <div class="forward-fields agent-forward-fields">
          <label class={`forward-field ${problems.from ? "invalid" : ""}`}>
            Reach it from
            <select data-testid="agent-forward-from" value={form.from} onChange={(e) => setForm({ ...form, from: e.currentTarget.value })}>
              <option value="">{host} (the jump host)</option>
              {sessions.map((s) => (
                <option key={s.session_id} value={s.session_id}>
                  {s.title} ({s.session_id})
                </option>
              ))}
            </select>
            {problems.from ? <span class="field-error">{problems.from}</span> : null}
          </label>
          {field("destHost", "Destination host", "e.g. db.internal")}
          {field("destPort", "Destination port", "e.g. 5432")}
        </div>
        <div class="forward-fields agent-forward-local-fields">
          <label class="forward-save">
            <input type="checkbox" data-testid="agent-forward-local-new" checked={form.local} onChange={(e) => setForm({ ...form, local: e.currentTarget.checked })} />
            Open locally
          </label>
          {form.local ? field("bind", "Listen on", "127.0.0.1 (default)") : null}
          {form.local ? field("port", "Port", "0: any free one") : null}
          {form.local ? (
            <label class="forward-save">
              <input type="checkbox" data-testid="agent-forward-save-new" checked={form.save} onChange={(e) => setForm({ ...form, save: e.currentTarget.checked })} />
              Save the local port (opened again when the window starts or reconnects)
            </label>
          ) : null}
        </div>
      </AddForm>
    </section>
  );
}

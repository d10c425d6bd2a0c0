// Settings → "AI agents (MCP)": the policy `outpost mcp` applies to AI agents (policy.json, see
// docs/mcp.md): allowed hosts, per host read-only and command patterns, tools disabled; saved through
// the engine, which checks it with the MCP server's own rules first.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import * as api from "../../api/tauri";
import { fromForm, toForm, withHost, type HostForm, type PolicyForm, type RuntimeChanges } from "./policy";

/** A multi-line list field (one item a line). */
function ListField(props: { label: string; value: string; testid: string; placeholder?: string; onInput: (v: string) => void }): JSX.Element {
  return (
    <label class="policy-field">
      <span class="setting-label">{props.label}</span>
      <textarea data-testid={props.testid} rows={2} placeholder={props.placeholder} value={props.value} onInput={(e) => props.onInput(e.currentTarget.value)} />
    </label>
  );
}

/** The policy section of the settings dialog. */
export function PolicySection(): JSX.Element {
  const [form, setForm] = useState<PolicyForm | null>(null);
  const [path, setPath] = useState("");
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [newHost, setNewHost] = useState("");

  useEffect(() => {
    api.policyGet().then(
      (shown) => {
        setForm(toForm(shown.policy));
        setPath(shown.path);
        if (shown.problem) setStatus({ ok: false, text: `The policy file cannot be used: ${shown.problem.message}` });
      },
      (e) => setStatus({ ok: false, text: `Cannot read the policy: ${String(e?.message ?? e)}` }),
    );
  }, []);

  if (form === null) {
    return (
      <section class="policy" data-testid="policy-section">
        <h3 class="subhead">AI agents (MCP)</h3>
        {status ? <p class="settings-problem">{status.text}</p> : <p class="muted small">Reading the policy…</p>}
      </section>
    );
  }
  const edit = (next: PolicyForm) => (setForm(next), setStatus(null));
  const editHost = (i: number, patch: Partial<HostForm>) => edit({ ...form, hosts: form.hosts.map((h, j) => (j === i ? { ...h, ...patch } : h)) });
  const save = () => {
    setStatus(null);
    api.policySet(fromForm(form)).then(
      (problem) => setStatus(problem ? { ok: false, text: `Not saved: ${problem.message}` } : { ok: true, text: "Saved. A running outpost mcp reads it when it starts again." }),
      (e) => setStatus({ ok: false, text: `Not saved: ${String(e?.message ?? e)}` }),
    );
  };

  return (
    <section class="policy" data-testid="policy-section">
      <h3 class="subhead">AI agents (MCP)</h3>
      <p class="muted small">
        What <span class="mono">outpost mcp</span> lets an AI agent do, in <span class="mono">{path}</span>. Command patterns are regular expressions checked
        before a command is run or typed: a guard against mistakes, not a sandbox.
      </p>
      <div class="policy-grid">
        <ListField label="Allowed hosts (empty: all; * matches anything)" testid="policy-allowed-hosts" value={form.allowed} onInput={(v) => edit({ ...form, allowed: v })} />
        <ListField label="Tools disabled everywhere" testid="policy-disabled-tools" placeholder="none (e.g. exec_run)" value={form.tools} onInput={(v) => edit({ ...form, tools: v })} />
        <label class="policy-field">
          <span class="setting-label">The agent may change the policy while it runs</span>
          <select data-testid="policy-runtime" value={form.runtime} onChange={(e) => edit({ ...form, runtime: e.currentTarget.value as RuntimeChanges })}>
            <option value="none">Never</option>
            <option value="tighten">Only to make it stricter</option>
            <option value="any">In any way</option>
          </select>
        </label>
      </div>
      {form.hosts.map((h, i) => (
        <fieldset class="policy-host" key={h.name} data-testid={`policy-host-${h.name}`}>
          <legend>{h.name === "*" ? "Every host (*)" : h.name}</legend>
          <label class="setting">
            <span class="setting-label">Read-only (no typing, commands, new or ended sessions)</span>
            <input type="checkbox" data-testid={`policy-read-only-${h.name}`} checked={h.read_only} onChange={(e) => editHost(i, { read_only: e.currentTarget.checked })} />
          </label>
          <div class="policy-grid">
            <ListField label="Deny commands matching" testid={`policy-deny-${h.name}`} value={h.deny} onInput={(v) => editHost(i, { deny: v })} />
            <ListField label="Allow only commands matching" testid={`policy-allow-${h.name}`} value={h.allow} onInput={(v) => editHost(i, { allow: v })} />
            <ListField label="Tools disabled here" testid={`policy-tools-${h.name}`} value={h.tools} onInput={(v) => editHost(i, { tools: v })} />
          </div>
          <button class="small" data-testid={`policy-remove-${h.name}`} onClick={() => edit({ ...form, hosts: form.hosts.filter((_, j) => j !== i) })}>
            Remove these rules
          </button>
        </fieldset>
      ))}
      <div class="policy-add">
        <input data-testid="policy-new-host" placeholder="host name, or * for every host" value={newHost} onInput={(e) => setNewHost(e.currentTarget.value)} />
        <button class="small" data-testid="policy-add-host" onClick={() => (edit(withHost(form, newHost)), setNewHost(""))} disabled={newHost.trim() === ""}>
          Add rules for a host
        </button>
        <button class="primary small" data-testid="policy-save" onClick={save}>
          Save policy
        </button>
      </div>
      {status ? (
        <p class={status.ok ? "muted small" : "settings-problem"} data-testid="policy-status" role={status.ok ? "status" : "alert"}>
          {status.text}
        </p>
      ) : null}
    </section>
  );
}

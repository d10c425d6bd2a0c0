// The add/edit host form: name, host name, port, user, identity files, ProxyJump hosts, a
// colour and agent forwarding; "Test connection" tries the values as they stand before anything
// is saved.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { loadHosts } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, Host } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { dialog } from "../state/store";
import { HOST_COLOR_ORDER, HOST_COLORS } from "./hostColor";
import { type FieldErrors, fieldsOf, type HostFields, hostFromFields } from "./hostForm";
import { TestOutcome, type TestState } from "./TestResult";

/** Add a host (`host` null) or edit one. */
export function HostForm({ host }: { host: Host | null }): JSX.Element {
  const [fields, setFields] = useState<HostFields>(fieldsOf(host));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ kind: "idle" });
  const [forwardAgent, setForwardAgent] = useState(host?.forward_agent ?? false);
  const close = () => (dialog.value = null);
  const source = host?.source === "ssh_config" ? "ssh_config" : "manual";

  const runTest = async () => {
    const r = hostFromFields(fields, source, "test");
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setTest({ kind: "testing" });
    try {
      setTest({ kind: "ok", info: await api.hostTestUnsaved({ ...r.host, forward_agent: forwardAgent }) });
    } catch (err) {
      setTest({ kind: "error", error: toApiError(err) });
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const r = hostFromFields(fields, source);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await api.hostSave({ ...r.host, forward_agent: forwardAgent }, host?.name ?? null);
      await loadHosts();
      close();
    } catch (err) {
      setFailure(toApiError(err));
    } finally {
      setSaving(false);
    }
  };

  const field = (key: keyof HostFields, label: string, hint: string, opts: { placeholder?: string; area?: boolean; inputMode?: "numeric" } = {}) => (
    <label class={`field ${errors[key] ? "invalid" : ""}`}>
      <span>{label}</span>
      {opts.area ? (
        <textarea
          data-testid={`host-form-${key}`}
          rows={2}
          spellcheck={false}
          placeholder={opts.placeholder}
          value={fields[key]}
          onInput={(e) => setFields({ ...fields, [key]: e.currentTarget.value })}
        />
      ) : (
        <input
          data-testid={`host-form-${key}`}
          spellcheck={false}
          autocomplete="off"
          inputMode={opts.inputMode}
          placeholder={opts.placeholder}
          value={fields[key]}
          onInput={(e) => setFields({ ...fields, [key]: e.currentTarget.value })}
        />
      )}
      <small class={errors[key] ? "field-error" : "field-hint"}>{errors[key] ?? hint}</small>
    </label>
  );

  return (
    <Modal title={host ? `Edit ${host.name}` : "Add host"} testid="dialog-host-form" onCancel={close} wide>
      <form onSubmit={save} class="form-grid">
        {field("name", "Name", "How the host is called in Outpost.", { placeholder: "db-prod" })}
        {field("hostname", "Host name", "A DNS name or an IP address.", { placeholder: "db.example.org" })}
        {field("port", "Port", "Leave empty for 22.", { placeholder: "22", inputMode: "numeric" })}
        {field("user", "User", "Leave empty for your local user name.", { placeholder: "deploy" })}
        {field("identity", "Identity files", "Private keys, one per line or separated by commas.", { placeholder: "~/.ssh/id_ed25519", area: true })}
        {field("jump", "Jump hosts (ProxyJump)", "Saved host names or user@host:port, in order, separated by commas.", { placeholder: "bastion" })}
        <fieldset class="field host-colors" data-testid="host-form-color">
          <legend>Colour</legend>
          <div class="swatches" role="radiogroup" aria-label="Colour">
            <label class={`swatch none ${fields.color === "" ? "chosen" : ""}`} title="No colour">
              <input type="radio" name="host-color" value="" checked={fields.color === ""} onChange={() => setFields({ ...fields, color: "" })} />
              <span aria-hidden="true">∅</span>
            </label>
            {HOST_COLOR_ORDER.map((c) => (
              <label
                key={c}
                class={`swatch ${fields.color === c ? "chosen" : ""}`}
                title={HOST_COLORS[c].label}
                style={{ "--swatch": HOST_COLORS[c].css }}
                data-testid={`host-form-color-${c}`}
              >
                <input type="radio" name="host-color" value={c} checked={fields.color === c} onChange={() => setFields({ ...fields, color: c })} />
                <span class="visually-hidden">{HOST_COLORS[c].label}</span>
              </label>
            ))}
          </div>
          <small class="field-hint">Tells hosts apart on their row and tabs (for example red for production).</small>
        </fieldset>
        <label class="field forward-agent" data-testid="host-form-forward-agent">
          <span class="check">
            <input
              type="checkbox"
              checked={forwardAgent}
              onChange={(e) => setForwardAgent(e.currentTarget.checked)}
            />
            Forward my ssh-agent (like ssh -A)
          </span>
          <small class="field-hint">
            Sessions on this host reach further hosts with your keys, and so can anyone with root there while you are connected.
          </small>
        </label>
        <div class="form-test" data-testid="host-form-test-result">
          <TestOutcome test={test} label={fields.hostname.trim() || "the host"} onClose={() => setTest({ kind: "idle" })} />
        </div>
        {failure ? <ErrorBox error={failure} context="Saving the host" onClose={() => setFailure(null)} /> : null}
        <div class="modal-actions">
          <button type="button" class="test-button" data-testid="host-form-test" disabled={test.kind === "testing"} onClick={runTest}>
            {test.kind === "testing" ? "Testing…" : "Test connection"}
          </button>
          <span class="spacer" />
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="primary" data-testid="host-form-save" disabled={saving}>
            {saving ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

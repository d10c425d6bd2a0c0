// The add/edit host form: name, host name, port, user, identity files and ProxyJump hosts.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { loadHosts } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, Host } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { dialog } from "../state/store";
import { type FieldErrors, fieldsOf, type HostFields, hostFromFields } from "./hostForm";

/** Add a host (`host` null) or edit one. */
export function HostForm({ host }: { host: Host | null }): JSX.Element {
  const [fields, setFields] = useState<HostFields>(fieldsOf(host));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const close = () => (dialog.value = null);

  const save = async (e: Event) => {
    e.preventDefault();
    const r = hostFromFields(fields, host?.source === "ssh_config" ? "ssh_config" : "manual");
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await api.hostSave(r.host, host?.name ?? null);
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
        {failure ? <ErrorBox error={failure} context="Saving the host" onClose={() => setFailure(null)} /> : null}
        <div class="modal-actions">
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

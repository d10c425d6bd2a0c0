// "New SSH to…": a target typed by hand, or picked from the aliases in the host's own
// ~/.ssh/config; the session runs OpenSSH on that host.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { hostLabel, newSsh } from "../actions";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, SshHostsResult } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { Modal } from "../dialogs/Modal";
import { dialog } from "../state/store";

/** The dialog for one host. */
export function NewSshDialog({ host }: { host: string }): JSX.Element {
  const [target, setTarget] = useState("");
  const [aliases, setAliases] = useState<SshHostsResult | null>(null);
  const [aliasError, setAliasError] = useState<ApiError | null>(null);
  const [starting, setStarting] = useState(false);
  const close = () => (dialog.value = null);

  useEffect(() => {
    let alive = true;
    api.sshHosts(host).then(
      (r) => alive && setAliases(r),
      (e: unknown) => alive && setAliasError(toApiError(e)),
    );
    return () => {
      alive = false;
    };
  }, [host]);

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const t = target.trim();
    if (t.length === 0 || starting) return;
    setStarting(true);
    const ok = await newSsh(host, t);
    setStarting(false);
    if (ok) close();
  };

  const filter = target.trim().toLowerCase();
  const shown = (aliases?.hosts ?? []).filter(
    (a) => filter.length === 0 || a.alias.toLowerCase().includes(filter) || (a.hostname ?? "").toLowerCase().includes(filter) || a.alias === target,
  );

  return (
    <Modal title={`New SSH session via ${hostLabel(host)}`} testid="dialog-new-ssh" onCancel={close}>
      <form onSubmit={submit}>
        <label class="field">
          <span>Target</span>
          <input
            data-testid="ssh-target-input"
            placeholder="user@host:port or an alias"
            spellcheck={false}
            autocomplete="off"
            value={target}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
          <small class="field-hint">
            OpenSSH runs on {hostLabel(host)}, so its ~/.ssh/config, keys and known hosts apply. Prompts appear in the
            terminal.
          </small>
        </label>
        <div class="alias-list">
          <div class="alias-head">
            Aliases in {aliases ? <span class="mono">{aliases.config_path}</span> : "~/.ssh/config"}
          </div>
          {aliasError ? <ErrorBox compact error={aliasError} context="Reading ~/.ssh/config" /> : null}
          {aliases === null && aliasError === null ? <div class="muted small pad">Loading…</div> : null}
          {aliases !== null && aliases.hosts.length === 0 ? <div class="muted small pad">No aliases found.</div> : null}
          <ul>
            {shown.map((a) => (
              <li
                key={a.alias}
                data-testid={`ssh-alias-${a.alias}`}
                class={`alias ${a.alias === target ? "selected" : ""}`}
                role="option"
                aria-selected={a.alias === target}
                onClick={() => setTarget(a.alias)}
                onDblClick={() => {
                  setTarget(a.alias);
                  void (async () => {
                    setStarting(true);
                    const ok = await newSsh(host, a.alias);
                    setStarting(false);
                    if (ok) close();
                  })();
                }}
              >
                <span class="alias-name">{a.alias}</span>
                <span class="muted small">
                  {a.user ? `${a.user}@` : ""}
                  {a.hostname ?? ""}
                  {a.port ? `:${a.port}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </div>
        <div class="modal-actions">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="primary" data-testid="ssh-target-submit" disabled={starting || target.trim().length === 0}>
            {starting ? "Starting…" : "Connect"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

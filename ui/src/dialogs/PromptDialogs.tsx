// Answers to the backend's prompts: unknown host keys ("Trust once", "Trust and remember",
// "Cancel") and secrets (passwords, passphrases, keyboard-interactive questions; masked unless
// the server asked to echo). Prompts are answered in arrival order, one at a time.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import * as api from "../api/tauri";
import type { HostKeyAnswer, HostKeyPrompt, SecretPrompt } from "../api/types";
import { prompts, reportError } from "../state/store";
import { Modal } from "./Modal";

function finish(id: number): void {
  prompts.value = prompts.value.filter((p) => p.id !== id);
}

function HostKeyDialog({ p }: { p: HostKeyPrompt }): JSX.Element {
  const answer = (a: HostKeyAnswer) => {
    finish(p.id);
    api.answerHostKey(p.id, a).catch((e: unknown) => reportError(e, "Answering the host-key question"));
  };
  return (
    <Modal title="Unknown host key" testid="dialog-hostkey" onCancel={() => answer("reject")}>
      <p class="modal-text">
        Outpost has never seen the key of <strong>{p.host}</strong>
        {p.port !== 22 ? <> on port {p.port}</> : null}. Check that this fingerprint is the one the host's administrator
        gave you before you trust it.
      </p>
      <dl class="facts">
        <dt>Host</dt>
        <dd>
          {p.host}:{p.port}
        </dd>
        <dt>Key type</dt>
        <dd>{p.key_type}</dd>
        <dt>Fingerprint</dt>
        <dd class="mono" data-testid="hostkey-fingerprint">
          {p.fingerprint}
        </dd>
      </dl>
      <div class="modal-actions">
        <button data-testid="hostkey-reject" onClick={() => answer("reject")}>
          Cancel
        </button>
        <button data-testid="hostkey-once" onClick={() => answer("once")}>
          Trust once
        </button>
        <button data-testid="hostkey-always" class="primary" onClick={() => answer("always")}>
          Trust and remember
        </button>
      </div>
    </Modal>
  );
}

function secretTitle(p: SecretPrompt): string {
  switch (p.secret) {
    case "password":
      return `Password for ${p.user}@${p.host}`;
    case "passphrase":
      return "Key passphrase";
    case "keyboard_interactive":
      return p.name && p.name.trim().length > 0 ? p.name : `${p.user}@${p.host} asks`;
  }
}

function SecretDialog({ p }: { p: SecretPrompt }): JSX.Element {
  const [value, setValue] = useState("");
  const answer = (a: string | null) => {
    finish(p.id);
    api.answerSecret(p.id, a).catch((e: unknown) => reportError(e, "Answering the prompt"));
  };
  const label =
    p.prompt && p.prompt.trim().length > 0
      ? p.prompt.trim()
      : p.secret === "passphrase"
        ? "Passphrase"
        : p.secret === "password"
          ? "Password"
          : "Answer";
  return (
    <Modal title={secretTitle(p)} testid="dialog-secret" onCancel={() => answer(null)}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          answer(value);
        }}
      >
        {p.secret === "passphrase" ? (
          <p class="modal-text">
            The key <span class="mono">{p.key_path ?? "(unnamed)"}</span> is protected by a passphrase. It is needed to
            log in to <strong>{p.host}</strong> as {p.user}.
          </p>
        ) : p.secret === "password" ? (
          <p class="modal-text">
            <strong>{p.host}</strong> asks for the password of {p.user}. It is kept in memory only, for reconnecting.
          </p>
        ) : null}
        {p.instructions && p.instructions.trim().length > 0 ? <p class="modal-text pre">{p.instructions}</p> : null}
        <label class="field">
          <span>{label}</span>
          <input
            data-testid="secret-input"
            type={p.echo ? "text" : "password"}
            autocomplete="off"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <div class="modal-actions">
          <button type="button" data-testid="secret-cancel" onClick={() => answer(null)}>
            Cancel
          </button>
          <button type="submit" data-testid="secret-ok" class="primary">
            OK
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The oldest pending prompt, if any. */
export function PromptDialogs(): JSX.Element | null {
  const p = prompts.value[0];
  if (p === undefined) return null;
  return p.kind === "host_key" ? <HostKeyDialog key={p.id} p={p} /> : <SecretDialog key={p.id} p={p} />;
}

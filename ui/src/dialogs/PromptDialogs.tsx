// Answers to the backend's prompts: unknown host keys ("Trust once", "Trust and remember",
// "Cancel"), a key of a new type for a host whose keys of other types are on record (a warning:
// Cancel is the default, nothing else stands out), and secrets (passwords, passphrases,
// keyboard-interactive questions; masked unless the server asked to echo). A keyboard-interactive
// question has a layout of its own: a fixed title naming the asker and the server's words quoted
// as the server's (promptText.ts), so a server cannot pass for Outpost's own passphrase dialog.
// Prompts are answered in arrival order, one at a time.
import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import * as api from "../api/tauri";
import type { HostKeyAnswer, HostKeyPrompt, SecretPrompt } from "../api/types";
import { prompts, reportError } from "../state/store";
import { CertificateFacts } from "./CertificateFacts";
import { Modal } from "./Modal";
import { askerOf, keyboardInteractiveText, localSecretTitle, type OtherTypesRequest, otherTypesWarning } from "./promptText";

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
      <CertificateFacts certificate={p.certificate} />
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

function HostKeyOtherTypesDialog({ p }: { p: OtherTypesRequest }): JSX.Element {
  const answer = (a: HostKeyAnswer) => {
    finish(p.id);
    api.answerHostKey(p.id, a).catch((e: unknown) => reportError(e, "Answering the host-key question"));
  };
  return (
    <Modal title="Warning: a new key type for a known host" testid="dialog-hostkey-other-types" onCancel={() => answer("reject")} tone="danger" wide>
      <p class="modal-text" data-testid="hostkey-other-types-warning">
        {otherTypesWarning(p)}
      </p>
      <dl class="facts">
        <dt>Presented now</dt>
        <dd class="mono" data-testid="hostkey-other-types-presented">
          {p.key_type} {p.fingerprint}
        </dd>
        <dt>On record</dt>
        <dd class="mono" data-testid="hostkey-other-types-known">
          {p.known.map((k) => (
            <div key={k.fingerprint}>
              {k.key_type} {k.fingerprint}
            </div>
          ))}
        </dd>
      </dl>
      <CertificateFacts certificate={p.certificate} />
      <div class="modal-actions">
        <button data-testid="hostkey-reject" data-autofocus onClick={() => answer("reject")}>
          Cancel
        </button>
        <button data-testid="hostkey-once" onClick={() => answer("once")}>
          Trust once
        </button>
        <button data-testid="hostkey-always" onClick={() => answer("always")}>
          Trust and remember
        </button>
      </div>
    </Modal>
  );
}

/** The answer form both secret dialogs share: what comes before the field, the field, the buttons. */
function SecretForm(props: {
  p: SecretPrompt;
  title: string;
  testid: string;
  label: string;
  okLabel: string;
  children: ComponentChildren;
}): JSX.Element {
  const { p } = props;
  const [value, setValue] = useState("");
  const answer = (a: string | null) => {
    finish(p.id);
    api.answerSecret(p.id, a).catch((e: unknown) => reportError(e, "Answering the prompt"));
  };
  return (
    <Modal title={props.title} testid={props.testid} onCancel={() => answer(null)}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          answer(value);
        }}
      >
        {props.children}
        <label class="field">
          <span>{props.label}</span>
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
            {props.okLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A keyboard-interactive question: the server's words, quoted, under a title naming the asker. */
function KeyboardInteractiveDialog({ p }: { p: SecretPrompt }): JSX.Element {
  const t = keyboardInteractiveText(p);
  return (
    <SecretForm p={p} title={t.title} testid="dialog-kbd-interactive" label={t.label} okLabel="Send to the server">
      <p class="modal-text">
        The server <strong>{askerOf(p)}</strong> asks a question during login. The text below is the server's, not
        Outpost's.
      </p>
      {t.quoted.length > 0 ? (
        <blockquote
          class="modal-text pre mono"
          data-testid="kbd-server-text"
          style={{ borderLeft: "3px solid var(--warn)", margin: "8px 0", padding: "4px 10px", background: "var(--warn-bg)" }}
        >
          {t.quoted.join("\n")}
        </blockquote>
      ) : null}
    </SecretForm>
  );
}

/** Outpost's own secret questions: a password, a key passphrase. */
function SecretDialog({ p }: { p: SecretPrompt }): JSX.Element {
  const label = p.secret === "passphrase" ? "Passphrase" : "Password";
  return (
    <SecretForm p={p} title={localSecretTitle(p)} testid="dialog-secret" label={label} okLabel="OK">
      {p.secret === "passphrase" ? (
        <p class="modal-text">
          The key <span class="mono">{p.key_path ?? "(unnamed)"}</span> is protected by a passphrase. It is needed to log
          in to <strong>{p.host}</strong> as {p.user}.
        </p>
      ) : (
        <p class="modal-text">
          <strong>{p.host}</strong> asks for the password of {p.user}. It is kept in memory only, for reconnecting.
        </p>
      )}
    </SecretForm>
  );
}

/** The oldest pending prompt, if any. */
export function PromptDialogs(): JSX.Element | null {
  const p = prompts.value[0];
  if (p === undefined) return null;
  switch (p.kind) {
    case "host_key":
      return <HostKeyDialog key={p.id} p={p} />;
    case "host_key_other_types":
      return <HostKeyOtherTypesDialog key={p.id} p={p} />;
    case "secret":
      return p.secret === "keyboard_interactive" ? <KeyboardInteractiveDialog key={p.id} p={p} /> : <SecretDialog key={p.id} p={p} />;
  }
}

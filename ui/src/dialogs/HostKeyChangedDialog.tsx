// The blocking dialog for a changed host key (any command's `host_key_changed` error): what
// happened, both fingerprints from the error's typed details (and, when the key came in a host
// certificate, its CA and principals), and what to do next.
import type { JSX } from "preact";
import { changedKey } from "../state/store";
import { certificateOf, changedKeyOf, removeKeyCommand } from "./advice";
import { CertificateFacts } from "./CertificateFacts";
import { Modal } from "./Modal";

/** Shown while `changedKey` holds an error. */
export function HostKeyChangedDialog(): JSX.Element | null {
  const err = changedKey.value;
  if (err === null) return null;
  const k = changedKeyOf(err);
  const cmd = k ? removeKeyCommand(k.known_hosts_name) : null;
  const close = () => {
    changedKey.value = null;
  };
  return (
    <Modal title="Host key changed — connection blocked" testid="dialog-hostkey-changed" onCancel={close} tone="danger" wide>
      <p class="modal-text">
        The host {k ? <strong data-testid="hostkey-changed-host">{k.known_hosts_name}</strong> : null} presented a different key from the one on record. Someone may
        be intercepting the connection (a man-in-the-middle attack), or the host was reinstalled. Outpost sent nothing to
        the server.
      </p>
      <dl class="facts">
        {k ? (
          <>
            <dt>Key type</dt>
            <dd class="mono">{k.key_type}</dd>
          </>
        ) : null}
        <dt>Presented now</dt>
        <dd class="mono" data-testid="hostkey-changed-presented">
          {k?.fingerprint ?? "(see the message below)"}
        </dd>
        <dt>On record</dt>
        <dd class="mono" data-testid="hostkey-changed-expected">
          {k && k.expected_fingerprints.length > 0 ? k.expected_fingerprints.join(" or ") : "(see the message below)"}
        </dd>
      </dl>
      <CertificateFacts certificate={certificateOf(err)} />
      <p class="modal-text">
        <strong>What to do next:</strong> if you know why the key changed (for example, the host was reinstalled), remove
        the old key from your known_hosts file and connect again; you will be asked to trust the new key.
        {cmd ? (
          <>
            {" "}
            Run <code>{cmd}</code> (and the same with <code>-f</code> pointing at Outpost's own known_hosts in its
            configuration directory). Otherwise, do not connect, and ask the host's administrator.
          </>
        ) : (
          " Otherwise, do not connect, and ask the host's administrator."
        )}
      </p>
      <details class="raw-message">
        <summary>Full message</summary>
        <p class="mono small">{err.message}</p>
      </details>
      <div class="modal-actions">
        <button class="primary" data-autofocus onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

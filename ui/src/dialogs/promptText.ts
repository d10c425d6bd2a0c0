// What the prompt dialogs say, kept apart from the components so it can be tested. A
// keyboard-interactive question is the *server's* text: it never becomes a dialog's title or
// Outpost's own words; the title is fixed and names the asker (`user@host asks:`), and the
// server's name, instructions and prompt are shown quoted, as the server's (the backend has
// already made their control characters visible). Pure.
import type { PromptRequest } from "../api/generated/types";

/** A secret prompt. */
export type SecretRequest = Extract<PromptRequest, { kind: "secret" }>;

/** A host whose keys of other types are on record presented a key of a new type. */
export type OtherTypesRequest = Extract<PromptRequest, { kind: "host_key_other_types" }>;

/** The keyboard-interactive dialog's text. */
export interface KeyboardInteractiveText {
  /** Fixed: who asks. */
  title: string;
  /** The server's words, in order (name, instructions, prompt), empty parts left out. */
  quoted: string[];
  /** The answer field's label (fixed). */
  label: string;
}

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s.trim().length > 0;

/** `user@host`: who asks. */
export function askerOf(p: { user: string; host: string }): string {
  return `${p.user}@${p.host}`;
}

/** The text of a keyboard-interactive dialog. */
export function keyboardInteractiveText(p: SecretRequest): KeyboardInteractiveText {
  return {
    title: `${askerOf(p)} asks:`,
    quoted: [p.name, p.instructions, p.prompt].filter(nonEmpty).map((s) => s.replace(/\s+$/, "")),
    label: p.echo ? "Your answer (shown as typed)" : "Your answer (hidden)",
  };
}

/** The title of a password or passphrase dialog (Outpost's own questions). */
export function localSecretTitle(p: SecretRequest): string {
  return p.secret === "passphrase" ? "Key passphrase" : `Password for ${askerOf(p)}`;
}

/** The warning of the "keys of other types are on record" dialog. */
export function otherTypesWarning(p: OtherTypesRequest): string {
  const where = p.port === 22 ? p.host : `${p.host} (port ${p.port})`;
  const types = [...new Set(p.known.map((k) => k.key_type))].join(", ");
  return (
    `${where} presented a ${p.key_type} key, which Outpost has never seen, but keys of a different type ` +
    `(${types}) are already on record for this host. A man-in-the-middle offering only another key type looks ` +
    "exactly like this. Trust the new key only if the host's administrator confirms this fingerprint."
  );
}

// The add-forward form's checks, with a message per field, before anything is sent (the engine
// checks again and answers `forward_invalid`, `port_in_use` or `unreachable`). Pure.
import type { ForwardKind, NewForward } from "../api/generated/types";

/** The form as typed. */
export interface ForwardForm {
  kind: ForwardKind;
  bind: string;
  port: string;
  destHost: string;
  destPort: string;
  save: boolean;
}

/** The fields that can be wrong. */
export type ForwardField = "bind" | "port" | "destHost" | "destPort";

/** A checked forward, ready for `forward_add`. */
export type CheckedForward = NewForward;

/** The empty form. */
export const EMPTY_FORM: ForwardForm = { kind: "local", bind: "", port: "", destHost: "", destPort: "", save: false };

/** A port as typed: the number, or why it is not one (`zeroOk`: 0 picks a free one). */
export function port(text: string, zeroOk: boolean): number | string {
  const t = text.trim();
  if (t === "") return zeroOk ? "Enter a port (0 picks a free one)." : "Enter a port.";
  if (!/^[0-9]{1,5}$/.test(t)) return "A port is a number from 1 to 65535.";
  const n = Number(t);
  if (n > 65535 || (n === 0 && !zeroOk)) return "A port is a number from 1 to 65535.";
  return n;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Why `b` is not a listen address, or null. */
export function bindProblem(b: string): string | null {
  if (b === "" || b === "localhost" || IPV4.test(b)) return null;
  if (/^[0-9a-fA-F:]+$/.test(b) && b.includes(":")) return null;
  return "Listen on an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost.";
}

/** Why `h` is not a destination host, or null. */
export function hostProblem(h: string): string | null {
  if (h === "") return "Enter the destination host.";
  if (new TextEncoder().encode(h).length > 253) return "A host name is at most 253 bytes.";
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(h)) return "A host name has no spaces or control characters.";
  return null;
}

/** The checked forward, or a message per wrong field. */
export function checkForward(f: ForwardForm): { ok: CheckedForward } | { problems: Partial<Record<ForwardField, string>> } {
  const problems: Partial<Record<ForwardField, string>> = {};
  const bind = f.bind.trim();
  // `-R`: the host's address; `*` is every address (sshd's GatewayPorts decides).
  const b = f.kind === "remote" && bind === "*" ? null : bindProblem(bind);
  if (b !== null) problems.bind = b;
  const p = port(f.port, true);
  if (typeof p === "string") problems.port = p;
  let destHost: string | null = null;
  let destPort: number | null = null;
  if (f.kind !== "dynamic") {
    destHost = f.destHost.trim().replace(/^\[(.*)\]$/, "$1");
    const h = hostProblem(destHost);
    if (h !== null) problems.destHost = h;
    const dp = port(f.destPort, false);
    if (typeof dp === "string") problems.destPort = dp;
    else destPort = dp;
  }
  if (Object.keys(problems).length > 0 || typeof p === "string") return { problems };
  return { ok: { kind: f.kind, bind: bind === "" ? null : bind, port: p, dest_host: destHost, dest_port: destPort, save: f.save } };
}

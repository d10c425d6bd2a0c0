// The host form's fields ↔ a Host: list parsing (comma or newline separated), the colour, and
// validation with messages per field (a test of unsaved values needs no name yet). Pure.
import type { Host, HostColor } from "../api/types";
import { isHostColor } from "./hostColor";

/** The form's raw text fields. */
export interface HostFields {
  name: string;
  hostname: string;
  port: string;
  user: string;
  identity: string;
  jump: string;
  /** A palette colour, or "" for none. */
  color: HostColor | "";
}

/** Problems by field name. */
export type FieldErrors = Partial<Record<keyof HostFields, string>>;

/** Items of a comma- or newline-separated list, trimmed, empty ones dropped. */
export function parseList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The form's fields for an existing host (or empty ones). */
export function fieldsOf(host: Host | null): HostFields {
  if (host === null) return { name: "", hostname: "", port: "", user: "", identity: "", jump: "", color: "" };
  return {
    name: host.name,
    hostname: host.hostname,
    port: host.port === null || host.port === undefined ? "" : String(host.port),
    user: host.user ?? "",
    identity: host.identity_files.join("\n"),
    jump: host.proxy_jump.join(", "),
    color: host.color ?? "",
  };
}

const NO_SPACE = /^[^\s]+$/;

/** A host from the fields, or the problems found. */
export function hostFromFields(
  f: HostFields,
  source: Host["source"] = "manual",
  purpose: "save" | "test" = "save",
): { ok: true; host: Host } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  // Testing before saving needs no name: the host name stands in for it.
  const name = purpose === "test" && f.name.trim().length === 0 ? f.hostname.trim() : f.name.trim();
  const hostname = f.hostname.trim();
  const user = f.user.trim();
  const portText = f.port.trim();
  if (name.length === 0) errors.name = "Give the host a name.";
  else if (!NO_SPACE.test(name)) errors.name = "A name cannot contain spaces.";
  else if (name === "local") errors.name = "“local” is reserved for this computer.";
  if (hostname.length === 0) errors.hostname = "Enter a host name or address.";
  else if (!NO_SPACE.test(hostname)) errors.hostname = "A host name cannot contain spaces.";
  let port: number | null = null;
  if (portText.length > 0) {
    const n = Number(portText);
    if (!Number.isInteger(n) || n < 1 || n > 65535) errors.port = "A port is a whole number from 1 to 65535.";
    else port = n;
  }
  if (user.length > 0 && !NO_SPACE.test(user)) errors.user = "A user name cannot contain spaces.";
  const proxy_jump = parseList(f.jump);
  if (proxy_jump.some((j) => !NO_SPACE.test(j))) errors.jump = "Separate jump hosts with commas.";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    host: {
      name,
      hostname,
      port,
      user: user.length > 0 ? user : null,
      identity_files: parseList(f.identity),
      proxy_jump,
      source,
      color: isHostColor(f.color) ? f.color : null,
      // The form's checkbox sets it (`HostForm.tsx`).
      forward_agent: false,
    },
  };
}

/** "user@hostname:port" as shown under a host's name. */
export function hostAddress(h: Host): string {
  const user = h.user ? `${h.user}@` : "";
  const port = h.port && h.port !== 22 ? `:${h.port}` : "";
  return `${user}${h.hostname}${port}`;
}

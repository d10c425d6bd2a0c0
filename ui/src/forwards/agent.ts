// The agent-owned forwards' part of the panel, as pure code: the add form's checks (each field
// with its own message before the engine checks again), what each row says (destination, where
// it is reached from, the host socket's state, the local port), and the key that names a row
// when its saved port is forgotten.
import type { AgentForwardKey, AgentForwardRow, NewAgentForward } from "../api/generated/types";
import { bindProblem, hostProblem, port } from "./validate";

/** The agent-owned forward form as typed. */
export interface AgentForm {
  /** `""`: reached from the jump host itself; else the `ssh` session whose target reaches it. */
  from: string;
  destHost: string;
  destPort: string;
  /** Also open it locally. */
  local: boolean;
  bind: string;
  port: string;
  save: boolean;
}

/** The fields that can be wrong. */
export type AgentField = "from" | "destHost" | "destPort" | "bind" | "port";

/** The empty form: from the jump host, opened locally on any free port. */
export const EMPTY_AGENT_FORM: AgentForm = { from: "", destHost: "", destPort: "", local: true, bind: "", port: "0", save: false };

const SESSION_ID = /^[a-z0-9]{1,32}$/;

/** The checked forward, or a message per wrong field. */
export function checkAgentForward(f: AgentForm): { ok: NewAgentForward } | { problems: Partial<Record<AgentField, string>> } {
  const problems: Partial<Record<AgentField, string>> = {};
  if (f.from !== "" && !SESSION_ID.test(f.from)) problems.from = "Pick the jump host or one of its ssh sessions.";
  const destHost = f.destHost.trim().replace(/^\[(.*)\]$/, "$1");
  const h = hostProblem(destHost);
  if (h !== null) problems.destHost = h;
  const dp = port(f.destPort, false);
  if (typeof dp === "string") problems.destPort = dp;
  let localPort: number | null = null;
  const bind = f.bind.trim();
  if (f.local) {
    const b = bindProblem(bind);
    if (b !== null) problems.bind = b;
    const p = port(f.port, true);
    if (typeof p === "string") problems.port = p;
    else localPort = p;
  }
  if (Object.keys(problems).length > 0 || typeof dp === "string") return { problems };
  return {
    ok: {
      session_id: f.from === "" ? null : f.from,
      dest_host: destHost,
      dest_port: dp,
      local_port: localPort,
      bind: f.local && bind !== "" ? bind : null,
      save: f.local && f.save,
    },
  };
}

/** `db.internal:5432`, IPv6 addresses in brackets. */
export function destText(r: Pick<AgentForwardRow, "dest_host" | "dest_port">): string {
  const h = r.dest_host.includes(":") ? `[${r.dest_host}]` : r.dest_host;
  return `${h}:${r.dest_port}`;
}

/** Where the destination is reached from. */
export function fromText(r: AgentForwardRow, host: string): string {
  return r.session_id ? `session ${r.session_id}'s target` : host;
}

/** The host side's state in words. */
export function stateText(r: AgentForwardRow): string {
  if (r.state === "active") return "Active";
  if (r.state === "waiting") return "Waiting (ssh reconnecting)";
  return "Not on the host";
}

/** The local port in words: open, saved, or neither. */
export function localText(r: AgentForwardRow): string {
  const at = (bind: string, p: number) => (bind.includes(":") ? `[${bind}]:${p}` : `${bind}:${p}`);
  if (r.local) return `${at(r.local.bind, r.local.port)}${r.saved ? " (saved)" : ""}`;
  if (r.saved) return `saved ${at(r.saved.bind, r.saved.port)}, not open`;
  return "not open here";
}

/** The key of a row for `agent_forward_save`. */
export function keyOf(r: AgentForwardRow): AgentForwardKey {
  return { id: r.id, session_id: r.session_id, dest_host: r.dest_host, dest_port: r.dest_port };
}

/** The port "Open locally" asks for: the saved one, else any free one. */
export function openPort(r: AgentForwardRow): { bind: string | null; port: number } {
  return r.saved ? { bind: r.saved.bind, port: r.saved.port } : { bind: null, port: 0 };
}

/** Asks for a saved port's forward again (the host lost it): the same forward, on the saved port. */
export function restoreOf(r: AgentForwardRow): NewAgentForward {
  const at = openPort(r);
  return { session_id: r.session_id, dest_host: r.dest_host, dest_port: r.dest_port, local_port: at.port, bind: at.bind, save: r.saved !== null };
}

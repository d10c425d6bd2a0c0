// Fills in what the engine's JSON leaves out: saved hosts omit empty lists and absent options
// (that keeps hosts.json tidy), while the UI wants every field present.
import type { Host, HostSource } from "./types";

/** A complete `Host` from the engine's possibly sparse one. */
export function normaliseHost(h: Partial<Host>): Host {
  return {
    name: h.name ?? "",
    hostname: h.hostname ?? "",
    port: h.port ?? null,
    user: h.user ?? null,
    identity_files: Array.isArray(h.identity_files) ? h.identity_files : [],
    proxy_jump: Array.isArray(h.proxy_jump) ? h.proxy_jump : [],
    source: (h.source ?? "manual") as HostSource,
    color: h.color ?? null,
    forward_agent: h.forward_agent ?? false,
  };
}

// Tests for host form parsing and validation.
import { describe, expect, it } from "vitest";
import type { Host } from "../api/types";
import { fieldsOf, hostAddress, hostFromFields, parseList } from "./hostForm";

const base = { name: "db", hostname: "db.example.org", port: "", user: "", identity: "", jump: "", color: "" as const };

describe("host form", () => {
  it("parses comma and newline lists", () => {
    expect(parseList(" a, b\n\n c ,")).toEqual(["a", "b", "c"]);
    expect(parseList("")).toEqual([]);
  });
  it("builds a host from valid fields", () => {
    const r = hostFromFields({ ...base, port: "2222", user: "deploy", identity: "~/.ssh/a\n~/.ssh/b", jump: "bastion, inner" });
    expect(r).toEqual({
      ok: true,
      host: {
        name: "db",
        hostname: "db.example.org",
        port: 2222,
        user: "deploy",
        identity_files: ["~/.ssh/a", "~/.ssh/b"],
        proxy_jump: ["bastion", "inner"],
        source: "manual",
        color: null,
        forward_agent: false,
      },
    });
  });
  it("reports each bad field", () => {
    const r = hostFromFields({ name: "my db", hostname: "", port: "70000", user: "a b", identity: "", jump: "", color: "" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["hostname", "name", "port", "user"]);
    const local = hostFromFields({ ...base, name: "local" });
    expect(local.ok).toBe(false);
    expect(hostFromFields({ ...base, port: "1.5" }).ok).toBe(false);
  });
  it("round-trips an existing host through the fields", () => {
    const h: Host = {
      name: "db",
      hostname: "10.0.0.5",
      port: 22,
      user: "root",
      identity_files: ["k1"],
      proxy_jump: ["j1", "j2"],
      source: "ssh_config",
      color: "red",
      forward_agent: false,
    };
    const r = hostFromFields(fieldsOf(h), h.source);
    expect(r).toEqual({ ok: true, host: h });
  });
  it("keeps the colour, or none", () => {
    const r = hostFromFields({ ...base, color: "yellow" });
    expect(r.ok && r.host.color).toBe("yellow");
    const none = hostFromFields(base);
    expect(none.ok && none.host.color).toBeNull();
    expect(fieldsOf(null).color).toBe("");
  });
  it("tests unsaved values without a name, but saves only with one", () => {
    const unnamed = { ...base, name: "", port: "2222" };
    expect(hostFromFields(unnamed).ok).toBe(false);
    const t = hostFromFields(unnamed, "manual", "test");
    expect(t.ok && t.host.name).toBe("db.example.org");
    expect(t.ok && t.host.port).toBe(2222);
    expect(hostFromFields({ ...unnamed, port: "0" }, "manual", "test").ok).toBe(false);
  });
  it("shows a short address", () => {
    expect(hostAddress({ ...(hostFromFields(base) as { host: Host }).host, user: "u", port: 22 })).toBe("u@db.example.org");
    expect(hostAddress({ ...(hostFromFields(base) as { host: Host }).host, port: 2200 })).toBe("db.example.org:2200");
  });
});

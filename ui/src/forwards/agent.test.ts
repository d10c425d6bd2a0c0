import { describe, expect, it } from "vitest";
import type { AgentForwardRow } from "../api/generated/types";
import { checkAgentForward, destText, EMPTY_AGENT_FORM, fromText, keyOf, localText, openPort, restoreOf, stateText } from "./agent";

const row = (over: Partial<AgentForwardRow> = {}): AgentForwardRow => ({
  id: "f0123456789abcdef",
  session_id: null,
  dest_host: "db",
  dest_port: 5432,
  state: "active",
  socket: "/run/user/1000/outpost/fw/f0123456789abcdef.sock",
  local: null,
  saved: null,
  ...over,
});

describe("the agent-owned forward form", () => {
  it("accepts a forward from the host or from a session, with or without a local port", () => {
    expect(checkAgentForward({ ...EMPTY_AGENT_FORM, destHost: "db.internal", destPort: "5432" })).toEqual({
      ok: { session_id: null, dest_host: "db.internal", dest_port: 5432, local_port: 0, bind: null, save: false },
    });
    expect(
      checkAgentForward({ ...EMPTY_AGENT_FORM, from: "k3v9q2", destHost: "[fe80::1]", destPort: "80", local: false, port: "junk", save: true }),
    ).toEqual({ ok: { session_id: "k3v9q2", dest_host: "fe80::1", dest_port: 80, local_port: null, bind: null, save: false } });
    expect(checkAgentForward({ ...EMPTY_AGENT_FORM, destHost: "h", destPort: "1", bind: "::1", port: "9000", save: true })).toMatchObject({
      ok: { bind: "::1", local_port: 9000, save: true },
    });
  });
  it("names each wrong field", () => {
    expect(checkAgentForward({ ...EMPTY_AGENT_FORM, from: "Not An Id", destHost: "a b", destPort: "0", bind: "eth0", port: "70000" })).toEqual({
      problems: {
        from: expect.stringContaining("session"),
        destHost: expect.stringContaining("spaces"),
        destPort: expect.stringContaining("65535"),
        bind: expect.stringContaining("IP address"),
        port: expect.stringContaining("65535"),
      },
    });
    expect(checkAgentForward({ ...EMPTY_AGENT_FORM, destHost: "", destPort: "" })).toEqual({
      problems: { destHost: expect.any(String), destPort: expect.any(String) },
    });
  });
});

describe("an agent-owned forward's row", () => {
  it("says where it leads, from where, and its state", () => {
    expect(destText(row())).toBe("db:5432");
    expect(destText(row({ dest_host: "fe80::1" }))).toBe("[fe80::1]:5432");
    expect(fromText(row(), "jump")).toBe("jump");
    expect(fromText(row({ session_id: "k3v9" }), "jump")).toBe("session k3v9's target");
    expect(stateText(row())).toContain("Active");
    expect(stateText(row({ state: "waiting" }))).toContain("reconnecting");
    expect(stateText(row({ id: null, state: null }))).toBe("Not on the host");
  });
  it("shows the local port, open or saved", () => {
    const counts = { accepted: 0, active: 0, failed: 0, bytes_out: 0, bytes_in: 0 };
    expect(localText(row())).toBe("not open here");
    expect(localText(row({ local: { bind: "127.0.0.1", port: 9001, counts } }))).toBe("127.0.0.1:9001");
    const saved = { bind: "::1", port: 9001 };
    expect(localText(row({ local: { bind: "::1", port: 9001, counts }, saved }))).toBe("[::1]:9001 (saved)");
    expect(localText(row({ saved }))).toBe("saved [::1]:9001, not open");
    expect(openPort(row({ saved }))).toEqual({ bind: "::1", port: 9001 });
    expect(openPort(row())).toEqual({ bind: null, port: 0 });
    expect(restoreOf(row({ id: null, state: null, session_id: "k3v9", saved }))).toEqual({
      session_id: "k3v9",
      dest_host: "db",
      dest_port: 5432,
      local_port: 9001,
      bind: "::1",
      save: true,
    });
    expect(keyOf(row({ session_id: "k3v9" }))).toEqual({ id: "f0123456789abcdef", session_id: "k3v9", dest_host: "db", dest_port: 5432 });
  });
});

// Tests for error advice and the typed facts of changed host keys and deploy failures.
import { describe, expect, it } from "vitest";
import { adviceFor, changedKeyOf, KNOWN_CODES, removeKeyCommand } from "./advice";

describe("adviceFor", () => {
  it("gives every known code a title and a next step, keeping the message", () => {
    for (const code of KNOWN_CODES) {
      const a = adviceFor({ code, message: "the engine's words", details: null });
      expect(a.title.length).toBeGreaterThan(0);
      expect(a.next?.length ?? 0).toBeGreaterThan(0);
      expect(a.message).toBe("the engine's words");
    }
  });
  it("covers the engine's codes", () => {
    for (const code of ["auth_failed", "unreachable", "host_key_changed", "rpc_32001", "timeout", "no_agent_binary"]) {
      expect(KNOWN_CODES).toContain(code);
    }
  });
  it("shows the message alone for unknown codes", () => {
    expect(adviceFor({ code: "martian", message: "it broke", details: null })).toEqual({
      title: "Something went wrong",
      message: "it broke",
      next: null,
    });
  });
});

describe("changed host keys", () => {
  const details = {
    kind: "host_key_changed" as const,
    host: "db-1",
    port: 2222,
    known_hosts_name: "[db-1]:2222",
    key_type: "ssh-ed25519",
    fingerprint: "SHA256:newKEY+/abc",
    expected_fingerprints: ["SHA256:old1", "SHA256:old2="],
  };
  it("reads the host and both fingerprints from the typed details", () => {
    const k = changedKeyOf({ code: "host_key_changed", message: "prose that is never parsed", details });
    expect(k?.known_hosts_name).toBe("[db-1]:2222");
    expect(k?.fingerprint).toBe("SHA256:newKEY+/abc");
    expect(k?.expected_fingerprints).toEqual(["SHA256:old1", "SHA256:old2="]);
    expect(k?.key_type).toBe("ssh-ed25519");
  });
  it("finds nothing in other errors, whatever their message says", () => {
    expect(changedKeyOf({ code: "host_key_changed", message: "changed: SHA256:a vs SHA256:b", details: null })).toBeNull();
    expect(changedKeyOf({ code: "auth_failed", message: "no", details: null })).toBeNull();
  });
  it("suggests ssh-keygen -R with the known_hosts name", () => {
    expect(removeKeyCommand("db-1")).toBe("ssh-keygen -R 'db-1'");
    expect(removeKeyCommand(details.known_hosts_name)).toBe("ssh-keygen -R '[db-1]:2222'");
  });
});

describe("deploy errors", () => {
  it("advise by the failed step", () => {
    const a = adviceFor({
      code: "deploy",
      message: "the uploaded agent is corrupted",
      details: { kind: "deploy", reason: "checksum_mismatch", expected: "ab", actual: null },
    });
    expect(a.title).toMatch(/corrupted/);
    expect(a.message).toBe("the uploaded agent is corrupted");
    expect(a.next?.length ?? 0).toBeGreaterThan(0);
  });
  it("fall back to the code's advice without details", () => {
    expect(adviceFor({ code: "deploy", message: "m", details: null }).title).toBe(
      adviceFor({ code: "deploy", message: "other", details: null }).title,
    );
  });
});

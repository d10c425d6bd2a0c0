// Tests for error advice and host-key-change parsing.
import { describe, expect, it } from "vitest";
import { adviceFor, KNOWN_CODES, parseChangedKey, removeKeyCommand } from "./advice";

describe("adviceFor", () => {
  it("gives every known code a title and a next step, keeping the message", () => {
    for (const code of KNOWN_CODES) {
      const a = adviceFor({ code, message: "the engine's words" });
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
    expect(adviceFor({ code: "martian", message: "it broke" })).toEqual({
      title: "Something went wrong",
      message: "it broke",
      next: null,
    });
  });
});

describe("parseChangedKey", () => {
  const msg =
    "the host key of [db-1]:2222 has CHANGED: the server presents SHA256:newKEY+/abc, but the key on " +
    "record is SHA256:old1 or SHA256:old2=. Someone may be intercepting the connection (man-in-the-middle), " +
    "or the host was reinstalled. Nothing was sent to the server.";
  it("finds the host and both fingerprints", () => {
    expect(parseChangedKey(msg)).toEqual({
      host: "[db-1]:2222",
      presented: "SHA256:newKEY+/abc",
      expected: ["SHA256:old1", "SHA256:old2="],
    });
  });
  it("copes with messages in another shape", () => {
    expect(parseChangedKey("changed: SHA256:a vs SHA256:b")).toEqual({
      host: null,
      presented: null,
      expected: ["SHA256:a", "SHA256:b"],
    });
  });
  it("suggests ssh-keygen -R", () => {
    expect(removeKeyCommand("db-1")).toBe("ssh-keygen -R 'db-1'");
    expect(removeKeyCommand(null)).toBeNull();
  });
});

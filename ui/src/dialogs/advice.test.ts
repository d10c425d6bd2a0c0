// Tests for error advice and the typed facts of changed host keys and deploy failures.
import { describe, expect, it } from "vitest";
import forwardErrors from "../../../src-tauri/src/engine/forward/error.rs?raw";
import transferErrors from "../../../src-tauri/src/engine/transfer/error.rs?raw";
import { adviceFor, changedKeyOf, KNOWN_CODES, messageText, removeKeyCommand } from "./advice";

/** The codes a Rust error file's `fn code(` maps its errors to (the `=> "code"` arms up to the
 * end of that function). */
function rustCodes(rust: string): string[] {
  const start = rust.indexOf("fn code(");
  const body = rust.slice(start, rust.indexOf("\n    }\n", start));
  return [...body.matchAll(/=> "([a-z_]+)",/g)].map((m) => m[1] ?? "");
}

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
    for (const code of [
      "auth_failed",
      "connection_refused",
      "name_not_resolved",
      "unreachable",
      "host_key_changed",
      "host_key_rejected",
      "rpc_32001",
      "timeout",
      "no_agent_binary",
    ]) {
      expect(KNOWN_CODES).toContain(code);
    }
  });
  it("titles every file and forward error the engine can report", () => {
    const codes = [...rustCodes(transferErrors), ...rustCodes(forwardErrors)];
    expect(codes).toEqual(expect.arrayContaining(["not_found", "no_space", "transfer_failed", "port_in_use", "forward_bind"]));
    for (const code of codes) {
      expect(KNOWN_CODES, code).toContain(code);
      expect(adviceFor({ code, message: "m", details: null }).title).not.toBe("Something went wrong");
    }
  });
  it("gives file and forward errors their own words, keeping the message", () => {
    const full = adviceFor({ code: "no_space", message: "h:/srv/big.iso: no space left on the device", details: null });
    expect(full.title).toBe("The disk is full");
    expect(full.message).toBe("h:/srv/big.iso: no space left on the device");
    expect(adviceFor({ code: "port_in_use", message: "m", details: null }).title).toBe("That port is already in use");
    expect(adviceFor({ code: "forward_bind", message: "m", details: null }).next).toMatch(/1024/);
    expect(adviceFor({ code: "is_a_directory", message: "m", details: null }).title).toBe("That is a folder, not a file");
    expect(adviceFor({ code: "not_a_directory", message: "m", details: null }).title).toBe("That is a file, not a folder");
  });
  it("lists each code once", () => {
    expect(new Set(KNOWN_CODES).size).toBe(KNOWN_CODES.length);
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
    certificate: null,
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

describe("connection failures", () => {
  const msg = "the engine's words";
  it("gives refused, DNS, no route, timeout, authentication and host keys each their own advice", () => {
    const timeout = adviceFor({
      code: "timeout",
      message: msg,
      details: { kind: "connect_timeout", host: "h", port: 22, after_ms: 10000, stage: "connecting" },
    });
    const handshake = adviceFor({
      code: "timeout",
      message: msg,
      details: { kind: "connect_timeout", host: "h", port: 22, after_ms: 10000, stage: "key exchange and authentication" },
    });
    const all = [
      adviceFor({ code: "connection_refused", message: msg, details: { kind: "connection_refused", host: "h", port: 2222 } }),
      adviceFor({ code: "name_not_resolved", message: msg, details: { kind: "name_not_resolved", host: "x.invalid", reason: "r" } }),
      adviceFor({ code: "unreachable", message: msg, details: null }),
      timeout,
      handshake,
      adviceFor({ code: "auth_failed", message: msg, details: null }),
      adviceFor({ code: "host_key_rejected", message: msg, details: null }),
      adviceFor({ code: "host_key_changed", message: msg, details: null }),
    ];
    expect(new Set(all.map((a) => a.title)).size).toBe(all.length);
    expect(new Set(all.map((a) => a.next)).size).toBe(all.length);
    for (const a of all) expect(a.message).toBe(msg);
    expect(all[0]?.next).toMatch(/port/);
    expect(all[1]?.next).toMatch(/spelling/);
    expect(timeout.next).toMatch(/firewall/);
  });
});

describe("messageText", () => {
  it("capitalises a message that starts with a plain word", () => {
    expect(messageText("cannot listen on 127.0.0.1:80: the port is already in use")).toBe(
      "Cannot listen on 127.0.0.1:80: the port is already in use",
    );
    expect(messageText("the SSH connection is closed: eof")).toBe("The SSH connection is closed: eof");
    expect(messageText("refused")).toBe("Refused");
  });
  it("keeps a leading path, host or name exactly as written", () => {
    for (const m of [
      "h:/srv/x: permission denied",
      "h:sess:/tmp/y: no such file or directory",
      "/home/me/a.txt: already exists",
      "notes: directory not empty",
      "db:5432 is unreachable from jump: connection refused",
      "web-1:80 is unreachable from jump: no route",
      "[::1]:22 refused",
      "SHA-256 of the copy is ab, of the source cd; the copy was removed",
      "",
    ]) {
      expect(messageText(m)).toBe(m);
    }
  });
});

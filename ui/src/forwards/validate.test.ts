import { describe, expect, it } from "vitest";
import { checkForward, EMPTY_FORM } from "./validate";

describe("the add-forward form", () => {
  it("accepts -L and -D forwards", () => {
    expect(checkForward({ ...EMPTY_FORM, port: "8080", destHost: "db.internal", destPort: "5432" })).toEqual({
      ok: { kind: "local", bind: null, port: 8080, dest_host: "db.internal", dest_port: 5432, save: false },
    });
    expect(checkForward({ ...EMPTY_FORM, kind: "dynamic", bind: "::1", port: "0", destHost: "ignored", save: true })).toEqual({
      ok: { kind: "dynamic", bind: "::1", port: 0, dest_host: null, dest_port: null, save: true },
    });
    expect(checkForward({ ...EMPTY_FORM, port: "1", destHost: "[fe80::1]", destPort: "22" })).toMatchObject({ ok: { dest_host: "fe80::1" } });
    expect(checkForward({ ...EMPTY_FORM, kind: "remote", bind: "*", port: "0", destHost: "localhost", destPort: "3000" })).toEqual({
      ok: { kind: "remote", bind: "*", port: 0, dest_host: "localhost", dest_port: 3000, save: false },
    });
    expect(checkForward({ ...EMPTY_FORM, kind: "remote", port: "9000", destHost: "", destPort: "" })).toEqual({
      problems: { destHost: expect.any(String), destPort: expect.any(String) },
    });
    expect(checkForward({ ...EMPTY_FORM, bind: "*", port: "80", destHost: "h", destPort: "1" })).toMatchObject({ problems: { bind: expect.any(String) } });
  });
  it("names each wrong field", () => {
    const r = checkForward({ ...EMPTY_FORM, bind: "eth0", port: "70000", destHost: "a b", destPort: "0" });
    expect(r).toEqual({
      problems: {
        bind: expect.stringContaining("IP address"),
        port: expect.stringContaining("65535"),
        destHost: expect.stringContaining("spaces"),
        destPort: expect.stringContaining("65535"),
      },
    });
    expect(checkForward({ ...EMPTY_FORM, port: "+80", destHost: "", destPort: "" })).toEqual({
      problems: { port: expect.any(String), destHost: expect.any(String), destPort: expect.any(String) },
    });
    expect(checkForward({ ...EMPTY_FORM, bind: "256.1.1.1", port: "80", destHost: "h", destPort: "1" })).toMatchObject({
      problems: { bind: expect.any(String) },
    });
  });
});

// Tests for rejection normalisation.
import { describe, expect, it } from "vitest";
import { hasCode, toApiError, uiError, UNKNOWN_CODE } from "./errors";

describe("toApiError", () => {
  it("keeps a well-formed error", () => {
    expect(toApiError({ code: "auth_failed", message: "no" })).toEqual({ code: "auth_failed", message: "no", details: null });
  });
  it("keeps the engine's typed details", () => {
    const details = { kind: "saved_host", name: "db-1" };
    expect(toApiError({ code: "host_not_found", message: "no", details })).toEqual({
      code: "host_not_found",
      message: "no",
      details,
    });
    expect(toApiError({ code: "x", message: "y", details: "prose" }).details).toBeNull();
  });
  it("wraps plain strings and Error objects", () => {
    expect(toApiError("boom")).toEqual(uiError(UNKNOWN_CODE, "boom"));
    expect(toApiError(new Error("bad"))).toEqual(uiError(UNKNOWN_CODE, "bad"));
  });
  it("never returns an empty message", () => {
    for (const v of [null, undefined, 3, "", {}, { code: 5 }]) {
      expect(toApiError(v).message.length).toBeGreaterThan(0);
    }
  });
  it("matches codes", () => {
    expect(hasCode({ code: "rpc_32001", message: "x" }, "rpc_32001")).toBe(true);
    expect(hasCode("rpc_32001", "rpc_32001")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { normaliseHost } from "./normalise";

describe("normaliseHost", () => {
  it("fills the lists and options a sparse host leaves out", () => {
    expect(normaliseHost({ name: "local", hostname: "localhost", source: "builtin" })).toEqual({
      name: "local",
      hostname: "localhost",
      port: null,
      user: null,
      identity_files: [],
      proxy_jump: [],
      source: "builtin",
      color: null,
      forward_agent: false,
    });
  });
  it("keeps what is there", () => {
    const h = normaliseHost({
      name: "db",
      hostname: "10.0.0.5",
      port: 2222,
      user: "me",
      identity_files: ["~/.ssh/id"],
      proxy_jump: ["jump"],
      source: "ssh_config",
      color: "red",
    });
    expect(h.port).toBe(2222);
    expect(h.color).toBe("red");
    expect(h.proxy_jump).toEqual(["jump"]);
    expect(h.source).toBe("ssh_config");
    expect(normaliseHost({ name: "j", hostname: "j", forward_agent: true }).forward_agent).toBe(true);
  });
});

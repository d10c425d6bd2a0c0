import { describe, expect, it } from "vitest";
import { fromForm, lines, toForm, withHost, type PolicyFile } from "./policy";

describe("policy form", () => {
  const file: PolicyFile = {
    allowed_hosts: ["local", "web-*"],
    hosts: { "web-1": { read_only: true }, "*": { deny_commands: ["\\brm\\s+-rf\\b"] } },
    disabled_tools: ["exec_run"],
    runtime_changes: "none",
  };

  it("splits lines, trimming and dropping blanks", () => {
    expect(lines(" a \n\n b\n  \n")).toEqual(["a", "b"]);
  });

  it("shows every rule, the * entry first", () => {
    const form = toForm(file);
    expect(form.allowed).toBe("local\nweb-*");
    expect(form.tools).toBe("exec_run");
    expect(form.runtime).toBe("none");
    expect(form.hosts.map((h) => h.name)).toEqual(["*", "web-1"]);
    expect(form.hosts[0]?.deny).toBe("\\brm\\s+-rf\\b");
    expect(form.hosts[1]?.read_only).toBe(true);
  });

  it("round-trips a policy", () => {
    expect(fromForm(toForm(file))).toEqual(file);
  });

  it("reads the default policy: every host, tightening only", () => {
    const form = toForm({});
    expect(form).toEqual({ allowed: "", tools: "", runtime: "tighten", hosts: [] });
    expect(fromForm(form)).toEqual({ allowed_hosts: null, hosts: {}, disabled_tools: [], runtime_changes: "tighten" });
  });

  it("adds a host once and leaves out entries without rules", () => {
    let form = withHost(toForm({}), " local ");
    form = withHost(form, "local");
    form = withHost(form, "  ");
    expect(form.hosts.map((h) => h.name)).toEqual(["local"]);
    expect(fromForm(form).hosts).toEqual({});
    form = { ...form, hosts: form.hosts.map((h) => ({ ...h, read_only: true, deny: "reboot\n" })) };
    expect(fromForm(form).hosts).toEqual({ local: { read_only: true, deny_commands: ["reboot"] } });
  });
});

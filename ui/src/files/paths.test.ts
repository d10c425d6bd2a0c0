import { describe, expect, it } from "vitest";
import { baseName, crumbs, joinPath, localPaths, nameProblem, parentPath } from "./paths";

describe("remote paths", () => {
  it("joins with one slash", () => {
    expect(joinPath("/home/u", "a")).toBe("/home/u/a");
    expect(joinPath("/", "etc")).toBe("/etc");
    expect(joinPath("", "a")).toBe("a");
  });
  it("finds parents and names", () => {
    expect(parentPath("/home/u/a")).toBe("/home/u");
    expect(parentPath("/home/")).toBe("/");
    expect(parentPath("/")).toBe("/");
    expect(baseName("/home/u/a.txt")).toBe("a.txt");
    expect(baseName("/home/u/")).toBe("u");
    expect(baseName("/")).toBe("/");
  });
  it("builds the path bar", () => {
    expect(crumbs("/home/u")).toEqual([
      { name: "/", path: "/" },
      { name: "home", path: "/home" },
      { name: "u", path: "/home/u" },
    ]);
    expect(crumbs("/")).toEqual([{ name: "/", path: "/" }]);
  });
  it("refuses names that are not one component", () => {
    expect(nameProblem("new")).toBeNull();
    expect(nameProblem("")).not.toBeNull();
    expect(nameProblem("a/b")).not.toBeNull();
    expect(nameProblem("..")).not.toBeNull();
    expect(nameProblem("é".repeat(128))).not.toBeNull();
  });
  it("takes absolute local paths, one per line", () => {
    expect(localPaths(" /tmp/a \n\n/tmp/b")).toEqual({ paths: ["/tmp/a", "/tmp/b"], problem: null });
    expect(localPaths("").problem).not.toBeNull();
    expect(localPaths("a.txt").problem).toContain("a.txt");
  });
});

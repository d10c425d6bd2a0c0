import { describe, expect, it } from "vitest";
import type { FileEntry } from "../api/generated/types";
import { sortEntries, toggleSort } from "./sort";

const e = (name: string, kind: FileEntry["kind"], size: number, mtime: number): FileEntry => ({ name, kind, size, mode: 0o644, mtime });
const list = [e("b.txt", "file", 10, 3), e("z", "dir", 4096, 1), e("a.txt", "file", 30, 2), e("c", "dir", 4096, 5)];

describe("file order", () => {
  it("puts folders first, then names", () => {
    expect(sortEntries(list, { key: "name", descending: false }).map((x) => x.name)).toEqual(["c", "z", "a.txt", "b.txt"]);
  });
  it("sorts by size and time, either way", () => {
    expect(sortEntries(list, { key: "size", descending: true }).map((x) => x.name)).toEqual(["z", "c", "a.txt", "b.txt"]);
    expect(sortEntries(list, { key: "mtime", descending: false }).map((x) => x.name)).toEqual(["z", "c", "a.txt", "b.txt"]);
  });
  it("flips the same column and starts another ascending", () => {
    expect(toggleSort({ key: "name", descending: false }, "name")).toEqual({ key: "name", descending: true });
    expect(toggleSort({ key: "name", descending: true }, "size")).toEqual({ key: "size", descending: false });
  });
});

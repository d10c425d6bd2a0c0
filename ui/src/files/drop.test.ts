import { describe, expect, it } from "vitest";
import { dropAction } from "./drop";

const box = { left: 100, top: 50, right: 500, bottom: 450 };

describe("files dropped on the panel", () => {
  it("upload when dropped inside it, at the device scale", () => {
    expect(dropAction({ type: "drop", paths: ["/tmp/a", "/tmp/b"], position: { x: 400, y: 200 } }, box, 2)).toEqual({
      kind: "upload",
      paths: ["/tmp/a", "/tmp/b"],
    });
  });
  it("do nothing outside it, or with no panel open", () => {
    expect(dropAction({ type: "drop", paths: ["/tmp/a"], position: { x: 10, y: 10 } }, box, 1)).toEqual({ kind: "hover", on: false });
    expect(dropAction({ type: "drop", paths: ["/tmp/a"], position: { x: 200, y: 200 } }, null, 1)).toBeNull();
  });
  it("highlight while a drag is over it", () => {
    expect(dropAction({ type: "over", position: { x: 200, y: 200 } }, box, 1)).toEqual({ kind: "hover", on: true });
    expect(dropAction({ type: "enter", paths: ["/x"], position: { x: 600, y: 200 } }, box, 1)).toEqual({ kind: "hover", on: false });
    expect(dropAction({ type: "leave" }, box, 1)).toEqual({ kind: "hover", on: false });
  });
  it("ignore drops that carry no local paths", () => {
    expect(dropAction({ type: "drop", paths: [], position: { x: 200, y: 200 } }, box, 1)).toEqual({ kind: "hover", on: false });
  });
});

// Tests for ordered, merged input.
import { describe, expect, it } from "vitest";
import { type InputItem, OrderedInput } from "./input";

function deferredSender() {
  const sent: InputItem[] = [];
  const resolvers: (() => void)[] = [];
  const send = (item: InputItem) =>
    new Promise<void>((resolve) => {
      sent.push(JSON.parse(JSON.stringify(item)) as InputItem);
      resolvers.push(resolve);
    });
  const settle = async () => {
    resolvers.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { sent, send, settle };
}

describe("OrderedInput", () => {
  it("holds input until a target is set", async () => {
    const s = deferredSender();
    const q = new OrderedInput();
    q.text("ab");
    expect(s.sent).toEqual([]);
    q.setTarget(s.send);
    expect(s.sent).toEqual([{ kind: "text", data: "ab" }]);
  });

  it("keeps one send in flight and merges what is typed meanwhile", async () => {
    const s = deferredSender();
    const q = new OrderedInput();
    q.setTarget(s.send);
    q.text("l");
    q.text("s");
    q.text(" -");
    q.bytes([27, 91]);
    q.bytes([77]);
    q.text("\r");
    expect(s.sent.length).toBe(1);
    await s.settle();
    expect(s.sent[1]).toEqual({ kind: "text", data: "s -" });
    await s.settle();
    expect(s.sent[2]).toEqual({ kind: "bytes", data: [27, 91, 77] });
    await s.settle();
    expect(s.sent[3]).toEqual({ kind: "text", data: "\r" });
    await s.settle();
    expect(q.waiting).toBe(0);
  });

  it("goes on after a failed send and reports it", async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    let fail = true;
    const q = new OrderedInput((e) => errors.push(e));
    q.setTarget(async (item) => {
      if (item.kind === "text") sent.push(item.data);
      if (fail) {
        fail = false;
        throw new Error("nope");
      }
    });
    q.text("a");
    q.text("b");
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual(["a", "b"]);
    expect(errors.length).toBe(1);
  });

  it("drops input after close", () => {
    const s = deferredSender();
    const q = new OrderedInput();
    q.close();
    q.setTarget(s.send);
    q.text("x");
    expect(s.sent).toEqual([]);
  });
});
